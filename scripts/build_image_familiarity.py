#!/usr/bin/env python
"""Build the image familiarity calibration shipped in the package (resources/vision/image_familiarity.json).

Three constants of a logistic regression (``taglens.suggesters.taglens_base.familiarity``) that tells a photo like
taglens-base's training photos from an everyday photo, on two signals the model computes per photo anyway: the
mean similarity to its nearest similar-photo prototypes and the entropy of the image head's tags. Fitted on the
training side only (``taglens.data.splits.dev_split(id) == "train"``): up to ``--per-set`` photo posts of each of
instagram6, vape and pexels_food (the photos the model learned from: familiar) against those of the everyday scene,
flower and pet photos (not in the model's training: novel), each set taken in the order of
``sha1("familiarity:" + id)``. Nothing per post is written. Rebuild it whenever the default model is rebuilt (the
signals read its prototypes and head).

Usage: python scripts/build_image_familiarity.py [--data ../shared/data] [--out src/taglens/resources/vision]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from taglens.data.posts import read_records  # noqa: E402
from taglens.data.splits import dev_split  # noqa: E402

FAMILIAR = {"instagram6": "instagram6/posts.jsonl", "vape": "vape/posts.jsonl",
            "pexels_food": "pexels_food/posts.jsonl"}
NOVEL = {"scenes": "everyday/scenes/posts.jsonl", "flowers": "everyday/flowers/posts.jsonl",
         "pets": "everyday/pets/posts.jsonl"}


def train_photos(path: Path, limit: int) -> list:
    from taglens.types import Post

    recs = [r for r in read_records(path) if r.images and dev_split(str(r.id)) == "train"]
    recs.sort(key=lambda r: hashlib.sha1(f"familiarity:{r.id}".encode()).hexdigest())
    return [Post(post_id=r.id, images=tuple(r.images)) for r in recs[:limit]]


def set_signals(model, posts: list) -> np.ndarray:
    from taglens.features import post_image_features
    from taglens.suggesters.taglens_base.familiarity import signals
    from taglens.suggesters.taglens_base.heads import mlp_forward

    head = model.source("image").head_
    centroids = model.source("image_protos").protos_.centroids_
    rows = []
    for f in post_image_features(posts, skip_unreadable=True):
        if f is None:
            continue
        x = f["pooled"].astype(np.float32).mean(0)
        rows.append(signals(x, centroids, mlp_forward(x[None, :], head, model.head_loss)[0]))
    return np.array(rows, np.float64)


def main(argv: list[str] | None = None) -> int:
    from sklearn.linear_model import LogisticRegression

    from taglens.model_folder import load_suggester

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=REPO / "src" / "taglens" / "resources" / "vision")
    parser.add_argument("--per-set", type=int, default=300, help="train-side photo posts per set (default 300)")
    args = parser.parse_args(argv)
    model = load_suggester("taglens-base")
    xs, ys, counts = [], [], {}
    for label, sets in ((1, FAMILIAR), (0, NOVEL)):
        for name, rel in sets.items():
            s = set_signals(model, train_photos(args.data / rel, args.per_set))
            counts[name] = len(s)
            print(f"{name}: {len(s)} photos, similarity median {np.median(s[:, 0]):.3f}, "
                  f"entropy median {np.median(s[:, 1]):.3f}", file=sys.stderr)
            xs.append(s)
            ys.append(np.full(len(s), label))
    x, y = np.concatenate(xs), np.concatenate(ys)
    lr = LogisticRegression(C=10.0).fit(x, y)
    out = {"intercept": round(float(lr.intercept_[0]), 6), "similarity_coef": round(float(lr.coef_[0][0]), 6),
           "entropy_coef": round(float(lr.coef_[0][1]), 6),
           "fitted_on": {"familiar": {k: counts[k] for k in FAMILIAR}, "novel": {k: counts[k] for k in NOVEL}},
           "train_accuracy": round(float(lr.score(x, y)), 4)}
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "image_familiarity.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)
    print(f"wrote {path}: {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
