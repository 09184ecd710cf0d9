"""Ingest rate of `taglens collect` from the local Mastodon test server (posts/s and images/s, images included).

    python bench/bench_collect.py [--posts-per-tag 200] [--image-size 320] [--workers 4] [--delay 0]

Starts tests/collect/mastodon_server.py on 127.0.0.1 (synthetic posts, 1-3 JPEGs each), crawls every tag of its
world as seeds (one round, no expansion) into a fresh store, and prints one JSON line with the rates. It measures
the store and the pipeline (HTTP, JSON, hashing, SQLite transactions, image files), not a real network.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "collect"))
sys.path.insert(0, str(ROOT / "src"))

from mastodon_server import TOPIC_TAGS, MastodonTestServer, World  # noqa: E402

from taglens.collect.expand import Expander, LexicalEmbedder  # noqa: E402
from taglens.collect.loop import CollectConfig, Collector  # noqa: E402
from taglens.collect.sources.mastodon import MastodonSource  # noqa: E402
from taglens.collect.store import Store  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--posts-per-tag", type=int, default=200)
    ap.add_argument("--image-size", type=int, default=320, help="side of the synthetic JPEGs (320: ~30 KB each)")
    ap.add_argument("--workers", type=int, default=8, help="parallel image downloads per page")
    ap.add_argument("--delay", type=float, default=0.0, help="server latency per request, seconds")
    args = ap.parse_args()

    world = World(posts_per_tag=args.posts_per_tag, missing_image_every=0)
    with MastodonTestServer(world, delay=args.delay, image_size=args.image_size, rate_limit=10**9) as srv, \
            tempfile.TemporaryDirectory() as tmp:
        # warm the server's image cache so the bench times the collector, not Pillow encoding on the server
        for statuses in world.statuses.values():
            for s in statuses:
                for m in s["media_attachments"]:
                    srv.image(m["url"].rsplit("/", 1)[1].rsplit(".", 1)[0])
        store = Store(Path(tmp) / "store")
        source = MastodonSource(srv.url)
        collector = Collector(store, [source], CollectConfig(target=10**9, rounds=1, per_tag=10**9,
                                                             image_workers=args.workers),
                              expander=Expander(embedder=LexicalEmbedder(), synonyms=lambda w: []))
        t0 = time.perf_counter()
        report = collector.run(list(TOPIC_TAGS))
        elapsed = time.perf_counter() - t0
        counts = store.counts()
        size = sum(p.stat().st_size for p in (Path(tmp) / "store" / "images").rglob("*.jpg"))
        source.close()
        store.close()
    out = {"posts": counts["posts"], "images": counts["images"], "image_mb": round(size / 2**20, 1),
           "pages": report.pages, "seconds": round(elapsed, 2), "posts_per_s": round(counts["posts"] / elapsed, 1),
           "images_per_s": round(counts["images"] / elapsed, 1), "workers": args.workers,
           "image_size": args.image_size, "server_delay_s": args.delay}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
