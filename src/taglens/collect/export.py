"""Export a store as posts.jsonl + images (the format of ../shared/EVALUATION.md), optionally split by user.

Images go to ``OUT/images/<sha256>.<ext>`` (hard-linked from the store where possible, copied otherwise). With
``split="user"`` the posts are also written to ``train.jsonl``, ``dev.jsonl`` and ``test.jsonl`` (80/10/10 by a
hash of the author, so no author is on two sides; a post without an author is keyed by its own id).
"""
from __future__ import annotations

import hashlib
import os
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

from ..data.posts import write_jsonl
from .store import Store

SPLITS = (("train", 8), ("dev", 1), ("test", 1))


def split_of(key: str, salt: str = "taglens-collect") -> str:
    """'train', 'dev' or 'test' for a user key, deterministically (80/10/10)."""
    bucket = int(hashlib.sha1(f"{salt}:{key}".encode()).hexdigest(), 16) % 10
    for name, width in SPLITS:
        if bucket < width:
            return name
        bucket -= width
    raise AssertionError("unreachable")


def _place(src: Path, dst: Path) -> None:
    if dst.is_file() and dst.stat().st_size == src.stat().st_size:
        return
    tmp = dst.with_name(f".{dst.name}.tmp")
    try:
        if tmp.exists():
            tmp.unlink()
        os.link(src, tmp)
    except OSError:
        shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


def export_store(store: Store, out: str | Path, split: str | None = None) -> dict[str, Any]:
    """Write the store's posts to ``out``; returns counts per written file and the number of images."""
    out = Path(out)
    (out / "images").mkdir(parents=True, exist_ok=True)
    posts = list(store.iter_posts())
    id_count = Counter(p["source_id"] for p in posts)
    records: list[dict[str, Any]] = []
    keys: list[str] = []
    images = 0
    for p in posts:
        rel = []
        for sha, ext in p["media"]:
            dst = out / "images" / f"{sha}.{ext}"
            if not dst.is_file():
                images += 1
            _place(store.image_path(sha, ext), dst)
            rel.append(f"images/{sha}.{ext}")
        pid = p["source_id"] if id_count[p["source_id"]] == 1 else f"{p['family']}:{p['source_id']}"
        records.append({"id": pid, "user": p["user"], "images": rel, "text": p["text"], "hashtags": p["hashtags"],
                        "topic": ",".join(p["topics"]) or None, "source": p["family"]})
        keys.append(f"user:{p['family']}:{p['user']}" if p["user"] is not None else f"post:{p['family']}:{pid}")
    write_jsonl(out / "posts.jsonl", records)
    written = {"posts.jsonl": len(records)}
    if split == "user":
        parts: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in SPLITS}
        for rec, key in zip(records, keys):
            parts[split_of(key)].append(rec)
        for name, recs in parts.items():
            write_jsonl(out / f"{name}.jsonl", recs)
            written[f"{name}.jsonl"] = len(recs)
    elif split is not None:
        raise ValueError(f"unknown split {split!r}; only 'user' is supported")
    return {"files": written, "images": len({r for rec in records for r in rec["images"]}), "new_images": images}
