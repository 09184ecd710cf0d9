"""``cooccurrence``: companions of the post's own tags (:class:`taglens.suggesters.baselines.CooccurrenceSuggester`),
learned from hashtag lists only, not from sets of stock-photo keywords (``keyword_sources``). Its statistics also
serve the diversified ranking (``fusion.diversify``) and ``tag_parts``."""
from __future__ import annotations

from ....types import Post
from ...baselines import CooccurrenceSuggester
from ..source import PER_SOURCE, Source, State, TrainingSet


class Cooccurrence(Source):
    name = "cooccurrence"
    weight = 1.0

    def fit(self, data: TrainingSet) -> None:
        # stock-photo keywords (alphabetical lists of what a photo shows) teach the heads, but say little about the
        # hashtags people use together
        keywords = set(self.model.keyword_sources)
        lists = [p for p, g in zip(data.posts, data.groups) if g not in keywords] or data.posts
        self.cooc_ = CooccurrenceSuggester(min_count=2, max_neighbors=64, list_size=2).fit(lists)

    def evidence(self, post, features):
        if not features.tags:
            return {}
        return self.cooc_.evidence(Post(hashtags=features.tags), PER_SOURCE)

    def gain(self, post, features):
        n_known = len(self.cooc_.known_tags(Post(hashtags=features.tags))) if features.tags else 0
        return min(1.0, 0.5 + 0.5 * n_known) if n_known else 0.0

    def save(self, state: State) -> None:
        self.cooc_.save(state.directory / "cooccurrence")

    def load(self, state: State) -> None:
        self.cooc_ = CooccurrenceSuggester.load(state.directory / "cooccurrence")  # of its own type
