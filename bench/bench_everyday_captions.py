#!/usr/bin/env python
"""Everyday captions judged as a person would (issue 20's target for captions): our own 48 captions about ordinary
things (bench/data/everyday_captions.jsonl: 24 English, 8 each in Spanish, Greek and Japanese, written for this
bench, not taken from any data set), each with the tags a person would accept for it (the topic tags such a post
gets, #food #travel #fitness #music ..., and the specific ones it names). Dev-side judgement, written down before
the figures were looked at; the held-out judges are other people.

Runs ``taglens suggest --batch -k 5 --json`` as a user would (default ``--min-score``) and prints, per language and
overall: the share of captions whose first tag fits, whose top 5 holds a fitting tag, the mean number of
suggestions and of fitting ones among them, and leakage (another topic's vocabulary or engagement bait in the
top 5, as bench_everyday.py counts it). ``--show`` prints every caption's top 5 (fitting tags starred).

``topic_first`` / ``topic_top5``: the issue's own wording of the target, a fitting *topic* tag (``TOPIC_TAGS``: #food
#travel #fitness #music ... , not the thing the caption names) first / in the top 5.
``--captions bench/data/everyday_captions_more.jsonl``: 36 further captions of our own (18 English, 6 each Spanish,
Greek, Japanese), written to check that the caption mechanisms of the seventh stop generalise; not tuned on.
``--captions bench/data/everyday_captions_held9.jsonl``: 40 more (16 English, 8 each Spanish, Greek, Japanese; sport,
music, pets, food, work, weather, family, travel, hobbies), written at the eighth stop before its caption changes;
a held-out check, not tuned on.
``--captions bench/data/everyday_captions_capt12.jsonl``: 30 captions (14 English, 6 Spanish, 5 each Greek and
Japanese) and 10 photo + caption posts (``"images"``: names of the public sample photos ``bench/ordinary_posts.py
--fetch`` puts in a folder outside the repository; pass that folder as ``--photos``, without it those posts are left
out), written at the eleventh stop before its caption changes. The photo posts are counted under "photo" as well as
their language.
``--captions bench/data/everyday_captions_capt14.jsonl``: 30 captions (15 English, 5 each Spanish, Greek, Japanese)
and 13 photo + caption posts (three with one tag of the author's, ``"hashtags"``, passed to the model as the post's
own tags), written at the thirteenth stop before its caption changes; a held-out check, not tuned on.

Usage: python bench/bench_everyday_captions.py [--model taglens-base] [--show] [--captions FILE] [--photos DIR]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
CAPTIONS = REPO / "bench" / "data" / "everyday_captions.jsonl"
# the topic tags people file everyday posts under (the "#food #travel #fitness #music..."), in any form
TOPIC_TAGS = frozenset("""food foodie travel fitness workout gym running sports sport football soccer music art
family friends nature photography books reading movies fashion style baking cooking homemade dessert drinks coffee
beach summer winter weather garden gardening pets animals dog cat astronomy space sky wedding birthday party
vacation holiday hiking outdoors dance love""".split())


def main() -> int:
    from bench_everyday import leak_kind, run_cli, topic_tags

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="taglens-base")
    ap.add_argument("--show", action="store_true", help="print each caption's top 5")
    ap.add_argument("--captions", type=Path, default=CAPTIONS, help="a jsonl of id, lang, text, accept")
    ap.add_argument("--photos", type=Path, help="the folder of the photos named by posts' \"images\"")
    args = ap.parse_args()

    rows = [json.loads(line) for line in args.captions.read_text(encoding="utf-8").splitlines() if line.strip()]
    if args.photos is None:
        left = [r for r in rows if r.get("images")]
        rows = [r for r in rows if not r.get("images")]
        if left:
            print(f"{len(left)} photo + caption posts left out (no --photos)", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        queries = Path(tmp) / "queries.jsonl"
        queries.write_text("".join(json.dumps({"id": r["id"], "text": r["text"], "hashtags": r.get("hashtags", []),
                                                "images": [str(args.photos / i) for i in r.get("images", [])]},
                                               ensure_ascii=False) + "\n"
                                   for r in rows), encoding="utf-8")
        out = run_cli(["suggest", "--batch", str(queries), "-k", "5", "--model", args.model, "--json"])
    answers = {a["id"]: [s["tag"] for s in a.get("suggestions", [])] for a in map(json.loads, out.splitlines())}
    vape = topic_tags()
    sums: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for r in rows:
        tags, accept = answers.get(r["id"], []), set(r["accept"])
        fits = [t in accept for t in tags]
        for group in (r["lang"], "all") + (("photo",) if r.get("images") else ()):
            s = sums[group]
            s["n"] += 1
            s["first_fits"] += bool(fits) and fits[0]
            s["top5_fits"] += any(fits)
            s["suggested"] += len(tags)
            s["fitting"] += sum(fits)
            s["leakage"] += any(leak_kind(t, vape) for t in tags)
            topical = [f and t in TOPIC_TAGS for t, f in zip(tags, fits)]
            s["topic_first"] += bool(topical) and topical[0]
            s["topic_top5"] += any(topical)
        if args.show:
            print(f"{r['id']}  {r['text'][:48]:48}  " + " ".join(f"#{t}{'*' if f else ''}" for t, f in zip(tags, fits)))
    for group, s in sums.items():
        n = s.pop("n")
        print(json.dumps({"set": group, "n": int(n), **{k: round(v / n, 3) for k, v in s.items()}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
