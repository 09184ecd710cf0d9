"""How far a photo itself shows a one-topic corpus's topic (issue 20: a street photo under an everyday caption is no
evidence of vape).

The image head, trained on instagram6 and the vape shops' photos, spreads 0.38-0.65 of its mass over the vape tags
on street, shopfront and glacier photos, as much as on a vape shop's photo, and the similar photos (the image
prototypes) agree on shopfronts; so neither signal separates a vape photo from an ordinary one, and under an
everyday caption the caption sources' thin vape tags (#vaping for "done shopping!") passed the topic gate on the
photo's strength. The *probe* is a logistic regression on the pooled EfficientNet-Lite0 features (the mean over the
post's images, as the head reads them) of "a vape post's photo" against "any other photo", fitted by
``scripts/build_topic_probe.py`` on the train side only (vape photos against instagram6, pexels_food and the
everyday scene, flower and pet photos); its weights and its two points ship in
``resources/vision/topic_probe.json``. ``shows`` is its probability mapped to [0, 1]: 0 at or below ``low`` (the
probability 9 in 10 of the ordinary train photos, the everyday scenes, flowers and pets, stay under, out of fold), 1
from ``full`` (the one 9 in 10 of the vape train photos reach). ``topics.topic_strength`` multiplies by it the
photo's two ways into the topic's strength on a post that does not name the topic: the head's mass on the topic's
tags, and the caption's MiniLM similarity to them (a street photo under "Morning walk by the sea", which MiniLM
finds a little like the vape tags, got #vape). The caption's words (their learned rates) and the post's own tags
are not touched. Measured on the val side (docs/EVERYDAY.md): the everyday bench's mixed set's leakage 0.034 ->
0.019, the photos' 0.008 -> 0.003, the vape and instagram6 val figures unchanged.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

RESOURCE = Path(__file__).resolve().parents[2] / "resources" / "vision" / "topic_probe.json"


@dataclass(frozen=True)
class Probe:
    """P(the topic) = sigmoid(features @ w + b), of a photo's pooled features here and of a caption's MiniLM
    embedding for politics (``topics.probe_politics``); ``low``, ``full``: the probabilities of no and full
    evidence."""

    w: np.ndarray
    b: float
    low: float
    full: float

    def probability(self, pooled: np.ndarray) -> float:
        """The probability that a post with these features (n, d: its images' pooled features, or one caption's
        embedding) shows the topic (their mean)."""
        x = np.asarray(pooled, np.float32).mean(0)
        return float(1.0 / (1.0 + np.exp(-(float(x @ self.w) + self.b))))

    def shows(self, pooled: np.ndarray) -> float:
        """How far the photo shows the topic, in [0, 1]: the probability from ``low`` (0) to ``full`` (1)."""
        return self.scaled(self.probability(pooled))

    def scaled(self, probability: float) -> float:
        """A probability of the probe mapped to [0, 1]: 0 at or below ``low``, 1 from ``full``, linear between."""
        return float(np.clip((probability - self.low) / (self.full - self.low), 0.0, 1.0))


@lru_cache(maxsize=1)
def probes(path: Path = RESOURCE) -> dict[str, Probe]:
    """{topic: its probe} as shipped; {} (the head's mass unchecked) when the file is missing or unreadable, said
    once on the log."""
    try:
        data = json.loads(path.read_text("utf-8"))["probes"]
        out = {topic: Probe(np.asarray(p["w"], np.float32), float(p["b"]), float(p["low"]), float(p["full"]))
               for topic, p in data.items()}
        if any(p.full <= p.low or p.w.ndim != 1 for p in out.values()):
            raise ValueError("a probe with full <= low or weights that are not a vector")
        return out
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("topic probe %s unusable (%s): the image head's topic mass is read unchecked", path, exc)
        return {}


def shows(features, topic: str) -> float | None:
    """How far the post's photo shows ``topic`` (``Probe.shows``); None without a photo or a probe of the topic."""
    probe = probes().get(topic)
    images = getattr(features, "images", None) if probe is not None else None
    if images is None or not len(images["pooled"]) or images["pooled"].shape[-1] != probe.w.shape[0]:
        return None
    return probe.shows(images["pooled"])


__all__ = ["Probe", "probes", "shows"]
