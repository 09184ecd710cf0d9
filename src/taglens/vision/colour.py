"""Whether a photo has colour at all: a black-and-white photo (a film portrait, a grey scan of the moon, coins on
a grey cloth) is something every photo either is or is not, and people tag it (#blackandwhite, #bnw).

The measure is on the pixels: each pixel's chroma (its largest channel minus its smallest, of 255) on a
``SIDE`` x ``SIDE`` copy, and the photo's ``QUANTILE``-th percentile of it; a photo at ``COLOURLESS`` or under has no
colour (JPEG's colour noise on a grey photo stays under it; a sepia print or a dim colour photo is over it). An
image stored with one channel (mode L, 1, I, F) has no colour without looking.

Reading pixels costs a decode, so ``taglens-base`` asks only where the ``colourless`` probe on the image features
(:mod:`taglens.vision.probes`) says the photo is likely grey (``sources/photo_colour.py``).
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

SIDE = 48
QUANTILE = 95
# 8: a black-and-white print (0-2 as JPEG stores it) or a toned one (a grey dandelion, 6) has none; a misty colour
# photo of mountains (12) or a grey sea with a red boat (14) has some
COLOURLESS = 8.0
ONE_CHANNEL = frozenset({"1", "L", "LA", "I", "I;16", "F"})


def chroma(image: Any) -> float:
    """The ``QUANTILE``-th percentile of a PIL image's per-pixel chroma (0 for a one-channel image)."""
    if getattr(image, "mode", None) in ONE_CHANNEL:
        return 0.0
    small = image.convert("RGB").resize((SIDE, SIDE))
    a = np.asarray(small, np.int16)
    return float(np.percentile(a.max(2) - a.min(2), QUANTILE))


def colourless(image: Any) -> bool:
    """Whether a PIL image has no colour (``chroma`` at ``COLOURLESS`` or under)."""
    return chroma(image) <= COLOURLESS


def grey_rows(pooled: np.ndarray) -> np.ndarray:
    """Per row of ``pooled`` (image features): whether the ``colourless`` probe passes it (its pixels are read)."""
    from .probes import margins

    return margins("colourless", pooled) >= 0


def row_chroma(images: Sequence[Any]) -> np.ndarray:
    """``chroma`` of each image, NaN for None: the chroma of the decode the encoder made, for the rows ``grey_rows``
    passes, kept with the features in the feature cache (``taglens.features``), so a photo whose features come from
    the cache need not be read again for it (issue 21: 1-3 ms a photo alone of ~500 pixels, ~40 ms a 12-MP one)."""
    return np.array([np.nan if im is None else chroma(im) for im in images], np.float64)


__all__ = ["COLOURLESS", "chroma", "colourless", "grey_rows", "row_chroma"]
