"""``photo_text``: text written in the photo (a sign, a menu, a poster). Where the text probe on the image
features (:mod:`taglens.vision.probes`) says text is likely, RapidOCR's detector checks for a readable line
and then reads it (:func:`taglens.vision.ocr.text_evidence`); its words and phrases become tags as caption
words do, scored by the reader's confidence, the text's size and how specific the word is, with the text read
as the reason ('text in the photo: "SUMMER SALE 50% OFF"'). A photo the probe rejects pays nothing; without
RapidOCR (reported once on stderr) the source gives no evidence."""
from __future__ import annotations

from ..source import Source

TAGS = 8  # tags taken from one photo's text
FRAMES = 1  # photos or frames of a post that are read (reading costs ~0.6 s CPU each)


class PhotoText(Source):
    name = "photo_text"
    weight = 0.5  # swept: 0.25 / 0.5 / 1.0 / 2.0 (docs/VISION.md); 1.0 costs instagram6 fitness P@1 0.12

    def evidence(self, post, features):
        from ....vision.ocr import text_evidence
        from ....vision.probes import gated_frames

        out: dict[str, tuple[float, str]] = {}
        for _, frame, _ in gated_frames(features, "text", FRAMES):
            for tag, score, reason in text_evidence(frame, k=TAGS, gate=True).tags:
                if score > out.get(tag, (0.0, ""))[0]:
                    out[tag] = (score, reason)
        return out
