"""``faces``: people in the photo. Where the person probe on the image features
(:mod:`taglens.vision.probes`) says a face is likely, the BlazeFace detector (:mod:`taglens.vision.faces`)
gives the photo's face pattern ("one face, close up", "two faces", ...), and the pattern gives the people tags
learned for it (#selfie, #smile, #portrait, ...), with the pattern as the reason. Its weight is far below the
image sources': a face adds people tags without replacing the photo's topic (a person in a food photo keeps
#food first). A photo the probe rejects pays nothing; without ONNX Runtime (reported once
on stderr) the source gives no evidence.

The pattern's first tag (#selfie for every pattern the developer sets taught) carries the evidence; the others
(#smile, #happy, #style, ...) are scaled by ``OTHERS``: at full strength they pushed the topic tags of travel,
fitness and food photos with a person in them out of the top 5 (instagram6 val A@5 -0.023), and they hit
rarely. A person whose photo the encoder reads first as formal dress or a photographer's kit (``FORMAL``: a
uniform, a suit, an academic gown; a tripod, a camera) is a posed portrait, not a selfie: such a face supports
#portrait and #people instead, and counts against #selfie. Such a photo is looked at for a face even where the
person probe rejects it (the probe, learned from the developer sets' people, passes few formal portraits and
grey photos: a cameraman with his tripod, an official portrait in a suit). A face on a photo unlike the developer sets'
photos (familiarity under ``UNFAMILIAR``: a NASA astronaut's official portrait) is read as a portrait too, and the
image head then leaves the trained sources' tags out of such a photo alone (``ImageHead.agreement``)."""
from __future__ import annotations

import functools
import math

import numpy as np

from ....vision import VisionUnavailable
from ..source import Source, no_caption_or_tags

TAGS = 6  # tags taken from a face pattern
FRAMES = 2  # photos or frames of a post the detector may run on
OTHERS = 0.1  # the share of their score the pattern's other tags keep (swept on instagram6 val: 0 / 0.1 / 0.2 / 1)
# ImageNet classes (WordNet ids) of formal dress and of a photographer's kit: the photo's first class among them
# makes its face a posed portrait. The developer sets cannot teach this (their few photos of a person in a
# uniform or a suit are selfie posts: of the train photos with a face and the class among their first five, military
# uniform 5 of 5, suit 8 of 28), so it is a list; on
# instagram6 val it fires on 5 photos with a face (3 of them selfie posts; #selfie first 59 -> 58 of 75).
FORMAL = frozenset({
    "n03763968",  # military uniform
    "n04350905",  # suit
    "n02669723",  # academic gown
    "n03787032",  # mortarboard
    "n04591157",  # Windsor tie
    "n02883205",  # bow tie
    "n03630383",  # lab coat
    "n04532106",  # vestment
    "n03929855",  # pickelhaube
    "n02817516",  # bearskin
    "n04485082",  # tripod
    "n04069434",  # reflex camera
    "n03976467",  # Polaroid camera
    "n03657121",  # lens cap
})
# what a posed portrait's face supports, with the share of the evidence each gets: #portrait twice #selfie's share
# (its evidence has no rival in the face: with 1 Grace Hopper's navy portrait showed #fashion #love #travel first,
# with 2 #portrait first; instagram6 val A@5 -0.0058 against 1), and a negative share, evidence against #selfie,
# which the similar photos give any face (the same portrait: #selfie 0.13 from image_protos)
PORTRAIT = (("portrait", 2.0), ("people", 0.5), ("selfie", -1.0))
# #people's share on a posed portrait alone whose trained sources keep nothing (familiarity under
# agreement.POSED_UNFAMILIAR: ImageHead.agreement): at 0.5 its score (0.075) sat under the shown confidence (0.05), so
# such a photo showed #portrait and nothing of the person (the NASA astronaut, Grace Hopper, a cameraman), the
# person tags the trained sources give a familiar photo (#selfie #fashion #ootd) being left out; at 0.75 it is shown,
# under #portrait and under a kind the classifier reads well (the cameraman's #tripod)
PEOPLE_ALONE = 0.75
# a face on a photo whose familiarity (``familiarity``) is under this is a portrait too: the face patterns' #selfie
# was learned from the developer sets' selfies, and no instagram6 val photo with a face is under 0.3 (the NASA
# astronaut's official portrait is at 0.22)
UNFAMILIAR = 0.25


def dressed_formally(logits: np.ndarray) -> bool:
    """Whether the first ImageNet class of a photo's logits (1000,) is formal dress or a photographer's kit."""
    return bool(formal_rows({"logits": np.asarray(logits)[None]})[0])


@functools.lru_cache(maxsize=1)
def formal_classes() -> np.ndarray:
    """A boolean per ImageNet class index: formal dress or a photographer's kit (``FORMAL``)."""
    from ....encoders.image import imagenet_synsets

    return np.array([wnid in FORMAL for wnid in imagenet_synsets()], bool)


def formal_rows(feats: dict) -> np.ndarray:
    """Per row of a post's image features: whether its first ImageNet class is formal dress or a photographer's
    kit (an argmax per photo: no cost to speak of)."""
    return formal_classes()[np.argmax(feats["logits"], axis=1)]


class Faces(Source):
    name = "faces"
    weight = 0.15  # swept on instagram6 and vape val: 0.12 / 0.15 / 0.2 / 0.3 / 0.5 / 1.0 (docs/VISION.md)
    # how steeply the score follows the person probe's margin (0: not at all; the probe only gates). Swept with
    # weight 0.15: 0 / 0.5 / 1 / 2 gave #selfie first for 58 / 55 / 56 / 57 of 75 instagram6 selfie posts, P@1
    # 0.6628 / 0.6570 / 0.6570 / 0.6599: the detector's own two-model check is confirmation enough
    agreement = 0.0

    def evidence(self, post, features):
        from ....vision.faces import pattern_tags

        best = self.face(features)
        if best is None:
            return {}
        pattern, label, margin = best
        tags = pattern_tags(pattern, TAGS)
        if not tags:
            return {}
        agree = 1.0 / (1.0 + math.exp(-self.agreement * margin)) if self.agreement else 1.0
        where = f" in {label}" if len(post.images) > 1 else ""
        if self._formal(features, label) or self._unfamiliar(features):
            reason = f"{pattern.evidence}, posed{where}"
            alone = self._alone_and_unread(features)
            return {tag: (agree * (PEOPLE_ALONE if alone and tag == "people" else share), reason)
                    for tag, share in PORTRAIT}
        top = tags[0][1]
        return {tag: (agree * score / top * (1.0 if i == 0 else OTHERS), f"{evidence}{where}")
                for i, (tag, score, evidence) in enumerate(tags)}

    def face(self, features):
        """(the largest face pattern, the photo or frame it is in, the person probe's margin) of the post, None
        without a face (or without ONNX Runtime); once per post (the image head asks too: ``posed``)."""
        return self.per_post("_face_seen", features, self._face)

    @staticmethod
    def _face(features):
        from ....vision.faces import NO_FACE, face_pattern
        from ....vision.probes import gated_frames

        best = None
        try:
            for label, frame, margin in gated_frames(features, "person", FRAMES, also=formal_rows):
                pattern = face_pattern(frame)
                if pattern.label != NO_FACE and (best is None or pattern.size > best[0].size):
                    best = (pattern, label, margin)
        except VisionUnavailable:
            return None
        return best

    def posed(self, features) -> bool:
        """Whether the post's photo shows a face on a photo unlike the developer sets' (``_unfamiliar``): a
        person's portrait, not one of the selfies the trained image sources learned."""
        return features.images is not None and self._unfamiliar(features) and self.face(features) is not None

    def _alone_and_unread(self, features) -> bool:
        """Whether the post is a photo alone whose trained image sources keep nothing of a posed portrait
        (familiarity under ``agreement.POSED_UNFAMILIAR``)."""
        from ..agreement import POSED_UNFAMILIAR  # here: agreement reads this module's FORMAL

        if not no_caption_or_tags(features):
            return False
        try:
            familiarity = self.model.source("image").familiarity(features)
        except KeyError:
            return False
        return familiarity is not None and familiarity < POSED_UNFAMILIAR

    def _unfamiliar(self, features) -> bool:
        """Whether the photo's familiarity (``ImageHead.familiarity``) is under ``UNFAMILIAR``."""
        try:
            familiarity = self.model.source("image").familiarity(features)
        except KeyError:
            return False
        return familiarity is not None and familiarity < UNFAMILIAR

    @staticmethod
    def _formal(features, label: str) -> bool:
        """Whether the photo (or frame) ``label`` names is read first as formal dress or a photographer's kit."""
        feats = features.images
        labels = feats.get("labels") or []
        rows = [i for i, lab in enumerate(labels) if lab == label] or [0]
        formal = formal_rows(feats)
        return any(formal[r] for r in rows if r < len(formal))
