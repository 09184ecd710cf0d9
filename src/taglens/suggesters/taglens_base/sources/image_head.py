"""``image``: an MLP head on pooled EfficientNet-Lite0 features, trained on the developer photos' tags."""
from __future__ import annotations

import logging

import numpy as np

from ....training import train_head
from ..heads import head_arrays, mlp_forward, read_head
from ..source import Source, State, TrainingSet

log = logging.getLogger(__name__)


class ImageHead(Source):
    name = "image"
    weight = 1.0
    weight_with_caption = 1.0
    prefix = "image"

    def fit(self, data: TrainingSet) -> None:
        self.head_ = None
        if data.photos is not None:
            x, ys, ws = data.photos
            model = self.model
            log.info("taglens-base: image head on %d posts", len(x))
            self.head_ = train_head(x, ys, len(model.vocab_), model.image_hidden, model.image_epochs,
                                    seed=model.seed, loss=model.head_loss, target_weights=ws, center=True)

    def evidence(self, post, features):
        if self.head_ is None or features.images is None:
            return {}
        x = features.images["pooled"].astype(np.float32).mean(0, keepdims=True)
        probs = mlp_forward(x, self.head_, self.model.head_loss)[0]
        return self.top(probs, "photos like this one are tagged #{tag}")

    def save(self, state: State) -> None:
        state.arrays.update(head_arrays(self.prefix, self.head_))

    def load(self, state: State) -> None:
        self.head_ = read_head(self.prefix, state.arrays)
