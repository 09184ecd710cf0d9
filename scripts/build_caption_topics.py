#!/usr/bin/env python
"""Build the caption -> topic-tag statistics shipped in the package (resources/vocab/caption_topics.npz).

Aggregate counts only, from the training side (``taglens.data.splits.dev_split(id) == "train"``) of the everyday
tweets in ../shared/data/everyday (lifestyle tweets in English, multilingual tweets in eight languages) and of the
tweets set (emoji, hate-speech and stance tweets, most of them everyday posts): for each
caption word or emoji (``wording.caption_words``, the caption read without its hashtags) in at least
``MIN_WORD_POSTS`` captions, how many captions use it, and how many of those carry each topic tag. A tag list
closing many captions in the same order (a bot's template) counts once (``without_templates``).

The topic tags are the everyday tweets' tags that describe what a post is about and that people use beyond one
data set: in at least ``MIN_TAG_POSTS`` of these captions, used in ``MIN_OTHER_CORPORA`` other corpora of the
shipped vocabulary (a show's or an event's tag, #masterchefbr, #euro2016, stays out), not another topic's
vocabulary (vape, US politics: ``topics.topic_of``), not a stop word (#the, #you) and not junk or engagement
bait (``unwanted_tags``). The statistics are ``CaptionWordStats`` (P(tag | word) shrunk by the word's count,
with the counts kept), read at run time by the ``caption_topics`` source of taglens-base.

Usage: python scripts/build_caption_topics.py [--data ../shared/data] [--out src/taglens/resources/vocab]
"""
from __future__ import annotations

import argparse
import collections
import json
import re
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from taglens.data.splits import dev_split  # noqa: E402
from taglens.knowledge.vocabulary import get_vocabulary  # noqa: E402
from taglens.suggesters.base import unwanted_tags  # noqa: E402
from taglens.suggesters.taglens_base.sources.caption_words import CaptionWordStats  # noqa: E402
from taglens.suggesters.taglens_base.topics import topic_of  # noqa: E402
from taglens.suggesters.taglens_base.wording import STOPWORDS  # noqa: E402
from taglens.types import parse_hashtags, strip_hashtags  # noqa: E402

SETS = {"lifestyle": "everyday/lifestyle_tweets/posts.jsonl",
        "multilingual": "everyday/multilingual_tweets/posts.jsonl",
        "tweets": "tweets/posts.jsonl"}
MIN_TAG_POSTS = 15
MIN_OTHER_CORPORA = 2
MIN_OTHER_POSTS = 20
MIN_WORD_POSTS = 3
SMOOTHING = 5.0  # pseudo-captions without the tag in each word's rate
MIN_PAIR_POSTS = 2  # captions with both the word and the tag (one caption is an anecdote)
MIN_LIFT = 2.0  # P(tag | word) / P(tag): "day" does not say #love just because #love is everywhere
IGNORED_TAGS = {"semst"}
# TEMPLATE_TAGS or more hashtags closing TEMPLATE_POSTS or more captions in the same order are one account's template
# (a forex bot's "#blog #silver #gold #forex" under 300 train tweets, an affirmation bot's): its captions count as
# one, or the bot's words ("expectations", "sales") vote its tags under everyday captions
TEMPLATE_TAGS = 3
TEMPLATE_POSTS = 5


def train_posts(data: Path):
    for corpus, rel in SETS.items():
        with open(data / rel, encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                if dev_split(str(rec["id"])) == "train":
                    tags = [t for t in (rec.get("hashtags") or parse_hashtags(rec["text"])) if t not in IGNORED_TAGS]
                    yield corpus, strip_hashtags(rec["text"]), tags, trailing_tags(rec["text"])


_TRAILING = re.compile(r"(?:\s*#\w+)+\s*$")


def trailing_tags(text: str) -> tuple[str, ...]:
    """The hashtags a caption ends with, in their order ("... in may   #blog #silver #gold #forex" -> ('blog',
    'silver', 'gold', 'forex')): where an account's template sits."""
    found = _TRAILING.search(text or "")
    return tuple(t.lower() for t in re.findall(r"#(\w+)", found.group(0))) if found else ()


def without_templates(posts: list) -> list:
    """``posts`` with each template (the same ``TEMPLATE_TAGS`` or more trailing hashtags under ``TEMPLATE_POSTS`` or
    more captions) kept once, under its first caption; a caption whose tags end with the start of a template (the
    site cut it off there) is that template's."""
    def key(tail):
        return tail if len(tail) >= TEMPLATE_TAGS else None

    counts = collections.Counter(key(post[3]) for post in posts)
    templates = [k for k, n in counts.items() if k is not None and n >= TEMPLATE_POSTS]
    seen, out = set(), []
    for post in posts:
        k = key(post[3])
        if k is None or k not in templates:
            k = next((t for t in templates if _ends_with_start(post[2], t)), k)
        if k is not None and counts[k] >= TEMPLATE_POSTS:
            if k in seen:
                continue
            seen.add(k)
        out.append(post)
    return out


def _ends_with_start(tags: list[str], template: tuple[str, ...]) -> bool:
    """Whether a post's tags end with a template's first ``TEMPLATE_TAGS`` or more tags in its order, or with two
    or more of them whose last the site cut off ("... #blog #silver #gold #f", "... #blog #s")."""
    for j in range(min(len(tags), len(template)), 1, -1):
        *whole, last = tags[-j:]
        cut = last != template[j - 1]  # two whole tags ("#peace #love") are too common to say a template
        if list(template[:j - 1]) == whole and template[j - 1].startswith(last) and (cut or j >= TEMPLATE_TAGS):
            return True
    return False


def topic_tags(posts) -> list[str]:
    vocab, unwanted, gated = get_vocabulary(), unwanted_tags(), topic_of()
    counts = collections.Counter(t for _, _, tags, _ in posts for t in set(tags))
    out = []
    for tag, n in counts.items():
        if n < MIN_TAG_POSTS or len(tag) < 3 or tag in STOPWORDS or unwanted(tag) or tag in gated:
            continue
        others = {c: k for c, k in vocab.tag_counts(tag).items() if c not in SETS and k > 0}
        if len(others) >= MIN_OTHER_CORPORA and sum(others.values()) >= MIN_OTHER_POSTS:
            out.append(tag)
    return sorted(out, key=lambda t: (-counts[t], t))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=REPO / "src" / "taglens" / "resources" / "vocab")
    args = ap.parse_args(argv)
    posts = without_templates([p for p in train_posts(args.data) if p[1].strip()])
    tags = topic_tags(posts)
    index = {t: i for i, t in enumerate(tags)}
    texts, ids = [], []
    for _, text, post_tags, _tail in posts:
        mine = sorted({index[t] for t in post_tags if t in index})
        texts.append(text)
        ids.append(np.array(mine, np.int64))
    stats = CaptionWordStats(min_df=MIN_WORD_POSTS, max_tags=10, min_p=0.02, smoothing=SMOOTHING,
                             min_count=MIN_PAIR_POSTS, min_lift=MIN_LIFT)
    stats.fit(texts, ids, len(tags))
    args.out.mkdir(parents=True, exist_ok=True)
    tmp = args.out / "caption_topics.tmp.npz"
    np.savez_compressed(tmp, words=np.array(stats.words), tags=np.array(tags), **stats.arrays())
    tmp.replace(args.out / "caption_topics.npz")
    print(json.dumps({"captions": len(texts), "topic_tags": len(tags), "words": len(stats.words),
                      "entries": int(len(stats.indices)), "tags": tags}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
