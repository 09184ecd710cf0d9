#!/usr/bin/env python
"""Load on `taglens serve` (issue 22): concurrent clients posting photo + caption posts for a fixed time.

Starts `taglens serve` itself (or uses --url, a server already running) and reports throughput, p50/p99
latency, errors and the server's resident memory (every process of it: uvicorn's supervisor and workers) at the
start of the timed run and at its end. Photos: the public-domain pexels_food set of ../shared/data (or any
folder of JPEGs; the bundled test fixtures where it is absent); each request sends one, so each is decoded and
encoded (the server keeps no feature cache of uploads).

    python bench/bench_serve.py [--clients 16] [--duration 60] [--workers 1] [--batch 1] [--url URL]

Targets (2-core machine): >= 20 photo posts/s with 16 clients, p99 < 1.5 s, zero errors, memory growth
< 50 MB over the run. Measured on a 2-core machine shared with other jobs (load average 20-35): --batch 16
5.6-6.1 posts/s, --batch 1 3.8-5.2 (so the server batches), p99 ~4 s, no errors; the memory of --batch 16 climbs
~50-70 MB in its first 10-20 s of full batches and then stays within 1 MB.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CAPTIONS = ["dinner with friends tonight", "best brunch in town", "homemade pasta, simple and good",
            "sunday morning coffee", "fresh from the market", "street food on the way home"]
TAGS = ["#food", "#foodie", "", "#yummy #homemade", "", "#dinner"]


def rss_tree(pid: int) -> int:
    """Resident bytes of a process and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(proc.name))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            pass
        todo.extend(children.get(p, []))
    return total


def start_server(args) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")])}
    cmd = [sys.executable, "-m", "taglens", "serve", "--port", str(port), "--workers", str(args.workers),
           "--batch", str(args.batch), "--model", args.model]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, f"http://127.0.0.1:{port}"


async def wait_ready(url: str, proc: subprocess.Popen | None, workers: int) -> None:
    import httpx

    async with httpx.AsyncClient(base_url=url, timeout=30) as c:
        deadline = time.monotonic() + 600
        ready = 0
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                raise SystemExit(f"the server exited with {proc.returncode}")
            try:
                r = await c.get("/healthz", headers={"connection": "close"})
                ready = ready + 1 if r.status_code == 200 else 0
                if ready >= 4 * workers:  # several answers in a row: every worker has loaded (most likely)
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.25)
    raise SystemExit("the server did not get ready within 600 s")


async def load(url: str, photos: list[Path], clients: int, seconds: float, k: int, pid: int | None = None) -> dict:
    import httpx

    blobs = [(p.name, p.read_bytes()) for p in photos]
    latencies: list[float] = []
    server: dict[str, list[float]] = {"decode_ms": [], "queue_ms": [], "model_ms": []}  # the server's own timings
    errors: dict[str, int] = {}
    stop = time.monotonic() + seconds

    async def client(n: int) -> None:
        i = n
        async with httpx.AsyncClient(base_url=url, timeout=60) as c:
            while time.monotonic() < stop:
                name, data = blobs[i % len(blobs)]
                form = {"text": CAPTIONS[i % len(CAPTIONS)], "tags": TAGS[i % len(TAGS)], "k": str(k)}
                t = time.perf_counter()
                try:
                    r = await c.post("/v1/suggest", files=[("files", (name, data, "image/jpeg"))], data=form)
                    key = None if r.status_code == 200 and r.json()["suggestions"] else f"HTTP {r.status_code}"
                except httpx.HTTPError as exc:
                    key = type(exc).__name__
                if key is None:
                    latencies.append(time.perf_counter() - t)
                    for name, values in server.items():
                        values.append(r.json()["timings"][name])
                else:
                    errors[key] = errors.get(key, 0) + 1
                i += clients

    rss: list[float] = []  # the server's memory every 10 s: a plateau or a climb

    async def sample() -> None:
        while pid and time.monotonic() < stop:
            rss.append(round(rss_tree(pid) / 2**20, 1))
            await asyncio.sleep(10)

    t0 = time.perf_counter()
    await asyncio.gather(sample(), *(client(n) for n in range(clients)))
    wall = time.perf_counter() - t0
    latencies.sort()

    def pct(q: float) -> float | None:
        return round(1000 * latencies[min(len(latencies) - 1, int(q * len(latencies)))], 1) if latencies else None

    return {"ok": len(latencies), "errors": sum(errors.values()), "error_kinds": errors,
            "wall_s": round(wall, 1), "posts_per_s": round(len(latencies) / wall, 2),
            "p50_ms": pct(0.50), "p90_ms": pct(0.90), "p99_ms": pct(0.99), "max_ms": pct(1.0), "rss_every_10s_mb": rss,
            **{f"server_{name}_p50": round(sorted(v)[len(v) // 2], 1) if v else None for name, v in server.items()}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", help="a running server (default: start one)")
    ap.add_argument("--pid", type=int, help="with --url: the server's process id, for its memory")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--duration", type=float, default=60.0, help="seconds of timed load (default 60)")
    ap.add_argument("--warmup", type=float, default=15.0,
                    help="seconds of untimed load first (default 15: batches reach full size and the memory its "
                         "plateau, +70 MB within 10 s at --batch 16)")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--batch", type=int, default=16,
                    help="the server's --batch (posts per model call; default 16, as taglens serve's)")
    ap.add_argument("--model", default="taglens-base")
    ap.add_argument("-k", type=int, default=10)
    ap.add_argument("--photos", type=Path, default=REPO.parent / "shared" / "data" / "pexels_food" / "images")
    args = ap.parse_args()

    photos = sorted(args.photos.glob("*.jpg"))[:400] or sorted((REPO / "tests" / "fixtures" / "images").glob("*.jpg"))
    proc, url = (None, args.url) if args.url else start_server(args)
    pid = args.pid if args.url else proc.pid
    try:
        t = time.perf_counter()
        asyncio.run(wait_ready(url, proc, args.workers))
        ready_s = time.perf_counter() - t
        if args.warmup > 0:
            asyncio.run(load(url, photos, args.clients, args.warmup, args.k))
        rss_start = rss_tree(pid) if pid else None
        result = asyncio.run(load(url, photos, args.clients, args.duration, args.k, pid))
        rss_end = rss_tree(pid) if pid else None
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(30)
    mb = (lambda b: round(b / 2**20, 1)) if pid else (lambda b: None)
    report = {"clients": args.clients, "duration_s": args.duration, "workers": args.workers, "batch": args.batch,
              "photos": len(photos), "ready_s": round(ready_s, 1) if not args.url else None, **result,
              "rss_start_mb": mb(rss_start or 0), "rss_end_mb": mb(rss_end or 0),
              "rss_growth_mb": mb((rss_end or 0) - (rss_start or 0)),
              "load_avg_1m": round(os.getloadavg()[0], 2), "cpus": os.cpu_count()}
    print(json.dumps(report))


if __name__ == "__main__":
    main()
