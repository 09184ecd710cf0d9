"""Image-only suggesters on EfficientNet-Lite0 features: a linear or MLP head over the pooled 1280-d features
(the HARRISON paper's setup, Park et al. 2016, on our backbone) and k-nearest-neighbour tag voting.

A post's images (and sampled video frames) are averaged into one vector. A post without an image gets the
training tag prior (its source is ``prior``), so the model still answers; ensembles skip such answers.

Example:
    >>> from taglens.registry import create_suggester
    >>> model = create_suggester("effnet-mlp").fit(train_posts)      # doctest: +SKIP
    >>> [s.tag for s in model.suggest(Post(images=("beach.jpg",)), k=3)]  # doctest: +SKIP
    ['beach', 'sea', 'summer']
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Sequence

import numpy as np

from ..exceptions import DataError
from ..registry import register_suggester
from ..training import (TagVocab, fit_head, load_module_state, load_tensors, make_head,
                        pooled_image_vector, posts_with_tags, predict_head, save_tensors, top_k)
from ..types import Post, Suggestion
from .base import BaseSuggester, keep_params

log = logging.getLogger(__name__)
FEATURE_DIM = 1280


def _post_vector(post: Post, logit_weight: float = 0.0) -> np.ndarray | None:
    """The mean pooled feature of a post's images (followed by ``logit_weight`` times the mean ImageNet logits
    when that is not 0), or None when it has no image; raises on an unreadable file."""
    from ..features import post_image_features

    feats = post_image_features([post])[0]
    if feats is None or feats["pooled"].shape[0] == 0:
        return None
    return _vector(feats, logit_weight)


def _vector(feats: dict[str, np.ndarray], logit_weight: float) -> np.ndarray:
    vec = pooled_image_vector(feats)
    if logit_weight:
        vec = np.concatenate([vec, logit_weight * feats["logits"].astype(np.float32).mean(axis=0)])
    return vec


def _training_vectors(posts: Sequence[Post], desc: str, logit_weight: float = 0.0) -> tuple[np.ndarray, list[Post]]:
    posts = posts_with_tags(posts)
    from ..features import post_image_features

    feats = post_image_features(posts, skip_unreadable=True)
    keep = [i for i, f in enumerate(feats) if f is not None]
    feats = [feats[i] for i in keep]
    if not keep:
        with_image = sum(1 for p in posts if p.images)
        if not with_image:
            raise DataError(f"{desc}: none of the {len(posts)} training posts has an image (an image-only model)")
        raise DataError(f"{desc}: none of the {with_image} training posts with an image has a readable one")
    skipped = len(posts) - len(keep)
    if skipped:
        log.warning("%s: %d training posts without a usable image are left out", desc, skipped)
    X = np.stack([_vector(f, logit_weight) for f in feats]).astype(np.float32)
    return X, [posts[i] for i in keep]


def _prior_suggestions(vocab: TagVocab, k: int, source: str = "prior") -> list[Suggestion]:
    prior = vocab.prior()
    return [Suggestion(vocab.tags[i], float(prior[i]), source, "frequent in training posts")
            for i in top_k(prior, k)]


class _ImageOnlySuggester(BaseSuggester):
    """What the image-only models share: they read a post's images alone, and rank their ``scores(post)`` over
    ``vocab_.tags`` (the training prior where the post has no image), with ``reason`` as the evidence."""

    reason: str

    def scores(self, post: Post) -> np.ndarray | None:
        raise NotImplementedError

    def uses_input(self, post: Post) -> bool:
        return bool(post.images)

    def _rank(self, post: Post, k: int) -> list[Suggestion]:
        s = self.scores(post)
        if s is None:
            return _prior_suggestions(self.vocab_, k + len(post.hashtags))
        return [Suggestion(self.vocab_.tags[i], float(s[i]), "image", self.reason)
                for i in top_k(s, k + len(post.hashtags))]


class EffnetHeadSuggester(_ImageOnlySuggester):
    """A linear (``hidden=0``) or one-hidden-layer MLP classifier over pooled EfficientNet-Lite0 features,
    trained with one-vs-rest logistic losses (``loss="bce"``; best for P@1 on instagram6) or a softmax over the
    ``max_tags`` most frequent training tags."""

    name = "effnet-linear"
    reason = "predicted from the image"

    def __init__(self, hidden: int = 0, max_tags: int = 1000, min_count: int = 2, epochs: int = 30,
                 lr: float = 1e-3, weight_decay: float = 1e-2, dropout: float = 0.5, loss: str = "bce",
                 seed: int = 0):
        keep_params(self, locals())

    def fit(self, posts: Sequence[Post]) -> "EffnetHeadSuggester":
        X, kept = _training_vectors(posts, self.name)
        self.n_train_ = len(kept)
        self.vocab_ = TagVocab.build([p.hashtags for p in kept], self.max_tags, self.min_count)
        rows = [self.vocab_.encode(p.hashtags) for p in kept]
        self.mean_ = X.mean(0)
        self.std_ = X.std(0) + 1e-3
        Xn = (X - self.mean_) / self.std_
        self.head_ = fit_head(Xn, rows, len(self.vocab_), hidden=self.hidden, dropout=self.dropout,
                              epochs=self.epochs, lr=self.lr, weight_decay=self.weight_decay, loss=self.loss,
                              seed=self.seed, desc=self.name)
        self.fitted_ = True
        return self

    def scores(self, post: Post) -> np.ndarray | None:
        """Scores over ``vocab_.tags`` (softmax probabilities), or None when the post has no image."""
        vec = _post_vector(post)
        if vec is None:
            return None
        return predict_head(self.head_, ((vec - self.mean_) / self.std_)[None, :], softmax=self.loss != "bce")[0]

    def _save_state(self, directory: Path) -> None:
        self.vocab_.save(directory)
        save_tensors(directory, {**{f"head.{k}": v for k, v in self.head_.state_dict().items()},
                                 "mean": self.mean_, "std": self.std_})

    def _load_state(self, directory: Path) -> None:
        self.vocab_ = TagVocab.load(directory)
        state = load_tensors(directory)
        self.head_ = make_head(FEATURE_DIM, len(self.vocab_), self.hidden, self.dropout)
        load_module_state(self.head_, {k[5:]: v for k, v in state.items() if k.startswith("head.")}, directory)
        self.head_.eval()
        self.mean_ = state["mean"].numpy()
        self.std_ = state["std"].numpy()


class EffnetKnnSuggester(_ImageOnlySuggester):
    """k-nearest-neighbour tag voting: the training posts whose images are most similar (cosine of pooled
    EfficientNet-Lite0 features, plus the ImageNet logits scaled by ``logit_weight``) vote for their tags with
    weight ``similarity ** power``.

    The saved model holds the training posts' image features, so keep it with the training data (never in a
    repository)."""

    name = "effnet-knn"
    reason = "tag of visually similar posts"

    def __init__(self, neighbours: int = 80, power: float = 4.0, logit_weight: float = 0.5,
                 prior_weight: float = 0.01):
        keep_params(self, locals())

    def fit(self, posts: Sequence[Post]) -> "EffnetKnnSuggester":
        X, kept = _training_vectors(posts, self.name, self.logit_weight)
        self.n_train_ = len(kept)
        self.vocab_ = TagVocab.build([p.hashtags for p in kept], max_tags=10**9, min_count=1)
        self.mean_ = X.mean(0)
        self.features_ = self._normalise(X).astype(np.float16).astype(np.float32)  # as saved
        rows = [self.vocab_.encode(p.hashtags) for p in kept]
        self.indptr_ = np.cumsum([0] + [len(r) for r in rows]).astype(np.int64)
        self.indices_ = np.asarray([i for r in rows for i in r], dtype=np.int64)
        self.fitted_ = True
        return self

    def _normalise(self, X: np.ndarray) -> np.ndarray:
        X = X - self.mean_
        return (X / (np.linalg.norm(X, axis=-1, keepdims=True) + 1e-8)).astype(np.float32)

    def scores(self, post: Post) -> np.ndarray | None:
        vec = _post_vector(post, self.logit_weight)
        if vec is None:
            return None
        sims = self.features_ @ self._normalise(vec[None, :])[0]
        scores = self.prior_weight * self.vocab_.prior()
        weights = np.clip(sims, 0.0, None) ** self.power
        for j in top_k(sims, self.neighbours):
            scores[self.indices_[self.indptr_[j]: self.indptr_[j + 1]]] += weights[j]
        total = scores.sum()
        return scores / total if total > 0 else scores

    def _save_state(self, directory: Path) -> None:
        self.vocab_.save(directory)
        save_tensors(directory, {"features": self.features_.astype(np.float16), "mean": self.mean_,
                                 "indptr": self.indptr_, "indices": self.indices_})

    def _load_state(self, directory: Path) -> None:
        self.vocab_ = TagVocab.load(directory)
        state = load_tensors(directory)
        self.features_ = state["features"].float().numpy()
        self.mean_ = state["mean"].numpy()
        self.indptr_ = state["indptr"].numpy()
        self.indices_ = state["indices"].numpy()


@register_suggester("effnet-linear", description="image only: linear head on EfficientNet-Lite0 features")
def effnet_linear(**kw) -> EffnetHeadSuggester:
    return EffnetHeadSuggester(**{"hidden": 0, **kw})


@register_suggester("effnet-mlp", description="image only: MLP head on EfficientNet-Lite0 features")
def effnet_mlp(**kw) -> EffnetHeadSuggester:
    return EffnetHeadSuggester(**{"hidden": 512,
                                  **kw})


@register_suggester("effnet-knn", description="image only: nearest neighbours on EfficientNet-Lite0 features")
def effnet_knn(**kw) -> EffnetKnnSuggester:
    return EffnetKnnSuggester(**kw)


@register_suggester("test_effnet_linear", description="tiny effnet-linear for tests")
def test_effnet_linear(**kw) -> EffnetHeadSuggester:
    return EffnetHeadSuggester(**{"hidden": 0, "epochs": 3, "min_count": 1, **kw})
