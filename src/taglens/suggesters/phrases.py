"""Key phrases: which words of a caption its author would also write as hashtags, for words never seen in training.

A caption's candidate terms are its content words and adjacent word pairs, joined (``caption_terms``). For a term
that training captions spelled often enough, the default model knows the rate at which it became a hashtag.
A new term (a product, a place, a name) is scored by a logistic regression over its form instead: capitals,
how common the word is in English (wordfreq), length, digits, repetition, position and the caption's length.
The model is 14 coefficients learned from the training captions: aggregate, and small.
"""
from __future__ import annotations

import re
from collections import Counter
from typing import Callable, Iterator, Sequence

import numpy as np

from ..exceptions import ModelError

WORD_RE = re.compile(r"[^\W\d_][\w']*", re.UNICODE)
# a possessive or a contracted "is" ("Bernie's rally", "Tonight's moon", "the dogs' park"): the word itself, where
# the caller knows the bare word (``term_spans``' ``bare``); "let's" is "let us" (#letsgo stays)
_POSSESSIVE = re.compile(r"(?<!^let)'s?$")
FEATURES = ("bias", "pair", "capitalized", "all_caps", "camel_case", "zipf_rarest", "zipf_joined", "not_a_word",
            "length", "digit", "repeated", "position", "caption_length", "ascii")


def term_spans(text: str, stopwords: frozenset[str] | set[str], bare: Callable[[str], bool] | None = None
               ) -> Iterator[tuple[str, list[str], int, int]]:
    """(term, the words as written, position, number of words) for each candidate term, first occurrence only:
    content words of at least 3 letters, and adjacent pairs of content words joined ('golden retriever' ->
    'goldenretriever'). A word with a possessive ending is joined with it ("Peet's" -> 'peets', a shop's name and
    its tag) unless ``bare(word)`` says the bare word is known ("Bernie's" -> 'bernie': no #bernies)."""
    raw = WORD_RE.findall(text.replace("\u2019", "'"))
    words = []
    for w in raw:
        low = w.lower()
        stripped = _POSSESSIVE.sub("", low)
        words.append((stripped if stripped != low and bare is not None and bare(stripped) else low).replace("'", ""))
    seen: set[str] = set()
    for i, w in enumerate(words):
        if len(w) >= 3 and w not in stopwords and w not in seen:
            seen.add(w)
            yield w, [raw[i]], i, len(words)
        if i + 1 < len(words) and w not in stopwords and words[i + 1] not in stopwords:
            pair = w + words[i + 1]
            if pair not in seen:
                seen.add(pair)
                yield pair, raw[i: i + 2], i, len(words)


def _zipf(word: str) -> float:
    from ..knowledge.word_frequency import zipf

    return zipf(word, "en")


def term_features(text: str, stopwords: frozenset[str] | set[str], bare: Callable[[str], bool] | None = None
                  ) -> dict[str, np.ndarray]:
    """{term: feature vector (in the order of FEATURES)} for a caption's candidate terms."""
    spans = list(term_spans(text, stopwords, bare))
    counts = Counter(w.lower() for _, written, _, _ in spans for w in written)
    out: dict[str, np.ndarray] = {}
    for term, written, pos, n in spans:
        joined = _zipf(term)
        rarest = min(_zipf(w.lower().replace("'", "")) for w in written) if len(written) > 1 else joined
        out[term] = np.array([
            1.0,
            len(written) > 1,
            all(w[:1].isupper() for w in written),
            all(w.isupper() and len(w) > 1 for w in written),
            any(not w.isupper() and any(c.isupper() for c in w[1:]) for w in written),
            rarest / 8.0,
            joined / 8.0,
            joined == 0.0,
            min(len(term), 20) / 20.0,
            any(c.isdigit() for c in term),
            any(counts[w.lower()] > 1 for w in written),
            pos / max(n, 1),
            min(n, 100) / 100.0,
            term.isascii(),
        ], dtype=np.float32)
    return out


class KeyPhrases:
    """P(a caption term is also one of the post's hashtags | the term's form), by logistic regression."""

    def __init__(self, max_terms: int = 300_000, seed: int = 0):
        self.max_terms, self.seed = max_terms, seed
        self.coef_: np.ndarray | None = None

    def fit(self, texts: Sequence[str], tag_sets: Sequence[set[str]], stopwords) -> "KeyPhrases":
        from sklearn.linear_model import LogisticRegression

        X, y = [], []
        for text, tags in zip(texts, tag_sets):
            for term, f in term_features(text, stopwords).items():
                X.append(f)
                y.append(term in tags)
        if len(set(y)) < 2:  # no caption spells one of its tags (or every term is one): nothing to learn
            self.coef_ = None
            return self
        X, y = np.stack(X), np.asarray(y)
        if len(X) > self.max_terms:
            keep = np.random.default_rng(self.seed).choice(len(X), self.max_terms, replace=False)
            X, y = X[keep], y[keep]
        # the bias is a feature, so the intercept is not fitted twice
        clf = LogisticRegression(C=1.0, max_iter=1000, fit_intercept=False).fit(X, y)
        self.coef_ = clf.coef_[0].astype(np.float32)
        return self

    def scores(self, text: str, stopwords, skip=None, floor: float = 0.02, bare=None) -> dict[str, float]:
        """{term: probability} for the caption's terms (those that ``skip(term)`` is false for), at least floor;
        ``bare``: as ``term_spans``'."""
        if self.coef_ is None:
            return {}
        feats = {t: f for t, f in term_features(text, stopwords, bare).items() if not (skip and skip(t))}
        if not feats:
            return {}
        z = np.stack(list(feats.values())) @ self.coef_
        probs = 1.0 / (1.0 + np.exp(-z))
        return {t: float(p) for t, p in zip(feats, probs) if p >= floor}

    def to_json(self) -> dict:
        return {"features": list(FEATURES), "coef": None if self.coef_ is None else
                [round(float(c), 6) for c in self.coef_]}

    @classmethod
    def from_json(cls, data: dict) -> "KeyPhrases":
        self = cls()
        if list(data.get("features", [])) != list(FEATURES):
            raise ModelError("the key-phrase model was written with other features; rebuild the model")
        coef = data.get("coef")
        self.coef_ = None if coef is None else np.asarray(coef, np.float32)
        if self.coef_ is not None and (self.coef_.shape != (len(FEATURES),) or not np.all(np.isfinite(self.coef_))):
            raise ModelError("the key-phrase model's coefficients are malformed")
        return self


__all__ = ["FEATURES", "KeyPhrases", "term_features", "term_spans"]
