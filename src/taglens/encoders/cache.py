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
from . import image

log = logging.getLogger(__name__)
# the encoders' outputs differ in the last bits between runtimes (torch before issue 21, ONNX Runtime since) and
# int8 weights more: each id names one, so features of another are never served (the image encoder's id names
# its precision, image.encoder_id(), read when a feature file is looked up)
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
    base = cache_dir() / "features" / image.encoder_id() / key[:2] / key
    return base.with_suffix(".grid.npz" if grid else ".npz")


_warned: set[str] = set()


def store(path: Path, **arrays: np.ndarray) -> bool:
    """Write ``arrays`` to the cache file ``path`` atomically (a temporary file, then a rename); False when the
    cache cannot take it (read-only, full, a file where a folder should be): the cache only saves time, so the
    caller goes on, and the first such failure of a cache folder is logged once, naming the folder. No temporary
    file is left behind."""
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp.npz")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)
        tmp.replace(path)
        return True
    except OSError as exc:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        root = str(cache_dir())
        if root not in _warned:
            _warned.add(root)
            log.warning("feature cache %s cannot be written (%s): going on without caching; set TAGLENS_CACHE to "
                        "another folder to keep features", root, exc.strerror or exc)
        return False


def load(path: Path, keys: Sequence[str], optional: Sequence[str] = ()) -> dict[str, np.ndarray] | None:
    """The arrays ``keys`` of a cache file, None when it is absent or unreadable (then it is computed again), with
    those of ``optional`` that it holds."""
    try:
        with np.load(path) as z:
            return {**{k: z[k] for k in keys}, **{k: z[k] for k in optional if k in z.files}}
    except (OSError, ValueError, KeyError, EOFError):
        return None


def text_embeddings(texts: Sequence[str], progress: bool = False) -> np.ndarray:
    """MiniLM embeddings of ``texts`` (n, 384), cached on disk per list of texts."""
    from .text import encode_texts

    texts = [t or "" for t in texts]
    h = hashlib.sha1()
    for t in texts:
        h.update(t.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    path = cache_dir() / "text" / TEXT_ID / f"{h.hexdigest()}.npz"
    cached = load(path, ("emb",))
    if cached is not None:
        return cached["emb"]
    uniq = sorted(set(texts))
    emb_u = encode_texts(uniq)
    index = {t: i for i, t in enumerate(uniq)}
    emb = emb_u[[index[t] for t in texts]] if texts else emb_u
    store(path, emb=emb)
    return emb
