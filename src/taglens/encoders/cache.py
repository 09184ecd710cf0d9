"""A disk cache of encoder outputs, so training and evaluation runs encode each image and text once.

Image features are stored per image content (sha1 of the file bytes) under ``$TAGLENS_CACHE``
(default ``~/.cache/taglens``); this is the user's cache, never the repository. Text embeddings are cached
per list of texts.
"""
from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from ..exceptions import InputError

log = logging.getLogger(__name__)
# the encoders' outputs differ in the last bits between runtimes (torch before issue 21, ONNX Runtime since) and
# MiniLM's int8 weights more: each id names one, so features of another are never served
ENCODER_ID = "effnet-lite0-onnx-v1"
TEXT_ID = "minilm-l6-int8-onnx-v1"


def cache_dir() -> Path:
    root = Path(os.environ.get("TAGLENS_CACHE", Path.home() / ".cache" / "taglens"))
    return root


def _sha1_file(path: Path) -> str:
    h = hashlib.sha1()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# cache entries name the frame sampling, so features cached before a change of it are not served (webm once gave
# its first frame only, animated PNG/WebP one frame, an MPO phone photo its gain map as a second frame)
FRAME_SAMPLING = "frames-v2"


def feature_key(path: Path) -> str:
    """The cache key of an image or video file: the sha1 of its bytes and the frame sampling (which frames a file
    gives depends on its content, not its name). Raises the InputError of a path that is not a readable regular
    file, before reading it (a link to /dev/zero would be hashed forever)."""
    from ..media import check_media_file

    check_media_file(path)
    try:
        digest = _sha1_file(path)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return f"{digest}-{FRAME_SAMPLING}"


def feature_file(key: str, grid: bool = False) -> Path:
    base = cache_dir() / "features" / ENCODER_ID / key[:2] / key
    return base.with_suffix(".grid.npz" if grid else ".npz")


def _save(path: Path, **arrays: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp.npz")
    np.savez(tmp, **arrays)
    tmp.replace(path)


def image_features(paths: Sequence[str | Path], grid: bool = False, frames_per_video: int = 4,
                   progress: bool = False, _raise: bool = False) -> list[dict[str, np.ndarray] | None]:
    """Per path: {'pooled': (m,1280), 'logits': (m,1000)[, 'grid': (m,49,1280) float16]} for the m images of the
    file (m > 1 for videos: sampled frames), or None (with a warning) when the file cannot be read."""
    from ..media import load_visuals
    from .image import get_image_encoder

    out: list[dict[str, np.ndarray] | None] = []
    iterator = paths
    if progress:
        from tqdm import tqdm

        iterator = tqdm(paths, desc="image features", unit="img", leave=False)
    for p in iterator:
        p = Path(p)
        try:
            key = feature_key(p)
        except InputError as exc:
            if _raise:
                raise
            log.warning("skipping %s", exc)
            out.append(None)
            continue
        main_f, grid_f = feature_file(key), feature_file(key, grid=True)
        feats: dict[str, np.ndarray] | None = None
        if main_f.exists() and (not grid or grid_f.exists()):
            try:
                with np.load(main_f) as z:
                    feats = {"pooled": z["pooled"], "logits": z["logits"]}
                if grid:
                    with np.load(grid_f) as z:
                        feats["grid"] = z["grid"]
            except (OSError, ValueError, KeyError):
                feats = None
        if feats is None:
            try:
                images = [im for _, im in load_visuals([p], frames_per_video)]
            except InputError as exc:
                if _raise:
                    raise
                log.warning("skipping %s", exc)
                out.append(None)
                continue
            enc = get_image_encoder().encode(images, grid=grid)
            feats = {"pooled": enc["pooled"].astype(np.float32), "logits": enc["logits"].astype(np.float32)}
            _save(main_f, **feats)
            if grid:
                feats["grid"] = enc["grid"].astype(np.float16)
                _save(grid_f, grid=feats["grid"])
        out.append(feats)
    return out


def text_embeddings(texts: Sequence[str], progress: bool = False) -> np.ndarray:
    """MiniLM embeddings of ``texts`` (n, 384), cached on disk per list of texts."""
    from .text import encode_texts

    texts = [t or "" for t in texts]
    h = hashlib.sha1()
    for t in texts:
        h.update(t.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    path = cache_dir() / "text" / TEXT_ID / f"{h.hexdigest()}.npz"
    if path.exists():
        try:
            with np.load(path) as z:
                return z["emb"]
        except (OSError, ValueError, KeyError):
            pass
    uniq = sorted(set(texts))
    emb_u = encode_texts(uniq)
    index = {t: i for i, t in enumerate(uniq)}
    emb = emb_u[[index[t] for t in texts]] if texts else emb_u
    _save(path, emb=emb)
    return emb


def post_image_features(images: Sequence, grid: bool = False, use_cache: bool = True,
                        frames_per_video: int = 4) -> dict[str, np.ndarray]:
    """Features of every image and video frame of one post, stacked: {'pooled': (m,1280), 'logits': (m,1000)
    [, 'grid': (m,49,1280)]}; m = 0 when the post has no image. Unlike ``image_features`` this raises the
    InputError (ImageError, VideoError) of the first unreadable file, naming it."""
    from ..media import load_visuals
    from .image import FEATURE_DIM, NUM_CLASSES, get_image_encoder

    parts: list[dict[str, np.ndarray]] = []
    for item in images:
        if isinstance(item, (str, Path)) and use_cache:
            feats = image_features([item], grid=grid, frames_per_video=frames_per_video, _raise=True)[0]
        else:
            visuals = [im for _, im in load_visuals([item], frames_per_video)]
            feats = get_image_encoder().encode(visuals, grid=grid)
        parts.append(feats)
    if not parts:
        out = {"pooled": np.zeros((0, FEATURE_DIM), np.float32), "logits": np.zeros((0, NUM_CLASSES), np.float32)}
        if grid:
            out["grid"] = np.zeros((0, 49, FEATURE_DIM), np.float32)
        return out
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
