#!/usr/bin/env python
"""Write the everyday benchmark's posts.jsonl files OUTSIDE the repository (default /work/everyday_bench).

From ../shared/data/everyday, only posts on the project's val side (``taglens.data.splits.dev_split(id) == "val"``),
which the shipped vocabulary and every trained model leave out:

- ``photos/``: the scene, flower and pet photos (their labels as gold: #forest, #flower #daisy, #dog #beagle),
  ``images`` a symlink to the data's photos, up to --per-set posts per source set;
- ``lifestyle/``: English everyday tweets with hashtags (text only; the protocol strips the hashtags);
- ``multilingual/``: tweets in eight languages with hashtags (``lang`` kept as an extra field);
- ``mixed/``: the photo posts again, each with the caption of a lifestyle tweet of at least four words (its hashtags
  removed; the tweets in their own order): an ordinary photo under an ordinary caption that does not describe it.
  The gold stays the photo's labels; what this set shows is leakage (another topic's tags brought by the pair);
- ``captioned/``: the photo posts again, each with a caption about it and one tag its author chose, both ours
  (bench/data/everyday_photo_captions.jsonl: three per class, written for this bench, taken in turn), and the tags
  a person would accept for what the caption names (``accept``): the "photo + caption + one existing tag" post.

Posts are taken in the order of ``sha1("everyday-bench:" + id)``, so the selection is deterministic and mixes
classes and languages. Nothing is copied into the repository.

Usage: python scripts/build_everyday_bench.py [--data ../shared/data] [--out /work/everyday_bench] [--per-set 150]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from taglens.data.splits import dev_split  # noqa: E402

PHOTO_SETS = ("scenes", "flowers", "pets")


def _order(rec: dict) -> str:
    return hashlib.sha1(f"everyday-bench:{rec['id']}".encode()).hexdigest()


def val_posts(path: Path, limit: int) -> list[dict]:
    recs = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    recs = [r for r in recs if dev_split(str(r["id"])) == "val" and r.get("hashtags")]
    return sorted(recs, key=_order)[:limit]


def write_jsonl(path: Path, recs: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8")
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=Path("/work/everyday_bench"))
    parser.add_argument("--per-set", type=int, default=150, help="photo posts per source set (default 150)")
    parser.add_argument("--tweets", type=int, default=600, help="posts per tweet set (default 600)")
    args = parser.parse_args(argv)
    everyday = (args.data / "everyday").resolve()
    if args.out.resolve().is_relative_to(REPO):
        raise SystemExit(f"--out {args.out} is inside the repository: benchmark posts must stay outside it")

    photos = []
    links = args.out / "photos" / "images"
    links.mkdir(parents=True, exist_ok=True)
    for name in PHOTO_SETS:
        for rec in val_posts(everyday / name / "posts.jsonl", args.per_set):
            images = []
            for rel in rec["images"]:
                link = links / Path(rel).name
                if not link.is_symlink():
                    os.symlink(everyday / name / rel, link)
                images.append(f"images/{link.name}")
            photos.append({**rec, "images": images})
    write_jsonl(args.out / "photos" / "posts.jsonl", photos)
    counts = {"photos": len(photos)}
    for name, source in (("lifestyle", "lifestyle_tweets"), ("multilingual", "multilingual_tweets")):
        recs = val_posts(everyday / source / "posts.jsonl", args.tweets)
        write_jsonl(args.out / name / "posts.jsonl", recs)
        counts[name] = len(recs)
    from taglens.types import strip_hashtags

    captions = [strip_hashtags(r["text"]) for r in val_posts(everyday / "lifestyle_tweets" / "posts.jsonl", 10 ** 9)]
    captions = [c for c in captions if len(c.split()) >= 4]
    shared = args.out / "mixed" / "images"  # the photos' folder of links, linked (a query's path has no '..')
    shared.parent.mkdir(parents=True, exist_ok=True)
    if not shared.is_symlink():
        os.symlink(links.resolve(), shared)
    mixed = [{**rec, "text": caption} for rec, caption in zip(photos, captions)]
    write_jsonl(args.out / "mixed" / "posts.jsonl", mixed)
    counts["mixed"] = len(mixed)
    own: dict[str, list[dict]] = {}
    for line in (REPO / "bench" / "data" / "everyday_photo_captions.jsonl").read_text("utf-8").splitlines():
        row = json.loads(line)
        own.setdefault(row["class"], []).append(row)
    shared = args.out / "captioned" / "images"
    shared.parent.mkdir(parents=True, exist_ok=True)
    if not shared.is_symlink():
        os.symlink(links.resolve(), shared)
    captioned, turn = [], dict.fromkeys(own, 0)
    for rec in photos:
        rows = own[rec["topic"]]
        row = rows[turn[rec["topic"]] % len(rows)]
        turn[rec["topic"]] += 1
        captioned.append({**rec, "text": row["text"], "given": [row["tag"]], "accept": row["accept"]})
    write_jsonl(args.out / "captioned" / "posts.jsonl", captioned)
    counts["captioned"] = len(captioned)
    print(json.dumps({"out": str(args.out), "posts": counts}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
