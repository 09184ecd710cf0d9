#!/usr/bin/env python
"""Hashtag segmentation benchmark: taglens vs wordsegment vs wordninja on the developer gold sets, in one run.

Reports, per gold file and segmenter, accuracy@1 and token F1 (the "Hashtag segmentation protocol" of
../shared/EVALUATION.md: lowercased output against any lowercased gold) and hashtags per second: per CPU
second of this process (``tags/s``, robust to other jobs on a shared machine) and per wall-clock second. Each
segmenter's caches are cleared before every timed pass, the passes of all segmenters are interleaved and the
fastest of ``--repeat`` passes counts; the model load is timed separately.

    python bench/bench_segment.py                       # stan_large_dev, boun_dev and stan_large_train
    python bench/bench_segment.py --sets boun_dev --json
    python bench/bench_segment.py --errors 20           # also print taglens' first 20 misses per set
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEG_DIR = REPO.parent / "shared" / "data" / "segmentation"
DEFAULT_SETS = ("stan_large_dev", "boun_dev", "stan_large_train")


def read_gold(path: Path) -> list[tuple[str, list[str]]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            parts = line.split("\t")
            rows.append((parts[0], [g.lower() for g in parts[1:]] or [parts[0].lower()]))
    return rows


def token_f1(pred: list[str], gold: str) -> float:
    """Token-set F1 of one prediction against one gold (EVALUATION.md: sets of lowercased tokens)."""
    p_set, g_set = set(pred), set(gold.split())
    overlap = len(p_set & g_set)
    if not overlap:
        return 0.0
    p, r = overlap / len(p_set), overlap / len(g_set)
    return 2 * p * r / (p + r)


def score(rows, outputs) -> dict[str, float]:
    acc = f1 = 0.0
    for (_, golds), words in zip(rows, outputs):
        words = [w.lower() for w in words]
        acc += " ".join(words) in golds
        f1 += max(token_f1(words, g) for g in golds)
    n = max(1, len(rows))
    return {"acc@1": acc / n, "token_f1": f1 / n}


def segmenters(names: list[str]):
    """``name -> (load seconds, segment function, cache clearer)``."""
    out = {}
    for name in names:
        t = time.perf_counter()
        if name == "taglens":
            from taglens.segmentation import get_segmenter

            seg = get_segmenter()
            out[name] = (time.perf_counter() - t, seg.segment, seg.clear_cache)
        elif name == "taglens-viterbi":
            from taglens.segmentation import Segmenter

            seg = Segmenter(reranker=False)
            out[name] = (time.perf_counter() - t, seg.segment, seg.clear_cache)
        elif name == "wordsegment":
            import wordsegment

            wordsegment.load()
            out[name] = (time.perf_counter() - t, wordsegment.segment, lambda: None)
        elif name == "wordninja":
            import wordninja

            wordninja.split("warmup")
            out[name] = (time.perf_counter() - t, wordninja.split, lambda: None)
        else:
            raise SystemExit(f"unknown segmenter {name!r}")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sets", nargs="+", default=list(DEFAULT_SETS),
                    help="gold files (names in ../shared/data/segmentation)")
    ap.add_argument("--segmenters", nargs="+", default=["taglens", "wordsegment", "wordninja"],
                    help="taglens, taglens-viterbi, wordsegment, wordninja")
    ap.add_argument("--repeat", type=int, default=1, help="time each set this many times, report the best")
    ap.add_argument("--errors", type=int, default=0, help="print taglens' first N misses per set")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    segs = segmenters(args.segmenters)
    results = []
    for set_name in args.sets:
        rows = read_gold(SEG_DIR / f"{set_name}.tsv")
        tags = [h for h, _ in rows]
        best = {name: (float("inf"), float("inf")) for name in segs}
        outputs = {}
        for _ in range(max(1, args.repeat)):  # interleaved, so a burst of load on the machine hits all alike
            for name, (_, fn, clear) in segs.items():
                clear()
                c, w = time.process_time(), time.perf_counter()
                outputs[name] = [fn(h) for h in tags]
                c, w = time.process_time() - c, time.perf_counter() - w
                best[name] = (min(best[name][0], c), min(best[name][1], w))
        for name, (load_s, _, _) in segs.items():
            cpu, wall = best[name]
            res = {"set": set_name, "segmenter": name, "n": len(rows), **score(rows, outputs[name]),
                   "tags_per_s": len(rows) / max(cpu, 1e-9), "tags_per_s_wall": len(rows) / max(wall, 1e-9),
                   "load_s": load_s}
            results.append(res)
            if args.errors and name == "taglens":
                misses = [(h, " ".join(o), g[0]) for (h, g), o in zip(rows, outputs[name])
                          if " ".join(o).lower() not in g]
                for h, o, g in misses[: args.errors]:
                    print(f"  miss {set_name}: {h} -> {o!r} (gold {g!r})", file=sys.stderr)
    if args.json:
        print(json.dumps(results, indent=1))
        return 0
    print(f"{'set':18s} {'segmenter':16s} {'n':>5s} {'acc@1':>7s} {'tokF1':>7s} {'tags/s':>9s} {'(wall)':>9s} "
          f"{'load s':>7s}")
    for r in results:
        print(f"{r['set']:18s} {r['segmenter']:16s} {r['n']:5d} {r['acc@1']:7.4f} {r['token_f1']:7.4f} "
              f"{r['tags_per_s']:9.0f} {r['tags_per_s_wall']:9.0f} {r['load_s']:7.3f}")
    by = {(r["set"], r["segmenter"]): r for r in results}
    for s in args.sets:
        if (s, "taglens") in by and (s, "wordsegment") in by:
            ratio = by[(s, "taglens")]["tags_per_s"] / by[(s, "wordsegment")]["tags_per_s"]
            print(f"{s}: taglens is {ratio:.2f}x wordsegment's speed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
