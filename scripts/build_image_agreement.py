#!/usr/bin/env python
"""Build the table that tells whether what the ImageNet classifier sees supports the trained image sources' tags
(resources/vision/image_agreement.npz; read by ``taglens.suggesters.taglens_base.agreement``).

For the train side (``taglens.data.splits.dev_split(id) == "train"``) of every photo set with hashtags in the
data folder (instagram6, vape, pexels_food, the everyday scenes, flowers and pets; HARRISON has no photos): each
photo's class probabilities ``P`` (softmax of the encoder's logits, mean over the post's images) and its tags
``Y`` over taglens-base's vocabulary. ``R = P.T @ Y / (P.sum(0) + SHRINK)`` (classes x tags), a tag's full support
the ``FULL_QUANTILE``-th percentile of ``P @ R`` over the photos that carry it (tags of 3+ photos only). ``R``
ships as its rank-``--rank`` factorisation (float16, 0.46 MB). The tags of ``EXTRA_MIN_PHOTOS`` or more training photos
that the vocabulary lacks (the everyday labels #buildings #glacier #sunflower #dandelion #daisy, five cat breeds) are
appended as exact columns, a block of their own beside the factorisation (``classes`` gains one column per such tag,
``tags`` an identity block), so the vocabulary's columns are the factorisation's, unchanged, and ``scene_rates`` can
name a scene the vocabulary has no tag for. Aggregates only: no post, photo or per-post record is written. Rebuild it
whenever the default model's vocabulary changes.

Usage: python scripts/build_image_agreement.py [--data ../shared/data] [--out src/taglens/resources/vision]
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from taglens.data.posts import read_records  # noqa: E402
from taglens.data.splits import dev_split  # noqa: E402
from taglens.suggesters.taglens_base.agreement import FULL_QUANTILE, SHRINK  # noqa: E402

SETS = {"instagram6": "instagram6/posts.jsonl", "vape": "vape/posts.jsonl", "pexels_food": "pexels_food/posts.jsonl",
        "scenes": "everyday/scenes/posts.jsonl", "flowers": "everyday/flowers/posts.jsonl",
        "pets": "everyday/pets/posts.jsonl"}
MIN_PHOTOS = 3
EXTRA_MIN_PHOTOS = 20  # a tag outside the vocabulary gets an exact column of its own from this many training photos


def train_photos(path: Path, chunk: int = 128) -> tuple[list[np.ndarray], list[set[str]]]:
    """(class probabilities, tags) of the set's train-side photo posts with hashtags, in file order."""
    from taglens.encoders.image import softmax
    from taglens.features import record_image_features
    from taglens.types import normalize_tag

    recs = [r for r in read_records(path) if r.images and r.hashtags and dev_split(str(r.id)) == "train"]
    probs, tags = [], []
    for r, f in record_image_features(recs, chunk):
        probs.append(softmax(f["logits"].astype("float64")).mean(0).astype(np.float32))
        tags.append({normalize_tag(t) for t in r.hashtags})
    return probs, tags


def build(probs: np.ndarray, tags: list[set[str]], vocab: list[str], rank: int) -> dict[str, np.ndarray]:
    index = {t: i for i, t in enumerate(vocab)}
    p = probs.astype(np.float64)
    r, s, y = _rates(p, tags, index)
    keep = np.flatnonzero(y.sum(0) >= MIN_PHOTOS)
    full = [np.percentile(s[y[:, j] > 0, j], FULL_QUANTILE) for j in keep]
    u, sv, vt = np.linalg.svd(r[:, keep], full_matrices=False)
    classes, factors, names = (u[:, :rank] * sv[:rank]), vt[:rank], [vocab[j] for j in keep]
    counts = Counter(t for ts in tags for t in ts if t not in index)
    extra = sorted(t for t, n in counts.items() if n >= EXTRA_MIN_PHOTOS)
    if extra:  # exact columns in a block of their own: the vocabulary's columns stay the factorisation's
        er, es, ey = _rates(p, tags, {t: i for i, t in enumerate(extra)})
        full += [np.percentile(es[ey[:, j] > 0, j], FULL_QUANTILE) for j in range(len(extra))]
        classes = np.hstack([classes, er])
        factors = np.block([[factors, np.zeros((rank, len(extra)))], [np.zeros((len(extra), len(keep))),
                                                                        np.eye(len(extra))]])
        names += extra
    return {"classes": classes.astype(np.float16), "tags": factors.astype(np.float16),
            "full": np.array(full, np.float32), "names": np.array(names)}


def _rates(p: np.ndarray, tags: list[set[str]], index: dict[str, int]):
    """(R over ``index``'s tags, each photo's ``P @ R``, the photos' tag matrix ``Y``)."""
    y = np.zeros((len(tags), len(index)), np.float32)
    for i, ts in enumerate(tags):
        for t in ts:
            if t in index:
                y[i, index[t]] = 1.0
    r = (p.T @ y) / (p.sum(0)[:, None] + SHRINK)
    return r, p @ r, y


def main(argv: list[str] | None = None) -> int:
    from taglens.model_folder import load_suggester

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=REPO / "src" / "taglens" / "resources" / "vision")
    parser.add_argument("--rank", type=int, default=64)
    args = parser.parse_args(argv)
    model = load_suggester("taglens-base")
    probs, tags = [], []
    for name, rel in SETS.items():
        p, t = train_photos(args.data / rel)
        print(f"{name}: {len(p)} train photos", file=sys.stderr)
        probs += p
        tags += t
    out = build(np.array(probs), tags, list(model.vocab_), args.rank)
    args.out.mkdir(parents=True, exist_ok=True)
    dest = args.out / "image_agreement.npz"
    tmp = dest.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, **out)
    tmp.replace(dest)
    print(f"{dest}: {len(out['names'])} tags, rank {args.rank}, {dest.stat().st_size} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
