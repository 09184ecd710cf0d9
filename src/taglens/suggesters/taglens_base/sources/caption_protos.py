"""``caption_protos``: the tags of the clusters of similar training captions (k-means on MiniLM embeddings, at
least five captions each; :mod:`taglens.suggesters.prototypes`)."""
from __future__ import annotations

from ...prototypes import TagPrototypes
from ..language_gate import LEARNED_LANGUAGES
from ..source import Source, State, TrainingSet
from ..wording import caption_gain


class CaptionPrototypes(Source):
    name = "caption_protos"
    weight = 0.5
    learned_languages = LEARNED_LANGUAGES

    def fit(self, data: TrainingSet) -> None:
        self.protos_ = None
        if data.captions is not None:
            _, ys, emb = data.captions
            self.protos_ = TagPrototypes(seed=self.model.seed).fit(emb, ys, len(self.model.vocab_))

    def evidence(self, post, features):
        if self.protos_ is None or features.text_emb is None or not features.text:
            return {}
        return self.top(self.protos_.scores(features.text_emb, len(self.model.vocab_)),
                        "similar captions are tagged #{tag}")

    def gain(self, post, features):
        return caption_gain(features.text, self.model.text_words_full)

    def save(self, state: State) -> None:
        if self.protos_ is not None:
            state.arrays.update(self.protos_.arrays(self.name))

    def load(self, state: State) -> None:
        self.protos_ = TagPrototypes.from_arrays(state.arrays, self.name)
