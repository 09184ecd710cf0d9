"""Per-post encoder features as Parquet rows (``taglens features``), and the reader training uses.

``encode_posts`` is the one place this package calls the encoders: point it at another feature module and the
rest follows. A row holds the post's caption embedding (MiniLM of the caption without its hashtags, as training
reads it) with the key of that caption (``encoders.text.text_key``), and, per image or video file, its frame
count, its content key (``encoders.cache.feature_key``) and the stacked pooled features and ImageNet logits of its
frames, flattened. ``training_features`` gives both to ``taglens train --features``, looked up by those keys: a
feature is used only for the very file and caption it was computed from.
"""
from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np

from ..encoders.cache import TEXT_ID


def features_id() -> str:
    """The encoders' ids (the image encoder's precision read now): features of other encoders are never read as
    these."""
    from ..encoders.image import encoder_id

    return f"{encoder_id()}+{TEXT_ID}"


FORMAT = 2  # the columns of feature_schema (2: caption_key)


def feature_schema():
    import pyarrow as pa

    f32 = pa.list_(pa.float32())
    return pa.schema([("id", pa.string()), ("caption_key", pa.string()), ("text", f32),
                      ("image_keys", pa.list_(pa.string())),
                      ("image_frames", pa.list_(pa.int32())), ("pooled", f32), ("logits", f32),
                      ("error", pa.string())])


def encode_posts(posts: Sequence[Any]) -> list[dict[str, Any]]:
    """The features of each post as a row (see the module), or ``{"error": message}`` for a post whose image
    cannot be read. The adapter over ``taglens.encoders``: images through ``taglens.features.image_features``
    (the worker's feature cache where it has one), captions through one batched ``encode_texts``."""
    from ..encoders.cache import feature_key
    from ..encoders.text import encode_texts, text_key
    from ..exceptions import InputError
    from ..features import image_features
    from ..training import model_caption

    captions = [model_caption(p) for p in posts]
    texts = encode_texts(captions) if posts else np.zeros((0, 384), np.float32)
    rows: list[dict[str, Any]] = []
    for post, caption, text in zip(posts, captions, texts):
        try:
            images = list(post.images)
            parts = list(zip([feature_key(Path(f)) for f in images], image_features(images)))
        except InputError as exc:
            rows.append({"error": str(exc)})
            continue
        rows.append({
            "caption_key": text_key(caption),
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


def read_features(location: str) -> dict[str, dict[str, Any]]:
    """post id -> {'text': (384,), 'caption_key': str, 'pooled': (m, 1280), 'logits': (m, 1000), 'image_keys': [...],
    'image_frames': [...]} for every row of a ``taglens features`` output without an error."""
    out: dict[str, dict[str, Any]] = {}
    for table in _feature_tables(location, COLUMNS):
        rows = table.drop_columns(["text", "pooled", "logits"]).to_pylist()
        texts, pooled, logits = (_list_rows(table[c]) for c in ("text", "pooled", "logits"))
        for row, text, p, lg in zip(rows, texts, pooled, logits):
            out[row["id"]] = {"text": text, "caption_key": row["caption_key"],
                              "pooled": p.reshape(-1, 1280), "logits": lg.reshape(-1, 1000),
                              "image_keys": row["image_keys"], "image_frames": row["image_frames"]}
    return out


COLUMNS = ["id", "caption_key", "text", "image_keys", "image_frames", "pooled", "logits", "error"]


def _feature_tables(location: str, columns: list[str]) -> Iterator[Any]:
    """The rows without an error of each shard of a ``taglens features`` output (``columns`` of them), one shard
    at a time; an InputError for a folder that is not such an output (or one written before caption keys)."""
    import pyarrow.compute as pc

    from ..exceptions import InputError
    from .shards import iter_tables, read_job

    job = read_job(location) or {}
    if (job.get("job"), job.get("encoders"), job.get("format")) != ("features", features_id(), FORMAT):
        what = "no taglens job" if not job else f"a {job.get('job')} job of encoders {job.get('encoders')}, " \
            f"format {job.get('format')}"
        raise InputError(f"--features {location}: holds {what}, not the features of this taglens ({features_id()}, "
                         f"format {FORMAT}); run `taglens features --data ... --out NEW_FOLDER --engine ray`")
    try:
        for table in iter_tables(location, columns):
            yield table.filter(pc.is_null(table["error"]))
    except (KeyError, ValueError) as exc:  # pyarrow: a column that is not there
        raise InputError(f"--features {location}: a shard lacks a column of `taglens features` ({exc})") from None


def _list_rows(column) -> list[np.ndarray]:
    """The float32 values of each row of a list<float> column, without a Python float per value."""
    arr = column.combine_chunks()
    values = arr.values.to_numpy(zero_copy_only=False).astype(np.float32, copy=False)
    offsets = arr.offsets.to_numpy()
    return [values[offsets[i]:offsets[i + 1]] for i in range(len(arr))]


def prime_image_cache(location: str) -> int:
    """Put the image features of a ``taglens features`` output into the feature cache training reads
    (``encoders.cache``, keyed by each file's content), so that ``taglens train --features DIR`` encodes no image
    the job already encoded. Entries already cached are kept. Returns the number of entries written."""
    from ..encoders.cache import feature_file, store

    written = 0
    for table in _feature_tables(location, ["image_keys", "image_frames", "pooled", "logits", "error"]):
        keys, frames = table["image_keys"].to_pylist(), table["image_frames"].to_pylist()
        for row_keys, row_frames, p, lg in zip(keys, frames, _list_rows(table["pooled"]), _list_rows(table["logits"])):
            pooled, logits = p.reshape(-1, 1280), lg.reshape(-1, 1000)
            at = 0
            for key, n in zip(row_keys, row_frames):
                path = feature_file(key)
                if not path.exists():
                    written += store(path, pooled=pooled[at:at + n], logits=logits[at:at + n])
                at += n
    return written


def caption_table(location: str, wanted: set[str] | None = None) -> dict[str, np.ndarray]:
    """``encoders.text.text_key`` of a caption -> its MiniLM embedding (384,), for the captions of a
    ``taglens features`` output (those whose key is in ``wanted``, when given)."""
    table_out: dict[str, np.ndarray] = {}
    for table in _feature_tables(location, ["caption_key", "text", "error"]):
        for key, emb in zip(table["caption_key"].to_pylist(), _list_rows(table["text"])):
            if (wanted is None or key in wanted) and len(emb) == 384:
                table_out.setdefault(key, emb.copy())
    return table_out


@contextlib.contextmanager
def training_features(folders: Sequence[str], posts: Sequence[Any]) -> Iterator[dict[str, int]]:
    """Within the block, training reads the features of ``taglens features`` outputs ``folders`` instead of
    encoding: their image features go into the feature cache (``prime_image_cache``) and the caption embeddings
    of ``posts`` become ``encode_texts``' precomputed table (``encoders.text.precomputed``); what is not in them
    (another post, a caption that changed, the tag vocabulary) is encoded as usual. Yields the counts read."""
    from ..encoders.text import precomputed, text_key
    from ..training import model_caption

    wanted = {text_key(model_caption(p)) for p in posts}
    images, captions = 0, {}
    for folder in folders:
        images += prime_image_cache(folder)
        for key, emb in caption_table(folder, wanted - captions.keys()).items():
            captions[key] = emb
    with precomputed(captions):
        yield {"images": images, "captions": len(captions)}
