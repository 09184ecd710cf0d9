"""``image``: an MLP head on pooled EfficientNet-Lite0 features (averaged over a post's images), trained on the
developer photos' tags."""
from __future__ import annotations

import numpy as np

from ..heads import HeadSource


class ImageHead(HeadSource):
    name = "image"
    weight = 1.0
    weight_with_caption = 1.0
    prefix = "image"
    reason = "photos like this one are tagged #{tag}"

    def training_rows(self, data):
        if data.photos is None:
            return None
        x, ys, ws = data.photos
        return x, ys, ws, self.model.image_hidden, self.model.image_epochs, True

    def vector(self, features):
        return None if features.images is None else features.images["pooled"].astype(np.float32).mean(0)
