"""``about``: MiniLM similarity between the caption and the segmented tags of the vocabulary (open vocabulary);
nothing of its own to learn (the tag embeddings are the model's)."""
from __future__ import annotations

import numpy as np

from ..heads import batch_top
from ..language_gate import LEARNED_LANGUAGES
from ..source import Source
from ..wording import caption_gain


REASON = "caption is about: {words}"


class About(Source):
    name = "about"
    weight = 0.8
    learned_languages = LEARNED_LANGUAGES

    def evidence(self, post, features):
        if features.text_emb is None or not features.text:
            return {}
        return self.top(self._scores(self.model.tag_emb_ @ features.text_emb), REASON)

    def evidence_batch(self, posts, features):
        """``evidence`` of each post, one matrix product for all (as the heads: ``heads.batch_top``)."""
        vectors = [f.text_emb if f.text_emb is not None and f.text else None for f in features]
        return batch_top(self, vectors, lambda x: self._scores(x @ self.model.tag_emb_.T), REASON)

    @staticmethod
    def _scores(sim: np.ndarray) -> np.ndarray:
        return np.clip((sim - 0.3) / 0.7, 0.0, None) ** 2

    def gain(self, post, features):
        return caption_gain(features.text, self.model.text_words_full)
