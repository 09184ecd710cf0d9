"""``photo_text``: text written in the photo (a sign, a menu, a poster). Where the text probe on the image
features (:mod:`taglens.vision.probes`) says text is likely, RapidOCR's detector checks for a readable line
and then reads it (:func:`taglens.vision.ocr.text_evidence`); its words and phrases become tags as caption
words do, scored by the reader's confidence, the text's size and how specific the word is, with the text read
as the reason ('text in the photo: "SUMMER SALE 50% OFF"'). A photo the probe rejects pays nothing; without
RapidOCR (reported once on stderr) the source gives no evidence.

The words of a sign or a poster are what the photo is about; the words of a meme, a quote, a screenshot or an
editing app's sliders are not, and each is only one of many: the scores are divided by the number of distinct
content words read beyond ``WORDS`` (a photo with 2 words keeps them whole, one with 20 keeps a tenth), and only
the ``TAGS`` best are taken; text mostly in another language is not read (``taglens.vision.ocr.MIN_KNOWN``). On
instagram6 val this took the source's cost from A@5 -0.020 to none (P@1 +0.003), vape A@5 +0.006, with the
rendered-text bench unchanged (0.725; docs/VISION.md)."""
from __future__ import annotations

from ..source import Source

TAGS = 3  # tags taken from one photo's text (8 before issue 24's fourth stop)
WORDS = 2  # content words a photo's text may have before its scores are divided (swept: 2 / 3 / 4 / 5 / 8 / none)
FRAMES = 1  # photos or frames of a post that are read (reading costs ~0.6 s CPU each)


class PhotoText(Source):
    name = "photo_text"
    weight = 0.5  # swept: 0.25 / 0.5 / 1.0 / 2.0 (docs/VISION.md); 1.0 costs instagram6 fitness P@1 0.12

    def evidence(self, post, features):
        from ....vision.ocr import text_evidence
        from ....vision.probes import gated_frames

        out: dict[str, tuple[float, str]] = {}
        for _, frame, _ in gated_frames(features, "text", FRAMES):
            read = text_evidence(frame, k=TAGS, gate=True)
            share = min(1.0, WORDS / max(1, len(read.words)))
            for tag, score, reason in read.tags:
                if score * share > out.get(tag, (0.0, ""))[0]:
                    out[tag] = (score * share, reason)
        return out
