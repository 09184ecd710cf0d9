"""Hashtag segmentation: ``segment("sunsetbeachvibes") -> ["sunset", "beach", "vibes"]``.

A k-best Viterbi search over an interpolated unigram/bigram language model proposes candidates
(:mod:`taglens.segmentation.viterbi`, :mod:`taglens.segmentation.lm`); a linear reranker trained on STAN-large picks
among them (:mod:`taglens.segmentation.rerank`), in the manner of Maddela et al. (ACL 2019). Words come back
lowercase; digits, camelCase, separators, emoji and other scripts are handled (:mod:`taglens.segmentation.text`).

Example:
    >>> from taglens.segmentation import segment, segment_topk
    >>> segment("#SunsetBeachVibes")
    ['sunset', 'beach', 'vibes']
    >>> segment_topk("nowplaying", k=2)[0][0]
    ['now', 'playing']
"""
from __future__ import annotations

import logging
import math
from functools import lru_cache
from pathlib import Path

from .lm import RESOURCE_DIR, NgramLM, load_lm
from .text import prepare, restore_contractions
from .viterbi import SearchCfg, build_lattice, forced_candidates, search

__all__ = ["Segmenter", "segment", "segment_topk", "get_segmenter"]

log = logging.getLogger(__name__)

MAX_HASHTAG_LEN = 280  # longer inputs are cut into pieces of this size (the search is linear in the length)
# Only the first MAX_SEGMENT_LEN characters of an input are segmented (about 0.3 s); the rest comes back as one
# word, so that a pasted megabyte stays a matter of seconds. No real hashtag comes near (the longest in the
# developer data has 55 characters).
MAX_SEGMENT_LEN = 10_000


class Segmenter:
    """Viterbi candidates from an n-gram LM, optionally reranked.

    Args:
        lm: the language model; the packaged one when omitted.
        reranker: a :class:`~taglens.segmentation.rerank.Reranker`, ``None`` for the packaged one when it exists,
            or ``False`` for plain Viterbi.
        cfg: search settings.
        n_candidates: how many Viterbi candidates the reranker sees.
        sure_gap: when Viterbi's best candidate leads the next by this many nats, it is taken without reranking
            (on the developer sets the reranker all but never overturns such a lead; it saves a third of the time).
        contractions: write contractions with their apostrophe (``im`` -> ``i'm``, ``dont`` -> ``don't``), as
            the STAN-large gold does.
    """

    def __init__(self, lm: NgramLM | None = None, reranker=None, cfg: SearchCfg | None = None, n_candidates: int = 5,
                 sure_gap: float = 8.0, contractions: bool = True):
        self.lm = lm if lm is not None else load_lm()
        if reranker is None:
            from .rerank import load_reranker

            reranker = load_reranker()
        self.reranker = reranker or None
        self.cfg = cfg if cfg is not None else (self.reranker.search_cfg if self.reranker else SearchCfg())
        self.n_candidates = self.reranker.n_candidates if self.reranker else n_candidates
        self.contractions = contractions
        self.sure_gap = sure_gap
        self._cached = lru_cache(maxsize=65536)(self._topk_uncached)

    def _topk_uncached(self, hashtag: str, k: int) -> tuple[tuple[tuple[str, ...], float], ...]:
        prep = prepare(hashtag)
        if len(prep.text) > MAX_HASHTAG_LEN:
            # piece by piece (a loop: recursing on the tail re-prepared it each time and overflowed the stack)
            text = prep.original
            end = min(len(text), MAX_SEGMENT_LEN)
            words: list[str] = []
            for start in range(0, end, MAX_HASHTAG_LEN):
                words.extend(self._topk_uncached(text[start:min(start + MAX_HASHTAG_LEN, end)], 1)[0][0])
            rest = prepare(text[end:]).text if end < len(text) else ""
            if rest:
                log.warning("segmenting only the first %d of %d characters of a hashtag; the rest is one word",
                            end, len(text))
                words.append(rest)
            return ((tuple(words), 1.0),)
        cands = self.candidates(prep, max(k, self.n_candidates) if self.reranker else k)
        if self.reranker is not None and len(cands) > 1 and cands[0][0] - cands[1][0] < self.sure_gap:
            scores = self.reranker.score(prep, cands, self.lm)
        else:
            scores = [c[0] for c in cands]
        order = sorted(range(len(cands)), key=lambda i: -scores[i])
        top = max(scores)
        z = sum(math.exp(s - top) for s in scores)
        out = []
        for i in order[:k]:
            words = tuple(e.word for e in cands[i][1] if e.word)
            if self.contractions:
                words = tuple(restore_contractions(words))
            out.append((words, math.exp(scores[i] - top) / z))
        return tuple(out)

    def candidates(self, prep, n: int) -> list:
        """Viterbi's ``n`` best paths plus the forced ones (letter runs whole, camelCase cut), deduplicated."""
        edges = build_lattice(prep, self.lm, self.cfg)
        cands = search(prep, self.lm, self.cfg, n, edges)
        if self.reranker is not None:
            seen = {tuple(e.word for e in path) for _, path in cands}
            for score, path in forced_candidates(prep, self.lm, self.cfg, edges):
                key = tuple(e.word for e in path if e.word)
                if key not in seen:
                    seen.add(key)
                    cands.append((score, path))
            cands.sort(key=lambda c: -c[0])
        return cands

    def segment_topk(self, hashtag: str, k: int = 5) -> list[tuple[list[str], float]]:
        """The ``k`` best segmentations with their probabilities (softmax over the candidates), best first."""
        if k < 1:
            return []
        return [(list(w), p) for w, p in self._cached(str(hashtag), int(k))]

    def segment(self, hashtag: str) -> list[str]:
        """The best segmentation of ``hashtag`` as lowercase words (``[]`` for an empty hashtag)."""
        return list(self._cached(str(hashtag), 1)[0][0])

    def clear_cache(self) -> None:
        """Forget cached answers and the LM's per-word caches (benchmarks call this before timing)."""
        self._cached.cache_clear()
        self.lm.clear_caches()


@lru_cache(maxsize=1)
def get_segmenter() -> Segmenter:
    """The packaged segmenter, built once per process."""
    return Segmenter()


def segment(hashtag: str) -> list[str]:
    """Split a hashtag into lowercase words: ``segment("sunsetbeachvibes") -> ["sunset", "beach", "vibes"]``."""
    return get_segmenter().segment(hashtag)


def segment_topk(hashtag: str, k: int = 5) -> list[tuple[list[str], float]]:
    """The ``k`` best segmentations of a hashtag with their probabilities, best first."""
    return get_segmenter().segment_topk(hashtag, k)


def resource_path(name: str) -> Path:
    """Path of a file of the packaged artifact."""
    return RESOURCE_DIR / name
