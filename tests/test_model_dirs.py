"""Model folders written by another version or model type, corrupt state files, and where `train`/`report` write:
every problem is a clear TaglensError naming the folder or file, found before any training where it can be."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from taglens.cli import main
from taglens.exceptions import ExitCode
from taglens.model_folder import load_suggester
from taglens.suggesters.baselines import PopularitySuggester
from taglens.types import Post


@pytest.fixture(scope="module")
def data(tmp_path_factory, synthetic_posts, write_jsonl):
    folder = tmp_path_factory.mktemp("posts")
    return write_jsonl(folder / "posts.jsonl", synthetic_posts(folder / "images", n_per_theme=12))


@pytest.fixture(scope="module")
def trained(data, tmp_path_factory):
    """A trained popularity and a trained cooccurrence folder (copied by each test before it breaks them)."""
    folder = tmp_path_factory.mktemp("trained")
    for kind in ("popularity", "cooccurrence"):
        assert main(["train", "--model", kind, "--data", str(data), "--out", str(folder / kind)]) == 0
    return folder


def _copy(trained: Path, kind: str, dest: Path) -> Path:
    import shutil

    return Path(shutil.copytree(trained / kind, dest))


def _edit_config(folder: Path, edit) -> Path:
    config = json.loads((folder / "config.json").read_text())
    edit(config)
    (folder / "config.json").write_text(json.dumps(config))
    return folder


def _suggest(folder: Path) -> list[str]:
    return ["suggest", "--model", str(folder), "--tags", "#pasta"]


# -- 1. folders written by another version / model type, corrupt state ------------------------------------------
def test_unknown_parameter(trained, tmp_path, capsys):
    folder = _edit_config(_copy(trained, "popularity", tmp_path / "newer"), lambda c: c["params"].update(foo=1))
    assert main(_suggest(folder)) == ExitCode.MODEL
    err = capsys.readouterr().err
    assert str(folder) in err and "foo" in err and "does not know" in err


@pytest.mark.parametrize("version,ok", [("0.2.0", False), ("1.0", False), ("0.1.1", False), ("0.0.9", True),
                                        ("0.1.0.dev3", True), ("x.y", False), (None, False)])
def test_a_folder_written_by_a_newer_taglens_is_refused(trained, tmp_path, capsys, version, ok):
    """The same format number does not make a newer version's folder safe to read: it may hold parameters or
    files this version misreads. An older version's folder in the same format loads."""
    folder = _edit_config(_copy(trained, "popularity", tmp_path / "v"), lambda c: c["taglens"].update(version=version))
    assert main(_suggest(folder)) == (0 if ok else ExitCode.MODEL)
    err = capsys.readouterr().err
    if not ok:
        assert str(folder) in err and ("newer than this taglens" in err or "not a version number" in err)


def test_type_changed_to_a_model_with_other_state_files(trained, tmp_path, capsys):
    folder = _edit_config(_copy(trained, "popularity", tmp_path / "retyped"),
                          lambda c: (c["taglens"].update(type="cooccurrence"), c.update(params={})))
    assert main(_suggest(folder)) == ExitCode.MODEL
    err = capsys.readouterr().err
    assert str(folder) in err and "cooccurrence.safetensors" in err and "Traceback" not in err


def test_type_changed_with_parameters_of_the_old_type(trained, tmp_path, capsys):
    folder = _edit_config(_copy(trained, "popularity", tmp_path / "retyped"),
                          lambda c: c["taglens"].update(type="cooccurrence"))
    assert main(_suggest(folder)) == ExitCode.MODEL
    err = capsys.readouterr().err
    assert str(folder) in err and "max_tags" in err


@pytest.mark.parametrize("params", [[1, 2], "max_tags=3", 7])
def test_params_not_an_object(trained, tmp_path, capsys, params):
    folder = _edit_config(_copy(trained, "popularity", tmp_path / "odd"), lambda c: c.update(params=params))
    assert main(_suggest(folder)) == ExitCode.MODEL
    err = capsys.readouterr().err
    assert str(folder / "config.json") in err and "'params'" in err


def test_type_not_a_name(trained, tmp_path, capsys):
    folder = _edit_config(_copy(trained, "popularity", tmp_path / "odd"),
                          lambda c: c["taglens"].update(type=["popularity"]))
    assert main(_suggest(folder)) == ExitCode.MODEL
    assert str(folder / "config.json") in capsys.readouterr().err


@pytest.mark.parametrize("keep", [100, -50])  # the header cut, or the tensors cut
def test_truncated_safetensors_names_the_file(trained, tmp_path, capsys, keep):
    folder = _copy(trained, "cooccurrence", tmp_path / "cut")
    state = folder / "cooccurrence.safetensors"
    blob = state.read_bytes()
    state.write_bytes(blob[:keep])
    assert main(_suggest(folder)) == ExitCode.MODEL
    err = capsys.readouterr().err
    assert str(state) in err and "corrupt or truncated" in err


def test_truncated_npy_names_the_file(trained, tmp_path, capsys):
    folder = _copy(trained, "popularity", tmp_path / "cut")
    state = folder / "freq.npy"
    state.write_bytes(state.read_bytes()[:100])
    assert main(_suggest(folder)) == ExitCode.MODEL
    assert str(state) in capsys.readouterr().err


def test_a_folder_relabelled_as_another_type_is_named_as_such(data, tmp_path, capsys):
    folder = tmp_path / "tfidf"
    assert main(["train", "--model", "tfidf-linear", "--data", str(data), "--out", str(folder),
                 "--set", "epochs=1"]) == 0
    _edit_config(folder, lambda c: c["taglens"].update(type="coattention"))
    assert main(_suggest(folder)) == ExitCode.MODEL
    err = capsys.readouterr().err
    assert "says 'coattention'" in err and "fit 'tfidf-linear':" in err


def test_report_on_a_broken_folder_fails_before_training(data, trained, tmp_path, capsys):
    newer = _edit_config(_copy(trained, "popularity", tmp_path / "newer"), lambda c: c["params"].update(foo=1))
    out = tmp_path / "report"
    assert main(["report", "--data", str(data), "--models", f"cooccurrence,{newer}", "--settings", "tags:1",
                 "--out", str(out)]) == ExitCode.MODEL
    err = capsys.readouterr().err
    assert str(newer) in err and "foo" in err and "training on" not in err
    cut = _copy(trained, "cooccurrence", tmp_path / "cut")
    (cut / "cooccurrence.safetensors").write_bytes(b"\x00" * 10)
    assert main(["report", "--data", str(data), "--models", str(cut), "--settings", "tags:1",
                 "--out", str(out)]) == ExitCode.MODEL
    assert str(cut / "cooccurrence.safetensors") in capsys.readouterr().err
    assert not (out / "report.md").exists()


# -- 2. --out that cannot be written, checked before training ---------------------------------------------------
def test_train_out_under_a_regular_file(data, tmp_path, capsys, monkeypatch):
    afile = tmp_path / "afile.txt"
    afile.write_text("mine\n")
    monkeypatch.setattr(PopularitySuggester, "fit", lambda *a: pytest.fail("trained before checking --out"))
    for out in (afile / "sub", afile):
        assert main(["train", "--model", "popularity", "--data", str(data), "--out", str(out)]) == ExitCode.OUTPUT
        err = capsys.readouterr().err
        assert str(out) in err and "not a folder" in err
    assert afile.read_text() == "mine\n"


def test_train_out_in_a_read_only_folder(data, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(PopularitySuggester, "fit", lambda *a: pytest.fail("trained before checking --out"))
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # root may write in any folder: use a virtual file system
        if not os.path.isdir("/proc/self"):
            pytest.skip("needs a folder root cannot write in (/proc on Linux)")
        locked = Path("/proc")
    else:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
    try:
        assert main(["train", "--model", "popularity", "--data", str(data),
                     "--out", str(locked / "taglens-test" / "m")]) == ExitCode.OUTPUT
        assert f"--out {locked / 'taglens-test' / 'm'}: cannot create the folder" in capsys.readouterr().err
    finally:
        if locked != Path("/proc"):
            locked.chmod(0o700)


def test_os_error_while_saving_is_a_clear_error(data, tmp_path, capsys, monkeypatch):
    def full_disk(self, directory):
        (directory / "vocab.txt").write_text("half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(PopularitySuggester, "_save_state", full_disk)
    out = tmp_path / "m"
    assert main(["train", "--model", "popularity", "--data", str(data), "--out", str(out)]) == ExitCode.OUTPUT
    err = capsys.readouterr().err
    assert str(out) in err and "No space left" in err and "Traceback" not in err
    assert not out.exists() and os.listdir(tmp_path) == []  # no half-written folder, no temporary left


def test_report_out_is_a_regular_file(data, tmp_path, capsys):
    afile = tmp_path / "afile.txt"
    afile.write_text("mine\n")
    for out in (afile, afile / "sub"):
        assert main(["report", "--data", str(data), "--models", "popularity", "--settings", "tags:1",
                     "--out", str(out)]) == ExitCode.OUTPUT
        err = capsys.readouterr().err
        assert str(afile) in err and "training on" not in err
    assert afile.read_text() == "mine\n"


# -- 3. --force replaces only a taglens model, whole and safely -------------------------------------------------
@pytest.mark.parametrize("files", [{"config.json": '{"learning_rate": 0.1}\n'},
                                   {"config.json": '{"taglens": "yes"}'},
                                   {"notes.txt": "my notes"}])
def test_force_never_overwrites_a_users_folder(data, tmp_path, capsys, files):
    out = tmp_path / "mine"
    out.mkdir()
    for name, text in files.items():
        (out / name).write_text(text)
    for extra in ([], ["--force"]):
        assert main(["train", "--model", "popularity", "--data", str(data), "--out", str(out), *extra]) \
            == ExitCode.OUTPUT
        err = capsys.readouterr().err
        assert str(out) in err and "not overwrite" in err
    assert {p.name: p.read_text() for p in out.iterdir()} == files


def test_force_retrain_as_another_type_leaves_no_old_files(data, tmp_path):
    out = tmp_path / "m"
    assert main(["train", "--model", "cooccurrence", "--data", str(data), "--out", str(out)]) == 0
    assert main(["train", "--model", "popularity", "--data", str(data), "--out", str(out), "--force"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["config.json", "freq.npy", "vocab.txt"]
    assert isinstance(load_suggester(out), PopularitySuggester)
    assert os.listdir(tmp_path) == ["m"]  # no temporary or old sibling left


def test_interrupted_save_keeps_the_old_model(data, tmp_path, monkeypatch):
    out = tmp_path / "m"
    assert main(["train", "--model", "cooccurrence", "--data", str(data), "--out", str(out)]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def interrupted(self, directory):
        (directory / "vocab.txt").write_text("half")
        raise KeyboardInterrupt

    monkeypatch.setattr(PopularitySuggester, "_save_state", interrupted)
    code = main(["train", "--model", "popularity", "--data", str(data), "--out", str(out), "--force"])
    assert code == ExitCode.INTERRUPTED
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert os.listdir(tmp_path) == ["m"]
    assert load_suggester(out).name == "cooccurrence"


def test_library_save_refuses_a_folder_that_is_not_a_model(data, tmp_path):
    from taglens.exceptions import ModelError
    from taglens.training import load_training_posts

    model = PopularitySuggester().fit(load_training_posts([str(data)]))
    (tmp_path / "keep.txt").write_text("x")
    with pytest.raises(ModelError, match="holds no taglens model"):
        model.save(tmp_path)
    assert os.listdir(tmp_path) == ["keep.txt"]
    assert model.save(tmp_path / "m") == tmp_path / "m" and model.save(tmp_path / "m") == tmp_path / "m"


# -- 4. report: unknown models up front -------------------------------------------------------------------------
def test_report_unknown_models_fail_before_training(data, tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["report", "--data", str(data), "--models", "popularity,nosuch,popularty,./no/such/folder",
                 "--settings", "tags:1", "--out", str(out)]) == ExitCode.MODEL
    err = capsys.readouterr().err
    assert "'nosuch'" in err and "'popularty'" in err and "./no/such/folder" in err
    assert "taglens models" in err and "did you mean popularity" in err and "training on" not in err
    assert not out.exists()


def test_report_with_no_model_named(data, tmp_path):
    assert main(["report", "--data", str(data), "--models", ",", "--out", str(tmp_path / "r")]) == ExitCode.USAGE


# -- 5. report: too little data ---------------------------------------------------------------------------------
def test_report_with_too_little_data_is_a_data_error(tmp_path, capsys, write_jsonl):
    small = write_jsonl(tmp_path / "small.jsonl", [Post(text="pasta", hashtags=("pasta",), post_id="1"),
                                                   Post(text="sea", hashtags=("sea",), post_id="2")])
    assert main(["report", "--data", str(small), "--models", "popularity", "--settings", "tags:1",
                 "--out", str(tmp_path / "r")]) == ExitCode.DATA
    err = capsys.readouterr().err
    assert "2 posts" in err and "needs more posts" in err


def test_resaving_keeps_the_users_other_files_and_works_in_place(data, tmp_path, monkeypatch):
    """A model folder may hold the user's notes or a .git: saving replaces the model's own files only, in place
    (the folder itself is never renamed: it may be the working directory, a mount point or a symlink)."""
    from taglens.suggesters.baselines import CooccurrenceSuggester

    posts = [Post(hashtags=("a", "b")), Post(hashtags=("a", "c"))]
    out = tmp_path / "m"
    PopularitySuggester().fit(posts).save(out)
    (out / "NOTES.md").write_text("my notes\n")
    CooccurrenceSuggester(min_count=1).fit(posts).save(out)  # another type, over the first
    assert (out / "NOTES.md").read_text() == "my notes\n"
    assert type(load_suggester(str(out))).__name__ == "CooccurrenceSuggester"
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["NOTES.md", "config.json", *json.loads((out / "config.json").read_text())["files"]])
    monkeypatch.chdir(out)
    PopularitySuggester().fit(posts).save(".")  # the working directory itself
    assert Path.cwd() == out and (out / "NOTES.md").is_file()
    assert type(load_suggester(".")).__name__ == "PopularitySuggester"
    link = tmp_path / "link"
    link.symlink_to(out)
    CooccurrenceSuggester(min_count=1).fit(posts).save(link)
    assert link.is_symlink() and type(load_suggester(str(out))).__name__ == "CooccurrenceSuggester"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # nothing hidden left beside it


def test_a_part_of_another_type_inside_taglens_base_is_refused(tmp_path):
    import shutil

    from taglens.registry import bundled_model_dir

    copy = tmp_path / "base"
    shutil.copytree(bundled_model_dir("taglens-base"), copy)
    shutil.rmtree(copy / "cooccurrence")
    PopularitySuggester().fit([Post(hashtags=("a", "b"))]).save(copy / "cooccurrence")
    with pytest.raises(Exception, match="cooccurrence.*'popularity' model, not a 'cooccurrence' model"):
        load_suggester(str(copy))


def test_a_taglens_base_vocabulary_cut_short_says_what_disagrees_and_what_to_do(tmp_path, capsys):
    """A half-written or damaged taglens-base folder (vocab.txt cut short): the error names both files with their
    sizes and says to retrain or restore, exit code 6, instead of a bare 'disagree'."""
    import shutil

    from taglens.registry import bundled_model_dir

    copy = tmp_path / "base"
    shutil.copytree(bundled_model_dir("taglens-base"), copy)
    lines = (copy / "vocab.txt").read_text("utf-8").splitlines(keepends=True)
    (copy / "vocab.txt").write_text("".join(lines[:100]), "utf-8")
    assert main(["suggest", "--text", "pizza night", "--model", str(copy)]) == ExitCode.MODEL
    err = capsys.readouterr().err
    assert f"vocab.txt (100 tags) and vocab_words.txt ({len(lines)})" in err and "restore the folder" in err
