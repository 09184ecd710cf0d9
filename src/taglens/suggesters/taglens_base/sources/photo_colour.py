"""``photo_colour``: a photo alone with no colour at all is a black-and-white photo, and people tag it so
(#blackandwhite, #bnw). It is a property every photo has or lacks, so it holds on photos unlike any the trained
sources learned (a film portrait, a grey scan of the moon, coins on a cloth, where they have nothing to say) as on
theirs, with its evidence said plainly ("the photo has no colour").

Where the ``colourless`` probe on the image features (:mod:`taglens.vision.probes`) passes a photo or frame, its
pixels decide (:func:`taglens.vision.colour.colourless`); every photo of the post read (``FRAMES``) must be grey,
and one the probe rejects ends it. A photo the probe rejects pays nothing.

``SCORE`` is low: on a photo the sources know, its subject comes first (a black-and-white photo of a dog is #dog
first); on one they do not, it is one of the top 5. For a photo alone (no caption, no tag): a caption carries the
post's topic, and the captioned bench's figures stay as they were. Listed after the other sources, so their sums
keep their order. Offline on instagram6's val side (its 31 grey or near-grey photos alone, the lead's rankings
with #blackandwhite inserted at a score): 0.05-0.15 move no first or top-5 hit, 0.2 costs 2 first hits.
"""
from __future__ import annotations

from ..source import Source, no_caption_or_tags

# the tag and its other form (one form per meaning does not group them: #bnw reads as no word), each with its score
TAGS = (("blackandwhite", 0.12), ("bnw", 0.07))
FRAMES = 2  # photos or frames of a post that are read
REASON = "the photo has no colour"


class PhotoColour(Source):
    name = "photo_colour"
    weight = 1.0
    weight_with_caption = 0.0

    def evidence(self, post, features):
        if features.images is None or not no_caption_or_tags(features) or not self._grey(features):
            return {}
        return {tag: (score, REASON) for tag, score in TAGS}

    def gain(self, post, features):
        """1 for a photo alone, 0 with any caption or tag."""
        return 1.0 if features.images is not None and no_caption_or_tags(features) else 0.0

    @staticmethod
    def _grey(features) -> bool:
        """Whether every photo or frame of the post read (``FRAMES``) is grey: the probe passes it and its pixels
        have no colour."""
        from ....vision.colour import colourless
        from ....vision.probes import gated_frames, margins

        rows = len(features.images["pooled"])
        if (margins("colourless", features.images["pooled"][:FRAMES]) < 0).any():
            return False
        frames = gated_frames(features, "colourless", min(rows, FRAMES))
        return len(frames) == min(rows, FRAMES) and all(colourless(frame) for _, frame, _ in frames)
