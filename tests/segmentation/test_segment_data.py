"""Regression guards on the developer gold sets (skipped where ../shared/data is absent) and the bench script."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from taglens.segmentation import Segmenter, get_segmenter
from taglens.segmentation.train import read_gold

REPO = Path(__file__).resolve().parents[2]


def _accuracy(seg, rows) -> float:
    return sum(" ".join(seg.segment(h)) in golds for h, golds in rows) / len(rows)


@pytest.mark.data
@pytest.mark.parametrize(("name", "floor"), [("stan_large_dev", 0.88), ("boun_dev", 0.87)])
def test_dev_accuracy_floor(shared_data, name, floor):
    rows = read_gold(shared_data / "segmentation" / f"{name}.tsv")
    assert _accuracy(get_segmenter(), rows) >= floor


@pytest.mark.data
def test_reranker_beats_plain_viterbi_on_stan_dev(shared_data):
    rows = read_gold(shared_data / "segmentation" / "stan_large_dev.tsv")
    assert _accuracy(get_segmenter(), rows) > _accuracy(Segmenter(reranker=False), rows) + 0.02


@pytest.mark.data
def test_bench_script_reports_all_segmenters(shared_data):
    out = subprocess.run(
        [sys.executable, str(REPO / "bench" / "bench_segment.py"), "--sets", "boun_dev", "--json"],
        capture_output=True, text=True, check=True, timeout=300,
    ).stdout
    rows = {r["segmenter"]: r for r in json.loads(out)}
    assert set(rows) == {"taglens", "wordsegment", "wordninja"}
    assert all(r["n"] == 484 and 0 <= r["acc@1"] <= 1 and r["tags_per_s"] > 0 for r in rows.values())
    assert rows["taglens"]["acc@1"] > rows["wordsegment"]["acc@1"]
