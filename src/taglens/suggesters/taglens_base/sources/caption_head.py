"""``caption``: an MLP head on the caption's MiniLM embedding, trained on the developer captions."""
from __future__ import annotations

import logging

import numpy as np

from ....training import train_head
from ..heads import head_arrays, mlp_forward, read_head
from ..language_gate import LEARNED_LANGUAGES
from ..source import Source, State, TrainingSet
from ..wording import caption_gain

log = logging.getLogger(__name__)


class CaptionHead(Source):
    name = "caption"
    weight = 1.0
    learned_languages = LEARNED_LANGUAGES
    prefix = "text"

    def fit(self, data: TrainingSet) -> None:
        self.head_ = None
        if data.captions is not None:
            _, ys, emb = data.captions
            model = self.model
            log.info("taglens-base: caption head on %d posts", len(ys))
            self.head_ = train_head(emb.astype(np.float32), ys, len(model.vocab_), model.text_hidden,
                                    model.text_epochs, seed=model.seed, loss=model.head_loss,
                                    target_weights=[data.topic_weights(p) for p in data.captioned])

    def evidence(self, post, features):
        if self.head_ is None or features.text_emb is None or not features.text:
            return {}
        probs = mlp_forward(features.text_emb[None, :], self.head_, self.model.head_loss)[0]
        return self.top(probs, "captions like this one are tagged #{tag}")

    def gain(self, post, features):
        return caption_gain(features.text, self.model.text_words_full)

    def save(self, state: State) -> None:
        state.arrays.update(head_arrays(self.prefix, self.head_))

    def load(self, state: State) -> None:
        self.head_ = read_head(self.prefix, state.arrays)
