"""A caption's spelling as evidence: one-vs-rest logistic regression over TF-IDF character n-grams and words.

Brand and shop names, product codes, misspellings and the many languages of photo captions share letter
sequences long before they share whole words, and a word-level model or an English sentence encoder misses them
(``vapeo``, ``vapear``, ``vapeadores``; ``geekvape`` / ``geek vape``). Each tag gets a linear classifier over
the character 2- to 5-grams inside words and the words of the caption (TF-IDF, sublinear counts, each block
L2-normalised), trained on the captions of photo posts: the register of an Instagram caption, which tweets do
not share. A sample of the other captions (posts without a photo) joins as negatives, so that a caption unlike
any photo caption does not get the photo captions' tags. Each classifier keeps only its ``keep`` largest
weights, so the model stores aggregate statistics of a few MB, never a caption.

Example:
    >>> ng = CaptionNgrams(min_posts=1).fit(["new coil on my mod", "pasta for dinner"] * 3,
    ...                                      [np.array([0]), np.array([1])] * 3, n_tags=2)
    >>> max(ng.scores("coil build"), key=ng.scores("coil build").get)
    0
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Sequence

import numpy as np

from ..exceptions import ModelError
from .text import TOKEN_PATTERN, plain_wording, smooth_idf, sublinear_tfidf

FILE = "ngrams.json"


def _word_text(text: str) -> str:
    """What the words are read from: the caption without @handles and addresses, lowercase (their letters still
    count as n-grams: a shop's name in its handle)."""
    return plain_wording(text).lower()


_WHITE_SPACES = re.compile(r"\s\s+")
_TOKEN = re.compile(TOKEN_PATTERN)


def char_wb_ngrams(text: str, low: int, high: int) -> list[str]:
    """The character ``low``- to ``high``-grams inside the words of ``text`` (lowercase), each word padded with a
    space: sklearn's ``CountVectorizer(analyzer="char_wb")``, in its order (its code, so that suggesting needs no
    sklearn; tests/suggesters/test_ngrams.py checks the two agree)."""
    grams: list[str] = []
    add = grams.append
    for w in _WHITE_SPACES.sub(" ", text.lower()).split():
        w = f" {w} "
        for n in range(low, high + 1):
            offset = 0
            add(w[:n])
            while offset + n < len(w):
                offset += 1
                add(w[offset: offset + n])
            if offset == 0:  # a short word (shorter than n) counts once
                break
    return grams


def word_tokens(text: str) -> list[str]:
    """The words the word block counts: ``TOKEN_PATTERN`` over ``_word_text`` (sklearn's word analyzer with that
    preprocessor and pattern)."""
    return _TOKEN.findall(_word_text(text))


def _char_grams(text: str) -> list[str]:
    return char_wb_ngrams(text, 2, 5)


class CaptionNgrams:
    def __init__(self, min_posts: int = 5, max_tags: int = 1000, max_negatives: int = 2000, keep: int = 1000,
                 c: float = 10.0, seed: int = 0):
        if keep < 1:
            raise ValueError(f"keep must be at least 1, not {keep}")
        self.min_posts, self.max_tags, self.max_negatives = min_posts, max_tags, max_negatives
        self.keep, self.c, self.seed = keep, c, seed

    # -- features ---------------------------------------------------------------------------------------------
    def _counters(self, vocabularies: tuple[list[str], list[str]] | None = None):
        from sklearn.feature_extraction.text import CountVectorizer

        chars, words = vocabularies or (None, None)
        return (CountVectorizer(analyzer="char_wb", ngram_range=(2, 5), lowercase=True, dtype=np.float32,
                                min_df=1 if chars is not None else 2,
                                vocabulary=None if chars is None else {g: i for i, g in enumerate(chars)}),
                CountVectorizer(token_pattern=TOKEN_PATTERN, preprocessor=_word_text, dtype=np.float32,
                                min_df=1 if words is not None else 2,
                                vocabulary=None if words is None else {w: i for i, w in enumerate(words)}))

    def _weigh(self, blocks):
        """TF-IDF with sublinear counts, each block (n-grams, words) L2-normalised, side by side."""
        import scipy.sparse as sp

        return sp.hstack([sublinear_tfidf(counts, idf)
                          for counts, idf in zip(blocks, (self.idf_chars, self.idf_words))]).tocsr()

    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The weighted features of one caption as (feature indices, weights): what ``_weigh`` computes for its
        row in training, read with ``char_wb_ngrams`` and ``word_tokens`` instead of sklearn (which this path
        does not import: 0.3 ms a caption, and no second of importing sklearn and scipy in a one-off suggest)."""
        if getattr(self, "_lookup", None) is None:
            self._lookup = [(_char_grams, {g: i for i, g in enumerate(self.chars)},
                             self.idf_chars, 0),
                            (word_tokens, {w: i for i, w in enumerate(self.words)}, self.idf_words,
                             len(self.chars))]
        cols, vals = [], []
        for analyze, vocabulary, idf, offset in self._lookup:
            counts: dict[int, int] = {}
            for gram in analyze(text):
                i = vocabulary.get(gram)
                if i is not None:
                    counts[i] = counts.get(i, 0) + 1
            if not counts:
                continue
            ids = np.fromiter(counts, np.int64, len(counts))
            w = (1 + np.log(np.fromiter(counts.values(), np.float32, len(counts)))) * idf[ids]
            cols.append(ids + offset)
            vals.append(w / (np.sqrt(float(w @ w)) + 1e-8))
        if not cols:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        return np.concatenate(cols), np.concatenate(vals).astype(np.float32)

    # -- training ---------------------------------------------------------------------------------------------
    def fit(self, texts: Sequence[str], tag_ids: Sequence[np.ndarray], n_tags: int,
            negatives: Sequence[str] = ()) -> "CaptionNgrams | None":
        """Learn from photo captions ``texts`` (hashtags stripped) with their tags' vocabulary ids, and captions of
        other posts as ``negatives`` (a seeded sample of ``max_negatives``).

        The n-grams and words of at least two captions are the candidate features (words read without @handles
        and addresses, see ``text.plain_wording``). The classifiers are fitted twice: the second time over only
        the features the first fit's kept weights use. So the stored vocabulary can be pruned to what the weights
        read (not every word of the negatives) while a caption is still normalised over the same features at
        training and at suggestion time; a few features end up read by no weight of the second fit.

        Returns None when no tag has ``min_posts`` captions and some caption without it, or when the captions
        share no n-gram or no word (captions of digits or emoji only)."""
        self._lookup = self._matrix = None  # caches of an earlier fit

        ids = [np.unique(np.asarray(t, np.int64)) for t in tag_ids]
        counts = np.bincount(np.concatenate(ids), minlength=n_tags) if ids else np.zeros(n_tags, np.int64)
        tags = [j for j in np.argsort(-counts, kind="stable")[: self.max_tags].tolist()
                if counts[j] >= max(1, self.min_posts)]
        if not tags:
            return None
        negatives = list(negatives)
        if len(negatives) > self.max_negatives:
            pick = np.random.default_rng(self.seed).choice(len(negatives), self.max_negatives, replace=False)
            negatives = [negatives[i] for i in sorted(pick)]
        docs = list(texts) + negatives
        blocks, vocabularies = [], []
        for counter in self._counters():
            try:
                blocks.append(counter.fit_transform(docs).tocsr())
            except ValueError:  # every n-gram or word rarer than min_df
                return None
            vocabularies.append(counter.get_feature_names_out().tolist())
        column = {j: c for c, j in enumerate(tags)}
        member = np.zeros((len(docs), len(tags)), bool)
        for r, row in enumerate(ids):
            member[r, [column[j] for j in row.tolist() if j in column]] = True
        fitted = self._fit_classifiers(blocks, vocabularies, member, tags)  # every admitted feature
        if fitted is None:
            return None
        used = np.zeros(sum(len(v) for v in vocabularies), bool)
        used[fitted[2]] = True
        parts = (np.flatnonzero(used[: len(vocabularies[0])]), np.flatnonzero(used[len(vocabularies[0]):]))
        # the same tags get a classifier again (that depends on ``member`` only), over the features they used
        fitted = self._fit_classifiers([b[:, p] for b, p in zip(blocks, parts)],
                                       [[v[i] for i in p] for v, p in zip(vocabularies, parts)], member, tags)
        kept, indptr, indices, values, bias = fitted
        self.tags = np.asarray(kept, np.int32)
        self.indptr = np.asarray(indptr, np.int64)
        self.indices = np.asarray(indices, np.int32)
        self.values = np.asarray(values, np.float16).astype(np.float32)  # as saved
        self.bias = np.asarray(bias, np.float32)
        return self

    def _fit_classifiers(self, blocks, vocabularies, member: np.ndarray, tags: list[int]):
        """Over the features ``vocabularies`` (n-grams, words) whose counts are ``blocks``: one logistic regression
        per tag column of ``member``, each keeping its ``keep`` largest weights. Sets the vocabulary and idf, and
        returns (tag ids, indptr, feature indices, weights, biases), or None when no tag has a negative."""
        from sklearn.linear_model import LogisticRegression

        self.chars, self.words = vocabularies
        self.idf_chars, self.idf_words = (smooth_idf(b).astype(np.float16).astype(np.float32)  # as saved
                                          for b in blocks)
        x = self._weigh(blocks)
        indptr, indices, values, bias, kept = [0], [], [], [], []
        for c, j in enumerate(tags):
            if member[:, c].all():  # a tag every caption has (no negatives) tells nothing apart
                continue
            model = LogisticRegression(C=self.c, max_iter=300).fit(x, member[:, c])
            w = model.coef_[0].astype(np.float32)
            top = np.argsort(-np.abs(w), kind="stable")[: self.keep]
            top = np.sort(top[w[top] != 0])
            indices.extend(top.tolist())
            values.extend(w[top].tolist())
            indptr.append(len(indices))
            bias.append(float(model.intercept_[0]))
            kept.append(j)
        return (kept, indptr, indices, values, bias) if kept else None

    # -- use --------------------------------------------------------------------------------------------------
    def scores(self, text: str) -> dict[int, float]:
        """{tag vocabulary id: P(the tag | the caption)} for the tags this model knows."""
        cols, vals = self.features(text)
        if not len(cols):
            return {}
        if getattr(self, "_matrix", None) is None:
            # the weights by feature (the tag x feature rows transposed): feature f's tags and weights are
            # rows[ptr[f]:ptr[f + 1]], weights[ptr[f]:ptr[f + 1]]
            order = np.argsort(self.indices, kind="stable")
            rows = np.repeat(np.arange(len(self.tags)), np.diff(self.indptr))[order]
            per_feature = np.bincount(self.indices, minlength=len(self.chars) + len(self.words))
            self._matrix = (np.concatenate([[0], np.cumsum(per_feature)]), rows, self.values[order])
        ptr, rows, weights = self._matrix
        order = np.argsort(cols, kind="stable")
        cols, vals = cols[order], vals[order]
        starts, ends = ptr[cols], ptr[cols + 1]
        lengths = ends - starts
        at = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths) + np.arange(lengths.sum())
        # summed in float32 in the order of scipy's sparse product (features ascending, then tags), so the
        # scores are the bits they were when this was a scipy product
        logits = np.zeros(len(self.tags), np.float32)
        np.add.at(logits, rows[at], np.repeat(vals, lengths) * weights[at])
        logits += self.bias
        probs = 1.0 / (1.0 + np.exp(-np.clip(logits, -30, 30)))
        return dict(zip(self.tags.tolist(), probs.tolist()))

    # -- persistence ------------------------------------------------------------------------------------------
    def arrays(self) -> dict[str, np.ndarray]:
        return {"ngrams.tags": self.tags, "ngrams.indptr": self.indptr, "ngrams.indices": self.indices,
                "ngrams.values": self.values.astype(np.float16), "ngrams.bias": self.bias,
                "ngrams.idf_chars": self.idf_chars.astype(np.float16),
                "ngrams.idf_words": self.idf_words.astype(np.float16)}

    def save_vocabulary(self, directory: Path) -> None:
        (directory / FILE).write_text(json.dumps({"chars": self.chars, "words": self.words}, ensure_ascii=False),
                                      encoding="utf-8")

    @classmethod
    def load(cls, directory: Path, arrays: dict[str, np.ndarray], n_tags: int) -> "CaptionNgrams | None":
        """The model saved in ``directory`` and ``arrays``, or None for a model saved without one."""
        path = directory / FILE
        if "ngrams.tags" not in arrays:
            return None
        try:
            vocab = json.loads(path.read_text(encoding="utf-8"))
            self = cls()
            self.chars, self.words = list(vocab["chars"]), list(vocab["words"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelError(f"{path}: unreadable caption n-gram vocabulary ({exc})") from None
        try:
            self.tags, self.indptr, self.indices = (arrays[f"ngrams.{k}"] for k in ("tags", "indptr", "indices"))
            self.values, self.bias = arrays["ngrams.values"].astype(np.float32), arrays["ngrams.bias"]
            self.idf_chars = arrays["ngrams.idf_chars"].astype(np.float32)
            self.idf_words = arrays["ngrams.idf_words"].astype(np.float32)
        except KeyError as exc:
            raise ModelError(f"{directory}: caption n-gram weights incomplete (no {exc.args[0]})") from None
        n_features = len(self.chars) + len(self.words)
        ptr = np.asarray(self.indptr)
        if (len(self.idf_chars) != len(self.chars) or len(self.idf_words) != len(self.words)
                or len(ptr) != len(self.tags) + 1 or len(self.bias) != len(self.tags)
                or ptr[0] != 0 or ptr[-1] != len(self.indices) or len(self.values) != len(self.indices)
                or (np.diff(ptr) < 0).any()
                or not np.issubdtype(self.tags.dtype, np.integer) or not np.issubdtype(self.indices.dtype, np.integer)
                or (len(self.indices) and not 0 <= int(self.indices.min()) <= int(self.indices.max()) < n_features)
                or (len(self.tags) and not 0 <= int(self.tags.min()) <= int(self.tags.max()) < n_tags)):
            raise ModelError(f"{directory}: caption n-gram weights do not match their vocabulary")
        return self
