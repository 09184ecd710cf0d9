"""``words``: aggregate word -> tag statistics of the training captions (``CaptionWordStats``): distinctive
words (a shop's name, a brand) carry their tags, as a TF-IDF nearest-neighbour search would, from counts only.
Emoji count as words (docs/EXPERIMENTS.md)."""
from __future__ import annotations

from collections import Counter
from typing import Sequence

import numpy as np

from ....exceptions import ModelError
from ...tags import read_vocab, write_vocab
from ..language_gate import LEARNED_LANGUAGES
from ..source import PER_SOURCE, Source, State, TrainingSet
from ..wording import caption_words, reading_gain


class CaptionWordStats:
    """Aggregate word -> tag statistics of captions: P(tag | the caption has the word), and the word's idf.

    A caption scores tag t with the idf-weighted mean of P(t | w) over its known words, so distinctive words
    (a shop's name, a brand) carry their tags, as a TF-IDF nearest-neighbour search would, from counts only.
    """

    def __init__(self, min_df: int = 2, max_tags: int = 30, min_p: float = 0.05, smoothing: float = 3.0):
        self.min_df, self.max_tags, self.min_p, self.smoothing = min_df, max_tags, min_p, smoothing

    def fit(self, texts: Sequence[str], tag_ids: Sequence[np.ndarray], n_tags: int) -> "CaptionWordStats":
        from scipy import sparse

        docs = [caption_words(t) for t in texts]
        df = Counter(w for d in docs for w in d)
        words = sorted(w for w, c in df.items() if c >= self.min_df)
        windex = {w: i for i, w in enumerate(words)}
        rows, cols = [], []
        for r, d in enumerate(docs):
            for w in d:
                if w in windex:
                    rows.append(r)
                    cols.append(windex[w])
        wm = sparse.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(len(docs), len(words)))
        trows = np.repeat(np.arange(len(tag_ids)), [len(t) for t in tag_ids])
        tm = sparse.csr_matrix((np.ones(len(trows), np.float32), (trows, np.concatenate(tag_ids))),
                               shape=(len(docs), n_tags))
        co = (wm.T @ tm).tocsr()
        dfa = np.array([df[w] for w in words], np.float32)
        indptr, indices, values = [0], [], []
        for i in range(len(words)):
            s, e = co.indptr[i], co.indptr[i + 1]
            tags, c = co.indices[s:e], co.data[s:e] / (dfa[i] + self.smoothing)
            keep = c >= self.min_p
            tags, c = tags[keep], c[keep]
            order = np.argsort(-c, kind="stable")[: self.max_tags]
            indices.extend(tags[order].tolist())
            values.extend(c[order].tolist())
            indptr.append(len(indices))
        self.words = words
        self.idf = np.log(len(docs) / dfa).astype(np.float16)
        self.indptr = np.asarray(indptr, np.int64)
        self.indices = np.asarray(indices, np.int32)
        self.values = np.asarray(values, np.float16)
        return self

    @property
    def index(self) -> dict[str, int]:
        if getattr(self, "_index", None) is None:
            self._index = {w: i for i, w in enumerate(self.words)}
        return self._index

    def scores(self, text: str) -> dict[int, tuple[float, str, float]]:
        """{tag id: (score, the word that contributed most, P(tag | that word))} for a caption."""
        known = [(w, self.index[w]) for w in caption_words(text) if w in self.index]
        if not known:
            return {}
        total_idf = float(sum(float(self.idf[i]) for _, i in known))
        if total_idf <= 0:  # only words that every training caption has: they say nothing
            return {}
        out: dict[int, float] = {}
        best: dict[int, tuple[float, str]] = {}
        for w, i in known:
            idf = float(self.idf[i])
            s, e = self.indptr[i], self.indptr[i + 1]
            for j, v in zip(self.indices[s:e].tolist(), self.values[s:e].tolist()):
                out[j] = out.get(j, 0.0) + idf * v
                if v > best.get(j, (0.0, ""))[0]:
                    best[j] = (v, w)
        return {j: (v / total_idf, best[j][1], best[j][0]) for j, v in out.items()}

    def arrays(self) -> dict[str, np.ndarray]:
        return {"words.idf": self.idf, "words.indptr": self.indptr, "words.indices": self.indices,
                "words.values": self.values}

    @classmethod
    def from_arrays(cls, words: list[str], arrays: dict[str, np.ndarray]) -> "CaptionWordStats":
        self = cls()
        self.words = words
        self.idf, self.indptr = arrays["words.idf"].astype(np.float32), arrays["words.indptr"]
        self.indices, self.values = arrays["words.indices"], arrays["words.values"].astype(np.float32)
        if len(self.indptr) != len(words) + 1:
            raise ModelError("caption word statistics do not match their word list")
        return self


class CaptionWords(Source):
    name = "words"
    weight = 0.5
    learned_languages = LEARNED_LANGUAGES

    def fit(self, data: TrainingSet) -> None:
        self.stats_ = None
        if data.captions is not None:
            texts, ys, _ = data.captions
            self.stats_ = CaptionWordStats().fit(texts, ys, len(self.model.vocab_))

    def evidence(self, post, features):
        if self.stats_ is None or not features.text:
            return {}
        vocab = self.model.vocab_
        scores = sorted(self.stats_.scores(features.text).items(), key=lambda kv: -kv[1][0])[:PER_SOURCE]
        return {vocab[j]: (v, f"captions with '{w}' use #{vocab[j]} ({100 * p:.0f}%)") for j, (v, w, p) in scores}

    def gain(self, post, features):
        return reading_gain(features.text, self.model.text_words_full)

    def save(self, state: State) -> None:
        if self.stats_ is not None:
            state.arrays.update(self.stats_.arrays())
            write_vocab(state.directory / "caption_words.txt", self.stats_.words)

    def load(self, state: State) -> None:
        self.stats_ = None
        if "words.idf" in state.arrays:
            self.stats_ = CaptionWordStats.from_arrays(read_vocab(state.directory / "caption_words.txt"), state.arrays)
