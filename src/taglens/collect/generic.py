"""Generic hashtags (#love, #instagood, #photooftheday ...): tags that say nothing about a topic, so the crawl
never follows them.

Two lists:

- a short curated list and patterns (engagement bait such as ``like4like``, ``*oftheday``, ``insta*``);
- an aggregate list computed from topical tag collections by :func:`build` (``python -m
  taglens.collect.generic --data ../shared/data``): every search topic of HARRISON (50), instagram6 (6),
  vape (1) and the Vivek tag lists (1) is a group; a tag is generic when it is used by at least 1% of the
  posts of many groups (breadth) and spread evenly over them (normalised entropy). Only these aggregate
  figures are shipped (``resources/collect/generic_tags.tsv``), no post.
"""
from __future__ import annotations

import argparse
import functools
import json
import math
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Sequence

RESOURCE = Path(__file__).resolve().parents[1] / "resources" / "collect" / "generic_tags.tsv"

CURATED = frozenset("""
love instagood photooftheday picoftheday instadaily instalike instamood instapic instagram insta igers igdaily
like likes like4like likeforlike l4l likeforfollow likeforlikes follow followme follow4follow followforfollow f4f
followback tagsforlikes tflers tbt repost regram nofilter vsco vscocam photo picture pic pics
happy beautiful cute fun life amazing awesome cool best nice good new bestoftheday me smile
instacool instafollow instatag webstagram tagforlikes explore explorepage viral trending fyp foryou foryoupage
""".split())
_PATTERNS = (re.compile(r"^(like|follow|comment|share|tag)(4|for|back)"), re.compile(r"(4|for)(like|follow)s?$"),
             re.compile(r"oftheday$"), re.compile(r"^(insta|ig)(good|daily|like|mood|pic|cool|follow|tag)"))

MIN_SHARE = 0.01  # a tag "is used by" a group when at least 1% of the group's posts carry it
MIN_BREADTH = 0.45  # ... in at least this fraction of the groups
MIN_ENTROPY = 0.8  # ... and spread this evenly (normalised entropy of its per-group shares)


@functools.lru_cache(maxsize=1)
def aggregate_generic() -> dict[str, float]:
    """The shipped aggregate list: tag -> breadth (fraction of topic groups that use it)."""
    out: dict[str, float] = {}
    if RESOURCE.is_file():
        for line in RESOURCE.read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                tag, breadth, _entropy = line.split("\t")[:3]
                out[tag] = float(breadth)
    return out


def generic_reason(tag: str) -> str | None:
    """Why ``tag`` is generic ("curated", "pattern" or "aggregate"), or ``None`` when it is not."""
    if tag in CURATED:
        return "curated"
    if any(p.search(tag) for p in _PATTERNS):
        return "pattern"
    if tag in aggregate_generic():
        return "aggregate"
    return None


def compute(groups: dict[str, list[Sequence[str]]]) -> list[tuple[str, float, float]]:
    """(tag, breadth, entropy) of every generic tag, given each group's posts' hashtag lists."""
    share: dict[str, dict[str, float]] = defaultdict(dict)
    for name, posts in groups.items():
        df = Counter(t for tags in posts for t in set(tags))
        for tag, n in df.items():
            share[tag][name] = n / max(len(posts), 1)
    n_groups = len(groups)
    out = []
    for tag, per in share.items():
        breadth = sum(s >= MIN_SHARE for s in per.values()) / n_groups
        if breadth < MIN_BREADTH:
            continue
        total = sum(per.values())
        entropy = -sum(s / total * math.log(s / total) for s in per.values() if s > 0) / math.log(n_groups)
        if entropy >= MIN_ENTROPY:
            out.append((tag, breadth, entropy))
    return sorted(out, key=lambda r: (-r[1], r[0]))


def build(data: Path, out: Path = RESOURCE) -> int:
    """Compute the aggregate list from ../shared/data and write it to ``out``; returns the number of tags."""
    groups: dict[str, list[list[str]]] = defaultdict(list)
    for rel, prefix in (("harrison/posts.jsonl", "harrison"), ("instagram6/posts.jsonl", "instagram6"),
                        ("vape/posts.jsonl", None), ("taglists/vivek.jsonl", None)):
        with open(data / rel, encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                key = f"{prefix}:{(rec.get('topic') or '').split(',')[0]}" if prefix else rel.split("/")[0]
                groups[key].append(rec.get("hashtags") or [])
    rows = compute(groups)
    out.parent.mkdir(parents=True, exist_ok=True)
    header = (f"# generic hashtags: used by >= {MIN_SHARE:.0%} of the posts of >= {MIN_BREADTH:.0%} of {len(groups)} "
              f"topic groups (HARRISON, instagram6, vape, vivek), normalised entropy >= {MIN_ENTROPY}\n"
              "# tag\tbreadth\tentropy\n")
    out.write_text(header + "".join(f"{t}\t{b:.3f}\t{e:.3f}\n" for t, b, e in rows), encoding="utf-8")
    aggregate_generic.cache_clear()
    return len(rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the aggregate generic-hashtag list from ../shared/data.")
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[4] / "shared" / "data")
    parser.add_argument("--out", type=Path, default=RESOURCE)
    args = parser.parse_args(argv)
    n = build(args.data, args.out)
    print(f"wrote {n} generic tags to {args.out}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
