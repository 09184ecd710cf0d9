"""Training time of each model on the developer sets (issue 5: at most 10 minutes each on a 2-core CPU).

Usage (from the repository root; ../shared/data must exist):

    nice python bench/bench_train.py                       # every trainable model, default sets per modality
    nice python bench/bench_train.py --models effnet-knn,tfidf-linear --sets vape,tweets

Each model is trained on all developer posts of its sets (image models on the photo sets, text models on the
caption sets) in a fresh process state, with encoder features already cached (``taglens.encoders.cache``); the
first run of a model that needs uncached features also pays for encoding them. Prints one line per model and, with
``--json``, a JSON list.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
DATA = Path(os.environ.get("TAGLENS_SHARED_DATA", REPO.parent / "shared" / "data"))

IMAGE_SETS = ("vape", "instagram6", "pexels_food")
TEXT_SETS = ("vape", "tweets")
DEFAULT_SETS = {
    "popularity": IMAGE_SETS + ("tweets", "harrison", "taglists/vivek"),
    "cooccurrence": IMAGE_SETS + ("tweets", "harrison", "taglists/vivek"),
    "tfidf-linear": TEXT_SETS,
    "minilm-mlp": TEXT_SETS,
    "effnet-linear": IMAGE_SETS,
    "effnet-mlp": IMAGE_SETS,
    "effnet-knn": IMAGE_SETS,
    "coattention": IMAGE_SETS,
    "ensemble": IMAGE_SETS,
}
LIMIT_S = 600.0


def posts_file(name: str) -> Path:
    path = DATA / name
    return path if path.suffix == ".jsonl" else (path.with_suffix(".jsonl") if path.with_suffix(".jsonl").is_file()
                                                  else path / "posts.jsonl")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(DEFAULT_SETS), help="comma-separated model names")
    parser.add_argument("--sets", help="comma-separated sets for every model (default: per modality)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON too")
    args = parser.parse_args(argv)

    import logging

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    from taglens.registry import create_suggester
    from taglens.training import load_training_posts

    rows = []
    for name in [m.strip() for m in args.models.split(",") if m.strip()]:
        sets = args.sets.split(",") if args.sets else list(DEFAULT_SETS.get(name, IMAGE_SETS))
        posts = load_training_posts([posts_file(s) for s in sets])
        model = create_suggester(name)
        start = time.perf_counter()
        model.fit(posts)
        seconds = time.perf_counter() - start
        row = {"model": name, "sets": sets, "posts": len(posts), "seconds": round(seconds, 1),
               "within_limit": seconds <= LIMIT_S}
        rows.append(row)
        print(f"{name:15s} {seconds:7.1f} s  {len(posts):6d} posts  {'+'.join(sets)}"
              + ("" if row["within_limit"] else "  OVER 10 MIN"), flush=True)
    if args.json:
        print(json.dumps(rows, indent=2))
    return 0 if all(r["within_limit"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
