#!/usr/bin/env python
"""Build the broad hashtag vocabulary shipped in the package (``src/taglens/resources/vocab/``).

Aggregate counts only, from the training side (``taglens.data.splits.dev_split(id) == "train"``) of every set in
../shared/data, so the everyday benchmark's val side never reaches the resource:

- ``tags.tsv.gz``: each hashtag used in at least two posts (or in the curated HARRISON vocabulary): its post count
  per corpus (columns named in the header) and in all;
- ``words.tsv.gz``: caption words, word pairs and triples (joined: "eiffel tower" -> ``eiffeltower``; pairs and
  triples only where the joined form is a hashtag somewhere or a WordNet lemma) of the texts of tweets, lifestyle
  tweets, multilingual tweets and vape captions: in how many posts the word is mentioned (as a word or as a
  hashtag in the text), in how many of those it is also a hashtag of the post (its "hashtaggability"), and the same
  two counts per caption language (py3langid; the multilingual set's own ``lang`` field) for its languages;
  words mentioned in at least 3 posts;
- ``lemmas.tsv.gz``: WordNet 3.0 noun lemmas of concrete kinds (places, animals, plants, food, things, activities,
  events, weather, times of day and year) in tag form, with their lexicographer file, whether WordNet writes them
  as a name ("Paris"), and wordfreq's English Zipf frequency, for the words corpora lack.

Usage: python scripts/build_vocabulary.py [--data ../shared/data] [--out src/taglens/resources/vocab]
"""
from __future__ import annotations

import argparse
import collections
import gzip
import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from taglens.data.splits import dev_split  # noqa: E402
from taglens.knowledge.vocabulary import CORPORA, caption_tokens, joined_ngrams  # noqa: E402
from taglens.language import detect  # noqa: E402
from taglens.types import parse_hashtags  # noqa: E402
from taglens.wordnet import LEXNAMES, get_lookup, lemma_tag, wordnet_source  # noqa: E402

SETS = {  # corpus column -> posts.jsonl under the data folder
    "harrison": "harrison/posts.jsonl", "instagram6": "instagram6/posts.jsonl", "vape": "vape/posts.jsonl",
    "pexels_food": "pexels_food/posts.jsonl", "tweets": "tweets/posts.jsonl", "taglists": "taglists/vivek.jsonl",
    "lifestyle": "everyday/lifestyle_tweets/posts.jsonl", "multilingual": "everyday/multilingual_tweets/posts.jsonl",
}
TEXT_SETS = ("vape", "tweets", "lifestyle", "multilingual")
IGNORED_TAGS = {"semst"}  # TweetEval's stance marker, not a user's tag
CONCRETE = {"noun.location": "place", "noun.animal": "animal", "noun.plant": "plant", "noun.food": "food",
            "noun.artifact": "thing", "noun.object": "nature", "noun.act": "activity", "noun.event": "event",
            "noun.phenomenon": "weather", "noun.time": "time", "noun.substance": "substance"}
MIN_WORD_POSTS = 3
MIN_LEMMA_ZIPF = 2.5


def posts(data: Path, corpus: str):
    with open(data / SETS[corpus], encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if dev_split(str(rec["id"])) == "train":
                yield rec


def wordnet_lemmas() -> dict[str, tuple[str, int, float]]:
    """tag form -> (kind, is a name, Zipf frequency) of concrete WordNet noun lemmas (first sense's kind)."""
    import wordfreq

    folder, lookup = wordnet_source(), get_lookup()
    data = (folder / "data.noun").read_bytes()
    out: dict[str, tuple[str, int, float]] = {}
    for line in (folder / "index.noun").read_text("utf-8").splitlines():
        if line.startswith(" "):
            continue
        lemma = line.split(" ", 1)[0]
        offsets = lookup._offsets(lemma, "n")
        if not offsets:
            continue
        end = data.index(b"\n", offsets[0])
        fields = data[offsets[0]:end].decode("utf-8").split(" ")
        kind = CONCRETE.get(LEXNAMES[int(fields[1])])
        if kind is None:
            continue
        names = [fields[4 + 2 * i] for i in range(int(fields[3], 16))]
        written = next((n for n in names if n.lower() == lemma), names[0])
        zipf = wordfreq.zipf_frequency(lemma.replace("_", " "), "en")
        tag = lemma_tag(lemma)
        if zipf >= MIN_LEMMA_ZIPF and tag and not tag.isdigit() and tag not in out:
            out[tag] = (kind, int(written[:1].isupper()), round(zipf, 2))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=REPO / "src" / "taglens" / "resources" / "vocab")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    tag_counts = {c: collections.Counter() for c in CORPORA}
    texts = []  # (corpus, text, tags, lang): kept in memory only while building
    for corpus in CORPORA:
        for rec in posts(args.data, corpus):
            tags = [t for t in rec["hashtags"] if t not in IGNORED_TAGS]
            tag_counts[corpus].update(set(tags))
            if corpus in TEXT_SETS and rec.get("text"):
                texts.append((corpus, rec["text"], set(tags), rec.get("lang")))
        print(f"{corpus}: {sum(1 for _ in tag_counts[corpus])} tags", file=sys.stderr)
    total = collections.Counter()
    for c in CORPORA:
        total.update(tag_counts[c])
    keep_tags = sorted(t for t, n in total.items() if n >= 2 or tag_counts["harrison"][t])
    lemmas = wordnet_lemmas()
    known = set(keep_tags) | set(lemmas)

    mentions, tagged = collections.Counter(), collections.Counter()
    by_lang = collections.defaultdict(collections.Counter)  # word -> lang -> mentions
    tagged_lang = collections.defaultdict(collections.Counter)
    for corpus, text, tags, lang in texts:
        lang = lang or detect(text)[0]
        words = caption_tokens(text, keep_hashtags=True)
        inline = set(parse_hashtags(text))
        forms = set(words) | {g for g in joined_ngrams(words) if g in known} | inline
        for form in forms:
            mentions[form] += 1
            by_lang[form][lang] += 1
            if form in tags:
                tagged[form] += 1
                tagged_lang[form][lang] += 1

    with gzip.GzipFile(args.out / "tags.tsv.gz", "wb", mtime=0) as gz:
        gz.write(("tag\ttotal\t" + "\t".join(CORPORA) + "\n").encode())
        for t in keep_tags:
            gz.write((f"{t}\t{total[t]}\t" + "\t".join(str(tag_counts[c][t]) for c in CORPORA) + "\n").encode())
    n_words = 0
    with gzip.GzipFile(args.out / "words.tsv.gz", "wb", mtime=0) as gz:
        gz.write(b"word\tmentions\ttagged\tper_language (lang:mentions:tagged)\n")
        for w in sorted(mentions):
            if mentions[w] < MIN_WORD_POSTS or re.fullmatch(r"[\d_]+", w):
                continue
            langs = " ".join(f"{lang}:{n}:{tagged_lang[w][lang]}"
                             for lang, n in sorted(by_lang[w].items(), key=lambda kv: (-kv[1], kv[0])))
            gz.write(f"{w}\t{mentions[w]}\t{tagged[w]}\t{langs}\n".encode())
            n_words += 1
    with gzip.GzipFile(args.out / "lemmas.tsv.gz", "wb", mtime=0) as gz:
        gz.write(b"tag\tkind\tname\tzipf_en\n")
        for t in sorted(lemmas):
            kind, name, zipf = lemmas[t]
            gz.write(f"{t}\t{kind}\t{name}\t{zipf}\n".encode())
    print(f"{len(keep_tags)} tags, {n_words} words, {len(lemmas)} lemmas", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
