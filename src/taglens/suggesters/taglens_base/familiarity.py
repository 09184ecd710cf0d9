"""How familiar a photo is to taglens-base's trained image sources, and how much each image source is worth for it
(issue 20: "knowing when it does not know").

The trained image sources (``image``, the head; ``image_protos``, the similar photos) learned six Instagram topics,
vape shops and plated food, and answer with those topics for every photo: a coin, a daisy or the Hubble deep field
gets #food, #travel or #selfie. The open-world sources (``image_tags``, the ImageNet -> hashtag map; ``conse``)
know a thousand kinds of things but say little on the training topics' photos, whose gold is the topic (#animals,
not #goldenretriever).

A photo's *familiarity* is the probability that it is like the training photos, from two signals:

* ``similarity``: the mean cosine similarity of its pooled features to its ``NEIGHBOURS`` nearest similar-photo
  prototypes (the ``image_protos`` centroids);
* ``entropy``: the entropy of the image head's tag distribution (a head that has seen such photos is sure).

A logistic regression on the two, fitted by ``scripts/build_image_familiarity.py`` on the training side only
(train-side photos of instagram6, vape and pexels_food against train-side everyday scene, flower and pet photos),
gives it; its three constants ship in ``resources/vision/image_familiarity.json``. A photo at ``FULL`` or more
keeps the trained sources' full weight; below, they fade to ``TRAINED_FLOOR`` of it and the open-world sources rise
(``OPEN``), linearly; on a photo the trained sources know well (``SURE``) the open-world sources are quieter. All
of this for a photo alone: with a caption, which carries the topic itself, the gains go back to 1 as the caption
grows.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

RESOURCE = Path(__file__).resolve().parents[2] / "resources" / "vision" / "image_familiarity.json"
NEIGHBOURS = 10
# measured on the val side (bench_everyday photos, instagram6, vape; docs/EVERYDAY.md): below FULL (1.7% of
# instagram6's val photos, 21% of the everyday bench's) the trained sources fade and the open-world ones rise;
# 0.05 took the bench's P@1 to 0.106 but instagram6's to 0.6512/0.8256 (from 0.6541/0.8372)
FULL = 0.03
TRAINED_FLOOR = 0.1  # the trained sources' share of their weight on a photo unlike any training photo
# the open-world sources' gain at familiarity 0, FULL..SURE_FROM and SURE: the map speaks on a novel photo, and is
# quieter on one the trained sources know well, whose gold is its topic (#animals, not #duck): without the quieter
# end instagram6's val A@5 is 0.006 lower
SURE_FROM, SURE = 0.5, 0.9
OPEN = {"image_tags": (10.0, 0.5, 0.25), "conse": (2.0, 1.0, 0.5)}
TRAINED = ("image", "image_protos")


@dataclass(frozen=True)
class Calibration:
    """familiarity = sigmoid(intercept + similarity_coef * similarity + entropy_coef * entropy)."""

    intercept: float
    similarity_coef: float
    entropy_coef: float

    def familiarity(self, similarity: float, entropy: float) -> float:
        z = self.intercept + self.similarity_coef * similarity + self.entropy_coef * entropy
        return float(1.0 / (1.0 + np.exp(-z)))


@lru_cache(maxsize=1)
def calibration(path: Path = RESOURCE) -> Calibration | None:
    """The shipped calibration; None (every image source at its plain weight) when it is missing or unreadable,
    said once on the log."""
    try:
        data = json.loads(path.read_text("utf-8"))
        return Calibration(float(data["intercept"]), float(data["similarity_coef"]), float(data["entropy_coef"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("image familiarity calibration %s unusable (%s): image sources keep their plain weights",
                    path, exc)
        return None


def signals(x: np.ndarray, centroids: np.ndarray, probs: np.ndarray) -> tuple[float, float]:
    """(similarity, entropy) of a photo's pooled features ``x`` given the prototypes' unit ``centroids`` and the
    image head's tag probabilities ``probs``."""
    x = np.asarray(x, np.float32)
    sim = centroids @ (x / max(float(np.linalg.norm(x)), 1e-9))
    k = min(NEIGHBOURS, len(sim))
    similarity = float(np.partition(sim, len(sim) - k)[len(sim) - k:].mean()) if k else 0.0
    p = np.asarray(probs, np.float64)
    p = p / max(float(p.sum()), 1e-12)
    entropy = float(-(p * np.log(p + 1e-12)).sum())
    return similarity, entropy


def ramp(familiarity: float | None) -> float:
    """1 for a photo as familiar as the training photos (``FULL`` or more), falling linearly to 0."""
    if familiarity is None:
        return 1.0
    return float(np.clip(familiarity / FULL, 0.0, 1.0))


def trained_gain(familiarity: float | None) -> float:
    """The gain of a trained image source (``TRAINED``) on a photo of this familiarity, alone."""
    return TRAINED_FLOOR + (1.0 - TRAINED_FLOOR) * ramp(familiarity)


def open_gain(source: str, familiarity: float | None) -> float:
    """The gain of an open-world image source (``OPEN``) on a photo of this familiarity, alone (no photo: 1):
    linear between the points of ``OPEN``."""
    if familiarity is None:
        return 1.0
    novel, familiar, sure = OPEN[source]
    return float(np.interp(familiarity, (0.0, FULL, SURE_FROM, SURE), (novel, familiar, familiar, sure)))


def gain(source: str, familiarity: float | None, caption: float = 0.0) -> float:
    """The gain of the image source ``source`` on a post whose photo has this familiarity and whose caption has
    this gain (``wording.caption_gain``, 1 = a full caption): a caption carries the post's topic itself, so the
    gain goes back to 1 as the caption grows (a captioned post keeps its weights)."""
    raw = trained_gain(familiarity) if source in TRAINED else open_gain(source, familiarity)
    return 1.0 + (raw - 1.0) * (1.0 - float(np.clip(caption, 0.0, 1.0)))


__all__ = ["Calibration", "FULL", "OPEN", "SURE", "SURE_FROM", "TRAINED", "TRAINED_FLOOR", "calibration", "gain",
           "open_gain", "ramp", "signals", "trained_gain"]
