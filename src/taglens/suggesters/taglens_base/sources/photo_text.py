"""``photo_text``: text written in the photo (a sign, a menu, a poster). Where the text probe on the image
features (:mod:`taglens.vision.probes`) says text is likely, RapidOCR's detector checks for a readable line
and then reads it (:func:`taglens.vision.ocr.text_evidence`); its words and phrases become tags as caption
words do, scored by the reader's confidence, the text's size and how specific the word is, with the text read
as the reason ('text in the photo: "SUMMER SALE 50% OFF"'). Each tag's score is then scaled by how often people
who write the word also tag it (``Vocabulary.hashtag_rate``, full from TAG_RATE_FULL): a poster's #sale and #summer
keep their score, a meme's "worthless" or "nowadays" and a photo editor's "sharpness" do not fill the top five
(instagram6 val A@5 0.843 -> 0.858). A photo the probe rejects pays nothing; without RapidOCR (reported once on
stderr) the source gives no evidence."""
from __future__ import annotations

from ..source import Source

TAGS = 8  # tags taken from one photo's text
FRAMES = 1  # photos or frames of a post that are read (reading costs ~0.6 s CPU each)
# the hashtag rate at which a word read in the photo keeps its full score (instagram6 val A@5 by this value: 0.843
# without the scaling, 0.855 at 0.15, 0.858 at 0.3, 0.863 at 0.5 with P@1 0.6715 against 0.6744 at 0.3)
TAG_RATE_FULL = 0.3


class PhotoText(Source):
    name = "photo_text"
    weight = 0.5  # swept: 0.25 / 0.5 / 1.0 / 2.0 (docs/VISION.md); 1.0 costs instagram6 fitness P@1 0.12

    def evidence(self, post, features):
        from ....vision.ocr import text_evidence
        from ....knowledge.vocabulary import get_vocabulary
        from ....vision.probes import gated_frames

        out: dict[str, tuple[float, str]] = {}
        vocab = get_vocabulary()
        for _, frame, _ in gated_frames(features, "text", FRAMES):
            for tag, score, reason in text_evidence(frame, k=TAGS, gate=True).tags:
                score *= min(1.0, vocab.hashtag_rate(tag)[0] / TAG_RATE_FULL)
                if score > out.get(tag, (0.0, ""))[0]:
                    out[tag] = (score, reason)
        return out
