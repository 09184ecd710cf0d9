#!/usr/bin/env python
"""Build ``resources/politics_side_names.tsv``: which side's slogans the tweets that name a politician carry.

For each name of ``NAMES`` (US politicians of the tweets' years, general knowledge; no side is assigned to a name by
hand) and each side of ``resources/politics_sides.txt`` (R, D): how many training tweets (``dev_split(id) ==
"train"`` of ``tweets/posts.jsonl`` and the everyday lifestyle tweets) write the name as a caption word (hashtags
stripped first) and carry a slogan of that side, and on the first line the same over all side-tagged training tweets
(the prior). ``sides.py`` reads the counts: a caption that names Bernie is a Democrat's post far more often than the
tweets in general (D in 8 of 9 side-tagged tweets, against 174 of 1,497), so #maga steps down there. What ships is
counts per name (aggregate statistics, no tweet text). Deterministic; seconds.

Usage: python scripts/build_politics_sides.py [--data ../shared/data] [--out src/taglens/resources]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from taglens.data.splits import dev_split  # noqa: E402
from taglens.types import strip_hashtags  # noqa: E402

SETS = ("tweets/posts.jsonl", "everyday/lifestyle_tweets/posts.jsonl")
# surnames that are also everyday words or other people's names ("training sessions", Santa Cruz, Colonel Sanders,
# Ryan, Warren) are left out; a first name that is mostly the politician's in these tweets ("bernie") is in
NAMES = ("trump", "donald", "pence", "hillary", "clinton", "bernie", "obama", "biden", "pelosi", "schumer", "mccain",
         "romney", "rubio", "kavanaugh", "kaine", "mcconnell")
OUT_NAME = "politics_side_names.tsv"
PRIOR = "*"  # the line of all side-tagged tweets


def count(data: Path) -> dict[str, dict[str, int]]:
    """{name or PRIOR: {side: side-tagged training tweets naming it}}."""
    from taglens.knowledge.vocabulary import caption_tokens
    from taglens.suggesters.taglens_base.sides import slogan_sides

    sides = slogan_sides()
    out: dict[str, dict[str, int]] = {}
    for rel in SETS:
        with open(data / rel, encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                if dev_split(str(rec["id"])) != "train":
                    continue
                shown = {sides[t] for t in (t.lower() for t in rec.get("hashtags") or ()) if t in sides}
                if not shown:
                    continue
                words = {w.removesuffix("'s") for w in caption_tokens(strip_hashtags(rec.get("text") or ""))}
                for key in [PRIOR, *(n for n in NAMES if n in words)]:
                    acc = out.setdefault(key, {})
                    for side in shown:
                        acc[side] = acc.get(side, 0) + 1
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=REPO / "src" / "taglens" / "resources")
    args = ap.parse_args(argv)
    counts = count(args.data)
    sides = sorted({s for c in counts.values() for s in c})
    lines = ["# side-tagged training tweets (scripts/build_politics_sides.py) naming each politician, per side of "
             "politics_sides.txt; '*' = all of them", "\t".join(["name", *sides])]
    for name in [PRIOR, *sorted(n for n in counts if n != PRIOR)]:
        lines.append("\t".join([name, *(str(counts[name].get(s, 0)) for s in sides)]))
    (args.out / OUT_NAME).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines[2:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
