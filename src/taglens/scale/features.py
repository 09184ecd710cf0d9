"""Per-post encoder features as Parquet rows (``taglens features``), and the reader training uses.

``encode_posts`` is the one place this package calls the encoders: point it at another feature module and the
rest follows. A row holds the post's caption embedding (MiniLM of the caption without its hashtags, as training
reads it) and, per image or video file, its frame count, its content key (``encoders.cache.feature_key``) and
the stacked pooled features and ImageNet logits of its frames, flattened.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

FEATURES_ID = "effnet-lite0-v1+minilm-l6-v1"


def feature_schema():
    import pyarrow as pa

    f32 = pa.list_(pa.float32())
    return pa.schema([("id", pa.string()), ("text", f32), ("image_keys", pa.list_(pa.string())),
                      ("image_frames", pa.list_(pa.int32())), ("pooled", f32), ("logits", f32),
                      ("error", pa.string())])


def encode_posts(posts: Sequence[Any]) -> list[dict[str, Any]]:
    """The features of each post as a row (see the module), or ``{"error": message}`` for a post whose image
    cannot be read. The adapter over ``taglens.encoders``: images through ``taglens.features.image_features``
    (the worker's feature cache where it has one), captions through one batched ``encode_texts``."""
    from ..encoders.cache import feature_key
    from ..encoders.text import encode_texts
    from ..exceptions import InputError
    from ..features import image_features
    from ..training import model_caption

    texts = encode_texts([model_caption(p) for p in posts]) if posts else np.zeros((0, 384), np.float32)
    rows: list[dict[str, Any]] = []
    for post, text in zip(posts, texts):
        try:
            images = list(post.images)
            parts = list(zip([feature_key(Path(f)) for f in images], image_features(images)))
        except InputError as exc:
            rows.append({"error": str(exc)})
            continue
        rows.append({
            "text": np.asarray(text, np.float32).tolist(),
            "image_keys": [key for key, _ in parts],
            "image_frames": [len(f["pooled"]) for _, f in parts],
            "pooled": np.concatenate([f["pooled"].ravel() for _, f in parts]).astype(np.float32).tolist()
            if parts else [],
            "logits": np.concatenate([f["logits"].ravel() for _, f in parts]).astype(np.float32).tolist()
            if parts else [],
            "error": None,
        })
    return rows


def read_features(location: str) -> dict[str, dict[str, np.ndarray]]:
    """post id -> {'text': (384,), 'pooled': (m, 1280), 'logits': (m, 1000), 'image_keys': [...],
    'image_frames': [...]} for every row of a ``taglens features`` output without an error."""
    from .shards import read_table

    table = read_table(location)
    out: dict[str, dict[str, Any]] = {}
    if table is None:
        return out
    for row in table.to_pylist():
        if row["error"] is not None:
            continue
        frames = sum(row["image_frames"])
        out[row["id"]] = {
            "text": np.asarray(row["text"], np.float32),
            "pooled": np.asarray(row["pooled"], np.float32).reshape(frames, -1) if frames else
            np.zeros((0, 1280), np.float32),
            "logits": np.asarray(row["logits"], np.float32).reshape(frames, -1) if frames else
            np.zeros((0, 1000), np.float32),
            "image_keys": row["image_keys"], "image_frames": row["image_frames"],
        }
    return out


def prime_image_cache(location: str) -> int:
    """Put the image features of a ``taglens features`` output into the feature cache training reads
    (``encoders.cache``, keyed by each file's content), so that ``taglens train --features DIR`` encodes no image
    the job already encoded. Entries already cached are kept. Returns the number of entries written."""
    from ..encoders.cache import feature_file, store
    from .shards import read_table

    table = read_table(location)
    written = 0
    for row in table.to_pylist() if table is not None else ():
        if row["error"] is not None or not row["image_keys"]:
            continue
        pooled = np.asarray(row["pooled"], np.float32).reshape(sum(row["image_frames"]), -1)
        logits = np.asarray(row["logits"], np.float32).reshape(len(pooled), -1)
        at = 0
        for key, frames in zip(row["image_keys"], row["image_frames"]):
            path = feature_file(key)
            if not path.exists():
                written += store(path, pooled=pooled[at:at + frames], logits=logits[at:at + frames])
            at += frames
    return written
