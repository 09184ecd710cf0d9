"""``image_protos``: the tags of the clusters of similar training photos (k-means on pooled image features, at
least five photos each; :mod:`taglens.suggesters.prototypes`)."""
from __future__ import annotations

import numpy as np

from ...prototypes import TagPrototypes
from ..source import Source, State, TrainingSet


class ImagePrototypes(Source):
    name = "image_protos"
    weight = 2.0
    weight_with_caption = 0.2

    def fit(self, data: TrainingSet) -> None:
        self.protos_ = None
        if data.photos is not None:
            x, ys, _ = data.photos
            self.protos_ = TagPrototypes(seed=self.model.seed).fit(x, ys, len(self.model.vocab_))

    def evidence(self, post, features):
        if self.protos_ is None or features.images is None:
            return {}
        x = features.images["pooled"].astype(np.float32).mean(0)
        return self.top(self.protos_.scores(x, len(self.model.vocab_)), "similar photos are tagged #{tag}")

    def save(self, state: State) -> None:
        if self.protos_ is not None:
            state.arrays.update(self.protos_.arrays(self.name))

    def load(self, state: State) -> None:
        self.protos_ = TagPrototypes.from_arrays(state.arrays, self.name)
