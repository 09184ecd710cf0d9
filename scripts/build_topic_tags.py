#!/usr/bin/env python
"""Build the learned part of the US-politics topic (``src/taglens/resources/topic_politics_learned.txt``).

The packaged list ``topic_politics.txt`` names the 2016-17 campaign's tags (#maga #trump #hillary). The tweets set
also carries the tags of TweetEval's ``hate`` and ``offensive`` tasks (2018-19 tweets on immigration, the
Kavanaugh hearings, refugees, women): #walkaway #antifa #nodaca #immigration #confirmkavanaughnow #metoo. Those
tags were not gated, so they reached everyday captions (#antifa first on 13 of 600 lifestyle tweets). A tag is in
the learned part when at least ``MIN_POSTS`` training posts of those two tasks use it and they hold at least
``MIN_SHARE`` of its uses over every corpus of the broad vocabulary (``knowledge.vocabulary``: training sides
only), so a tag people use elsewhere (#love, #usa, #worldcup) stays out. Counts only, from the training side
(``dev_split(id) == "train"``); deterministic.

Usage: python scripts/build_topic_tags.py [--data ../shared/data] [--out src/taglens/resources]
"""
from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from taglens.blocklist import read_tag_list  # noqa: E402
from taglens.data.splits import dev_split  # noqa: E402
from taglens.knowledge.vocabulary import get_vocabulary  # noqa: E402

TASKS = ("hate", "offensive")  # TweetEval tasks whose tweets are about US and European politics
MIN_POSTS = 8
MIN_SHARE = 0.8
HEADER = """# US-politics tags learned from the tweets (issue 20), written by scripts/build_topic_tags.py: tags that
# {n}+ training tweets of TweetEval's hate and offensive tasks use, holding {share:.0%}+ of their uses in every
# corpus. Like topic_politics.txt's tags they are suggested only to a post that shows the topic (topics.py); one
# tag per line.
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=REPO / "src" / "taglens" / "resources")
    args = ap.parse_args(argv)
    vocab = get_vocabulary()
    listed = set(read_tag_list(args.out / "topic_politics.txt"))
    counts: collections.Counter[str] = collections.Counter()
    with open(args.data / "tweets" / "posts.jsonl", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if dev_split(str(rec["id"])) == "train" and str(rec["id"]).split("/")[0] in TASKS:
                counts.update(set(rec["hashtags"]))
    tags = sorted(t for t, n in counts.items()
                  if n >= MIN_POSTS and n >= MIN_SHARE * max(vocab.tag_count(t), n) and t not in listed)
    out = args.out / "topic_politics_learned.txt"
    tmp = out.with_suffix(".tmp")
    tmp.write_text(HEADER.format(n=MIN_POSTS, share=MIN_SHARE) + "".join(f"{t}\n" for t in tags), encoding="utf-8")
    tmp.replace(out)
    print(json.dumps({"tags": len(tags)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
