#!/usr/bin/env python
"""Build taglens.vision.faces' table of the tags each face pattern supports (``resources/vision/face_tags.json``).

For every photo post on the train side (taglens.data.splits.dev_split) of the developer photo sets (instagram6,
vape, pexels_food, everyday scenes/flowers/pets), the face detector gives the photo's pattern ("one face, close
up", "several faces", ...). Per pattern, each tag's rate among the posts of that pattern is shrunk towards its
rate among all posts (``--prior`` pseudo-posts), and a tag is kept when

- it is used on at least ``--min-count`` posts of the pattern and its shrunk rate is at least ``--min-lift``
  times its overall rate (the pattern makes it likelier);
- posts carrying it show a face far more often than posts in general (``--min-face-share`` of them, and
  ``--min-face-lift`` times the share of all posts): a tag about people, not a topic that happens to have people;
- it is no other topic's tag: of the posts that carry it, no more than ``--max-other-topic`` come from one topic
  other than instagram6's "selfie" (each other set counts as one topic), so #fitness, #travel, #food, #ecigar are
  dropped however often people pose with them;
- it is not engagement bait (#like4like, #followme, #f4f, #explorepage, ...), not blocked nor a tag no model
  suggests (``unwanted_tags``: #instapic), and reads as a word (3 to 20 letters, not all digits).

Only aggregate counts reach the artifact (patterns, tags, rates and counts), never a post. Photos of the
validation side are left out, so instagram6 val figures stay honest.

    python scripts/build_face_tags.py             # writes src/taglens/resources/vision/face_tags.json
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from taglens.blocklist import is_blocked  # noqa: E402
from taglens.data.splits import dev_split  # noqa: E402
from taglens.suggesters.base import unwanted_tags  # noqa: E402
from taglens.vision.faces import NO_FACE, PATTERNS, face_pattern  # noqa: E402

SHARED = REPO.parent / "shared" / "data"
OUT = REPO / "src" / "taglens" / "resources" / "vision" / "face_tags.json"
SETS = ("instagram6", "vape", "pexels_food", "everyday/scenes", "everyday/flowers", "everyday/pets")
PEOPLE_TOPIC = "selfie"
BAIT = re.compile(r"(like|follow|f4f|l4l|lfl|fff|comment|spam|tagsfor|shoutout|s4s|instalike|likes|explore"
                  r"|insta(good|daily|gram))")
TAG_OK = re.compile(r"^[^\W\d_][^\W_]{2,19}$")


def train_photos():
    """(set, topic, hashtags, first image) of every train-side photo post."""
    for rel in SETS:
        path = SHARED / rel / "posts.jsonl"
        for line in path.open(encoding="utf-8"):
            o = json.loads(line)
            if o.get("images") and dev_split(str(o["id"])) == "train":
                yield rel, o.get("topic"), [t.lower() for t in o["hashtags"]], path.parent / o["images"][0]


def detect(cache: Path | None) -> list[tuple[str, str | None, set[str], str]]:
    """(set, topic, tags, face pattern) of every train-side photo post; with ``cache`` (a file outside the
    repository: it holds per-post records), read from it when present, else written to it."""
    if cache and cache.is_file():
        return pickle.loads(cache.read_bytes())
    posts = []
    t = time.time()
    for i, (rel, topic, tags, image) in enumerate(train_photos()):
        posts.append((rel, topic, set(tags), face_pattern(image).label))
        if i % 500 == 0:
            print(f"  {i} photos, {time.time() - t:.0f} s", file=sys.stderr)
    if cache:
        cache.write_bytes(pickle.dumps(posts))
    return posts


def build(args) -> dict:
    posts = detect(args.cache)
    n_all = len(posts)
    tag_all = Counter(t for *_, tags, _ in posts for t in tags)
    tag_face = Counter(t for *_, tags, label in posts if label != NO_FACE for t in tags)
    face_share_all = sum(label != NO_FACE for *_, label in posts) / n_all
    topic_of = defaultdict(Counter)  # tag -> its posts' topics (instagram6's topics; each other set is one)
    for rel, topic, tags, _ in posts:
        for t in tags:
            topic_of[t][topic if rel == "instagram6" and topic else rel] += 1
    by_pattern = defaultdict(list)
    for *_, tags, label in posts:
        by_pattern[label].append(tags)

    unwanted = unwanted_tags()

    def people_tag(tag: str) -> bool:
        if not TAG_OK.match(tag) or BAIT.search(tag) or is_blocked(tag) or unwanted(tag):
            return False
        share = tag_face[tag] / tag_all[tag]
        if share < args.min_face_share or share < args.min_face_lift * face_share_all:
            return False
        topics = topic_of.get(tag)
        if topics:
            other = max((c for tp, c in topics.items() if tp != PEOPLE_TOPIC), default=0)
            if other / sum(topics.values()) > args.max_other_topic:
                return False
        return True

    patterns = {}
    for label in PATTERNS:
        group = by_pattern.get(label, [])
        counts = Counter(t for tags in group for t in tags)
        kept = []
        if label != NO_FACE:
            for tag, c in counts.items():
                base = tag_all[tag] / n_all
                rate = (c + args.prior * base) / (len(group) + args.prior)
                if c >= args.min_count and rate >= args.min_lift * base and people_tag(tag):
                    kept.append((tag, round(rate, 4)))
        kept.sort(key=lambda x: (-x[1], x[0]))
        patterns[label] = {"posts": len(group), "tags": kept[: args.top]}
        print(f"{label:>24}: {len(group):5d} posts  " + " ".join(f"#{t}:{s:.2f}" for t, s in kept[:12]),
              file=sys.stderr)
    return {
        "format": 1,
        "built_by": "scripts/build_face_tags.py",
        "sets": list(SETS),
        "train_posts": n_all,
        "face_share": round(face_share_all, 4),
        "params": {k: getattr(args, k) for k in ("prior", "min_count", "min_lift", "min_face_share",
                                                 "min_face_lift", "max_other_topic", "top")},
        "patterns": patterns,
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--prior", type=float, default=20.0, help="pseudo-posts a rate is shrunk with")
    ap.add_argument("--min-count", type=int, default=5)
    ap.add_argument("--min-lift", type=float, default=2.0)
    ap.add_argument("--min-face-share", type=float, default=0.2)
    ap.add_argument("--min-face-lift", type=float, default=3.0)
    ap.add_argument("--cache", type=Path, help="keep the detected patterns in this file (outside the repository)")
    ap.add_argument("--max-other-topic", type=float, default=0.4)
    ap.add_argument("--top", type=int, default=12)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    if not (SHARED / "instagram6" / "posts.jsonl").is_file():
        print(f"developer data not found at {SHARED}", file=sys.stderr)
        return 3
    table = build(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(json.dumps(table, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, args.out)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
