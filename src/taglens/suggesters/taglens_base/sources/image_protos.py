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

    def near(self, features) -> np.ndarray | None:
        """The prototypes' tag scores for the post's photo (None without one), computed once per post: the image
        head reads them too (``ImageHead.checked``)."""
        return self.per_post("_near_seen", features, self._near)

    def _near(self, features) -> np.ndarray | None:
        x = self.vector(features) if self.protos_ is not None else None
        return None if x is None else self.protos_.scores(x, len(self.model.vocab_))

    def evidence(self, post, features):
        scores = self.near(features)
        if scores is None:
            return {}
        keep = self.model.source("image").agreement(features)[0]  # what the classifier sees must support a tag
        return self.top(scores if keep is None else scores * keep, self.reason)

    def gain(self, post, features):
        return self.model.source("image").image_gain(self.name, features)
