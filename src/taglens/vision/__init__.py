"""Seeing people and text in photos: standalone evidence for taglens-base's sources.

- :mod:`taglens.vision.faces`: the face pattern of a photo (how many faces, how large, where) with MediaPipe's
  BlazeFace (shipped as ONNX), and the tags each pattern supports, learned from the developer photo sets.
- :mod:`taglens.vision.ocr`: a cheap gate for "is there text?", and RapidOCR's reading turned into hashtag
  candidates, weighted by the reader's confidence and the size of the text.

Both take a PIL image, an RGB ``numpy`` array or a path, and import onnxruntime (and OpenCV, for the text) only
when first called.
A missing optional reader is reported once on stderr (:func:`require`) and then gives no evidence.
"""
from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

_REPORTED: set[str] = set()

# what to install for each module the vision code imports
PACKAGES = {"cv2": "opencv-python<5", "rapidocr_onnxruntime": "rapidocr-onnxruntime", "onnxruntime": "onnxruntime"}


class VisionUnavailable(ImportError):
    """A module the vision evidence needs (ONNX Runtime, OpenCV, RapidOCR) is not installed."""


def require(module: str) -> Any:
    """Import ``module``; if it is missing, say so once on stderr (naming the package to install) and raise
    VisionUnavailable, so a caller can go on without that evidence but never silently."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        package = PACKAGES.get(module, module)
        if module not in _REPORTED:
            _REPORTED.add(module)
            print(f"taglens: {module} is not installed ({e}); photos are read without it. "
                  f"Install it with: pip install '{package}'", file=sys.stderr)
        raise VisionUnavailable(f"{module} is not installed (pip install '{package}')") from e


def as_rgb_array(img: Any) -> Any:
    """An ``HxWx3`` uint8 RGB array of a PIL image (any mode), an RGB/grey array or a path to a still image."""
    import numpy as np

    if isinstance(img, (str, Path)):
        from ..media import load_image

        img = load_image(img)
    if hasattr(img, "mode") and hasattr(img, "size"):  # a PIL image
        from ..media import to_rgb

        return np.asarray(to_rgb(img))
    a = np.asarray(img)
    if a.dtype != np.uint8:
        raise TypeError(f"expected a uint8 image array, got {a.dtype}")
    if a.ndim == 2:
        return np.repeat(a[:, :, None], 3, axis=2)
    if a.ndim != 3 or a.shape[2] not in (3, 4):
        raise TypeError(f"expected an HxWx3 RGB image array, got shape {a.shape}")
    return a[:, :, :3]


def downscale(a: Any, max_side: int) -> tuple[Any, float]:
    """``a`` shrunk (area interpolation) so that its longer side is at most ``max_side``, and the factor used."""
    h, w = a.shape[:2]
    f = max_side / max(h, w)
    if f >= 1.0:
        return a, 1.0
    cv2 = require("cv2")
    return cv2.resize(a, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA), f
