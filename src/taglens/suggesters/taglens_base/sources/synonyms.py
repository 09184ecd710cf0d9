"""``synonyms``: WordNet synonyms of the post's own tags (:class:`taglens.suggesters.baselines.SynonymSuggester`)."""
from __future__ import annotations

from ....types import Post
from ...baselines import SynonymSuggester
from ..source import Source, State, TrainingSet


class Synonyms(Source):
    name = "synonyms"
    weight = 0.05

    def fit(self, data: TrainingSet) -> None:
        self.synonyms_ = SynonymSuggester(min_count=self.model.min_count, neighbours=0).fit(data.posts)

    def evidence(self, post, features):
        if not features.tags:
            return {}
        return self.synonyms_.evidence(Post(hashtags=features.tags))

    def gain(self, post, features):
        return 1.0 if features.tags else 0.0

    def save(self, state: State) -> None:
        self.synonyms_.save(state.directory / "synonyms")

    def load(self, state: State) -> None:
        self.synonyms_ = SynonymSuggester.load(state.directory / "synonyms")
