"""The n-gram language model of the segmenter: interpolated unigrams and bigrams with backoff.

The artifact (``resources/segment/lm.npz``, built by ``scripts/build_segment_lm.py``) holds aggregate counts
only, already turned into log-probabilities:

- ``uni[w] = log P(w)``, a mixture of Google web counts (wordsegment), wordfreq's English list, a little of
  other languages, and hashtag-domain counts (tweet and caption words, camelCase hashtags of ../shared/data);
- ``bi["w1 w2"] = log P(w2 | w1)`` for the bigrams that were seen, with interpolated absolute discounting:
  ``P(w2|w1) = max(c(w1 w2) - D, 0) / c(w1) + gamma(w1) P(w2)``;
- ``gamma[w1] = log gamma(w1)``, the backoff weight that an unseen bigram ``w1 w2`` gets: ``gamma(w1) P(w2)``;
- ``domain[w]``: log-frequencies in the camelCase hashtags of the domain data;
- whether a word is in wordfreq's English list, which the reranker uses to tell real words from the web-crawl
  fragments of the Google counts (``princeof``). To keep loading fast this flag costs no second dictionary: the
  log-probabilities are stored in steps of 1/256 and a word that wordfreq lacks is offset by half a step
  (``in_wordfreq``); 0.002 nats is far below the model's own precision;
- ``names[w]``: 1 for a common first name, 2 for a common surname, 3 for both (US census lists of the PyPI
  package ``names``), so ``bengomori`` can be read as a first name and a surname;
- ``chars[abc] = log P(c | ab)``: a letter n-gram model of single English words (``^`` and ``$`` mark the
  ends), which tells a plausible new word (``mamapedia``) from glued words (``pigbirdcowflu``).

Words outside the vocabulary get ``unk_base + unk_per_char * len(w)``: a long unknown word is not cheap, but
cheaper than a chain of rare fragments, which is what makes names and new words come out whole.

Loading must be fast (the segmenter runs at suggestion time), so the half-million words are *not* turned into
Python objects: the vocabulary is a sorted fixed-width byte array searched with ``numpy.searchsorted`` (all the
substrings of a hashtag in one call, ``lookup_many``), and bigrams are int64 keys ``id1 * V + id2`` whose
successor table for a word is unpacked into a small dict the first time that word is seen (``successors``).
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

RESOURCE_DIR = Path(__file__).resolve().parents[1] / "resources" / "segment"
LM_FILE = "lm.npz"


class NgramLM:
    """Unigram/bigram log-probabilities with backoff over array storage; see the module docstring.

    Build one with ``from_dicts`` (build time) or ``load`` (the packaged artifact).
    """

    def __init__(self, vocab: np.ndarray, uni: np.ndarray, gamma: np.ndarray, bi_keys: np.ndarray,
                 bi_lp: np.ndarray, domain: dict[str, float] | None = None, names: dict[str, int] | None = None,
                 chars: dict[str, float] | None = None, unk_base: float = -10.0, unk_per_char: float = -2.0,
                 max_word_len: int = 24, meta: dict | None = None):
        self.vocab = vocab  # sorted, dtype S<width>
        self.uni_arr = uni  # float32, encoded (see encode)
        self.gamma_arr = gamma  # float32, log gamma; 0 for words without bigrams
        self.bi_keys = bi_keys  # sorted int64 id1 * V + id2
        self.bi_lp = bi_lp  # float32
        self.domain = domain or {}
        self.names = names or {}
        self.chars = chars or {}
        self.unk_base = unk_base
        self.unk_per_char = unk_per_char
        self.max_word_len = max_word_len
        self.meta = meta or {}
        # bigrams of word i are bi_keys[bi_offsets[i]:bi_offsets[i + 1]]
        self.bi_offsets = np.zeros(len(vocab) + 1, dtype=np.int64)
        np.cumsum(np.bincount(bi_keys // len(vocab), minlength=len(vocab)), out=self.bi_offsets[1:])
        self.char_order = len(next(iter(self.chars))) if self.chars else 3
        self.width = vocab.dtype.itemsize
        self.size = len(vocab)
        self._succ: dict[int, tuple[float, dict[int, float]] | None] = {}
        self._cache: dict[str, tuple[int, float | None]] = {}
        self.feature_cache: dict[str, tuple] = {}  # per-word reranker features (taglens.segmentation.rerank)

    def clear_caches(self) -> None:
        """Forget the per-word caches (lookups, bigram successors, reranker features)."""
        self._succ.clear()
        self._cache.clear()
        self.feature_cache.clear()

    # -- lookups -------------------------------------------------------------------------------------------
    def lookup_lists(self, words: list[str], ascii_only: bool = False) -> tuple[list[int], list[float | None]]:
        """Vocabulary ids and encoded log-probabilities of ``words`` (``None`` for an unknown word; its id is
        meaningless) in one vectorised search. ``ascii_only`` promises ASCII words no longer than the widest
        vocabulary entry (a faster path)."""
        if not words:
            return [], []
        width = self.width
        if ascii_only:  # the common case: numpy encodes ASCII str itself, and no word is wider than the vocabulary
            keys = np.array(words, dtype=self.vocab.dtype)
        else:
            enc = [w.encode("utf-8") for w in words]
            keys = np.array([e if len(e) <= width else b"" for e in enc], dtype=self.vocab.dtype)
        idx = np.searchsorted(self.vocab, keys)
        np.minimum(idx, self.size - 1, out=idx)
        found = (self.vocab[idx] == keys) & (keys != b"")
        lps = self.uni_arr[idx].tolist()
        return idx.tolist(), [lp if f else None for lp, f in zip(lps, found.tolist())]

    def lookup_many(self, words: list[str]) -> list[tuple[int, float | None]]:
        """``(vocabulary id, encoded log P)`` of each word, ``(-1, None)`` for unknown words; one numpy call."""
        ids, lps = self.lookup_lists(words)
        return [(i, lp) if lp is not None else (-1, None) for i, lp in zip(ids, lps)]

    def lookup(self, word: str) -> tuple[int, float | None]:
        """``(vocabulary id, encoded log P)`` of one word, ``(-1, None)`` when unknown (cached)."""
        hit = self._cache.get(word)
        if hit is None:
            if len(self._cache) > 100_000:
                self._cache.clear()
            hit = self.lookup_many([word])[0]
            self._cache[word] = hit
        return hit

    def successors(self, wid: int) -> tuple[float, dict[int, float]] | None:
        """``(log gamma(w), {id2: log P(w2 | w)})`` for the word with id ``wid``; None when it has no bigrams."""
        if wid in self._succ:
            return self._succ[wid]
        out = None
        if wid >= 0:
            lo, hi = self.bi_offsets[wid : wid + 2].tolist()
            if hi > lo:
                ids = (self.bi_keys[lo:hi] - wid * self.size).tolist()
                out = (float(self.gamma_arr[wid]), dict(zip(ids, self.bi_lp[lo:hi].tolist())))
        self._succ[wid] = out
        return out

    def unigram(self, word: str) -> float:
        """``log P(word)``, with the unknown-word model for words outside the vocabulary."""
        lp = self.lookup(word)[1]
        return self.unk_base + self.unk_per_char * len(word) if lp is None else lp

    def bigram(self, prev: str, word: str) -> float:
        """``log P(word | prev)`` with backoff to ``gamma(prev) P(word)``; ``prev=""`` means sentence start."""
        wid = self.lookup(word)[0]
        succ = self.successors(self.lookup(prev)[0]) if prev else None
        if succ is None:
            return self.unigram(word)
        lp = succ[1].get(wid)
        return lp if lp is not None else succ[0] + self.unigram(word)

    def __contains__(self, word: str) -> bool:
        return self.lookup(word)[0] >= 0

    def __len__(self) -> int:
        return self.size

    @staticmethod
    def in_wordfreq(lp: float | None) -> bool:
        """Whether a word with this *stored* log-probability is in wordfreq's English list (see ``encode``)."""
        return lp is not None and (lp * 512.0) % 2.0 == 0.0

    @staticmethod
    def encode(lp: float, in_wordfreq: bool) -> float:
        """A log-probability rounded to 1/256, plus 1/512 when the word is not in wordfreq (see ``in_wordfreq``)."""
        return round(lp * 256.0) / 256.0 + (0.0 if in_wordfreq else 1.0 / 512.0)

    def char_logprob(self, word: str) -> float:
        """Mean log-probability per letter of ``word`` under the letter-trigram model (``-8`` when absent)."""
        chars = self.chars
        if not chars:
            return 0.0
        o = self.char_order
        s = "^" * (o - 1) + word + "$"
        total = 0.0
        for i in range(o - 1, len(s)):
            total += chars.get(s[i - o + 1 : i + 1], -8.0)
        return total / (len(s) - o + 1)

    # -- building, saving, loading ------------------------------------------------------------------------------
    @classmethod
    def from_dicts(cls, uni: dict[str, float], bi: dict[str, float], gamma: dict[str, float], **kw) -> NgramLM:
        """Build from ``{word: encoded log P}``, ``{"w1 w2": log P(w2|w1)}`` and ``{w1: log gamma}``."""
        words = sorted(uni, key=lambda w: w.encode("utf-8"))
        width = max(len(w.encode("utf-8")) for w in words)
        vocab = np.array([w.encode("utf-8") for w in words], dtype=f"S{width}")
        index = {w: i for i, w in enumerate(words)}
        uni_arr = np.array([uni[w] for w in words], dtype=np.float32)
        gamma_arr = np.zeros(len(words), dtype=np.float32)
        for w, g in gamma.items():
            if w in index:
                gamma_arr[index[w]] = g
        keys, lps = [], []
        for k, lp in bi.items():
            a, b = k.split(" ")
            if a in index and b in index:
                keys.append(index[a] * len(words) + index[b])
                lps.append(lp)
        order = np.argsort(np.array(keys, dtype=np.int64))
        bi_keys = np.array(keys, dtype=np.int64)[order]
        bi_lp = np.array(lps, dtype=np.float32)[order]
        return cls(vocab, uni_arr, gamma_arr, bi_keys, bi_lp, **kw)

    @classmethod
    def load(cls, path: str | Path | None = None) -> NgramLM:
        """Load an artifact written by ``save`` (the packaged one by default)."""
        path = Path(path) if path is not None else RESOURCE_DIR / LM_FILE
        with np.load(path, allow_pickle=False) as z:
            width = int(z["width"])
            raw = bytes(z["words"])
            vocab = np.frombuffer(raw, dtype=f"S{width}")
            uni = z["uni"].astype(np.float32)
            gamma = z["gamma"].astype(np.float32)
            bi_keys = z["bi_keys"]
            bi_lp = z["bi_lp"].astype(np.float32)
            domain = dict(zip(bytes(z["domain_words"]).decode("utf-8").split("\n"),
                              z["domain"].astype(np.float64).tolist()))
            names = dict(zip(bytes(z["names"]).decode("utf-8").split("\n"), z["name_flags"].tolist()))
            chars = dict(zip(bytes(z["char_keys"]).decode("utf-8").split("\n"),
                             z["char_lp"].astype(np.float64).tolist()))
            meta = json.loads(bytes(z["meta"]).decode("utf-8"))
        domain.pop("", None)
        names.pop("", None)
        chars.pop("", None)
        return cls(vocab, uni, gamma, bi_keys, bi_lp, domain=domain, names=names, chars=chars,
                   unk_base=meta.get("unk_base", -10.0), unk_per_char=meta.get("unk_per_char", -2.0),
                   max_word_len=meta.get("max_word_len", 24), meta=meta)

    def save(self, path: str | Path) -> None:
        """Write the model as one compressed ``.npz`` of plain arrays (no pickles)."""
        meta = dict(self.meta, unk_base=self.unk_base, unk_per_char=self.unk_per_char, max_word_len=self.max_word_len)
        np.savez_compressed(
            path,
            width=np.array(self.width),
            words=np.frombuffer(self.vocab.tobytes(), dtype=np.uint8),
            uni=self.uni_arr.astype(np.float32),  # exact: steps of 1/512
            gamma=self.gamma_arr.astype(np.float16),
            bi_keys=self.bi_keys,
            bi_lp=self.bi_lp.astype(np.float16),
            domain_words=np.frombuffer("\n".join(self.domain).encode("utf-8"), dtype=np.uint8),
            domain=np.array(list(self.domain.values()), dtype=np.float16),
            names=np.frombuffer("\n".join(self.names).encode("utf-8"), dtype=np.uint8),
            name_flags=np.array(list(self.names.values()), dtype=np.uint8),
            char_keys=np.frombuffer("\n".join(self.chars).encode("utf-8"), dtype=np.uint8),
            char_lp=np.array(list(self.chars.values()), dtype=np.float16),
            meta=np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8),
        )


@lru_cache(maxsize=4)
def load_lm(path: str | None = None) -> NgramLM:
    """The language model at ``path`` (the packaged one by default), loaded once per process."""
    return NgramLM.load(path)
