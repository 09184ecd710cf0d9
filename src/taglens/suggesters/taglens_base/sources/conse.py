"""``conse``: the zero-shot path (ImageNet classes -> WordNet -> tags, :mod:`taglens.suggesters.zeroshot`), for
photos of things no training post shows; its gain rises on photos unlike the training photos (``familiarity``)."""
from __future__ import annotations

from ...zeroshot import ZeroShotSuggester
from ..source import PER_SOURCE, Source, State, TrainingSet


class Conse(Source):
    name = "conse"
    weight = 0.1
    weight_with_caption = 0.1

    def fit(self, data: TrainingSet) -> None:
        self.conse_ = ZeroShotSuggester().fit_vocab(self.model.vocab_, self.model.tag_emb_)

    def evidence(self, post, features):
        if features.images is None:
            return {}
        return self.conse_.evidence_from_logits(features.images["logits"], PER_SOURCE, features.images.get("labels"))

    def gain(self, post, features):
        return self.model.source("image").image_gain(self.name, features)

    def save(self, state: State) -> None:
        self.conse_.save(state.directory / "conse")

    def load(self, state: State) -> None:
        self.conse_ = ZeroShotSuggester.load(state.directory / "conse")  # of its own type, or a clear error
