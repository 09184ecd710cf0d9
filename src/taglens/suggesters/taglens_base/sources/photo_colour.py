"""``photo_colour``: a photo alone with no colour at all is a black-and-white photo, and people tag it so
(#blackandwhite). It is a property every photo has or lacks, so it holds on photos unlike any the trained
sources learned (a film portrait, a grey scan of the moon, coins on a cloth, where they have nothing to say) as on
theirs, with its evidence said plainly ("the photo has no colour").

Where the ``colourless`` probe on the image features (:mod:`taglens.vision.probes`) passes a photo or frame, its
pixels decide (:func:`taglens.vision.colour.colourless`); every photo of the post read (``FRAMES``) must be grey,
and one the probe rejects ends it. A photo the probe rejects pays nothing.

Its score (``TAGS``) is low: on a photo the sources know, its subject comes first (a black-and-white photo of a dog
is #dog first); on one they do not, it is one of the top 5. For a photo alone (no caption, no tag): a caption
carries the post's topic, and the captioned bench's figures stay as they were. Listed after the other sources but
``caption_kinds`` (which speaks only under a caption, where this one is silent), so their sums keep their order.
Offline on instagram6's val side (its 31 grey or near-grey photos alone, the lead's rankings with #blackandwhite
inserted at a score): 0.05-0.15 move no first or top-5 hit, 0.2 costs 2 first hits.
"""
from __future__ import annotations

import numpy as np

from ....vision.colour import SIDE
from ..source import Source, no_caption_or_tags

# the tag and its score; #bnw, its short form, is left out: one form per meaning does not join them (no word list
# or WordNet does), and both in a short top 5 would say one thing twice
TAGS = (("blackandwhite", 0.12),)
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
        have no colour (as the encoder decoded it: the chroma kept with the features, also in the feature cache, or
        the decoded frame; read again at a reduced size where cached features from before the chroma was kept)."""
        from ....vision.colour import COLOURLESS, colourless, grey_rows

        rows = min(len(features.images["pooled"]), FRAMES)
        if not grey_rows(features.images["pooled"][:rows]).all():
            return False
        kept = features.images.get("frames") or []
        known = features.images.get("chroma")
        for r in range(rows):
            if known is not None and r < len(known) and not np.isnan(known[r]):
                if known[r] > COLOURLESS:
                    return False
                continue
            frame = kept[r] if r < len(kept) else None
            frame = frame if frame is not None else _reopened(features, r)
            if frame is None or not colourless(frame):
                return False
        return True


def _reopened(features, row: int):
    """The image of the post's features row ``row`` (a PIL image; a JPEG decoded at a reduced size, which the
    chroma needs no more than), or None where it cannot be read now (said on the log) or is a video's frame."""
    import logging
    from pathlib import Path

    from ....exceptions import InputError
    from ....features import image_labels
    from ....media import is_video, load_image

    images = list(features.post.images)
    labels, names = features.images.get("labels") or [], image_labels(images)
    if row >= len(labels) or labels[row] not in names:
        return None
    item = images[names.index(labels[row])]
    if not isinstance(item, (str, Path)):
        return item
    if is_video(Path(item)):
        return None
    try:
        from PIL import Image

        with Image.open(item) as img:
            img.draft("RGB", (2 * SIDE, 2 * SIDE))  # JPEG: decoded at 1/2 to 1/8 of its size
            img.load()
            return img.copy()
    except (OSError, ValueError):
        try:
            return load_image(Path(item))
        except InputError as exc:
            logging.getLogger(__name__).warning("photo_colour: %s", exc)
            return None
