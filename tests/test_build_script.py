"""scripts/build_default_model.py: refitting with an earlier build's fusion weights (--weights-from)."""
import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "build_default_model.py"
ARTIFACT = Path(__file__).resolve().parents[1] / "src" / "taglens" / "models" / "taglens-base"


@pytest.fixture(scope="module")
def build():
    spec = importlib.util.spec_from_file_location("build_default_model", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fail(message):
    raise SystemExit(message)


def write_config(folder: Path, drop=(), kind=None, **changes) -> Path:
    """The bundled build's config.json in ``folder``, with parameters dropped or changed, or another type."""
    config = json.loads((ARTIFACT / "config.json").read_text(encoding="utf-8"))
    if kind:
        config["taglens"]["type"] = kind
    for key in drop:
        del config["params"][key]
    config["params"].update(changes)
    folder.mkdir(exist_ok=True)
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    return folder


def test_weights_of_the_bundled_build(build):
    weights = build.earlier_weights(ARTIFACT, {}, fail)
    assert weights == json.loads((ARTIFACT / "config.json").read_text())["params"]["weights"]
    assert build.earlier_weights(ARTIFACT, {"topic_boost": 1}, fail) == weights  # the same value, another type


def test_a_build_with_other_parameters_is_refused(build, tmp_path):
    with pytest.raises(SystemExit, match=r"other parameters \(topic_boost\)"):
        build.earlier_weights(write_config(tmp_path / "m", topic_boost=2.0), {}, fail)
    with pytest.raises(SystemExit, match=r"other parameters \(min_count\)"):
        build.earlier_weights(ARTIFACT, {"min_count": 5}, fail)
    # a parameter the earlier build did not record yet counts as its default
    assert build.earlier_weights(write_config(tmp_path / "old", drop=("diversity",)), {}, fail)


def test_no_weights_is_a_clear_error(build, tmp_path):
    with pytest.raises(SystemExit, match="no fusion weights"):
        build.earlier_weights(tmp_path, {}, fail)
    with pytest.raises(SystemExit, match="holds no fusion weights"):
        build.earlier_weights(write_config(tmp_path / "m", weights={}), {}, fail)


def test_another_model_type_is_refused(build, tmp_path):
    with pytest.raises(SystemExit, match="a coattention model, not taglens-base"):
        build.earlier_weights(write_config(tmp_path / "m", kind="coattention"), {}, fail)


@pytest.mark.parametrize("args, message", [
    (["--weights-from", str(ARTIFACT), "--eval-only"], "not with --eval-only or --no-tune"),
    (["--set", "weights={}"], "come from tuning or from --weights-from"),
])
def test_options_that_do_not_go_together(build, args, message, capsys):
    with pytest.raises(SystemExit):
        build.main(["--out", "/nonexistent/out", *args])
    assert message in capsys.readouterr().err
