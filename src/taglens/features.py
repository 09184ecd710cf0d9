"""Encoder features of posts, batch first: the one way suggest, suggest_batch, training and evaluation get them.

A single post is a batch of one. Image features (EfficientNet-Lite0 ``pooled`` (m, 1280) and ``logits``
(m, 1000), optionally the ``grid`` (m, 49, 1280) for attention) come from the feature cache
(:mod:`taglens.encoders.cache`, keyed by file content) where they are there; the images missing from it are
encoded in batches and stored. The cache only saves time: one that cannot be written (read-only, full) is
warned about once and the features are still returned.

Example:
    >>> from taglens.features import post_features
    >>> [f.text for f in post_features([Post(text="sunset #beach")], images=False, text=False)]
    ['sunset']
"""
from __future__ import annotations

import contextvars
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from .exceptions import InputError
from .media import FRAMES_PER_VIDEO
from .types import MAX_POST_HASHTAGS, Post, parse_hashtags, strip_hashtags

log = logging.getLogger(__name__)
ENCODE_CHUNK = 32  # files encoded in one call: bounds the decoded images held in memory at once
# decoded photos or frames kept with their features (``frames=True``) for the vision sources, at most, per call:
# only those a vision probe passes (a few percent of photos), so a long batch cannot hold thousands of images
MAX_KEPT_FRAMES = 64
Features = dict[str, Any]  # {"pooled", "logits"[, "grid"][, "labels"][, "frames"][, "chroma"]}


def image_labels(images: Sequence[Any]) -> list[str]:
    """How a reason names each of a post's images: "image 2 (dog.jpg)", or "image 2" for one given in memory."""
    return [f"image {i} ({Path(im).name})" if isinstance(im, (str, Path)) else f"image {i}"
            for i, im in enumerate(images, 1)]


def image_features(items: Sequence[Any], *, grid: bool = False, skip_unreadable: bool = False,
                   frames_per_video: int = FRAMES_PER_VIDEO, frames: bool = False,
                   deferred: list | None = None) -> list[Features | None]:
    """Per image item (a path, or an image in memory): its features, one row per image or sampled video frame.

    An unreadable file raises its InputError (ImageError, VideoError, naming it), or with ``skip_unreadable``
    gets None, with a warning naming it. Paths are looked up in the feature cache first; the rest are
    encoded ``ENCODE_CHUNK`` at a time and paths stored in the cache. With ``frames``, the features of an item
    decoded here also hold ``frames``: per row, the decoded RGB image where a vision probe passes it
    (``taglens.vision.probes``: the faces and photo-text sources read it then, without decoding it again), else
    None; at most ``MAX_KEPT_FRAMES`` images in all. Rows the ``colourless`` probe passes also get their ``chroma``
    (``taglens.vision.colour``), in the cache too. ``deferred``: a list that takes the cache writes (cache file,
    arrays, the images whose chroma the write adds, or None) instead, for the caller to make once it has used the
    features; their features then hold no ``chroma`` (the decoded frames are kept for that)."""
    from .encoders import cache

    keys = ("pooled", "logits", "grid") if grid else ("pooled", "logits")
    out: list[Features | None] = [None] * len(items)
    missing: list[tuple[int, Any, str | None]] = []
    for i, item in enumerate(items):
        key = None
        if isinstance(item, (str, Path)):
            try:
                key = cache.feature_key(Path(item))  # raises the InputError that names the problem
            except InputError as exc:
                if not skip_unreadable:
                    raise
                log.warning("skipping %s", exc)
                continue
            feats = cache.load(cache.feature_file(key), ("pooled", "logits"), optional=("chroma",))
            if feats is not None and grid:
                grids = cache.load(cache.feature_file(key, grid=True), ("grid",))
                feats = {**feats, **grids} if grids is not None else None
            if feats is not None:
                out[i] = feats
                continue
        missing.append((i, item, key))
    kept = [0 if frames else MAX_KEPT_FRAMES]  # decoded images kept so far, for all chunks
    for start in range(0, len(missing), ENCODE_CHUNK):
        _encode(missing[start: start + ENCODE_CHUNK], out, keys, skip_unreadable, frames_per_video, kept, deferred)
    return out


def _encode(chunk, out: list, keys: Sequence[str], skip_unreadable: bool, frames_per_video: int,
            kept: list[int], deferred: list | None = None) -> None:
    from .encoders import cache

    def store(path, greys=None, **arrays):
        if deferred is None:
            cache.store(path, **arrays)
        else:  # the chroma of ``greys`` is computed where the write is made (``_store_once_answered``)
            deferred.append((path, arrays, greys))
    from .encoders.image import get_image_encoder

    encoder = get_image_encoder()
    visuals, owner, todo, encoded, waiting = [], [], [], [], []
    for (i, item, key), decoded in zip(chunk, _decoded(chunk, frames_per_video)):
        if isinstance(decoded, InputError):
            if not skip_unreadable:
                raise decoded
            log.warning("skipping %s", decoded)
            continue
        frames, pixels = decoded
        visuals.extend(frames)
        owner.extend([i] * len(frames))
        todo.append((i, key))
        waiting.extend(pixels)
        if len(waiting) >= encoder.batch_size:  # encoded while the decoding thread goes on with the next files
            encoded.append(encoder.encode_pixels(waiting, grid="grid" in keys))
            waiting = []
    if not todo:
        return
    if waiting or not encoded:
        encoded.append(encoder.encode_pixels(waiting, grid="grid" in keys))
    enc = {name: np.concatenate([part[name] for part in encoded]) for name in encoded[0]}
    owner_arr = np.array(owner)
    from .vision.colour import grey_rows, row_chroma

    grey = grey_rows(enc["pooled"])  # rows whose chroma is kept with the features and in the cache (photo_colour)
    probed = None
    if kept[0] < MAX_KEPT_FRAMES:
        from .vision.probes import PROBES, margins

        probed = np.zeros(len(visuals), bool)
        for name in PROBES:
            probed |= margins(name, enc["pooled"]) >= 0
    for i, key in todo:
        rows = owner_arr == i
        feats = {"pooled": enc["pooled"][rows].astype(np.float32), "logits": enc["logits"][rows].astype(np.float32)}
        greys = [visuals[r] if grey[r] else None for r in np.flatnonzero(rows).tolist()] if grey[rows].any() else None
        if greys is not None and deferred is None:  # deferred: the writing thread computes it, after the answer
            feats["chroma"] = row_chroma(greys)
        if key is not None:
            store(cache.feature_file(key), greys, **feats)
        if "grid" in keys:
            feats["grid"] = enc["grid"][rows].astype(np.float16)
            if key is not None:
                store(cache.feature_file(key, grid=True), grid=feats["grid"])
        if probed is not None and probed[rows].any() and kept[0] < MAX_KEPT_FRAMES:
            feats["frames"] = [visuals[r] if probed[r] else None for r in np.flatnonzero(rows).tolist()]
            kept[0] += sum(f is not None for f in feats["frames"])
        out[i] = feats


def _decode(item: Any, frames_per_video: int) -> tuple[list, list] | InputError:
    """An item's decoded images (its frames, for a video) and their encoder pixels (``preprocess``), or the
    InputError that names why it cannot be read."""
    from .encoders.image import preprocess
    from .media import load_visuals

    decoding = _DECODING.get()
    if decoding is not None:
        decoding.set()
    try:
        frames = [v for _, v in load_visuals([item], frames_per_video)]
    except InputError as exc:
        return exc
    return frames, [preprocess(v) for v in frames]


def _decoded(chunk, frames_per_video: int):
    """``_decode`` of each (index, item, key) of ``chunk``, in order. With more than one item, the files are decoded
    and resized in a background thread (``_decoder``) while the caller encodes the ones before: PIL releases the
    GIL, so on two cores a batch's decoding (~2.5 ms a photo) no longer waits for its encoding, or the reverse.
    Items not yet decoded when the caller stops (an unreadable file raised) are cancelled."""
    if len(chunk) < 2:
        yield from (_decode(item, frames_per_video) for _, item, _ in chunk)
        return
    futures = [_decoder().submit(_decode, item, frames_per_video) for _, item, _ in chunk]
    try:
        for future in futures:
            yield future.result()
    finally:
        for future in futures:
            future.cancel()


def _decoder():
    """The one thread that decodes the files of a batch ahead of its encoding (started on first use; a thread of
    its own, not ``_worker``'s: a worker that encodes a post must never wait for a job queued behind it)."""
    global _DECODER
    if _DECODER is None:
        from concurrent.futures import ThreadPoolExecutor

        _DECODER = ThreadPoolExecutor(1, thread_name_prefix="taglens-decode")
    return _DECODER


_DECODER = None


def stack(parts: Sequence[Features], images: Sequence[Any]) -> Features:
    """The features of each of a post's images (``parts``, in the order of ``images``) stacked, with
    ``labels``: for each row, the image it came from ("image 2 (dog.jpg)"), so a reason can say which it saw."""
    labels = [lab for lab, part in zip(image_labels(images), parts) for _ in range(len(part["logits"]))]
    keys = [k for k in ("pooled", "logits", "grid") if all(k in p for p in parts)]
    out = {**{k: np.concatenate([x[k] for x in parts]) for k in keys}, "labels": labels}
    if any("chroma" in p for p in parts):  # the photos' chroma where the colourless probe passed (NaN elsewhere)
        out["chroma"] = np.concatenate([p["chroma"] if "chroma" in p else np.full(len(p["logits"]), np.nan)
                                        for p in parts])
    if any("frames" in p for p in parts):  # the decoded images kept (None where there is none)
        out["frames"] = [f for p in parts for f in p.get("frames", [None] * len(p["logits"]))]
    return out


def post_image_features(posts: Sequence[Post], *, grid: bool = False, skip_unreadable: bool = False,
                        max_images: int | None = None, frames: bool = False,
                        deferred: list | None = None) -> list[Features | None]:
    """Per post: the stacked features of its images (the first ``max_images``) and video frames, with
    ``labels``; None for a post without images, and with ``skip_unreadable`` for a post with an unreadable
    image (logged once, with the count). Every image is looked up or encoded once, however many posts share it.
    ``frames``, ``deferred``: as in :func:`image_features`."""
    chosen = [tuple(p.images[:max_images]) if max_images else tuple(p.images) for p in posts]
    distinct: dict[Any, int] = {}
    items: list[Any] = []
    for images in chosen:
        for im in images:
            ident = im if isinstance(im, (str, Path)) else id(im)
            if ident not in distinct:
                distinct[ident] = len(items)
                items.append(im)
    feats = image_features(items, grid=grid, skip_unreadable=skip_unreadable, frames=frames, deferred=deferred)
    out: list[Features | None] = []
    bad = 0
    for images in chosen:
        parts = [feats[distinct[im if isinstance(im, (str, Path)) else id(im)]] for im in images]
        if not images or any(p is None for p in parts):
            bad += bool(images)
            out.append(None)
            continue
        out.append(stack(parts, images))
    if bad:
        log.warning("skipping %d posts with an unreadable image", bad)
    return out


@dataclass(frozen=True)
class PostFeatures:
    """What a model reads of one post: the caption without hashtags, the post's tags, and encoder features.

    ``tags`` are the ones read (the post's own, then the caption's, at most ``MAX_POST_HASHTAGS``); ``exclude``
    is every tag the post has (none is suggested back). ``images`` is None for a post without images or when
    images were not asked for; ``text_emb`` (MiniLM, (384,)) is None without a caption or when not asked for."""

    post: Post
    text: str
    tags: tuple[str, ...]
    exclude: frozenset[str]
    images: Features | None = None
    text_emb: np.ndarray | None = None


def post_features(posts: Sequence[Post], *, images: bool = True, text: bool = True,
                  text_embedder: Callable[[list[str]], np.ndarray] | None = None,
                  frames: bool = False) -> list[PostFeatures]:
    """:class:`PostFeatures` of every post, the images and captions of all of them encoded in batches.
    ``text_embedder`` (texts -> MiniLM embeddings) replaces the encoder, e.g. a table of precomputed ones;
    ``frames`` keeps the decoded images a vision probe passes (:func:`image_features`).
    Raises the InputError of the first unreadable image."""
    captions = [strip_hashtags(p.text) for p in posts]
    embs: dict[str, np.ndarray] = {}
    todo = sorted({t for t in captions if t}) if text else []
    if text_embedder is None:
        from .encoders.text import encode_texts as text_embedder
    captioned = None
    if todo and images and any(p.images for p in posts):
        # the captions are embedded in a second thread while the images are decoded and encoded: both release
        # the GIL (ONNX Runtime, PIL), so on two cores the caption costs little more time than the photo. In the
        # caller's context: in a ``beside_other_work`` block (suggest --batch preparing the next chunk while it ranks
        # one) the text encoder leaves a core too, as the image encoder does (issue 21)
        captioned = _worker().submit(contextvars.copy_context().run, text_embedder, todo)
    feats = post_image_features(posts, frames=frames) if images else [None] * len(posts)
    if todo:
        embs = dict(zip(todo, np.asarray(captioned.result() if captioned is not None else text_embedder(todo))))
    out = []
    for post, caption, f in zip(posts, captions, feats):
        every_tag = list(dict.fromkeys(list(post.hashtags) + parse_hashtags(post.text)))
        out.append(PostFeatures(post, caption, tuple(every_tag[:MAX_POST_HASHTAGS]), frozenset(every_tag),
                                f if f is not None and len(f["pooled"]) else None, embs.get(caption)))
    return out


def _worker():
    """The one background thread of this process's feature work (started on first use, reused: starting a thread
    per post cost ~0.2 ms)."""
    global _WORKER
    if _WORKER is None:
        from concurrent.futures import ThreadPoolExecutor

        # as many threads as cores: the posts of several server threads are not queued behind one another
        _WORKER = ThreadPoolExecutor(max(2, os.cpu_count() or 1), thread_name_prefix="taglens-features")
    return _WORKER


_WORKER = None


def record_image_features(records: Sequence, chunk: int = 128):
    """(record, its images' features) for each of ``records`` (``taglens.data.posts`` records) whose images could be
    read, in order, encoded ``chunk`` posts at a time: what the build scripts of learned resources read."""
    for c in range(0, len(records), chunk):
        part = records[c:c + chunk]
        feats = post_image_features([Post(post_id=r.id, images=tuple(r.images)) for r in part], skip_unreadable=True)
        for r, f in zip(part, feats):
            if f is not None and len(f["pooled"]):
                yield r, f


class PendingFeatures(PostFeatures):
    """A post's :class:`PostFeatures` whose images are still being decoded and encoded in another thread: reading
    ``images`` waits for them (and raises the InputError of an unreadable image). ``reads`` counts the reads, so a
    caller can tell which of its steps needed the images."""

    def __init__(self, features: PostFeatures, images, answered: threading.Event | None = None):
        for name in ("post", "text", "tags", "exclude", "text_emb"):
            object.__setattr__(self, name, getattr(features, name))
        object.__setattr__(self, "_images", images)
        object.__setattr__(self, "_answered", answered)
        object.__setattr__(self, "reads", 0)

    def answered(self) -> None:
        """Tells the photo's thread that the caller is done with the post: it writes the feature cache now. It waits
        for this (at most ``STORE_WAIT``), because writing takes the GIL from the caller's ranking (np.savez is
        mostly Python: ~1.3 ms a photo; a warm suggestion took ~0.5 ms longer with the write beside it)."""
        if self._answered is not None:
            self._answered.set()

    @property
    def images(self) -> Features | None:  # type: ignore[override]
        object.__setattr__(self, "reads", self.reads + 1)
        f = self._images.result()[0]
        return f if f is not None and len(f["pooled"]) else None

    @property
    def ready(self) -> bool:
        """Whether the images are decoded and encoded (reading them now does not wait)."""
        return self._images.done()


def pending_post_features(post: Post) -> PostFeatures:
    """The features of one post (as ``post_features([post], frames=True)``), with its images decoded and encoded in
    a background thread while the caption is embedded in this one and the caller goes on with what needs no image
    (``PendingFeatures``): on two cores, the caption sources of taglens-base run while EfficientNet does (ONNX
    Runtime, PIL and numpy's large operations release the GIL). A post without images gets them at once."""
    if not post.images:
        return post_features([post], frames=True)[0]
    from concurrent.futures import Future

    from .encoders import beside_other_work

    from .encoders.text import encoded_before

    caption = strip_hashtags(post.text)
    new_caption = bool(caption) and not encoded_before(caption)
    ahead = _AHEAD.pop(id(post), None)
    if ahead is not None and ahead[0] is post:  # started by ``start_post_images`` (the CLI, while it loaded the model)
        with beside_other_work():
            return PendingFeatures(post_features([post], images=False)[0], ahead[1], ahead[2])
    images: Future = Future()
    answered, decoding = threading.Event(), threading.Event()
    # a caption to encode keeps this thread busy (MiniLM, then the caption's sources, ~9 ms of CPU) for about as long as
    # the photo takes: its encoder then runs on a thread fewer (``beside_other_work``), as the caption's does. Two
    # spinning pool threads beside this busy one are three on two cores, and a pool thread waiting for its partner
    # spins out its time slice (issue 21: a new caption cost 6 ms more than a repeated one on the idle machine)
    _worker().submit(_images_then_store, post, images, answered, decoding, new_caption)
    # the photo thread's first steps (the cache key, the lookup, opening the file) need the GIL, which the caption's
    # sources would hold from the start: where no caption is to be encoded (MiniLM releases the GIL), they wait until
    # it decodes (which releases it), at most DECODE_WAIT: decoding started ~1 ms sooner (issue 21)
    if not new_caption:
        decoding.wait(DECODE_WAIT)
    with beside_other_work():  # the photo is decoded and encoded meanwhile: the caption's encoder leaves it a core
        return PendingFeatures(post_features([post], images=False)[0], images, answered)


def start_post_images(post: Post) -> None:
    """Starts decoding and encoding ``post``'s images in the background thread now, for the next
    ``pending_post_features`` of this same post object to take over (the same features, computed sooner): a one-off
    `taglens suggest photo.jpg` starts its photo (and loads the image encoder) while it loads the model (issue 21).
    A post without images: nothing to start. At most ``AHEAD_KEPT`` started posts wait to be taken over: a caller
    that never asks for one does not keep every post (and its photos' features) alive; the oldest is let go (its
    features, once encoded, are stored in the feature cache as any photo's)."""
    if not post.images:
        return
    from concurrent.futures import Future

    images: Future = Future()
    answered = threading.Event()
    while len(_AHEAD) >= AHEAD_KEPT:  # dicts keep insertion order: the oldest first
        _, _, let_go = _AHEAD.pop(next(iter(_AHEAD)))
        let_go.set()  # no caller will answer: its cache write need not wait STORE_WAIT
    # the caller is busy meanwhile (loading the model): the image encoder leaves it a core (``beside_other_work``)
    _AHEAD[id(post)] = (post, images, answered)
    _worker().submit(_images_then_store, post, images, answered, None, True)


_AHEAD: dict[int, tuple] = {}  # id(post) -> (post, its images' future, its answered event): start_post_images
AHEAD_KEPT = 4  # started posts kept for ``pending_post_features`` at most (the CLI starts one)
STORE_WAIT = 0.25  # seconds a photo's cache write waits for ``PendingFeatures.answered`` at most
DECODE_WAIT = 0.002  # seconds the caller of ``pending_post_features`` waits at most for the photo's decoding to start
_DECODING: contextvars.ContextVar = contextvars.ContextVar("taglens_decoding", default=None)


def _images_then_store(post: Post, images, answered: threading.Event | None = None,
                       decoding: threading.Event | None = None, beside: bool = False) -> None:
    """``post_image_features([post], frames=True)`` into the future ``images``, then the feature cache written by the
    writing thread once the caller has ``answered`` (or ``STORE_WAIT`` after the features were handed over); the
    caller need not wait for the write, and this thread is free for the next post at once. ``beside``: the caller is
    busy meanwhile (a caption to encode), so the image encoder runs on a thread fewer (``beside_other_work``)."""
    import contextlib
    import time

    from .encoders import beside_other_work

    stores: list = []
    token = _DECODING.set(decoding)
    try:
        with beside_other_work() if beside else contextlib.nullcontext():
            images.set_result(post_image_features([post], frames=True, deferred=stores))
    except BaseException as exc:  # noqa: BLE001 (handed to the caller, which raises it)
        images.set_exception(exc)
        return
    finally:
        _DECODING.reset(token)
        if decoding is not None:
            decoding.set()  # a photo served from the cache, or unreadable: the caller waits no longer
    if stores:
        _writer().submit(_store_once_answered, stores, answered, time.monotonic() + STORE_WAIT)


def _store_once_answered(stores: list, answered: threading.Event | None, deadline: float) -> None:
    """The cache writes ``stores`` made once ``answered`` is set, or at ``deadline`` (time.monotonic) at the latest: a
    write that waited its turn behind others does not wait again."""
    import time

    from .encoders import cache

    from .vision.colour import row_chroma

    if answered is not None:
        answered.wait(max(0.0, deadline - time.monotonic()))
    for path, arrays, greys in stores:
        cache.store(path, **arrays, **({"chroma": row_chroma(greys)} if greys is not None else {}))


def _writer():
    """The one thread that writes the feature cache for posts suggested one at a time (started on first use)."""
    global _WRITER
    if _WRITER is None:
        from concurrent.futures import ThreadPoolExecutor

        _WRITER = ThreadPoolExecutor(1, thread_name_prefix="taglens-cache-write")
    return _WRITER


_WRITER = None


__all__ = ["PendingFeatures", "PostFeatures", "image_features", "image_labels", "pending_post_features",
           "post_features", "post_image_features", "record_image_features", "stack", "start_post_images"]
