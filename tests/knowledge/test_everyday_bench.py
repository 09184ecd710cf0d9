"""The everyday benchmark's builder: val side only, outside the repository, evaluable by the protocol."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from taglens.data.posts import read_records
from taglens.data.splits import dev_split

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench_everyday(bench_module):
    return bench_module("bench_everyday")


def test_builds_val_side_posts_outside_the_repository(shared_data, tmp_path):
    out = tmp_path / "bench"
    run = subprocess.run([sys.executable, str(REPO / "scripts" / "build_everyday_bench.py"), "--data",
                          str(shared_data), "--out", str(out), "--per-set", "4", "--tweets", "5"],
                         capture_output=True, text=True, check=True)
    assert json.loads(run.stdout)["posts"] == {"photos": 12, "lifestyle": 5, "multilingual": 5, "mixed": 12,
                                               "captioned": 12}
    for name in ("photos", "lifestyle", "multilingual", "mixed", "captioned"):
        records = read_records(out / name / "posts.jsonl")
        assert records and all(dev_split(r.id) == "val" and r.hashtags for r in records)
    photos = read_records(out / "photos" / "posts.jsonl")
    assert all(Path(p).is_file() for r in photos for p in r.images)
    assert {r.id.split("-")[0] for r in photos} == {"scene", "flower", "pet"}
    mixed = read_records(out / "mixed" / "posts.jsonl")  # the same photos, each under a caption of 4+ words
    assert [r.id for r in mixed] == [r.id for r in photos] and all(len(r.text.split()) >= 4 for r in mixed)
    assert all(Path(p).is_file() for r in mixed for p in r.images)
    raw = [json.loads(line) for line in (out / "mixed" / "posts.jsonl").read_text("utf-8").splitlines()]
    assert all(".." not in p and not Path(p).is_absolute() for r in raw for p in r["images"])
    assert all("#" not in r.text for r in mixed)
    # the same photos, each with one of our captions about its class and its author's one tag
    captioned = [json.loads(line) for line in (out / "captioned" / "posts.jsonl").read_text("utf-8").splitlines()]
    own = [json.loads(line) for line in (REPO / "bench" / "data" / "everyday_photo_captions.jsonl").read_text(
        "utf-8").splitlines()]
    assert [r["id"] for r in captioned] == [r.id for r in photos]
    for rec in captioned:
        assert any(o["class"] == rec["topic"] and o["text"] == rec["text"] and [o["tag"]] == rec["given"]
                   for o in own), rec["id"]
        assert all((out / "captioned" / p).is_file() for p in rec["images"])


def test_refuses_an_output_folder_inside_the_repository(shared_data):
    run = subprocess.run([sys.executable, str(REPO / "scripts" / "build_everyday_bench.py"), "--data",
                          str(shared_data), "--out", str(REPO / "bench" / "everyday")], capture_output=True, text=True)
    assert run.returncode != 0 and "inside the repository" in run.stderr
    assert not (REPO / "bench" / "everyday").exists()


@pytest.mark.parametrize("tag,kind", [("vape", "vape"), ("maga", "politics"), ("likeforlikes", "bait"),
                                      ("dog", None)])
def test_leakage_kinds(tag, kind, bench_everyday):
    assert bench_everyday.leak_kind(tag, bench_everyday.topic_tags()) == kind


def test_the_judged_measure_accepts_the_class_its_kind_and_the_gold(bench_everyday):
    assert bench_everyday.fitting(["forest", "trees", "travel", "food"], "forest", ["forest"]) == [
        True, True, False, False]
    # a dog's breed counts through its gold, the kind through the class's list; nothing fits an unknown class
    assert bench_everyday.fitting(["beagle", "dog", "cat"], "dog", ["dog", "beagle"]) == [True, True, False]
    assert bench_everyday.fitting(["flower"], "unlisted", []) == [False]
