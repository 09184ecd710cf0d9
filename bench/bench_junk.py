#!/usr/bin/env python
"""Precision and recall of the junk filter (taglens.knowledge.junk) on tags labelled by reading.

The labelled file (``tag<TAB>1|0``: 1 reads as a real hashtag, 0 junk: a handle, a near-random string, bait) is
kept outside the repository (default /work/everyday_bench/junk_labels.tsv, 300 tags drawn from ../shared/data: 200
uniformly from its distinct tags, 100 weighted by use). "Positive" is junk: precision is the share of tags the
filter rejects that are junk, recall the share of junk it rejects.

Usage: python bench/bench_junk.py [--labels FILE] [--show]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--labels", type=Path, default=Path("/work/everyday_bench/junk_labels.tsv"))
    parser.add_argument("--show", action="store_true", help="print the disagreements")
    args = parser.parse_args()
    from taglens.knowledge.junk import junk_reason

    rows = [line.split("\t") for line in args.labels.read_text("utf-8").splitlines() if line and line[0] != "#"]
    junk_reason("warmup", allow_generic=False)
    t0 = time.perf_counter()
    tp = fp = fn = tn = 0
    for tag, label in rows:
        rejected, is_junk = junk_reason(tag, allow_generic=False) is not None, label.strip() == "0"
        tp += rejected and is_junk
        fp += rejected and not is_junk
        fn += (not rejected) and is_junk
        tn += (not rejected) and not is_junk
        if args.show and rejected != is_junk:
            print(f"{'false reject' if rejected else 'missed junk '}  #{tag}")
    ms = (time.perf_counter() - t0) / len(rows) * 1000
    print(f"{len(rows)} tags, {tp + fn} junk: precision {tp / max(tp + fp, 1):.3f} ({tp}/{tp + fp}), "
          f"recall {tp / max(tp + fn, 1):.3f} ({tp}/{tp + fn}); real tags kept {tn}/{tn + fp}; {ms:.2f} ms/tag cold")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
