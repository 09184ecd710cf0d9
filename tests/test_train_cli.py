"""`taglens train`: train, save, load with --model DIR; clear errors for bad input."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from taglens.cli import main
from taglens.exceptions import ExitCode
from taglens.model_folder import load_suggester
from taglens.types import Post


@pytest.fixture()
def data(tmp_path, synthetic_posts, write_jsonl):
    return write_jsonl(tmp_path / "train.jsonl", synthetic_posts(tmp_path / "images"))


def test_train_saves_a_model_that_loads_everywhere(data, tmp_path, capsys):
    out = tmp_path / "model"
    assert main(["train", "--model", "tfidf-linear", "--data", str(data), "--out", str(out),
                 "--set", "epochs=5", "--set", "min_df=1"]) == 0
    assert "trained tfidf-linear on 12 posts" in capsys.readouterr().err
    config = json.loads((out / "config.json").read_text())
    assert config["taglens"]["type"] == "tfidf-linear" and config["params"]["epochs"] == 5
    assert (out / "weights.safetensors").is_file() and (out / "vocab.txt").is_file()
    model = load_suggester(out)
    assert model.suggest(Post(text="tomato pasta"), k=3)


def test_several_data_files_and_overwrite_needs_force(data, tmp_path, write_jsonl):
    other = write_jsonl(tmp_path / "more.jsonl", [Post(text="sunset", hashtags=("sunset",), post_id="s1")])
    out = tmp_path / "model"
    args = ["train", "--model", "popularity", "--data", str(data), "--data", str(other), "--out", str(out)]
    assert main(args) == 0
    assert "sunset" in [s.tag for s in load_suggester(out).suggest(Post(), k=50)]
    assert main(args) == ExitCode.OUTPUT
    assert main(args + ["--force"]) == 0


def test_unknown_model_lists_close_matches(data, tmp_path, capsys):
    code = main(["train", "--model", "tfidf-linaer", "--data", str(data), "--out", str(tmp_path / "m")])
    assert code == ExitCode.MODEL
    assert "did you mean tfidf-linear" in capsys.readouterr().err


def test_bad_hyperparameter_is_a_clear_error(data, tmp_path, capsys):
    assert main(["train", "--model", "tfidf-linear", "--data", str(data), "--out", str(tmp_path / "m"),
                 "--set", "nonsense=1"]) == ExitCode.MODEL
    assert "bad hyperparameter" in capsys.readouterr().err


def test_empty_file_and_no_hashtags(tmp_path, capsys, write_jsonl):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    assert main(["train", "--model", "popularity", "--data", str(empty), "--out", str(tmp_path / "m")]) == ExitCode.DATA
    assert "empty" in capsys.readouterr().err
    untagged = write_jsonl(tmp_path / "untagged.jsonl", [Post(text="hello", post_id="1"), Post(text="x", post_id="2")])
    code = main(["train", "--model", "tfidf-linear", "--data", str(untagged), "--out", str(tmp_path / "m")])
    assert code == ExitCode.DATA
    assert "has a hashtag" in capsys.readouterr().err


def test_missing_file_is_an_input_error(tmp_path):
    assert main(["train", "--model", "popularity", "--data", str(tmp_path / "nope.jsonl"),
                 "--out", str(tmp_path / "m")]) == ExitCode.INPUT


def test_corrupt_image_is_skipped_with_a_warning(data, tmp_path, caplog, capsys):
    (data.parent / "images" / "broken.jpg").write_bytes(b"\xff\xd8\xff not a jpeg")
    with open(data, "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"id": "bad", "text": "", "hashtags": ["broken"], "images": ["images/broken.jpg"]}) + "\n")
    assert main(["train", "--model", "effnet-knn", "--data", str(data), "--out", str(tmp_path / "m")]) == 0
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any("broken.jpg" in w and "not an image" in w for w in warnings)
    assert "skipping 1 posts with an unreadable image" in warnings
    rows = [json.loads(line) for line in data.read_text().splitlines() if line.strip()]
    usable = sum(1 for r in rows if r["images"] and r["id"] != "bad")  # posts without an image, and the broken one
    assert f"trained effnet-knn on {usable} of {len(rows)} posts ({len(rows) - usable} without a usable input)" \
        in capsys.readouterr().err
    # co-attention reads captions too: only the post with the broken photo is left out
    assert main(["train", "--model", "test_coattention", "--data", str(data), "--out", str(tmp_path / "c")]) == 0
    assert f"trained test_coattention on {len(rows) - 1} of {len(rows)} posts (1 without a usable input)" \
        in capsys.readouterr().err


def test_a_model_without_its_input_in_the_data_is_a_data_error(data, tmp_path, capsys):
    photos_only = [dict(json.loads(line), text="") for line in data.read_text().splitlines() if line.strip()]
    only = data.parent / "photos_only.jsonl"
    only.write_text("".join(json.dumps(r) + "\n" for r in photos_only), encoding="utf-8")
    assert main(["train", "--model", "tfidf-linear", "--data", str(only), "--out", str(tmp_path / "m")]) \
        == ExitCode.DATA
    assert "has caption text" in capsys.readouterr().err


def test_an_untrained_model_says_how_to_train_it(capsys):
    assert main(["suggest", "--model", "popularity", "--text", "sunset at the beach"]) == ExitCode.MODEL
    assert "taglens train --model popularity" in capsys.readouterr().err


def test_training_without_torch_says_to_install_the_train_extra(data, tmp_path):
    """A torch-free install (`pip install taglens`) suggests; training asks for `taglens[train]`, leaving no
    half-written model folder. Run where torch cannot be imported, as where it is not installed."""
    import os
    import subprocess

    out = tmp_path / "model"
    code = ("import sys\n"
            "class NoTorch:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name.split('.')[0] == 'torch':\n"
            "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
            "sys.meta_path.insert(0, NoTorch())\n"
            "from taglens.cli import main\n"
            f"sys.exit(main(['train', '--model', 'tfidf-linear', '--data', {str(data)!r}, '--out', {str(out)!r},"
            " '--set', 'epochs=1', '--set', 'min_df=1']))\n")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert proc.returncode == ExitCode.MODEL, proc.stderr[-2000:]
    assert "this needs torch, which is not installed: pip install 'taglens[train]'" in proc.stderr
    assert not out.exists()
