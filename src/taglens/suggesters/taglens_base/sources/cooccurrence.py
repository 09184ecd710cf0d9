"""``cooccurrence``: companions of the post's own tags (:class:`taglens.suggesters.baselines.CooccurrenceSuggester`),
learned from hashtag lists only, not from sets of stock-photo keywords (``keyword_sources``). Its statistics also
serve the diversified ranking (``fusion.diversify``) and ``tag_parts``.

A companion's rate is shrunk by its support (:func:`supported_evidence`): P(b | a) from n posts with #a counts
n / (n + SUPPORT_SHRINK) of itself, so "used with #lion in 4 of 7 posts" cannot outrank the photo, and the
evidence says the counts."""
from __future__ import annotations

from ....types import Post
from ...baselines import CooccurrenceSuggester
from ...tags import Evidence
from ..source import PER_SOURCE, Source, State, TrainingSet

PHOTO_MIN_HITS = 1.5  # a companion of a photo post's tags: seen with them in 2+ posts (rounded counts)
SUPPORT_SHRINK = 10.0  # pseudo-posts without the companion: a rate from 10 posts counts half


def supported_evidence(cooc: CooccurrenceSuggester, tags, k: int = PER_SOURCE,
                       shrink: float = SUPPORT_SHRINK, min_hits: float = 0.0) -> Evidence:
    """``CooccurrenceSuggester.evidence`` with each rate P(b | a) shrunk by the posts with #a (n / (n + shrink))
    and the counts in the reason ("used with #lion in 4 of 7 posts"; a post with a long tag list counts as part
    of a post, so the counts are rounded); a companion seen with the tags in fewer than ``min_hits`` posts is left
    out."""
    known = [t for t in tags if t in cooc.index_]
    if not known:
        return {}
    scores: dict[int, float] = {}
    best: dict[int, tuple[float, str, float, float]] = {}
    for tag in known:
        n = float(cooc.counts_[cooc.index_[tag]])
        nb, p = cooc.neighbors(tag)
        factor = n / (n + shrink)
        for j, v in zip(nb.tolist(), p.tolist()):
            if v * n < min_hits:
                continue
            c = v * factor
            scores[j] = scores.get(j, 0.0) + c
            if j not in best or c > best[j][0]:
                best[j] = (c, tag, v * n, n)
    top = sorted(scores.items(), key=lambda kv: -kv[1])[:k]
    out: Evidence = {}
    for j, s in top:
        _, tag, hits, n = best[j]
        out[cooc.vocab_[j]] = (s / len(known),
                               f"used with #{tag} in {max(1, round(hits))} of {max(1, round(n))} posts")
    return out


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
        # under a photo, a companion seen with the author's tags in one post is no evidence: the photo sources speak
        # for the photo (#bmw "used with #audi in 1 of 3 posts" on an Audi)
        return supported_evidence(self.cooc_, features.tags, PER_SOURCE,
                                  min_hits=PHOTO_MIN_HITS if post.images else 0.0)

    def gain(self, post, features):
        n_known = len(self.cooc_.known_tags(Post(hashtags=features.tags))) if features.tags else 0
        return min(1.0, 0.5 + 0.5 * n_known) if n_known else 0.0

    def save(self, state: State) -> None:
        self.cooc_.save(state.directory / "cooccurrence")

    def load(self, state: State) -> None:
        self.cooc_ = CooccurrenceSuggester.load(state.directory / "cooccurrence")  # of its own type
