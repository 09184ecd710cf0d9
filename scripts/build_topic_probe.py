#!/usr/bin/env python
"""Build the photo's evidence of the vape topic (``resources/vision/topic_probe.json``; read by
``taglens.suggesters.taglens_base.topic_probe``): a logistic regression on the pooled EfficientNet-Lite0 features
(1280-d, the mean over a post's images, as the image head reads them) of "a vape post's photo" against "any other
photo".

Fitted on the train side only (``taglens.data.splits.dev_split(id) == "train"``): the photo posts of vape
(positives) against those of instagram6, pexels_food and the everyday scene, flower and pet photos (negatives),
each class weighted to the same total (``class_weight="balanced"``). The probability's ``low`` and ``full`` points
(no evidence at or below ``low``, full evidence from ``full``) are read from 5-fold out-of-fold probabilities on
the same train side: ``low`` is the one that ``--ordinary`` (0.9) of the ordinary photos (the everyday scenes,
flowers and pets) stay under, ``full`` the one that ``--recall`` (0.9) of the vape photos reach. Only the learned
weights (one 1280-d vector, a bias), those two points and aggregate figures (per-set medians and shares, on the
train side out of fold and on the val side) reach the artifact.

Usage: python scripts/build_topic_probe.py [--data ../shared/data] [--out src/taglens/resources/vision]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from taglens.data.posts import read_records  # noqa: E402
from taglens.data.splits import dev_split  # noqa: E402

POSITIVE = {"vape": "vape/posts.jsonl"}
NEGATIVE = {"instagram6": "instagram6/posts.jsonl", "pexels_food": "pexels_food/posts.jsonl",
            "scenes": "everyday/scenes/posts.jsonl", "flowers": "everyday/flowers/posts.jsonl",
            "pets": "everyday/pets/posts.jsonl"}
ORDINARY = ("scenes", "flowers", "pets")  # the ordinary photos, whose probabilities set the low point


def set_features(path: Path, chunk: int = 128) -> tuple[np.ndarray, np.ndarray]:
    """(pooled features (n, 1280): the mean over each post's images, is-train (n,)) of the set's photo posts."""
    from taglens.features import record_image_features

    xs, train = [], []
    for r, f in record_image_features([r for r in read_records(path) if r.images], chunk):
        xs.append(f["pooled"].astype(np.float32).mean(0))
        train.append(dev_split(str(r.id)) == "train")
    return np.array(xs, np.float32), np.array(train, bool)


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def main(argv: list[str] | None = None) -> int:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=REPO / "src" / "taglens" / "resources" / "vision")
    parser.add_argument("--C", type=float, default=0.02, help="inverse L2 strength (standardised features)")
    parser.add_argument("--recall", type=float, default=0.9,
                        help="share of the vape train photos (out of fold) at or above the full point")
    parser.add_argument("--ordinary", type=float, default=0.9,
                        help="share of the ordinary train photos (out of fold) at or under the low point")
    args = parser.parse_args(argv)
    sets = {**POSITIVE, **NEGATIVE}
    feats = {name: set_features(args.data / rel) for name, rel in sets.items()}
    x = np.concatenate([feats[n][0][feats[n][1]] for n in sets])
    y = np.concatenate([np.full(int(feats[n][1].sum()), n in POSITIVE) for n in sets])
    groups = np.concatenate([np.full(int(feats[n][1].sum()), n) for n in sets])
    mu, sd = x.mean(0), x.std(0) + 1e-3
    clf = LogisticRegression(C=args.C, max_iter=3000, class_weight="balanced")
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    oof = sigmoid(cross_val_predict(clf, (x - mu) / sd, y, cv=folds, method="decision_function"))
    clf.fit((x - mu) / sd, y)
    w = clf.coef_[0] / sd
    b = float(clf.intercept_[0] - (clf.coef_[0] * mu / sd).sum())
    full = float(np.quantile(oof[y], 1.0 - args.recall))
    low = float(np.quantile(oof[np.isin(groups, ORDINARY)], args.ordinary))
    if not low < full:
        raise SystemExit(f"low {low:.3f} is not under full {full:.3f}: the probe does not separate the photos")

    def shares(p: np.ndarray) -> dict:
        return {"median": round(float(np.median(p)), 3), "at_full": round(float((p >= full).mean()), 3),
                "above_low": round(float((p > low).mean()), 3)}

    figures = {"train_out_of_fold": {n: {"photos": int((groups == n).sum()), **shares(oof[groups == n])}
                                     for n in sets}, "val": {}}
    for n in sets:
        xv = feats[n][0][~feats[n][1]]
        if len(xv):
            figures["val"][n] = {"photos": len(xv), **shares(sigmoid(xv @ w + b))}
    for part, rows in figures.items():
        for n, row in rows.items():
            print(f"{part:18s} {n:12s} {json.dumps(row)}", file=sys.stderr)
    out = {"about": "vape photo vs other photos: logistic regression on pooled EfficientNet-Lite0 features, "
                    "built by scripts/build_topic_probe.py (train side only)",
           "probes": {"vape": {"w": [round(float(v), 6) for v in w], "b": round(b, 6),
                               "low": round(low, 4), "full": round(full, 4)}},
           "params": {"C": args.C, "recall": args.recall, "ordinary": args.ordinary},
           "figures": figures}
    args.out.mkdir(parents=True, exist_ok=True)
    dest = args.out / "topic_probe.json"
    tmp = dest.with_suffix(".tmp")
    tmp.write_text(json.dumps(out, separators=(",", ":")) + "\n", encoding="utf-8")
    tmp.replace(dest)
    print(f"wrote {dest}: low {low:.3f}, full {full:.3f}, {dest.stat().st_size} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
