"""``caption_protos``: the tags of the clusters of similar training captions (k-means on MiniLM embeddings, at
least five captions each; :mod:`taglens.suggesters.prototypes`)."""
from __future__ import annotations

from ..heads import PrototypeSource
from ..language_gate import LEARNED_LANGUAGES
from ..wording import caption_gain


class CaptionPrototypes(PrototypeSource):
    name = "caption_protos"
    weight = 0.5
    reason = "similar captions are tagged #{tag}"
    # a tag one caption of a cluster carries does not vote (#usmc #melrose #godfirst for 'First day at the new
    # job'); the image prototypes keep their plain rates (others-only cost instagram6 P@1 0.006 with the agreement
    # check of the image sources)
    others_only = True
    learned_languages = LEARNED_LANGUAGES

    def training_rows(self, data):
        return None if data.captions is None else (data.captions[2], data.captions[1])

    def vector(self, features):
        return features.text_emb if features.text else None

    def gain(self, post, features):
        return caption_gain(features.text, self.model.text_words_full)
