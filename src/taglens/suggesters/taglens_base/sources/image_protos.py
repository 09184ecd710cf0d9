"""``image_protos``: the tags of the clusters of similar training photos (k-means on pooled image features, at
least five photos each; :mod:`taglens.suggesters.prototypes`), faded on photos unlike the training photos
(``familiarity``)."""
from __future__ import annotations

import numpy as np

from ..heads import PrototypeSource


class ImagePrototypes(PrototypeSource):
    name = "image_protos"
    weight = 2.0
    weight_with_caption = 0.2
    reason = "similar photos are tagged #{tag}"

    def training_rows(self, data):
        return None if data.photos is None else data.photos[:2]

    def vector(self, features):
        return None if features.images is None else features.images["pooled"].astype(np.float32).mean(0)

    def gain(self, post, features):
        return self.model.source("image").image_gain(self.name, features)
