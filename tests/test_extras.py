"""`pip install taglens` (no extra) suggests, segments and evaluates; a command that needs an extra's package says
which extra to install (exit code 6). Each run is a subprocess where the extras' packages cannot be imported, as
where they are not installed."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from taglens.cli import EXTRA_OF_PACKAGE
from taglens.exceptions import ExitCode

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "images"
# every package of the train, report, collect and serve extras
BLOCKED = sorted(set(EXTRA_OF_PACKAGE) | {"pandas"})


def run_without_extras(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess:
    code = ("import sys\n"
            f"BLOCKED = {BLOCKED!r}\n"
            "class Missing:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name.split('.')[0] in BLOCKED:\n"
            "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
            "sys.meta_path.insert(0, Missing())\n"
            "from taglens.cli import main\n"
            "code = main(sys.argv[1:])\n"
            "loaded = sorted({m.split('.')[0] for m in sys.modules} & set(BLOCKED))\n"
            "assert not loaded, loaded\n"
            "sys.exit(code)\n")
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "TAGLENS_CACHE": str(tmp_path / "cache")}
    return subprocess.run([sys.executable, "-c", code, *argv], env=env, capture_output=True, text=True, cwd=tmp_path,
                          timeout=600)


def test_suggest_segment_and_evaluate_need_no_extra(tmp_path):
    photo = sorted(FIXTURES.glob("*.jpg"))[0]
    proc = run_without_extras(tmp_path, "suggest", str(photo), "--text", "Slow Sunday morning, first cup of the day",
                              "--tags", "#coffee", "--json")
    assert proc.returncode == 0, proc.stderr[-2000:]
    tags = [s["tag"] for s in json.loads(proc.stdout)["suggestions"]]
    assert len(tags) == 10 and "coffee" not in tags

    proc = run_without_extras(tmp_path, "segment", "sunsetbeachvibes")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["sunset", "beach", "vibes"]

    data = tmp_path / "posts.jsonl"
    captions = ["homemade pasta tonight", "coffee and cake", "fresh from the market"]
    with data.open("w") as f:
        for i, (image, caption) in enumerate(zip(sorted(FIXTURES.glob("*.jpg")), captions)):
            (tmp_path / image.name).write_bytes(image.read_bytes())
            f.write(json.dumps({"id": str(i), "images": [image.name], "text": caption,
                                "hashtags": ["food", "foodie"]}) + "\n")
    proc = run_without_extras(tmp_path, "evaluate", str(data), "--json")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout)["n"] == 3


@pytest.mark.parametrize("argv, package, extra", [
    (["report", "--data", "posts.jsonl", "--models", "popularity", "--out", "report"], "matplotlib", "report"),
    (["collect", "--seeds", "dog", "--source", "instagram", "--store", "store", "--target", "1"], "instaloader",
     "collect"),
    (["serve", "--port", "8799"], "fastapi", "serve"),
])
def test_a_command_that_needs_an_extra_names_it(tmp_path, argv, package, extra):
    (tmp_path / "posts.jsonl").write_text('{"id": "1", "text": "a dog", "hashtags": ["dog"]}\n')
    proc = run_without_extras(tmp_path, *argv)
    assert proc.returncode == ExitCode.MODEL, proc.stderr[-2000:]
    assert f"this needs {package}, which is not installed: pip install 'taglens[{extra}]'" in proc.stderr
    assert not (tmp_path / "report").exists()
