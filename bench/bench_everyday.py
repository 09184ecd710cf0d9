#!/usr/bin/env python
"""The everyday benchmark (issue 20): `taglens evaluate` on the posts scripts/build_everyday_bench.py wrote, and
leakage: the share of posts whose top 5 holds another topic's vocabulary or engagement bait.

Sets (default /work/everyday_bench): ``photos`` (inputs: images), ``lifestyle`` and ``multilingual`` (inputs: text),
``mixed`` (the photos, each under an unrelated everyday caption; inputs: images and text), ``captioned`` (the
photos, each with a caption about it and one tag of its author's, as ``suggest`` gets them; the gold stays the
photo's labels, and the judged measure also accepts the tags the caption names that a person would post).
Leakage counts a post when one of its first five suggestions is

- vape vocabulary: a tag of the shipped vocabulary used in at least 3 vape posts with at least 80% of its uses
  there (#vape #vapeporn #vaper #ejuice ...; :func:`topic_tags`);
- US politics: :data:`POLITICS` (#maga #trump #buildthatwall ...);
- engagement bait: taglens.knowledge.junk.is_bait.

For the photos, a judged measure beside the gold's: the share of posts whose first tag fits the photo and the mean
number of fitting tags in the top 5 (the held-out target: 3 of 4 and 3 of 5), a tag fitting when it is in the
post's gold or in :data:`ACCEPT` for the post's class. ACCEPT is dev-side judgement (written down by reading the
classes, not learned): the tags a person would accept as describing a photo of that class, its kind and the usual
Instagram forms, and not the activity around it (#travel for a street or a mountain) nor its colour. Reviewed
for issue 20's fifth stop: #flora (the map's own word for flowers) and, for a street, #building and #architecture
(every street photo of the set is lined with buildings, and #buildings was already accepted) were added; #travel
stays out (it names a trip, not what the photo shows), as do #photography, #love and a street's #cars.

Usage: python bench/bench_everyday.py [--bench /work/everyday_bench] [--model taglens-base] [--sets photos,...]
Prints one JSON object per set and writes them to <bench>/results-<model>.json.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
INPUTS = {"photos": "images", "lifestyle": "text", "multilingual": "text", "mixed": "images,text",
          "captioned": "images,text"}
# the sets judged by ACCEPT (mixed: the same photos, each under an unrelated caption; captioned: under a caption
# about it, with one tag of its author's, and the tags the caption names that a person would accept)
PHOTO_SETS = ("photos", "mixed", "captioned")
POLITICS = frozenset("""maga trump trump2016 trumptrain makeamericagreatagain buildthewall buildthatwall americafirst
hillary hillaryclinton imwithher crookedhillary neverhillary nevertrump obama gop tcot democrats republicans
liberals draintheswamp potus resist theresistance altright trumppence wakeupamerica""".split())

_FLOWER = ("flower flowers nature garden spring bloom blooms blossom floral flora plant plants petals macro "
           "flowerstagram botanical")
_PET = "pet pets animal animals cute"
ACCEPT = {k: frozenset(v.split()) for k, v in {  # class -> tags a person would accept (dev-side judgement)
    "buildings": "buildings building architecture city cityscape urban skyscraper skyscrapers skyline tower house "
                 "downtown facade",
    "forest": "forest forests trees tree woods woodland nature forestlife hiking outdoors landscape",
    "glacier": "glacier glaciers ice iceberg snow mountain mountains arctic antarctica nature landscape winter alps",
    "mountain": "mountain mountains landscape nature hiking alps peak outdoors valley hills hill mountainview",
    "sea": "sea ocean beach waves wave water coast seaside shore nature landscape seascape",
    "street": "street streets city road urban streetphotography town buildings building architecture cityscape",
    "daisy": f"daisy daisies {_FLOWER}",
    "dandelion": f"dandelion dandelions {_FLOWER}",
    "rose": f"rose roses {_FLOWER}",
    "sunflower": f"sunflower sunflowers {_FLOWER} summer",
    "tulip": f"tulip tulips {_FLOWER}",
    "cat": f"cat cats kitty kitten kittens catsofinstagram instacat catlover meow {_PET}",
    "dog": f"dog dogs puppy puppies dogsofinstagram instadog doglover doggy {_PET}",
}.items()}


def fitting(top: list[str], topic: str, gold) -> list[bool]:
    """Whether each of ``top`` fits a photo of class ``topic`` with gold tags ``gold`` (:data:`ACCEPT`)."""
    ok = ACCEPT.get(topic, frozenset()) | set(gold)
    return [t in ok for t in top]


def topic_tags() -> frozenset[str]:
    from taglens.knowledge.vocabulary import get_vocabulary

    vocab = get_vocabulary()
    out = set()
    for tag in vocab.tags():
        counts = vocab.tag_counts(tag)
        if counts.get("vape", 0) >= 3 and counts["vape"] >= 0.8 * vocab.tag_count(tag):
            out.add(tag)
    return frozenset(out)


def leak_kind(tag: str, vape: frozenset[str]) -> str | None:
    from taglens.knowledge.junk import is_bait

    if tag in vape:
        return "vape"
    if tag in POLITICS:
        return "politics"
    if is_bait(tag):
        return "bait"
    return None


def run_cli(args: list[str]) -> str:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run([sys.executable, "-m", "taglens", *args], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"taglens {' '.join(args)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout


def queries(posts: Path, inputs: str) -> Path:
    """The posts as queries: no hashtags given, the caption without its hashtags (EVALUATION.md), images only for
    image inputs; written beside the posts (the image paths stay relative)."""
    from taglens.types import strip_hashtags

    out = posts.with_name("queries.jsonl")
    with open(out, "w", encoding="utf-8") as fh:
        for line in posts.read_text("utf-8").splitlines():
            rec = json.loads(line)
            fh.write(json.dumps({"id": rec["id"], "images": rec["images"] if "images" in inputs else [],
                                 "text": strip_hashtags(rec["text"]) if "text" in inputs else "",
                                 "hashtags": rec.get("given", [])}, ensure_ascii=False) + "\n")
    return out


class KnowledgeReference:
    """The issue-20 sources by themselves, for reference (not a model): the image map's tags for the photo's class
    probabilities and the caption's candidates, their scores added, junk dropped, one form per meaning in the top.
    Measured with the same protocol (taglens.eval.protocol.evaluate) as a model."""

    name = "knowledge-reference"
    trained = True

    def suggest(self, post, k: int = 10):
        from taglens.features import post_image_features
        from taglens.encoders.image import softmax
        from taglens.knowledge.forms import group_forms
        from taglens.knowledge.image_tags import image_tags
        from taglens.knowledge.junk import is_junk
        from taglens.knowledge.vocabulary import caption_candidates
        from taglens.types import Suggestion

        scores: dict[str, float] = {}
        if post.images:
            logits = post_image_features([post])[0]["logits"]
            if len(logits):
                for tag, score, _ in image_tags(softmax(logits).mean(0), k=30):
                    scores[tag] = scores.get(tag, 0.0) + score
        if post.text:
            for tag, weight, _ in caption_candidates(post.text, k=30):
                scores[tag] = scores.get(tag, 0.0) + weight
        ranked = [t for t in sorted(scores, key=lambda t: -scores[t]) if not is_junk(t, allow_generic=False)]
        groups, seen, top, rest = group_forms(ranked), set(), [], []
        for tag in ranked:
            key = groups[tag][0]
            (rest if key in seen else top).append(tag)
            seen.add(key)
        return [Suggestion(t, scores[t], "knowledge") for t in (top + rest)[:k]]

    def suggest_batch(self, posts, k: int = 10):
        return [self.suggest(p, k) for p in posts]


def knowledge_reference(posts: Path, inputs: str, vape: frozenset[str]) -> dict:
    from taglens.data.posts import read_records
    from taglens.eval.protocol import evaluate, prepare_query

    records = read_records(posts)
    model = KnowledgeReference()
    metrics = evaluate(records, model, inputs=inputs.split(","), k=10)
    leaked = 0
    for rec in records:
        post = prepare_query(rec, inputs.split(","), 0, 0)[0]
        leaked += any(leak_kind(s.tag, vape) for s in model.suggest(post, k=5))
    return {"metrics": {k: metrics[k] for k in ("n", "P@1", "P@5", "R@5", "A@5", "NDCG@10")},
            "leakage": round(leaked / max(len(records), 1), 4)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bench", type=Path, default=Path("/work/everyday_bench"))
    parser.add_argument("--model", default="taglens-base")
    parser.add_argument("--sets", default="photos,lifestyle,multilingual,mixed,captioned")
    parser.add_argument("--knowledge", action="store_true",
                        help="measure the issue-20 sources by themselves (KnowledgeReference) instead of --model")
    args = parser.parse_args()
    vape = topic_tags()
    results = {}
    for name in args.sets.split(","):
        posts = args.bench / name / "posts.jsonl"
        t0 = time.perf_counter()
        if args.knowledge:
            results[name] = {**knowledge_reference(posts, INPUTS[name], vape),
                             "seconds": round(time.perf_counter() - t0, 1)}
            print(json.dumps({"set": name, **results[name]}), flush=True)
            continue
        metrics = json.loads(run_cli(["evaluate", str(posts), "--model", args.model, "--inputs", INPUTS[name],
                                      "--json"]))
        lines = run_cli(["suggest", "--batch", str(queries(posts, INPUTS[name])), "--model", args.model, "-k", "5",
                         "--json"]).splitlines()
        kinds = {"vape": 0, "politics": 0, "bait": 0}
        leaked, firsts, judged = 0, {}, [0, 0]
        classes = {}
        for line in posts.read_text("utf-8").splitlines():
            rec = json.loads(line)
            classes[rec["id"]] = (rec.get("topic"), rec["hashtags"] + rec.get("accept", []))
        for line in lines:
            answer = json.loads(line)
            top = [s["tag"] for s in answer.get("suggestions", [])][:5]
            if name in PHOTO_SETS:
                fits = fitting(top, *classes[answer["id"]])
                judged[0] += bool(fits[:1] and fits[0])
                judged[1] += sum(fits)
            found = {k for k in (leak_kind(t, vape) for t in top) if k}
            leaked += bool(found)
            for k in found:
                kinds[k] += 1
            if top:
                firsts[top[0]] = firsts.get(top[0], 0) + 1
        n = max(len(lines), 1)
        results[name] = {"metrics": metrics, "leakage": round(leaked / n, 4),
                         **({"judged": {"first_fits": round(judged[0] / n, 4),
                                        "fitting_in_top5": round(judged[1] / n, 3)}} if name in PHOTO_SETS else {}),
                         "leakage_by_kind": {k: round(v / n, 4) for k, v in kinds.items()},
                         "most_common_first_tags": sorted(firsts.items(), key=lambda kv: -kv[1])[:8],
                         "seconds": round(time.perf_counter() - t0, 1)}
        print(json.dumps({"set": name, **results[name]}), flush=True)
    safe = "knowledge-reference" if args.knowledge else args.model.replace("/", "_")
    (args.bench / f"results-{safe}.json").write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
