"""``about``: MiniLM similarity between the caption and the segmented tags of the vocabulary (open vocabulary);
nothing of its own to learn (the tag embeddings are the model's)."""
from __future__ import annotations

import numpy as np

from ..language_gate import LEARNED_LANGUAGES
from ..source import Source
from ..wording import caption_gain


class About(Source):
    name = "about"
    weight = 0.8
    learned_languages = LEARNED_LANGUAGES

    def evidence(self, post, features):
        if features.text_emb is None or not features.text:
            return {}
        sim = self.model.tag_emb_ @ features.text_emb
        return self.top(np.clip((sim - 0.3) / 0.7, 0.0, None) ** 2, "caption is about: {words}")

    def gain(self, post, features):
        return caption_gain(features.text, self.model.text_words_full)
