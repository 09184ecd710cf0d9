#!/usr/bin/env python
"""The faces and photo_text sources inside taglens-base (issue 24): what they change, what they cost.

Every figure is taken twice from one computation of each post's evidence: "before" fuses it with the two
sources' weights at 0 (exactly the ranking without them), "after" with their weights (``--faces``,
``--text``, lists to sweep). Figures:

- instagram6 val (images only, the official query): P@1 per topic and overall; selfie-topic posts with #selfie
  first; selfie posts with a people tag in the top 3; selfie posts with another topic's seed tag in the top 3;
  other topics' posts with #selfie in the top 3; how often each gate fired and the detector found something.
- photos with text rendered by bench/render_text.py over val-side pexels_food photos: a tag from the text in
  the top 5 of taglens-base (photo alone), the text gate's recall on them, and the same for their plain
  backgrounds (the sources must leave those alone).

    python bench/bench_vision_sources.py [--faces 0.1,0.15,0.2] [--text 0.25,0.5,1] [--rendered 40]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
sys.path.insert(0, str(REPO / "bench"))

from bench_vision import PEOPLE_TAGS  # noqa: E402

TOPICS = ("animals", "cars", "fitness", "food", "selfie", "travel")
OTHER_TOPICS = set(TOPICS) - {"selfie"}


def evidence_of(model, posts):
    """(evidence, gains, exclude) of every post, with the CPU seconds the two sources took on each."""
    from taglens.features import post_features

    out = []
    for f in post_features(posts):
        t = time.process_time()
        ev, gains, exclude = model.evidence(f)
        out.append((ev, gains, exclude, time.process_time() - t))
    return out


def ranked(model, cached, weights, k=10):
    return [[s.tag for s in model.fuse(ev, g, ex, k, weights=weights)] for ev, g, ex, _ in cached]


def instagram6(model, weight_grid):
    from taglens.data.posts import read_records
    from taglens.data.splits import split_records
    from taglens.eval.protocol import prepare_query

    val = split_records(read_records(DATA / "instagram6" / "posts.jsonl"))[1]
    queries = [(prepare_query(r, ("images",), 0), r) for r in val]
    queries = [(post, targets, r.topic)
               for (post, _, targets), r in queries if targets]
    cached = evidence_of(model, [q[0] for q in queries])
    fired = Counter(name for ev, *_ in cached for name in ("faces", "photo_text") if name in ev)
    rows = {}
    for label, weights in weight_grid:
        ranks = ranked(model, cached, weights)
        by_topic = defaultdict(list)
        for (post, targets, topic), r in zip(queries, ranks):
            by_topic[topic].append((r, set(targets)))
        selfie = by_topic.get("selfie", [])
        rows[label] = {
            "P@1": round(sum(bool(r) and r[0] in t for rs in by_topic.values() for r, t in rs) / len(ranks), 4),
            "A@5": round(sum(bool(set(r[:5]) & t) for rs in by_topic.values() for r, t in rs) / len(ranks), 4),
            **{f"P@1 {tp}": round(sum(bool(r) and r[0] in t for r, t in by_topic[tp]) / max(1, len(by_topic[tp])), 3)
               for tp in TOPICS},
            "selfie first": f"{sum(bool(r) and r[0] == 'selfie' for r, _ in selfie)} of {len(selfie)}",
            "selfie: people tag top 3": f"{sum(bool(set(r[:3]) & PEOPLE_TAGS) for r, _ in selfie)} of {len(selfie)}",
            "selfie: other topic's tag top 3": sum(bool(set(r[:3]) & OTHER_TOPICS) for r, _ in selfie),
            "others: #selfie top 3": sum("selfie" in r[:3] for tp, rs in by_topic.items() if tp != "selfie"
                                         for r, _ in rs),
        }
    return {"posts": len(queries), "sources gave evidence on": dict(fired),
            "source CPU ms per post (all sources)": round(1000 * sum(c[3] for c in cached) / len(cached), 1),
            "figures": rows}


def rendered(model, n, weight_grid):
    from render_text import background_photos, render_set

    from taglens.data.splits import dev_split
    from taglens.types import Post

    backs = [p for p in background_photos() if dev_split(p.stem) == "val"]
    with tempfile.TemporaryDirectory() as tmp:
        photos = render_set(tmp, n, seed=0, backgrounds=backs)
        text_cached = evidence_of(model, [Post(images=(str(p.path),)) for p in photos])
        plain = sorted({p.background for p in photos})
        plain_cached = evidence_of(model, [Post(images=(str(b),)) for b in backs if b.name in plain])
    rows = {}
    for label, weights in weight_grid:
        ranks = ranked(model, text_cached, weights, k=5)
        plain_before = ranked(model, plain_cached, {"faces": 0.0, "photo_text": 0.0}, k=5)
        plain_after = ranked(model, plain_cached, weights, k=5)
        rows[label] = {"text tag in top 5": round(sum(bool(set(r) & set(p.expected)) for r, p in zip(ranks, photos))
                                                  / len(photos), 3),
                       "text tag first": round(sum(bool(r) and r[0] in p.expected for r, p in zip(ranks, photos))
                                               / len(photos), 3),
                       "plain backgrounds changed": sum(a != b for a, b in zip(plain_before, plain_after))}
    gate = sum("photo_text" in ev for ev, *_ in text_cached)
    return {"photos": len(photos), "read (gates passed, a tag read)": gate,
            "plain backgrounds": len(plain_cached),
            "plain backgrounds read": sum("photo_text" in ev for ev, *_ in plain_cached),
            "source CPU ms per photo with text": round(1000 * sum(c[3] for c in text_cached) / len(photos), 1),
            "source CPU ms per plain photo": round(1000 * sum(c[3] for c in plain_cached) / len(plain_cached), 1),
            "figures": rows}


def latency(model, n: int) -> dict:
    """Warm CPU ms per ``suggest`` (photo alone, fresh feature cache: the photo is really decoded and encoded)
    with the two sources and without them, alternating photo by photo in this one process: plain val-side
    pexels_food photos, the same with rendered text, and instagram6 val selfie photos."""
    import os
    import shutil
    import statistics

    from render_text import background_photos, render_set

    from taglens.data.splits import dev_split
    from taglens.types import Post

    full = model.sources
    without = [s for s in full if s.name not in ("faces", "photo_text")]
    backs = [p for p in background_photos() if dev_split(p.stem) == "val"][: n + 3]
    selfies = [DATA / "instagram6" / json.loads(line)["images"][0]
               for line in (DATA / "instagram6" / "posts.jsonl").open(encoding="utf-8")
               if '"topic":"selfie"' in line.replace(" ", "") and dev_split(json.loads(line)["id"]) == "val"][: n + 3]
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ["TAGLENS_CACHE"] = str(tmp / "cache")
        text = [p.path for p in render_set(tmp / "text", n + 3, seed=5, backgrounds=backs)]
        for name, photos in (("plain photo", backs), ("photo with text", text), ("instagram6 selfie", selfies)):
            cpu = {"with": [], "without": []}
            for i, photo in enumerate(photos):
                for kind, sources in (("without", without), ("with", full)):
                    copy = tmp / f"{kind}-{i}{Path(photo).suffix}"  # its own bytes: never in the feature cache
                    shutil.copyfile(photo, copy)
                    copy.open("ab").write(kind.encode())
                    model.sources = sources
                    c = time.process_time()
                    model.suggest(Post(images=(str(copy),)), k=10)
                    if i >= 3:  # the first three warm up (models load)
                        cpu[kind].append(1000 * (time.process_time() - c))
            out[name] = {k: {"cpu_p50_ms": round(statistics.median(v), 1), "cpu_mean_ms": round(statistics.mean(v), 1)}
                         for k, v in cpu.items()}
            out[name]["photos"] = len(cpu["with"])
    model.sources = full
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--faces", default="0.15", help="faces weights to try, comma-separated")
    ap.add_argument("--text", default="0.5", help="photo_text weights to try, comma-separated")
    ap.add_argument("--rendered", type=int, default=40)
    ap.add_argument("--only", choices=("instagram6", "text", "latency"))
    ap.add_argument("--latency", type=int, default=30, help="photos of each kind timed")
    args = ap.parse_args(argv)
    if not (DATA / "instagram6" / "posts.jsonl").is_file():
        print(f"developer data not found at {DATA}", file=sys.stderr)
        return 3
    from taglens.model_folder import load_suggester

    model = load_suggester("taglens-base")
    grid = [("before", {"faces": 0.0, "photo_text": 0.0})]
    grid += [(f"faces {f} text {t}", {"faces": float(f), "photo_text": float(t)})
             for f in args.faces.split(",") for t in args.text.split(",")]
    out = {}
    if args.only in (None, "instagram6"):
        out["instagram6 val"] = instagram6(model, grid)
    if args.only in (None, "text"):
        out["rendered text"] = rendered(model, args.rendered, grid)
    if args.only in (None, "latency"):
        out["warm CPU ms per suggest"] = latency(model, args.latency)
    print(json.dumps(out, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
