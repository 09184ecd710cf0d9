"""Export a store as posts.jsonl + images (the format of ../shared/EVALUATION.md), optionally split by user.

Images go to ``OUT/images/<sha256>.<ext>``, copied from the store (``link=True`` hard-links them instead where the
file system allows: faster and no extra space, but the exported files *are* the store's files, so editing or
resizing one in place changes the store and its file no longer matches its hash). With ``split="user"`` the posts
are also written to ``train.jsonl``, ``dev.jsonl`` and ``test.jsonl`` (80/10/10 by a hash of the author, so no
author is on two sides; a post without an author is keyed by its own id).

Every export records the files it wrote in ``OUT/.taglens-export.json``, each with its size and modification time.
Exporting again into that folder first removes those files (and only those, and only while they are as the export
left them: the user's other files, and any file changed since, stay), so no split file or image of an earlier export
is left next to the new posts.jsonl. A non-empty folder without that record is refused unless ``force=True``, and
even then no file in it is removed; a recorded file changed since the export is likewise refused without ``force``.
The export is written into a hidden folder inside ``OUT`` and moved into place only once complete, so a failed
export leaves the previous one (or nothing) and never a half-written posts.jsonl.

An image file missing from the store is skipped with a warning: the post keeps its other images (a post left
without any keeps its text and hashtags), and the number skipped is reported.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections import Counter
from pathlib import Path, PurePosixPath
from typing import Any, Iterable

from ..exceptions import InputError, OutputError
from ..outputs import file_mode, is_out_of_space, staging_folder
from .store import Store

log = logging.getLogger(__name__)

SPLITS = (("train", 8), ("dev", 1), ("test", 1))
MANIFEST = ".taglens-export.json"
_STAGING = ".taglens-export-tmp-"
_MANIFEST_FORMAT = 1
_WARN_MISSING = 10  # missing images named one by one; the rest only counted


def split_of(key: str, salt: str = "taglens-collect") -> str:
    """'train', 'dev' or 'test' for a user key, deterministically (80/10/10)."""
    bucket = int(hashlib.sha1(f"{salt}:{key}".encode()).hexdigest(), 16) % 10
    for name, width in SPLITS:
        if bucket < width:
            return name
        bucket -= width
    raise AssertionError("unreachable")


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def read_manifest(out: Path) -> dict[str, list[int] | None] | None:
    """The files a previous export wrote into ``out`` (relative POSIX paths, each checked to stay inside ``out``)
    with their recorded [size, mtime_ns] (``None`` in records written before sizes were kept), or ``None`` when
    ``out`` holds no readable export record."""
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    envelope = data.get("taglens") if isinstance(data, dict) else None
    if not isinstance(envelope, dict) or envelope.get("type") != "export" or not isinstance(data.get("files"), list):
        return None
    stats = data.get("stat") if isinstance(data.get("stat"), dict) else {}
    files: dict[str, list[int] | None] = {}
    for name in data["files"]:
        if not isinstance(name, str) or not name:
            continue
        rel = PurePosixPath(name)
        if rel.is_absolute() or ".." in rel.parts or "\\" in name or rel.name in (MANIFEST, ""):
            continue  # a hand-edited record must never make taglens delete anything outside the export
        st = stats.get(name)
        ok = isinstance(st, list) and len(st) == 2 and all(type(x) is int for x in st)
        files[str(rel)] = st if ok else None
    return files


def _signature(path: Path) -> list[int] | None:
    try:
        st = path.lstat()
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


def _unchanged(out: Path, name: str, recorded: list[int] | None) -> bool:
    """Whether ``out/name`` is still the file the export recorded (same size and modification time)."""
    path = out / name
    if path.is_symlink() or not path.is_file():
        return False
    return recorded is None or _signature(path) == recorded


def _write_manifest(out: Path, files: dict[str, list[int] | None], extra: dict[str, Any]) -> None:
    stat = {name: sig for name, sig in files.items() if sig is not None}
    data = {"taglens": {"type": "export", "format": _MANIFEST_FORMAT}, **extra, "files": sorted(files),
            "stat": dict(sorted(stat.items()))}
    _write_atomic(out / MANIFEST, [json.dumps(data, ensure_ascii=False, indent=1) + "\n"])


def _write_atomic(path: Path, chunks: Iterable[str]) -> None:
    """Write ``chunks`` to a temporary file next to ``path``, then rename it over ``path``: a reader sees the old
    file or the whole new one, never half of it (the temporary file is removed on failure)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, file_mode())  # mkstemp's 0600 would make the export unreadable to others under umask 022
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            for chunk in chunks:
                fh.write(chunk)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    _write_atomic(path, (json.dumps(r, ensure_ascii=False) + "\n" for r in records))


def _place(src: Path, dst: Path, link: bool) -> None:
    if link:
        try:
            os.link(src, dst)
            return
        except FileNotFoundError:
            raise
        except OSError:  # another file system, or links not supported: copy
            pass
    shutil.copyfile(src, dst)


def prepare_out(out: Path, force: bool) -> dict[str, list[int] | None]:
    """Check ``out`` before anything is written; returns the files of the previous export there that may be
    removed (those still as it left them; may be empty)."""
    from ..outputs import check_writable_folder

    check_writable_folder(out, "--out")  # the same check as a model's or a report's --out
    if not out.exists():
        return {}
    try:
        entries = [p.name for p in out.iterdir() if p.name != MANIFEST and not p.name.startswith(_STAGING)]
    except OSError as exc:
        raise OutputError(f"--out {out}: unreadable folder ({_reason(exc)})") from None
    previous = read_manifest(out)
    if previous is None and entries and not force:
        raise OutputError(f"--out {out}: folder is not empty ({_names(sorted(entries))}) and holds no taglens "
                          f"export; choose an empty or new folder, or add --force to export into it anyway (files "
                          f"of the same names are replaced, other files are left as they are)")
    previous = previous or {}
    changed = sorted(n for n, sig in previous.items() if (out / n).exists() and not _unchanged(out, n, sig))
    if changed and not force:
        raise OutputError(f"--out {out}: {_names(changed)} changed since taglens exported them; move them away, or "
                          f"add --force (files of the same names are replaced, no changed file is removed)")
    return {name: sig for name, sig in previous.items() if name not in changed}


def _names(names: list[str]) -> str:
    return ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def export_store(store: Store, out: str | Path, split: str | None = None, *, force: bool = False,
                 link: bool = False) -> dict[str, Any]:
    """Write the store's posts to ``out``; returns the number of records per written file, of images, of images
    skipped because the store lacks their file (``missing_images``), of earlier files removed (``removed``), and
    the names left in ``out`` from before that look like an export's but were not written by this one
    (``left_over``; only with ``force``)."""
    if split not in (None, "user"):
        raise ValueError(f"unknown split {split!r}; only 'user' is supported")
    out = Path(out)
    previous = prepare_out(out, force)
    try:
        out.mkdir(parents=True, exist_ok=True)
        stage = staging_folder(out, _STAGING)
    except OSError as exc:
        raise OutputError(f"--out {out}: cannot create the export folder ({_reason(exc)})") from None
    try:
        result = _write_export(store, stage, split, link)
        written = sorted(str(p.relative_to(stage).as_posix()) for p in stage.rglob("*") if p.is_file())
        removed, left_over = _swap_in(out, stage, previous, written, force)
        _write_manifest(out, {name: _signature(out / name) for name in written},
                        {"store": str(store.path.resolve()), "split": split, "link": link})
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        if is_out_of_space(exc):  # shutil names the source file of a copy that filled the disk: the output's fault
            raise OutputError(f"--out {out}: cannot write the export ({_reason(exc)})") from None
        if exc.filename and Path(exc.filename).is_relative_to(store.path):
            raise InputError(f"store {store.path}: cannot read a file of the store ({_reason(exc)}{where})") from None
        raise OutputError(f"--out {out}: cannot write the export ({_reason(exc)}{where})") from None
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return {**result, "removed": removed, "left_over": left_over}


def _write_export(store: Store, stage: Path, split: str | None, link: bool) -> dict[str, Any]:
    """Write images and jsonl files into the staging folder ``stage``."""
    (stage / "images").mkdir()
    posts = list(store.iter_posts())
    id_count = Counter(p["source_id"] for p in posts)
    records: list[dict[str, Any]] = []
    keys: list[str] = []
    placed: set[str] = set()
    missing: set[str] = set()
    posts_missing = 0
    for p in posts:
        rel = []
        lost = 0
        for sha, ext in p["media"]:
            name = f"images/{sha}.{ext}"
            if name not in placed and name not in missing:
                src = store.image_path(sha, ext)
                try:
                    _place(src, stage / name, link)
                    placed.add(name)
                except FileNotFoundError:
                    missing.add(name)
                    if len(missing) <= _WARN_MISSING:
                        log.warning("%s: image file missing from the store; left out of the export", src)
            if name in missing:
                lost += 1
                continue
            rel.append(name)
        posts_missing += lost > 0
        pid = p["source_id"] if id_count[p["source_id"]] == 1 else f"{p['family']}:{p['source_id']}"
        records.append({"id": pid, "user": p["user"], "images": rel, "text": p["text"], "hashtags": p["hashtags"],
                        "topic": ",".join(p["topics"]) or None, "source": p["family"]})
        keys.append(f"user:{p['family']}:{p['user']}" if p["user"] is not None else f"post:{p['family']}:{pid}")
    files = {"posts.jsonl": len(records)}
    if split == "user":
        parts: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in SPLITS}
        for rec, key in zip(records, keys):
            parts[split_of(key)].append(rec)
        for name, recs in parts.items():
            _write_jsonl(stage / f"{name}.jsonl", recs)
            files[f"{name}.jsonl"] = len(recs)
    _write_jsonl(stage / "posts.jsonl", records)
    return {"files": files, "images": len(placed), "new_images": len(placed), "missing_images": len(missing),
            "posts_with_missing_images": posts_missing}


def _swap_in(out: Path, stage: Path, previous: dict[str, list[int] | None], written: list[str],
             force: bool) -> tuple[int, list[str]]:
    """Remove the previous export's files (those still as it left them), then move the staged ones into ``out``.
    The record lists both until the move is over, so an export killed half-way is still cleaned up by the next
    one (the staged files are recorded without a signature: whatever of them reached ``out`` is this export's)."""
    _write_manifest(out, {**{name: None for name in written}, **previous}, {"incomplete": True})
    removed = 0
    for name in previous:
        if _unchanged(out, name, previous[name]):
            (out / name).unlink()
            removed += 1
    left_over: list[str] = []
    if force and not previous:  # a folder of unknown origin: say what looks stale and is left alone
        new = set(written)
        left_over = [f"{n}.jsonl" for n, _ in (("posts", 0), *SPLITS)
                     if (out / f"{n}.jsonl").exists() and f"{n}.jsonl" not in new]
        if (out / "images").is_dir():
            left_over += sorted(f"images/{p.name}" for p in (out / "images").iterdir()
                                if f"images/{p.name}" not in new)
    (out / "images").mkdir(exist_ok=True)
    for name in written:  # images first, the jsonl files (posts.jsonl last) once every image is in place
        if name.startswith("images/"):
            os.replace(stage / name, out / name)
    for name in sorted((n for n in written if not n.startswith("images/")), key=lambda n: n == "posts.jsonl"):
        os.replace(stage / name, out / name)
    return removed, left_over
