"""The registry: unknown names list close matches; model directories are checked before use."""
import json

import pytest

from taglens.exceptions import ExitCode, ModelError, UnknownModelError
from taglens.registry import create_suggester, list_suggesters
from taglens.model_folder import load_suggester
from taglens.model_folder import FORMAT_VERSION, load_model_dir
from taglens.version import __version__


def test_unknown_name_lists_close_matches():
    names = list_suggesters()
    assert names, "no model registered"
    typo = names[0][:-1] + "x"
    with pytest.raises(UnknownModelError, match=r"unknown model .*did you mean|known models") as e:
        create_suggester(typo)
    assert e.value.exit_code == ExitCode.MODEL
    with pytest.raises(UnknownModelError, match="no-such-model"):
        load_suggester("no-such-model")


def test_list_is_sorted_and_filterable():
    names = list_suggesters()
    assert names == sorted(names)
    assert not [n for n in names if n.startswith("test_")] and "test_coattention" in list_suggesters(hidden=True)
    create_suggester("test_coattention")  # hidden from lists, not from use
    assert "test_coattention" in list_suggesters("test_*") and list_suggesters("test*")  # unless asked for
    assert all(n.startswith(names[0][0]) for n in list_suggesters(names[0][0] + "*"))


def _write(tmp_path, config):
    (tmp_path / "config.json").write_text(json.dumps(config))
    return tmp_path


@pytest.mark.parametrize("config, message", [
    ({"params": {}}, "no 'taglens' envelope"),
    ({"taglens": {"type": "popularity", "format": FORMAT_VERSION + 1, "version": "9.0"}}, "model format"),
    ({"taglens": {"type": "teleporter", "format": FORMAT_VERSION, "version": __version__}},
     "'teleporter' is not known"),
])
def test_bad_model_directories(tmp_path, config, message):
    with pytest.raises(ModelError, match=message):
        load_model_dir(_write(tmp_path, config))


def test_not_a_model_directory(tmp_path):
    with pytest.raises(ModelError, match="no config.json"):
        load_suggester(tmp_path)
    (tmp_path / "config.json").write_text("{broken")
    with pytest.raises(ModelError, match="unreadable model config"):
        load_suggester(tmp_path)


def test_a_name_imports_only_the_modules_up_to_its_own():
    # a cold `taglens suggest` (the default model) imports no other suggester family; listing imports them all
    import subprocess
    import sys
    from pathlib import Path

    code = ("import sys\n"
            "from taglens.registry import is_suggester, list_suggesters\n"
            "assert is_suggester('taglens-base')\n"
            "assert 'taglens.suggesters.attention' not in sys.modules\n"
            "assert 'taglens.suggesters.ensemble' not in sys.modules\n"
            "assert {'coattention', 'ensemble', 'popularity'} <= set(list_suggesters())\n"
            "assert not is_suggester('no-such-model')\n")
    src = str(Path(__file__).resolve().parents[1] / "src")
    proc = subprocess.run([sys.executable, "-c", code], env={"PYTHONPATH": src, "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_every_model_keeps_each_hyperparameter_it_was_given():
    """``get_params`` (saved in config.json, shown by repr) reads back every ``__init__`` parameter: a model that
    stored one under another name, or not at all, would save a config that cannot recreate it."""
    import inspect

    for name in list_suggesters(hidden=True):
        model = create_suggester(name)
        params = [p for p in inspect.signature(type(model).__init__).parameters if p != "self"]
        assert list(model.get_params()) == params, name
        if "seed" in params:
            assert create_suggester(name, seed=7).get_params()["seed"] == 7, name
