#!/usr/bin/env python
"""Throughput of `taglens suggest --batch` on the local path against Ray (issue 23): Ray embedded on this machine
and a two-node Ray cluster on it (two `ray start` processes, 1 CPU each), on the same posts.

Posts: the first N photo posts of ../shared/data (pexels_food, then instagram6), each with its photo, its caption
and its first two hashtags as existing tags, written to a temporary folder (images are links into the data). Every
run starts with an empty feature cache (TAGLENS_CACHE), so each photo is really decoded and encoded.

    python bench/bench_scale.py [--posts 2000] [--skip-cluster] [--json]

Figures: wall seconds of the whole command (model loading and Ray start-up included), and the rate after loading:
for the local path posts/s from its first answered chunk to its last; for Ray, posts / the busiest worker's time
in its shards (each worker loads the model once, before its first shard). Ray's overhead is the local rate over
Ray's rate on the same 2 cores, minus one (target: at most 15% at 2,000 posts). The machine may be shared:
the load average before each run is printed with it.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("TAGLENS_SHARED_DATA", REPO.parent / "shared" / "data"))
SETS = ("pexels_food", "instagram6")


def make_posts(n: int, folder: Path) -> Path:
    lines = []
    for name in SETS:
        (folder / name).symlink_to((DATA / name).resolve())
        with open(DATA / name / "posts.jsonl", encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                if rec.get("images") and len(lines) < n:
                    lines.append({"id": f"{name}:{rec['id']}", "images": [f"{name}/{rec['images'][0]}"],
                                  "text": rec.get("text") or "", "hashtags": rec["hashtags"][:2]})
    if len(lines) < n:
        sys.exit(f"only {len(lines)} photo posts in {DATA}: ask for fewer with --posts")
    path = folder / "posts.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    return path


def _env(tmp: Path, tag: str) -> dict:
    return {**os.environ, "TAGLENS_CACHE": str(tmp / f"cache-{tag}"), "PYTHONPATH": str(REPO / "src")}


def local_batch(posts: Path, n: int, tmp: Path) -> dict:
    load = os.getloadavg()[0]
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "taglens", "suggest", "--batch", str(posts), "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=_env(tmp, "local"))
    first = None
    answered = 0
    for _line in proc.stdout:
        answered += 1
        if answered == 32:  # the first chunk is out: the model is loaded
            first = time.perf_counter()
    proc.wait()
    end = time.perf_counter()
    return {"engine": "local", "posts": answered, "wall_s": round(end - start, 1), "load_before": round(load, 2),
            "rate_after_load": round((answered - 32) / (end - first), 2), "returncode": proc.returncode}


JOB = """
import json, sys
from taglens.scale.ray_jobs import suggest_job
address = sys.argv[3] or None
r = suggest_job(sys.argv[1], sys.argv[2], "taglens-base", 10, address=address)
print(json.dumps(r))
"""


def ray_batch(posts: Path, tmp: Path, tag: str, address: str | None = None, env: dict | None = None) -> dict:
    load = os.getloadavg()[0]
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", JOB, str(posts), str(tmp / f"out-{tag}"), address or ""],
                         capture_output=True, text=True, env={**_env(tmp, tag), **(env or {})})
    wall = time.perf_counter() - start
    if out.returncode:
        sys.exit(f"ray run {tag} failed: {out.stderr[-3000:]}")
    r = json.loads(out.stdout.strip().splitlines()[-1])
    busy: dict[tuple, float] = defaultdict(float)
    for s in r["stats"]:
        busy[(s["node"], s["pid"])] += s["seconds"]
    return {"engine": tag, "posts": r["rows"], "errors": r["errors"], "shards": r["shards"],
            "workers": len(busy), "nodes": len(r["nodes"]), "wall_s": round(wall, 1), "job_s": r["seconds"],
            "load_before": round(load, 2), "rate_after_load": round(r["rows"] / max(busy.values()), 2),
            "per_worker_busy_s": sorted(round(v, 1) for v in busy.values())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--posts", type=int, default=2000)
    ap.add_argument("--skip-cluster", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    sys.path.insert(0, str(REPO / "src"))
    results = []
    with tempfile.TemporaryDirectory(prefix="taglens-bench-scale-") as t:
        tmp = Path(t)
        posts = make_posts(args.posts, tmp)
        results.append(local_batch(posts, args.posts, tmp))
        results.append(ray_batch(posts, tmp, "ray-embedded"))
        if not args.skip_cluster:
            from taglens.scale.local_cluster import LocalCluster

            env = {"PYTHONPATH": str(REPO / "src"), "TAGLENS_CACHE": str(tmp / "cache-ray-cluster")}
            with LocalCluster(nodes=2, cpus_per_node=1, env=env) as cluster:
                results.append(ray_batch(posts, tmp, "ray-cluster", cluster.address, cluster.env))
    local = results[0]["rate_after_load"]
    for r in results[1:]:
        r["overhead_vs_local"] = round(local / r["rate_after_load"] - 1, 3)
        r["rate_per_core"] = round(r["rate_after_load"] / r["workers"], 2)
    if args.json:
        print(json.dumps(results, indent=1))
        return
    print(f"{args.posts} photo posts, taglens-base, k=10, {os.cpu_count()} cores")
    for r in results:
        extra = (f"  overhead {100 * r['overhead_vs_local']:+.1f}%  {r['workers']} workers on {r['nodes']} node(s), "
                 f"{r['shards']} shards, {r['rate_per_core']:.1f} posts/s per core" if "workers" in r else "")
        print(f"  {r['engine']:<13} wall {r['wall_s']:>6.1f} s  after loading {r['rate_after_load']:>6.1f} posts/s"
              f"  (load avg before: {r['load_before']}){extra}")


if __name__ == "__main__":
    main()
