"""``words``: aggregate word -> tag statistics of the training captions (``CaptionWordStats``): distinctive
words (a shop's name, a brand) carry their tags, as a TF-IDF nearest-neighbour search would, from counts only.
Emoji count as words (docs/EXPERIMENTS.md)."""
from __future__ import annotations

from collections import Counter
from typing import Callable, Sequence

import numpy as np

from ....exceptions import ModelError
from ...tags import read_vocab, write_vocab
from ..language_gate import LANGUAGE_TOPICS, LEARNED_LANGUAGES, caption_language, word_fits
from ..source import PER_SOURCE, Source, State, TrainingSet
from ..wording import caption_words, reading_gain


# a word's entry from fewer than THIN_COUNT captions fires only with a shrunk rate of at least THIN_RATE: a distinctive
# word ("3 of 3 captions with 'vapeo'") keeps its tag, a common one's chance co-occurrence ("4 of 28 captions with
# 'met' use #tbt") does not. Except for the tags of the topics that taught the caption sources their other languages
# (``language_gate.LANGUAGE_TOPICS``: vape): they need evidence of their topic anyway (``topics.gate``), and a vape
# shop's caption carries its topic in many thin entries ("2 of 6 captions with 'flavour' use #vapelife"); thinned
# as the rest, they cost the vape val P@1 0.011 (the shops' "BORA GOLD BAR", "Blueberry Toast" captions ranked
# #gold and #breakfast first)
THIN_COUNT, THIN_RATE = 5, 0.25


class CaptionWordStats:
    """Aggregate word -> tag statistics of captions: P(tag | the caption has the word), and the word's idf.

    A caption scores tag t with the idf-weighted mean of P(t | w) over its known words, so distinctive words
    (a shop's name, a brand) carry their tags, as a TF-IDF nearest-neighbour search would, from counts only.
    P(t | w) is shrunk by the word's count: ``tagged / (mentions + smoothing)``, so a word seen in 2 captions
    gives at most 0.4 and one seen in 200 its plain rate. The counts themselves (``df``: captions with the word;
    ``counts``: of those, with the tag) are kept for the evidence text ("4 of 7 captions") and for the topic gate,
    which trusts only words with enough mentions (``topics.py``).
    """

    def __init__(self, min_df: int = 2, max_tags: int = 30, min_p: float = 0.05, smoothing: float = 3.0,
                 min_count: int = 1, min_lift: float = 0.0):
        self.min_df, self.max_tags, self.min_p, self.smoothing = min_df, max_tags, min_p, smoothing
        # an entry needs min_count captions with both, and P(tag | word) at least min_lift times P(tag)
        self.min_count, self.min_lift = min_count, min_lift

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
        prior = np.bincount(np.concatenate(tag_ids), minlength=n_tags) / max(len(docs), 1) if len(tag_ids) else None
        indptr, indices, values, counts = [0], [], [], []
        for i in range(len(words)):
            s, e = co.indptr[i], co.indptr[i + 1]
            tags, c = co.indices[s:e], co.data[s:e] / (dfa[i] + self.smoothing)
            keep = (c >= self.min_p) & (co.data[s:e] >= self.min_count)
            if self.min_lift > 0 and prior is not None:
                keep &= co.data[s:e] / dfa[i] >= self.min_lift * prior[tags]
            tags, c, n = tags[keep], c[keep], co.data[s:e][keep]
            order = np.argsort(-c, kind="stable")[: self.max_tags]
            indices.extend(tags[order].tolist())
            values.extend(c[order].tolist())
            counts.extend(n[order].tolist())
            indptr.append(len(indices))
        self.words = words
        self.idf = np.log(len(docs) / dfa).astype(np.float16)
        self.df = dfa.astype(np.int32)
        self.indptr = np.asarray(indptr, np.int64)
        self.indices = np.asarray(indices, np.int32)
        self.values = np.asarray(values, np.float16)
        self.counts = np.asarray(counts, np.int32)
        return self

    @property
    def index(self) -> dict[str, int]:
        if getattr(self, "_index", None) is None:
            self._index = {w: i for i, w in enumerate(self.words)}
        return self._index

    def scores(self, text: str, fits: Callable[[str], bool] | None = None,
               min_count: Callable[[str], int] | None = None,
               unthinned: np.ndarray | None = None) -> dict[int, tuple[float, str, float]]:
        """{tag id: (score, the word that contributed most, P(tag | that word))} for a caption; ``fits`` (word ->
        bool) leaves out the words whose statistics must not fire on this caption (``language_gate.word_fits``),
        ``min_count`` (word -> int) a word's entries of fewer captions (where the counts are stored);
        ``unthinned`` (a boolean per tag id) marks the tags whose thin entries (and those under ``min_count``) fire
        all the same (a one-topic corpus's tags: the topic gate asks the post for evidence of the topic before they
        count)."""
        known = [(w, self.index[w]) for w in caption_words(text) if w in self.index and (fits is None or fits(w))]
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
            least = min_count(w) if min_count is not None else 1
            ok = None
            if self.counts is not None:  # thin evidence: a weak rate from a few captions ("4 of 28 with 'met'")
                c = self.counts[s:e]
                ok = (c >= max(least, THIN_COUNT)) | ((c >= least) & (self.values[s:e] >= THIN_RATE))
            for n, (j, v) in enumerate(zip(self.indices[s:e].tolist(), self.values[s:e].tolist())):
                if ok is not None and not ok[n] and (unthinned is None or not unthinned[j]):
                    continue
                out[j] = out.get(j, 0.0) + idf * v
                if v > best.get(j, (0.0, ""))[0]:
                    best[j] = (v, w)
        return {j: (v / total_idf, best[j][1], best[j][0]) for j, v in out.items()}

    def rate_of(self, text: str, tag_ids: np.ndarray, min_mentions: int,
                fits: Callable[[str], bool] | None = None) -> tuple[float, str]:
        """(the largest P(tag | word) over the caption's words (not its emoji: "❤" and "☁" are everyone's)
        seen in at least ``min_mentions`` captions and the tags ``tag_ids`` (sorted), that word); (0.0, "") when no
        word says any of them."""
        best = (0.0, "")
        if self.df is None or not len(tag_ids):
            return best
        for w in caption_words(text):
            i = self.index.get(w)
            if i is None or not w[0].isalpha() or self.df[i] < min_mentions or (fits is not None and not fits(w)):
                continue
            s, e = self.indptr[i], self.indptr[i + 1]
            ids = self.indices[s:e]
            at = np.minimum(np.searchsorted(tag_ids, ids), len(tag_ids) - 1)
            hit = tag_ids[at] == ids
            if hit.any():
                v = float(self.values[s:e][hit].max())
                if v > best[0]:
                    best = (v, w)
        return best

    def support(self, word: str, tag_id: int) -> tuple[int, int] | None:
        """(captions with the word and the tag, captions with the word), or None for a model saved without its
        counts."""
        i = self.index.get(word)
        if i is None or self.df is None:
            return None
        s, e = self.indptr[i], self.indptr[i + 1]
        hit = np.flatnonzero(self.indices[s:e] == tag_id)
        return (int(self.counts[s + hit[0]]) if len(hit) else 0), int(self.df[i])

    def arrays(self) -> dict[str, np.ndarray]:
        return {"words.idf": self.idf, "words.indptr": self.indptr, "words.indices": self.indices,
                "words.values": self.values, "words.df": self.df, "words.counts": self.counts}

    @classmethod
    def from_arrays(cls, words: list[str], arrays: dict[str, np.ndarray]) -> "CaptionWordStats":
        self = cls()
        self.words = words
        self.idf, self.indptr = arrays["words.idf"].astype(np.float32), arrays["words.indptr"]
        self.indices, self.values = arrays["words.indices"], arrays["words.values"].astype(np.float32)
        self.df, self.counts = arrays.get("words.df"), arrays.get("words.counts")  # None: saved before the counts
        if len(self.indptr) != len(words) + 1 or (self.df is not None and len(self.df) != len(words)):
            raise ModelError("caption word statistics do not match their word list")
        return self


# an emoji's statistics come from captions in every language; outside the languages the statistics learned across
# topics (a Spanish, Portuguese or undetermined caption) an emoji's entry from one caption is an anecdote ("1 of 4
# captions with '☕' use #brasov"): it needs this many, except for the vape tags (``CaptionWordStats.scores``'s
# ``unthinned``: gated by their topic's strength anyway). (Applied to words too it cost the vape val P@1 0.011.)
EMOJI_MIN_COUNT = 2


class CaptionWords(Source):
    """Word statistics are bound to the words themselves, not to a language: each word's statistics fire on a
    caption in the language they were learned in (a Spanish vape shop's "sabor" on a Spanish caption), never on
    another language's words or on the caption language's function words (``language_gate.word_fits``)."""

    name = "words"
    weight = 0.5

    def fit(self, data: TrainingSet) -> None:
        self.stats_ = None
        if data.caption_texts is not None:
            texts, ys = data.caption_texts
            self.stats_ = CaptionWordStats().fit(texts, ys, len(self.model.vocab_))

    def evidence(self, post, features):
        if self.stats_ is None or not features.text:
            return {}
        lang = caption_language(features.text)
        elsewhere = lang not in LEARNED_LANGUAGES
        got = self.stats_.scores(features.text, fits=lambda w: word_fits(w, lang),
                                 min_count=lambda w: EMOJI_MIN_COUNT if elsewhere and not w[0].isalpha() else 1,
                                 unthinned=self._topic_mask())
        vocab = self.model.vocab_
        out = {}
        for j, (v, w, p) in sorted(got.items(), key=lambda kv: -kv[1][0])[:PER_SOURCE]:
            support = self.stats_.support(w, j)
            said = (f"{support[0]} of {support[1]} captions with '{w}' use #{vocab[j]}" if support
                    else f"captions with '{w}' use #{vocab[j]} ({100 * p:.0f}%)")
            out[vocab[j]] = (v, said)
        return out

    def gain(self, post, features):
        return reading_gain(features.text, self.model.text_words_full)

    def _topic_mask(self) -> np.ndarray:
        """A boolean per vocabulary tag: a tag of a topic that taught the caption sources their other languages
        (``LANGUAGE_TOPICS``), whose thin entries fire all the same; once per vocabulary (``topics.topic_rows``)."""
        from ..topics import topic_rows

        rows = topic_rows(self.model)
        cached = self.__dict__.get("_mask")
        if cached is None or cached[0] is not rows:
            mask = np.zeros(len(self.model.vocab_), bool)
            for topic in LANGUAGE_TOPICS:
                mask[rows.get(topic, [])] = True
            cached = self._mask = (rows, mask)
        return cached[1]

    def save(self, state: State) -> None:
        if self.stats_ is not None:
            state.arrays.update(self.stats_.arrays())
            write_vocab(state.directory / "caption_words.txt", self.stats_.words)

    def load(self, state: State) -> None:
        self.stats_ = None
        if "words.idf" in state.arrays:
            self.stats_ = CaptionWordStats.from_arrays(read_vocab(state.directory / "caption_words.txt"), state.arrays)
