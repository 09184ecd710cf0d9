"""``ngrams``: one-vs-rest logistic regression over the caption's character n-grams and words, trained on the
captions of photo posts (brand and shop names, other languages; :mod:`taglens.suggesters.ngrams`); captions of
posts without a photo (tweets) are its negatives."""
from __future__ import annotations

import logging

from ....types import strip_hashtags
from ...ngrams import CaptionNgrams
from ..language_gate import LEARNED_LANGUAGES
from ..source import PER_SOURCE, Source, State, TrainingSet
from ..wording import reading_gain

log = logging.getLogger(__name__)


class Ngrams(Source):
    name = "ngrams"
    weight = 0.5
    learned_languages = LEARNED_LANGUAGES

    def fit(self, data: TrainingSet) -> None:
        self.ngrams_ = None
        photo = [(strip_hashtags(p.text), data.targets(p)) for p in data.captioned if p.images]
        if photo:
            others = [text for p in data.posts if not p.images and (text := strip_hashtags(p.text))]
            log.info("taglens-base: caption n-grams on %d photo captions", len(photo))
            self.ngrams_ = CaptionNgrams(seed=self.model.seed).fit([t for t, _ in photo], [y for _, y in photo],
                                                                   len(self.model.vocab_), negatives=others)

    def evidence(self, post, features):
        if self.ngrams_ is None or not features.text:
            return {}
        vocab = self.model.vocab_
        probs = sorted(self.ngrams_.scores(features.text).items(), key=lambda kv: -kv[1])[:PER_SOURCE]
        return {vocab[j]: (p, f"the caption's wording suggests #{vocab[j]}") for j, p in probs if p > 0.01}

    def gain(self, post, features):
        return reading_gain(features.text, self.model.text_words_full)

    def save(self, state: State) -> None:
        if self.ngrams_ is not None:
            state.arrays.update(self.ngrams_.arrays())
            self.ngrams_.save_vocabulary(state.directory)

    def load(self, state: State) -> None:
        self.ngrams_ = CaptionNgrams.load(state.directory, state.arrays, len(self.model.vocab_))
