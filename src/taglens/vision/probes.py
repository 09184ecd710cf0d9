"""Cheap gates for the vision evidence: does a photo likely show a face, or text, or no colour at all? Read from the
image features taglens already has.

Each probe is a logistic regression on the pooled EfficientNet-Lite0 features (1280-d) of a photo or video
frame, trained by ``scripts/build_vision_probes.py`` to predict where the real detector (the BlazeFace face
detector, RapidOCR's text detector, the pixels' chroma of :mod:`taglens.vision.colour`) finds something, and stored
in ``resources/vision/probes.json`` (weights only; ``colourless`` by ``scripts/build_colour_probe.py``). A dot
product per photo: a photo the probe rejects pays nothing for faces, text or pixels; one it passes is handed to the
detector (as decoded for the encoder, or decoded again where its features came from the cache).

    >>> from taglens.vision.probes import gated_frames
    >>> [(label, round(margin, 2)) for label, frame, margin in gated_frames(features, "text")]
    [('image 1 (sign.jpg)', 1.73)]
"""
from __future__ import annotations

import functools
import json
import logging
from importlib import resources
from typing import Any

import numpy as np

from ..exceptions import InputError

log = logging.getLogger(__name__)
RESOURCE = "probes.json"
PROBES = ("person", "text", "colourless")


@functools.lru_cache(maxsize=1)
def _probes() -> dict[str, tuple[np.ndarray, float, float]]:
    text = resources.files("taglens").joinpath("resources", "vision", RESOURCE).read_text(encoding="utf-8")
    data = json.loads(text)["probes"]
    return {name: (np.asarray(p["w"], np.float32), float(p["b"]), float(p["threshold"])) for name, p in data.items()}


def margins(name: str, pooled: np.ndarray) -> np.ndarray:
    """Per row of ``pooled`` (n, 1280): the probe's logit minus its threshold; >= 0 means "run the detector"."""
    if name not in PROBES:
        raise ValueError(f"unknown probe {name!r}; expected one of {', '.join(PROBES)}")
    w, b, threshold = _probes()[name]
    return np.asarray(pooled, np.float32) @ w + (b - threshold)


def gated_frames(features: Any, name: str, limit: int = 2, also: Any = None) -> list[tuple[str, Any, float]]:
    """The photos and video frames of a post (its ``taglens.features.PostFeatures``) that probe ``name`` passes,
    or that ``also`` (a function of the features' rows: a boolean per row) lets through: (label naming the image,
    RGB PIL image, margin), surest first, at most ``limit``. Those the features bring decoded (``frames``: encoded
    just now) are used as they are; the others (features from the cache) are decoded again, and a file that
    cannot be decoded now is logged and left out."""
    from ..features import image_labels
    from ..media import load_visuals

    feats = getattr(features, "images", None)
    if feats is None or not len(feats["pooled"]):
        return []
    m = margins(name, feats["pooled"])
    passed = m >= 0
    if also is not None:
        passed = passed | np.asarray(also(feats), bool)
    fired = [int(r) for r in np.argsort(-m) if passed[r]][:limit]
    if not fired:
        return []
    images = list(features.post.images)
    labels = feats.get("labels") or []
    names = image_labels(images)
    kept = feats.get("frames") or []
    out = []
    for r in fired:
        if r < len(kept) and kept[r] is not None and r < len(labels):
            out.append((labels[r], kept[r], float(m[r])))
            continue
        if r >= len(labels) or labels[r] not in names:
            continue
        item = names.index(labels[r])
        rows = [i for i, lab in enumerate(labels) if lab == labels[r]]
        try:
            frames = [f for _, f in load_visuals([images[item]])]
        except InputError as exc:
            log.warning("vision: %s", exc)
            continue
        if len(frames) == len(rows):
            out.append((labels[r], frames[rows.index(r)], float(m[r])))
    return out


__all__ = ["PROBES", "gated_frames", "margins"]
