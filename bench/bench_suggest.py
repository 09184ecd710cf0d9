#!/usr/bin/env python
"""Speed of the default model (issue 2): warm latency, batch throughput and a cold CLI start.

Every measurement uses a fresh, empty feature cache (TAGLENS_CACHE in a temporary folder), so each image is
really decoded and encoded. Photos: the public-domain pexels_food set of ../shared/data (or any folder of JPEGs).

    python bench/bench_suggest.py [--photos ../shared/data/pexels_food/images] [--batch-posts 240] [--runs 40]

Targets (2-core machine): warm p50 <= 60 ms for one post with one photo, a caption and tags; --batch over
>= 200 photo posts at >= 25 posts/s after loading; cold `taglens suggest photo.jpg` <= 4 s.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
THREADS = 2  # torch threads, also given to the CLI subprocesses (OMP_NUM_THREADS)
CAPTIONS = ["dinner with friends tonight", "best brunch in town", "homemade pasta, simple and good",
            "sunday morning coffee", "fresh from the market"]


def warm_latency(model, photos, runs: int) -> dict:
    from taglens.types import Post

    posts = [Post(images=(p,), text=CAPTIONS[i % len(CAPTIONS)], hashtags=("food", "foodie"))
             for i, p in enumerate(photos[: runs + 3])]
    for post in posts[:3]:  # warm-up: first calls load the encoders
        model.suggest(post)
    times = []
    for post in posts[3:]:
        t = time.perf_counter()
        model.suggest(post, k=10)
        times.append(1000 * (time.perf_counter() - t))
    times.sort()
    return {"runs": len(times), "p50_ms": round(statistics.median(times), 1),
            "p90_ms": round(times[int(0.9 * (len(times) - 1))], 1), "mean_ms": round(statistics.mean(times), 1)}


def batch_throughput(photos, n: int, tmp: Path) -> dict:
    """`taglens suggest --batch` in a subprocess; posts/s after loading is measured from its first output line."""
    import shutil

    folder = tmp / "batch"
    (folder / "images").mkdir(parents=True)
    for p in photos[:n]:  # copies: the posts format refuses paths (symlinks included) that leave the folder
        shutil.copyfile(p, folder / "images" / p.name)
    with open(folder / "posts.jsonl", "w") as fh:
        for i, p in enumerate(photos[:n]):
            fh.write(json.dumps({"id": str(i), "images": [f"images/{p.name}"], "text": CAPTIONS[i % 5],
                                 "hashtags": ["food"]}) + "\n")
    env = {**os.environ, "TAGLENS_CACHE": str(tmp / "cache-batch"), "OMP_NUM_THREADS": str(THREADS)}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "taglens", "suggest", "--batch", str(folder / "posts.jsonl"),
                             "--json"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
    lines, first = [], None
    for line in proc.stdout:
        if first is None:
            first = time.perf_counter()
        lines.append(line)
    proc.wait()
    end = time.perf_counter()
    ok = sum(1 for line in lines if "suggestions" in json.loads(line))
    # the first chunk (32 posts) is answered when `first` is seen: its encoding time is inside the load phase,
    # so throughput is counted over the remaining posts only
    rest = len(lines) - 32
    return {"posts": len(lines), "answered": ok, "total_s": round(end - start, 2),
            "posts_per_s_after_first_chunk": round(rest / (end - first), 1) if first and rest > 0 else None,
            "posts_per_s_overall": round(len(lines) / (end - start), 1), "exit": proc.returncode}


def in_process_throughput(model, photos, n: int) -> dict:
    from taglens.types import Post

    posts = [Post(images=(p,), text=CAPTIONS[i % 5], hashtags=("food",)) for i, p in enumerate(photos[:n])]
    t = time.perf_counter()
    for start in range(0, len(posts), 32):
        model.suggest_batch(posts[start: start + 32], k=10)
    dt = time.perf_counter() - t
    return {"posts": len(posts), "seconds": round(dt, 2), "posts_per_s": round(len(posts) / dt, 1)}


def cold_start(photo: Path, tmp: Path, runs: int = 3) -> dict:
    times = []
    for i in range(runs):
        env = {**os.environ, "TAGLENS_CACHE": str(tmp / f"cache-cold-{i}"), "OMP_NUM_THREADS": str(THREADS)}
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "taglens", "suggest", str(photo)], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t)
    return {"runs": runs, "median_s": round(statistics.median(times), 2), "max_s": round(max(times), 2)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="speed of taglens-base")
    ap.add_argument("--photos", type=Path, default=REPO.parent / "shared" / "data" / "pexels_food" / "images")
    ap.add_argument("--batch-posts", type=int, default=240)
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--threads", type=int, default=2,
                    help="torch threads (on a machine shared with other jobs, 1 is much faster than 2)")
    args = ap.parse_args(argv)
    global THREADS
    THREADS = args.threads
    photos = sorted(args.photos.glob("*.jpg"))
    if len(photos) < args.batch_posts + args.runs + 10:
        raise SystemExit(f"need at least {args.batch_posts + args.runs + 10} photos in {args.photos}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ["TAGLENS_CACHE"] = str(tmp / "cache")
        import torch

        torch.set_num_threads(args.threads)
        from taglens.model_folder import load_suggester

        t = time.perf_counter()
        model = load_suggester("taglens-base")
        result = {"cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                  "load_s": round(time.perf_counter() - t, 2)}
        result["warm_latency"] = warm_latency(model, photos[-(args.runs + 3):], args.runs)
        result["batch_in_process"] = in_process_throughput(model, photos[: args.batch_posts], args.batch_posts)
        result["batch_cli"] = batch_throughput(photos[args.runs + 3:], args.batch_posts, tmp)
        result["cold_cli"] = cold_start(photos[0], tmp)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
