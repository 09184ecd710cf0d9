"""The n-gram language model of the segmenter: interpolated unigrams and bigrams with backoff.

The artifact (``resources/segment/lm.npz``, built by ``scripts/build_segment_lm.py``) holds aggregate counts
only, already turned into log-probabilities:

- ``uni[w] = log P(w)``, a mixture of Google web counts (wordsegment), wordfreq's English list, a little of
  other languages, and hashtag-domain counts (tweet and caption words, camelCase hashtags of ../shared/data);
- ``bi["w1 w2"] = log P(w2 | w1)`` for the bigrams that were seen, with interpolated absolute discounting:
  ``P(w2|w1) = max(c(w1 w2) - D, 0) / c(w1) + gamma(w1) P(w2)``;
- ``gamma[w1] = log gamma(w1)``, the backoff weight that an unseen bigram ``w1 w2`` gets: ``gamma(w1) P(w2)``;
- ``domain[w]`` and ``wordfreq[w]``: log-frequencies in the camelCase hashtags and in wordfreq's English list
  alone, which the reranker uses to tell real words from the web-crawl fragments of the Google counts;
- ``names[w]``: 1 for a common first name, 2 for a common surname, 3 for both (US census lists of the PyPI
  package ``names``), so ``bengomori`` can be read as a first name and a surname;
- ``chars[abc] = log P(c | ab)``: a letter-trigram model of single English words (``^`` and ``$`` mark the
  ends), which tells a plausible new word (``mamapedia``) from glued words (``pigbirdcowflu``).

Words outside the vocabulary get ``unk_base + unk_per_char * len(w)``: a long unknown word is not cheap, but
cheaper than a chain of rare fragments, which is what makes names and new words come out whole.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

RESOURCE_DIR = Path(__file__).resolve().parents[1] / "resources" / "segment"
LM_FILE = "lm.npz"


@dataclass
class NgramLM:
    """Unigram/bigram log-probabilities with backoff; see the module docstring."""

    uni: dict[str, float]
    bi: dict[str, float]
    gamma: dict[str, float]
    domain: dict[str, float] = field(default_factory=dict)
    wordfreq: dict[str, float] = field(default_factory=dict)
    names: dict[str, int] = field(default_factory=dict)
    chars: dict[str, float] = field(default_factory=dict)
    unk_base: float = -14.0
    unk_per_char: float = -1.6
    max_word_len: int = 24
    meta: dict = field(default_factory=dict)

    def unigram(self, word: str) -> float:
        """``log P(word)``, with the unknown-word model for words outside the vocabulary."""
        lp = self.uni.get(word)
        if lp is None:
            return self.unk_base + self.unk_per_char * len(word)
        return lp

    def bigram(self, prev: str, word: str) -> float:
        """``log P(word | prev)`` with backoff to ``gamma(prev) P(word)``; ``prev=""`` means sentence start."""
        lp = self.bi.get(prev + " " + word)
        if lp is not None:
            return lp
        return self.gamma.get(prev, 0.0) + self.unigram(word)

    def char_logprob(self, word: str) -> float:
        """Mean log-probability per letter of ``word`` under the letter-trigram model (``-8`` when absent)."""
        chars = self.chars
        if not chars:
            return 0.0
        s = "^^" + word + "$"
        total = 0.0
        for i in range(2, len(s)):
            total += chars.get(s[i - 2 : i + 1], -8.0)
        return total / (len(s) - 2)

    def __contains__(self, word: str) -> bool:
        return word in self.uni

    @classmethod
    def load(cls, path: str | Path | None = None) -> NgramLM:
        """Load an artifact written by ``save`` (the packaged one by default)."""
        path = Path(path) if path is not None else RESOURCE_DIR / LM_FILE
        with np.load(path, allow_pickle=False) as z:
            words = bytes(z["words"]).decode("utf-8").split("\n")
            uni = dict(zip(words, z["uni"].astype(np.float64).tolist()))
            bikeys = bytes(z["bigrams"]).decode("utf-8").split("\n")
            bi = dict(zip(bikeys, z["bi"].astype(np.float64).tolist()))
            gidx = z["gamma_idx"].tolist()
            gamma = dict(zip([words[i] for i in gidx], z["gamma"].astype(np.float64).tolist()))
            didx = z["domain_idx"].tolist()
            domain = dict(zip([words[i] for i in didx], z["domain"].astype(np.float64).tolist()))
            widx = z["wordfreq_idx"].tolist()
            wordfreq = dict(zip([words[i] for i in widx], z["wordfreq"].astype(np.float64).tolist()))
            names = {}
            if "names" in z.files:
                names = dict(zip(bytes(z["names"]).decode("utf-8").split("\n"), z["name_flags"].tolist()))
            chars = {}
            if "char_keys" in z.files:
                keys = bytes(z["char_keys"]).decode("utf-8").split("\n")
                chars = dict(zip(keys, z["char_lp"].astype(np.float64).tolist()))
            meta = json.loads(bytes(z["meta"]).decode("utf-8"))
        return cls(
            uni=uni,
            bi=bi,
            gamma=gamma,
            domain=domain,
            wordfreq=wordfreq,
            names=names,
            chars=chars,
            unk_base=meta.get("unk_base", -14.0),
            unk_per_char=meta.get("unk_per_char", -1.6),
            max_word_len=meta.get("max_word_len", 24),
            meta=meta,
        )

    def save(self, path: str | Path) -> None:
        """Write the model as one compressed ``.npz`` of plain arrays (no pickles)."""
        words = list(self.uni)
        index = {w: i for i, w in enumerate(words)}
        meta = dict(self.meta, unk_base=self.unk_base, unk_per_char=self.unk_per_char, max_word_len=self.max_word_len)
        gwords = [w for w in self.gamma if w in index]
        dwords = [w for w in self.domain if w in index]
        wwords = [w for w in self.wordfreq if w in index]
        np.savez_compressed(
            path,
            words=np.frombuffer("\n".join(words).encode("utf-8"), dtype=np.uint8),
            uni=np.array([self.uni[w] for w in words], dtype=np.float16),
            bigrams=np.frombuffer("\n".join(self.bi).encode("utf-8"), dtype=np.uint8),
            bi=np.array(list(self.bi.values()), dtype=np.float16),
            gamma_idx=np.array([index[w] for w in gwords], dtype=np.int32),
            gamma=np.array([self.gamma[w] for w in gwords], dtype=np.float16),
            domain_idx=np.array([index[w] for w in dwords], dtype=np.int32),
            domain=np.array([self.domain[w] for w in dwords], dtype=np.float16),
            wordfreq_idx=np.array([index[w] for w in wwords], dtype=np.int32),
            wordfreq=np.array([self.wordfreq[w] for w in wwords], dtype=np.float16),
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


def logsumexp2(a: float, b: float) -> float:
    """``log(exp(a) + exp(b))`` without overflow."""
    if a < b:
        a, b = b, a
    return a + math.log1p(math.exp(b - a))
