"""``image``: an MLP head on pooled EfficientNet-Lite0 features (averaged over a post's images), trained on the
developer photos' tags. It also says how familiar a photo is to the trained image sources (``familiarity``), which
sets the gains of every image source."""
from __future__ import annotations

import numpy as np

from .. import agreement as agr
from .. import familiarity as fam
from ..heads import HeadSource, mlp_forward
from ..source import no_caption_or_tags
from ..wording import caption_gain


# the similar photos' mass on a topic's tags (the summed tag frequencies of the nearest prototypes) that fully
# confirms the head's tags of that topic: a vape shop's photo holds many vape tags (vape val median 3.3, 25th
# percentile 1.4); a motorcycle 0.57, the everyday photos' median 0.14
TOPIC_PROTOS_FULL = 2.0
# a caption of whose words the trained sources know under this share (``language_gate``: a language they did not
# learn) is read as no caption by the photo-alone checks of ``agreement``, on a post without tags
UNREAD = 0.2


class ImageHead(HeadSource):
    name = "image"
    weight = 1.0
    weight_with_caption = 1.0
    prefix = "image"
    reason = "photos like this one are tagged #{tag}"
    _batched: dict = {}  # id(features) -> (features, (vector, head probabilities)) of the last suggest_batch's posts

    def training_rows(self, data):
        if data.photos is None:
            return None
        x, ys, ws = data.photos
        return x, ys, ws, self.model.image_hidden, self.model.image_epochs, True

    def vector(self, features):
        return None if features.images is None else features.images["pooled"].astype(np.float32).mean(0)

    def _read(self, features) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(vector, head probabilities) of the post, computed once per post (evidence, then the gains), or as
        ``evidence_batch`` computed them (suggest_batch)."""
        batched = self._batched.get(id(features))
        if batched is not None and batched[0] is features and self.__dict__.get("_seen", (None,))[0] is not features:
            self._seen = batched
        return self.per_post("_seen", features, self._head_of)

    def _head_of(self, features) -> tuple[np.ndarray | None, np.ndarray | None]:
        x = self.vector(features)
        return x, (None if x is None or self.head_ is None
                   else mlp_forward(x[None, :], self.head_, self.model.head_loss)[0])

    def evidence_batch(self, posts, features) -> list:
        self._batched = {}
        return super().evidence_batch(posts, features)

    def remember(self, features, vector, probs) -> None:
        self._batched[id(features)] = (features, (vector, probs))

    def evidence(self, post, features):
        _, probs = self._read(features)
        return {} if probs is None else self.top(self.checked(features, probs), self.reason)

    def alone_evidence(self, features):
        """The evidence as the photo alone gives it (no caption, no tags: every photo-alone check of ``agreement``
        and ``topic_checked``), for ``TaglensBase.gains``: how far the photo by itself shows a topic whose posts
        taught the caption sources a language. Once per post."""
        return self.per_post("_alone", features, self._alone_evidence)

    def _alone_evidence(self, features):
        _, probs = self._read(features)
        if probs is None:
            return {}
        keep = self._agreement(features, alone=True)[0]
        return self.top(self.topic_checked(features, probs if keep is None else probs * keep, alone=True), self.reason)

    def checked(self, features, probs: np.ndarray) -> np.ndarray:
        """``probs`` as the evidence shows them: each tag scaled by how far what the ImageNet classifier sees
        supports it (``agreement``), then the topic check (``topic_checked``)."""
        keep = self.agreement(features)[0]
        return self.topic_checked(features, probs if keep is None else probs * keep)

    def topic_checked(self, features, probs: np.ndarray, alone: bool = False) -> np.ndarray:
        """``probs`` with the tags of each one-topic vocabulary (``topics.topic_tags``: #vape #boxmod ...) scaled by
        how far the similar photos agree that the photo shows the topic: their mass on the topic's tags over
        ``TOPIC_PROTOS_FULL``. The head alone puts vape tags on a motorcycle or a navy portrait (and its own mass on
        them is the photo's evidence of the topic for ``topics``); the similar photos rarely do. For a photo alone:
        the check fades as the caption grows (a vape shop's caption with a photo the prototypes do not place: the
        vape val set lost 2 first tags to it)."""
        from ..topics import TOPIC_CORPORA, topic_rows

        rows = [topic_rows(self.model)[topic] for topic in TOPIC_CORPORA]
        if not any(float(probs[r].sum()) > 0.01 for r in rows):
            return probs
        agreed = [self.photos_agree(features, r) for r in rows]
        if agreed[0] is None:
            return probs
        caption = caption_gain(features.text, self.model.text_words_full) if features.text and not alone else 0.0
        out = probs.copy()
        for r, agree in zip(rows, agreed):
            out[r] *= agree + (1.0 - agree) * caption
        return out

    def photos_agree(self, features, rows: np.ndarray) -> float | None:
        """How far the similar photos agree that the photo shows the topic whose tags are the vocabulary ``rows``:
        the image prototypes' mass on them (``ImagePrototypes.near``) over ``TOPIC_PROTOS_FULL``, at most 1; None
        without a photo or prototypes."""
        try:
            near = self.model.source("image_protos").near(features)
        except KeyError:
            return None
        return None if near is None else min(1.0, float(near[rows].sum()) / TOPIC_PROTOS_FULL)

    def familiarity(self, features) -> float | None:
        """The probability that the post's photo is like the training photos (``familiarity``); None without a
        photo, a head, prototypes or the calibration. Computed once per post: each image source's gain asks."""
        return self.per_post("_familiar", features, self._familiarity)

    def _familiarity(self, features) -> float | None:
        x, probs = self._read(features)
        calib = fam.calibration()
        try:
            protos = self.model.source("image_protos").protos_
        except (KeyError, AttributeError):
            protos = None
        if probs is None or calib is None or protos is None or not len(protos.centroids_):
            return None
        return calib.familiarity(*fam.signals(x, protos.centroids_, probs))

    def agreement(self, features) -> tuple[np.ndarray | None, float]:
        """(the share of its score each vocabulary tag of a trained image source keeps on this post, the head's
        doubt) from what the ImageNet classifier sees (``agreement``): a tag the classes do not support fades on a
        photo alone, back to 1 as the caption grows; #food is left out of a photo alone that shows no food
        (``agreement.not_food``), #love and the other fillers out of one unlike the training photos
        (``agreement.FILLER_UNDER``), #travel #selfie #fitness out of one unlike them whose class the classifier is
        sure of (``sure_and_unfamiliar``), a kind of thing that is a sibling of that class out of one unlike them
        (``other_kinds``: #cars for a moped), #animals out of one that shows no animal (``no_animals``), and every tag
        out of a posed portrait unlike them (``posed``, ``Faces.posed``: formal dress, or a face on a photo unlike
        the developer sets'); (None, 0) without a photo, a head or the table. Once per post."""
        return self.per_post("_agreed", features, self._agreement)

    def _agreement(self, features, alone: bool = False) -> tuple[np.ndarray | None, float]:
        table = agr.table()
        _, probs = self._read(features)
        if table is None or probs is None:
            return None, 0.0
        from ....encoders.image import softmax

        cached = self.__dict__.get("_agree_cols")
        if cached is None or cached[0] is not self.model.vocab_ or cached[1] is not table:
            cached = self._agree_cols = (self.model.vocab_, table,
                                         *agr.over_vocab(table, self.model.index_, len(self.model.vocab_)))
        rows, cols = cached[2], cached[3]
        agree = np.zeros(len(self.model.vocab_), np.float32)
        class_probs = softmax(features.images["logits"].astype("float64")).mean(0)
        agree[rows] = table.support(class_probs)[cols]
        caption = caption_gain(features.text, self.model.text_words_full) if features.text and not alone else 0.0
        keep = agree + (1.0 - agree) * caption
        if alone or no_caption_or_tags(features) or self._unread_caption(features):  # a photo alone
            familiarity, index = self.familiarity(features), self.model.index_

            def drop(tags) -> None:
                keep[[index[t] for t in tags if t in index]] = 0.0

            if agr.not_food(class_probs, familiarity):  # that shows no food
                drop(("food",))
            if familiarity is not None:  # unlike the training photos: no filler
                drop(tag for tag, under in agr.FILLER_UNDER.items() if familiarity < under)
            if agr.sure_and_unfamiliar(class_probs, familiarity):  # a camera on a tripod is no #fitness
                drop(agr.SET_LABELS)
            drop(agr.other_kinds(class_probs, familiarity))  # a moped is no #cars
            if agr.no_animals(class_probs, familiarity):  # a page of text is no #animals
                drop(agr.ANIMAL_TAGS)
            if agr.posed(class_probs, familiarity) or self._posed_face(features):  # a navy portrait is no #love
                keep[:] = 0.0
        return keep, agr.doubt(probs, agree)

    @staticmethod
    def _unread_caption(features) -> bool:
        """Whether the post is a photo under a caption taglens cannot read and no tags: a caption in a language the
        trained sources did not learn, under ``UNREAD`` of whose words they know (``language_gate``). Such a caption
        cannot show that a tag the photo's checks leave out is right after all, so the photo keeps a photo alone's
        checks: Grace Hopper under "Una pionera de la informática" is no #food, #travel or #love."""
        if features.tags or not features.text:
            return False
        from ..language_gate import LEARNED_LANGUAGES, language_gate

        return language_gate(features.text, LEARNED_LANGUAGES) < UNREAD

    def _posed_face(self, features) -> bool:
        """Whether the faces source reads the photo as a person's portrait (``Faces.posed``)."""
        try:
            return bool(self.model.source("faces").posed(features))
        except KeyError:
            return False

    def image_gain(self, source: str, features) -> float:
        """The gain of the image source ``source`` on this post (``familiarity.gain``: by the photo's familiarity,
        back to 1 as the caption grows), an open-world source's raised by the head's doubt (``agreement``) up to its
        gain on a novel photo."""
        caption = caption_gain(features.text, self.model.text_words_full) if features.text else 0.0
        out = fam.gain(source, self.familiarity(features), caption)
        if source in agr.OPEN_BOOST:  # never above its gain on a photo unlike any training photo (fam.OPEN)
            raised = out * (1.0 + agr.OPEN_BOOST[source] * self.agreement(features)[1] * (1.0 - min(1.0, caption)))
            out = min(raised, max(out, fam.OPEN[source][0]))
        return out

    def gain(self, post, features):
        return self.image_gain(self.name, features)
