"""``faces``: people in the photo. Where the person probe on the image features
(:mod:`taglens.vision.probes`) says a face is likely, the BlazeFace detector (:mod:`taglens.vision.faces`)
gives the photo's face pattern ("one face, close up", "two faces", ...), and the pattern gives the people tags
learned for it (#selfie, #smile, #portrait, ...), with the pattern as the reason. Its weight is far below the
image sources': a face adds people tags without replacing the photo's topic (a person in a food photo keeps
#food first), and each tag's score is scaled by the person probe's confidence (the image features must agree
that this is a photo of a person). A photo the probe rejects pays nothing; without ONNX Runtime (reported once
on stderr) the source gives no evidence."""
from __future__ import annotations

import math

from ....vision import VisionUnavailable
from ..source import Source

TAGS = 6  # tags taken from a face pattern
FRAMES = 2  # photos or frames of a post the detector may run on


class Faces(Source):
    name = "faces"
    weight = 0.2  # swept on instagram6 val: 0.1 / 0.2 / 0.3 / 0.5 / 1.0 (docs/VISION.md)
    agreement = 1.0  # how steeply the score follows the person probe's margin (0: not at all)

    def evidence(self, post, features):
        from ....vision.faces import NO_FACE, face_pattern, pattern_tags
        from ....vision.probes import gated_frames

        best = None
        try:
            for label, frame, margin in gated_frames(features, "person", FRAMES):
                pattern = face_pattern(frame)
                if pattern.label != NO_FACE and (best is None or pattern.size > best[0].size):
                    best = (pattern, label, margin)
        except VisionUnavailable:
            return {}
        if best is None:
            return {}
        pattern, label, margin = best
        tags = pattern_tags(pattern, TAGS)
        if not tags:
            return {}
        agree = 1.0 / (1.0 + math.exp(-self.agreement * margin)) if self.agreement else 1.0
        top = tags[0][1]
        where = f" in {label}" if len(post.images) > 1 else ""
        return {tag: (agree * score / top, f"{evidence}{where}") for tag, score, evidence in tags}
