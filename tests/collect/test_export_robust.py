"""Export into folders that already hold things, with images missing from the store, and failing half-way;
collect's numeric options and sources that hold nothing."""
from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest
from mastodon_server import jpeg_bytes

from taglens.cli import main
from taglens.collect import export as export_mod
from taglens.collect.export import MANIFEST
from taglens.collect.store import Store
from taglens.data.posts import read_records
from taglens.exceptions import ExitCode


def _jsonl_store(tmp_path: Path, name: str, n: int, images_per_post: int = 1) -> Path:
    """A store imported from a posts.jsonl of ``n`` posts by ``n`` users, each with its own images."""
    data = tmp_path / f"data-{name}"
    (data / "img").mkdir(parents=True)
    lines = []
    for i in range(n):
        imgs = []
        for j in range(images_per_post):
            (data / "img" / f"{i}_{j}.jpg").write_bytes(jpeg_bytes(f"{name}-{i}-{j}"))
            imgs.append(f"img/{i}_{j}.jpg")
        lines.append({"id": f"{name}{i}", "user": f"{name}u{i}", "images": imgs, "text": f"post {i} #cat",
                      "hashtags": ["cat", "kitten"], "source": name})
    (data / "posts.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    store = tmp_path / f"store-{name}"
    assert main(["collect", "--source", f"jsonl:{data / 'posts.jsonl'}", "--store", str(store),
                 "--no-progress"]) == 0
    return store


def _export(store: Path, out: Path, *extra: str) -> int:
    return main(["export", "--store", str(store), "--out", str(out), *extra])


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


# -- 1. re-exporting: no stale file of the previous export, never the user's files -----------------------------
def test_reexport_replaces_the_previous_export_and_keeps_other_files(tmp_path, capsys):
    a, b = _jsonl_store(tmp_path, "a", 11), _jsonl_store(tmp_path, "b", 3)
    out = tmp_path / "out"
    assert _export(a, out, "--split", "user") == 0
    assert {"train.jsonl", "dev.jsonl", "test.jsonl", MANIFEST} <= _files(out)
    (out / "notes.txt").write_text("mine")
    (out / "images" / "my_photo.jpg").write_bytes(b"mine too")
    capsys.readouterr()
    assert _export(b, out) == 0  # no --force needed over a previous export
    assert "removed 15 file(s) of the previous export" in capsys.readouterr().err
    recs = read_records(out / "posts.jsonl")
    assert sorted(r.id for r in recs) == ["b0", "b1", "b2"]
    assert not any((out / f"{s}.jsonl").exists() for s in ("train", "dev", "test"))
    exported = {f"images/{p.name}" for r in recs for p in r.images}
    assert _files(out) == exported | {"posts.jsonl", MANIFEST, "notes.txt", "images/my_photo.jpg"}
    assert (out / "notes.txt").read_text() == "mine"
    manifest = json.loads((out / MANIFEST).read_text())
    assert sorted(manifest["files"]) == sorted(exported | {"posts.jsonl"})
    assert not any(p.name.startswith(".taglens-export-tmp-") for p in out.iterdir())


def test_a_non_empty_folder_without_an_export_needs_force(tmp_path, capsys):
    b = _jsonl_store(tmp_path, "b", 3)
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    (out / "train.jsonl").write_text('{"id": "old"}\n')  # e.g. an export made before exports were recorded
    capsys.readouterr()
    assert _export(b, out) == ExitCode.OUTPUT
    err = capsys.readouterr().err
    assert "not empty" in err and "--force" in err and "notes.txt" in err
    assert _files(out) == {"notes.txt", "train.jsonl"}  # nothing written, nothing removed
    assert _export(b, out, "--force") == 0
    err = capsys.readouterr().err
    assert "train.jsonl" in err and "from before" in err  # the stale-looking file is named, not deleted
    assert (out / "notes.txt").read_text() == "mine" and (out / "train.jsonl").exists()
    assert len(read_records(out / "posts.jsonl")) == 3


def test_out_that_is_a_file_is_an_output_error(tmp_path, capsys):
    b = _jsonl_store(tmp_path, "b", 1)
    (tmp_path / "afile").write_text("x")
    assert _export(b, tmp_path / "afile") == ExitCode.OUTPUT
    assert "not a folder" in capsys.readouterr().err
    assert _export(b, tmp_path / "afile" / "sub") == ExitCode.OUTPUT


def test_a_tampered_record_never_deletes_outside_the_export(tmp_path):
    b = _jsonl_store(tmp_path, "b", 2)
    out = tmp_path / "out"
    assert _export(b, out) == 0
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    manifest = json.loads((out / MANIFEST).read_text())
    manifest["files"] += ["../victim.txt", str(victim), "images/../../victim.txt"]
    (out / MANIFEST).write_text(json.dumps(manifest))
    (out / ".taglens-export-tmp-killed").mkdir()  # left by an export that was killed
    (out / ".taglens-export-tmp-killed" / "posts.jsonl").write_text("half")
    assert _export(b, out) == 0
    assert victim.read_text() == "keep"
    assert not (out / ".taglens-export-tmp-killed").exists()
    assert len(read_records(out / "posts.jsonl")) == 2


# -- 2. missing store images; a failed export leaves no half file ------------------------------------------------
def test_an_image_missing_from_the_store_is_skipped(tmp_path, capsys):
    store = _jsonl_store(tmp_path, "a", 4, images_per_post=2)
    with Store(store, create=False) as s:
        posts = {p["source_id"]: p for p in s.iter_posts()}
        for sha, ext in [posts["a1"]["media"][0], *posts["a2"]["media"]]:
            s.image_path(sha, ext).unlink()
    out = tmp_path / "out"
    capsys.readouterr()
    assert _export(store, out, "--json", "--split", "user") == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    assert result["missing_images"] == 3 and result["posts_with_missing_images"] == 2 and result["images"] == 5
    assert "3 image file(s) missing from the store" in captured.err
    recs = {r.id: r for r in read_records(out / "posts.jsonl")}  # the shared reader: every path resolves
    assert sorted(recs) == ["a0", "a1", "a2", "a3"]
    assert len(recs["a0"].images) == 2 and len(recs["a1"].images) == 1
    assert recs["a2"].images == () and recs["a2"].text == "post 2 #cat" and recs["a2"].hashtags == ("cat", "kitten")
    assert sum(result["files"][f"{p}.jsonl"] for p in ("train", "dev", "test")) == 4


def test_a_failed_export_keeps_the_previous_one_whole(tmp_path, monkeypatch, capsys):
    a, b = _jsonl_store(tmp_path, "a", 5), _jsonl_store(tmp_path, "b", 3)
    out = tmp_path / "out"
    assert _export(a, out) == 0
    before = (out / "posts.jsonl").read_bytes()
    files_before = _files(out)

    def disk_full(path, records):
        Path(path).write_text(json.dumps(records[0]) + "\n")  # half a file, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(export_mod, "_write_jsonl", disk_full)
    capsys.readouterr()
    assert _export(b, out) == ExitCode.OUTPUT
    assert "No space left on device" in capsys.readouterr().err
    assert (out / "posts.jsonl").read_bytes() == before and _files(out) == files_before
    assert not any(p.name.startswith(".") and p.name != MANIFEST for p in out.iterdir())


def test_posts_jsonl_is_replaced_atomically(tmp_path, monkeypatch):
    """The writer itself: a failure half-way leaves the old file whole and no temporary file."""
    target = tmp_path / "posts.jsonl"
    target.write_text("old\n")
    real_fdopen = export_mod.os.fdopen

    class FillsUp:
        def __init__(self, fh):
            self.fh, self.n = fh, 0

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

        def write(self, text):
            self.n += 1
            if self.n > 2:
                raise OSError(errno.ENOSPC, "No space left on device")
            self.fh.write(text)

    monkeypatch.setattr(export_mod.os, "fdopen", lambda fd, *a, **kw: FillsUp(real_fdopen(fd, *a, **kw)))
    with pytest.raises(OSError):
        export_mod._write_jsonl(target, [{"id": str(i)} for i in range(5)])
    assert target.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["posts.jsonl"]


# -- 3. exported images are copies unless --link -------------------------------------------------------------
def test_exported_images_are_copies_and_editing_them_leaves_the_store(tmp_path):
    store = _jsonl_store(tmp_path, "a", 2)
    out = tmp_path / "out"
    assert _export(store, out) == 0
    img = read_records(out / "posts.jsonl")[0].images[0]
    stored = next((store / "images").rglob(img.name))
    original = stored.read_bytes()
    assert img.stat().st_nlink == 1 and img.read_bytes() == original
    img.write_bytes(b"edited in place")
    assert stored.read_bytes() == original
    linked = tmp_path / "linked"
    assert _export(store, linked, "--link") == 0
    limg = linked / "images" / img.name
    assert limg.read_bytes() == original and limg.stat().st_ino == stored.stat().st_ino  # opt-in hard links
    assert json.loads((linked / MANIFEST).read_text())["link"] is True


# -- 4. collect's numeric options ----------------------------------------------------------------------------
@pytest.mark.parametrize("option, value", [("--max-retries", "-1"), ("--target", "-1"), ("--target", "0"),
                                           ("--per-tag", "-5"), ("--per-tag", "0"), ("--max-new", "-3"),
                                           ("--rounds", "0"), ("--rounds", "two"), ("--max-wait", "-1"),
                                           ("--max-wait", "nan")])
def test_bad_numbers_are_usage_errors(tmp_path, capsys, option, value):
    store = tmp_path / "s"
    with pytest.raises(SystemExit) as exc:
        main(["collect", "--seeds", "dog", "--source", "mastodon:http://127.0.0.1:9", "--store", str(store),
              option, value])
    assert exc.value.code == ExitCode.USAGE
    err = capsys.readouterr().err
    assert f"argument {option}:" in err and ("at least" in err or "expected" in err or "0 or more" in err)
    assert not store.exists()


def test_zero_is_accepted_where_it_means_something(tmp_path):
    """--max-retries 0 tries once, --max-new 0 expands nothing, --max-wait 0 waits for nothing."""
    from taglens.cli import build_parser

    args = build_parser().parse_args(["collect", "--source", "jsonl:x", "--store", str(tmp_path), "--max-retries",
                                      "0", "--max-new", "0", "--max-wait", "0", "--rounds", "1", "--target", "1",
                                      "--per-tag", "1"])
    assert (args.max_retries, args.max_new, args.max_wait, args.rounds, args.target, args.per_tag) == (0, 0, 0.0, 1,
                                                                                                        1, 1)


# -- 5. sources that hold nothing ------------------------------------------------------------------------------
def test_an_empty_instaloader_folder_is_noted(tmp_path, capsys):
    (tmp_path / "dl" / "dog").mkdir(parents=True)
    (tmp_path / "dl" / "dog" / "readme.txt").write_text("no metadata here")
    assert main(["collect", "--source", f"instaloader-dir:{tmp_path / 'dl'}", "--store", str(tmp_path / "s"),
                 "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "nothing to import from instaloader-dir:" in err and "metadata" in err and "holds no post" in err


def test_an_empty_jsonl_next_to_a_full_one_is_noted(tmp_path, capsys):
    data = tmp_path / "data"
    (data / "img").mkdir(parents=True)
    (data / "img" / "a.jpg").write_bytes(jpeg_bytes("a"))
    (data / "posts.jsonl").write_text(json.dumps({"id": "1", "user": "u", "images": ["img/a.jpg"], "text": "#dog",
                                                  "hashtags": ["dog"], "source": "mine"}) + "\n")
    (data / "empty.jsonl").write_text("")
    assert main(["collect", "--source", f"jsonl:{data / 'empty.jsonl'}", "--source", f"jsonl:{data / 'posts.jsonl'}",
                 "--store", str(tmp_path / "s"), "--no-progress", "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out.strip().splitlines()[-1])["store"]["posts"] == 1
    assert "nothing to import from jsonl:" in captured.err and "empty.jsonl" in captured.err
    assert "holds no post" not in captured.err


def test_seeds_with_no_post_anywhere_are_noted(server, tmp_path, capsys):
    assert main(["collect", "--seeds", "nosuchtag", "--source", f"mastodon:{server.url}", "--store",
                 str(tmp_path / "s"), "--rounds", "1", "--no-progress"]) == 0
    assert "returned no post for these hashtags" in capsys.readouterr().err


def test_export_opens_the_store_read_only_and_names_a_damaged_one(tmp_path, capsys):
    store = _jsonl_store(tmp_path, "a", 2)
    db = store / "taglens.sqlite"
    size = db.stat().st_size
    assert _export(store, tmp_path / "out") == 0
    assert db.stat().st_size == size and not (tmp_path / "out" / "taglens.sqlite").exists()
    db.write_bytes(b"\x93" * 4096)  # not a database
    capsys.readouterr()
    assert _export(store, tmp_path / "out2") == ExitCode.INPUT
    assert str(db) in capsys.readouterr().err


def test_a_folder_of_the_users_own_jsonl_files_is_never_taken_for_an_export(tmp_path, capsys):
    """Issue 18.1: a folder holding only a posts.jsonl and a train.jsonl the user wrote was taken for an export
    made before exports were recorded: train.jsonl deleted, posts.jsonl replaced, exit 0. Only the record marks
    an export now."""
    b = _jsonl_store(tmp_path, "b", 3)
    out = tmp_path / "out"
    out.mkdir()
    (out / "posts.jsonl").write_text('{"id": "mine"}\n')
    (out / "train.jsonl").write_text('{"id": "mine too"}\n')
    capsys.readouterr()
    assert _export(b, out) == ExitCode.OUTPUT
    assert "holds no taglens export" in capsys.readouterr().err
    assert (out / "posts.jsonl").read_text() == '{"id": "mine"}\n'
    assert (out / "train.jsonl").read_text() == '{"id": "mine too"}\n'
    assert _files(out) == {"posts.jsonl", "train.jsonl"}
    assert _export(b, out, "--force") == 0  # --force replaces posts.jsonl, as it says, and deletes nothing
    assert (out / "train.jsonl").read_text() == '{"id": "mine too"}\n'
    assert "train.jsonl" in capsys.readouterr().err


def test_a_file_changed_since_the_export_is_not_removed(tmp_path, capsys):
    a, b = _jsonl_store(tmp_path, "a", 11), _jsonl_store(tmp_path, "b", 3)
    out = tmp_path / "out"
    assert _export(a, out, "--split", "user") == 0
    (out / "train.jsonl").write_text('{"id": "edited by hand"}\n')
    capsys.readouterr()
    assert _export(b, out) == ExitCode.OUTPUT
    err = capsys.readouterr().err
    assert "train.jsonl" in err and "changed since" in err
    assert (out / "train.jsonl").read_text() == '{"id": "edited by hand"}\n'
    assert _export(b, out, "--force") == 0
    assert (out / "train.jsonl").read_text() == '{"id": "edited by hand"}\n'  # not written by this export
    assert not (out / "dev.jsonl").exists()  # unchanged files of the previous export still go
    assert sorted(r.id for r in read_records(out / "posts.jsonl")) == ["b0", "b1", "b2"]


def test_exported_files_follow_the_umask(tmp_path):
    import os
    import stat

    b = _jsonl_store(tmp_path, "b", 2)
    old = os.umask(0o022)
    try:
        assert _export(b, tmp_path / "out", "--split", "user") == 0
    finally:
        os.umask(old)
    for p in (tmp_path / "out").rglob("*"):
        if p.is_file():
            assert stat.S_IMODE(p.stat().st_mode) == 0o644, p


def test_a_full_disk_is_the_outputs_fault_not_the_stores(tmp_path):
    """Issue 18.6: a copy that fills the disk named the store's image (shutil reports the source), so the export
    blamed its input (exit 3). A file-size limit in a child process stands in for the full disk."""
    import os
    import resource
    import subprocess
    import sys

    store = tmp_path / "store"
    data = tmp_path / "data"
    (data / "img").mkdir(parents=True)
    big = jpeg_bytes("big")
    big += b"\0" * (200_000 - len(big))  # a JPEG with trailing bytes: stored whole, larger than the limit
    (data / "img" / "a.jpg").write_bytes(big)
    (data / "posts.jsonl").write_text(json.dumps({"id": "a", "images": ["img/a.jpg"], "hashtags": ["cat"]}) + "\n")
    assert main(["collect", "--source", f"jsonl:{data / 'posts.jsonl'}", "--store", str(store), "--no-progress"]) == 0

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "taglens", "export", "--store", str(store), "--out", str(out)],
                          capture_output=True, text=True, preexec_fn=limit, env=env, timeout=120)
    assert proc.returncode == ExitCode.OUTPUT, proc.stderr
    assert f"--out {out}" in proc.stderr and "Traceback" not in proc.stderr
    assert not (out / "posts.jsonl").exists()
