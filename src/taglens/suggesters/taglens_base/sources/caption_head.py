"""``caption``: an MLP head on the caption's MiniLM embedding, trained on the developer captions."""
from __future__ import annotations

import numpy as np

from ..heads import HeadSource
from ..language_gate import LEARNED_LANGUAGES
from ..wording import caption_gain


class CaptionHead(HeadSource):
    name = "caption"
    weight = 1.0
    learned_languages = LEARNED_LANGUAGES
    prefix = "text"
    reason = "captions like this one are tagged #{tag}"

    def training_rows(self, data):
        if data.captions is None:
            return None
        _, ys, emb = data.captions
        ws = [data.topic_weights(p) for p in data.captioned]
        return emb.astype(np.float32), ys, ws, self.model.text_hidden, self.model.text_epochs, False

    def vector(self, features):
        return features.text_emb if features.text else None

    def gain(self, post, features):
        return caption_gain(features.text, self.model.text_words_full)
