"""``photo_texture``: a photo alone that is a texture, a surface filling the frame (a brick wall, a lawn, gravel), is
tagged so by people (#texture #pattern); one that is a field of stars, a dark frame dotted everywhere with points of
light (a deep-sky photo), is #stars #space #astronomy (``is_starfield``: ImageNet reads the Hubble deep field as
flatworms and bubbles at 13% and 10%). Neither the classifier (ImageNet has no class for a surface: a brick wall is
read as a maze at 20%, gravel as a doormat at 5%) nor the trained sources (whose photos are of things, people and
places) can say it; the photo's pixels can (:func:`taglens.vision.texture.is_texture`: every part of it looks alike),
with the evidence said plainly ("every part of the photo looks alike", "points of light on a dark sky").

Only where the others have nothing to say: a photo alone (no caption, no tag), unlike the training photos
(familiarity under ``UNFAMILIAR``) and with no class the classifier is sure of (the first under ``SURE``); a field of
tulips or a cliff face is a photo of flowers or of a place, and its sources say so. Every photo of the post read
(``FRAMES``) must be a texture (or a field of stars). Its scores (``TAGS``, ``STAR_TAGS``) are low, under
#blackandwhite's: the first tag of a photo the sources read never moves.
"""
from __future__ import annotations

import numpy as np

from ..source import Source, no_caption_or_tags
from .photo_colour import _reopened

TAGS = (("texture", 0.11), ("pattern", 0.1))
STAR_TAGS = (("stars", 0.11), ("space", 0.1), ("astronomy", 0.095))
FRAMES = 2  # photos or frames of a post that are read
UNFAMILIAR = 0.05  # familiarity under it: the trained sources do not know the photo (brick, grass, gravel: 0.002-0.004)
SURE = 0.3  # the classifier's first class under it: no thing it is sure of (brick's maze 0.20)
REASON = "every part of the photo looks alike"
STAR_REASON = "points of light on a dark sky"


class PhotoTexture(Source):
    name = "photo_texture"
    weight = 1.0
    weight_with_caption = 0.0

    def evidence(self, post, features):
        if features.images is None or not no_caption_or_tags(features) or not self._unread(features):
            return {}
        from ....vision.texture import is_starfield, is_texture

        if self._every_frame(features, is_starfield):
            return {tag: (score, STAR_REASON) for tag, score in STAR_TAGS}
        if self._every_frame(features, is_texture):
            return {tag: (score, REASON) for tag, score in TAGS}
        return {}

    def gain(self, post, features):
        """1 for a photo alone, 0 with any caption or tag."""
        return 1.0 if features.images is not None and no_caption_or_tags(features) else 0.0

    def _unread(self, features) -> bool:
        """Whether the photo is unlike the training photos and the classifier is sure of no class in it."""
        logits = np.asarray(features.images["logits"])[:FRAMES]
        probs = np.exp(logits - logits.max(axis=1, keepdims=True))
        if (probs.max(axis=1) / probs.sum(axis=1)).max() >= SURE:
            return False
        try:
            familiarity = self.model.source("image").familiarity(features)
        except KeyError:
            return False
        return familiarity is not None and familiarity < UNFAMILIAR

    def _every_frame(self, features, test) -> bool:
        """Whether ``test`` holds for every photo or frame of the post read (``FRAMES``): the decoded frame kept with
        the features, else the photo read again at a reduced size (once per post)."""
        frames = self.per_post("_frames_read", features, _frames)
        return bool(frames) and all(frame is not None and test(frame) for frame in frames)


def _frames(features) -> list:
    """The post's photos or frames read (``FRAMES``), as PIL images (None where one cannot be read)."""
    kept = features.images.get("frames") or []
    out = []
    for r in range(min(len(features.images["logits"]), FRAMES)):
        frame = kept[r] if r < len(kept) else None
        out.append(frame if frame is not None else _reopened(features, r))
    return out
