"""A linear reranker over the Viterbi candidates (after Maddela et al., ACL 2019).

Each candidate segmentation is described by a few dozen features: language-model scores (bigram, unigram, the
hashtag-domain counts), word counts and lengths, unknown words, agreement with the camelCase of the hashtag,
digits and codes, and its rank and score gap in the Viterbi list. A listwise linear ranker trained on
STAN-large (``taglens.segment.train``) weighs them; the weights ship as ``resources/segment/reranker.json``.
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

from .lm import RESOURCE_DIR, NgramLM
from .text import Prepared
from .viterbi import CODE, KNOWN, MIXED, NUMBER, SQUEEZED, UNKNOWN, Edge, SearchCfg

RERANKER_FILE = "reranker.json"
_SHORT_OK = frozenset({"a", "i"})

FEATURES = (
    "viterbi", "gap", "rank", "log_rank", "bigram", "unigram", "n_words", "n_words_sq", "inv_n_words",
    "unsplit", "unsplit_known", "unsplit_len", "n_unknown", "unknown_chars", "unknown_frac", "n_single", "n_two",
    "mean_len", "min_len", "max_len", "min_lp", "max_unknown_len", "domain_known", "domain_lp", "not_domain",
    "camel_agree", "camel_cross", "camel_extra", "cased", "allcaps_split", "n_numbers", "n_mixed", "n_codes",
    "n_squeezed", "len_chars", "bigram_per_word", "unk_x_len", "single_x_len", "wf_lp", "wf_min", "n_not_wf",
    "unk_sq", "long_unk",
)


def candidate_features(prep: Prepared, cands: list[tuple[float, list[Edge]]], lm: NgramLM) -> list[list[float]]:
    """The feature vector (in ``FEATURES`` order) of every candidate ``(viterbi score, edges)``."""
    uni, bi, gamma, dom, wf = lm.uni, lm.bi, lm.gamma, lm.domain, lm.wordfreq
    camel = prep.camel if prep.cased else frozenset()
    n_chars = max(1, len(prep.text))
    allcaps = prep.original.isupper()
    best = cands[0][0] if cands else 0.0
    rows = []
    for rank, (score, edges) in enumerate(cands):
        words = [e for e in edges if e.word]
        nw = max(1, len(words))
        bigram = unigram = 0.0
        prev = ""
        n_unk = unk_chars = n_single = n_two = n_num = n_mixed = n_code = n_sq = 0
        dom_known = 0
        dom_lp = 0.0
        wf_lp = 0.0
        wf_min = 0.0
        n_not_wf = 0
        min_lp = 0.0
        max_unk = 0
        lens = []
        for e in words:
            w = e.word
            L = len(w)
            lens.append(L)
            lp = e.lp
            unigram += lp
            if e.kind == KNOWN:
                b = bi.get(prev + " " + w)
                bigram += b if b is not None else gamma.get(prev, 0.0) + lp
            else:
                bigram += gamma.get(prev, 0.0) + lp
            prev = w
            min_lp = min(min_lp, lp)
            kind = e.kind
            if kind == UNKNOWN:
                n_unk += 1
                unk_chars += L
                max_unk = max(max_unk, L)
            elif kind == NUMBER:
                n_num += 1
            elif kind == MIXED:
                n_mixed += 1
            elif kind == CODE:
                n_code += 1
                unk_chars += L
            elif kind == SQUEEZED:
                n_sq += 1
            if L == 1 and w.isalpha() and w not in _SHORT_OK:
                n_single += 1
            elif L == 2 and w.isalpha():
                n_two += 1
            if kind == KNOWN or kind == UNKNOWN or kind == SQUEEZED:
                f = wf.get(w)
                if f is None:
                    f = -22.0
                    n_not_wf += kind == KNOWN
                wf_lp += f
                wf_min = min(wf_min, f)
            d = dom.get(w)
            if d is not None:
                dom_known += 1
                dom_lp += d
            else:
                dom_lp += -16.0 if kind == KNOWN else -20.0
        cuts = set()
        pos = 0
        for e in edges:
            pos = e.end
            cuts.add(e.start)
        cuts.discard(0)
        agree = len(cuts & camel)
        cross = len(camel - cuts)
        extra = len(cuts - camel) if camel else 0
        unsplit = 1.0 if len(words) == 1 else 0.0
        rows.append([
            score, score - best, float(rank), math.log1p(rank), bigram, unigram, float(len(words)),
            float(len(words)) ** 2, 1.0 / nw, unsplit, unsplit * (1.0 if words and words[0].word in uni else 0.0),
            unsplit * math.log(n_chars), float(n_unk), float(unk_chars), unk_chars / n_chars, float(n_single),
            float(n_two), sum(lens) / nw if lens else 0.0, float(min(lens, default=0)), float(max(lens, default=0)),
            min_lp, float(max_unk), float(dom_known), dom_lp / nw, float(len(words) - dom_known), float(agree),
            float(cross), float(extra), 1.0 if camel else 0.0, (len(words) - 1.0) if allcaps else 0.0, float(n_num),
            float(n_mixed), float(n_code), float(n_sq), math.log(n_chars), bigram / nw, unk_chars / n_chars * math.log(n_chars),
            n_single / nw, wf_lp, wf_min, float(n_not_wf), unk_chars * unk_chars / n_chars, float(max_unk >= 10),
        ])
    return rows


@dataclass
class Reranker:
    """``score = w . (x - mean) / scale`` over ``FEATURES``; higher is better."""

    weights: list[float]
    mean: list[float]
    scale: list[float]
    features: tuple[str, ...] = FEATURES
    search: dict = field(default_factory=dict)
    n_candidates: int = 10
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        if tuple(self.features) != FEATURES:
            raise ValueError("reranker weights were trained for another feature set; rebuild them")
        self._coef = [w / s for w, s in zip(self.weights, self.scale)]
        self._bias = -sum(c * m for c, m in zip(self._coef, self.mean))

    @property
    def search_cfg(self) -> SearchCfg:
        return SearchCfg(**self.search)

    def score(self, prep: Prepared, cands: list[tuple[float, list[Edge]]], lm: NgramLM) -> list[float]:
        coef, bias = self._coef, self._bias
        return [bias + sum(c * x for c, x in zip(coef, row)) for row in candidate_features(prep, cands, lm)]

    def save(self, path: str | Path) -> None:
        d = asdict(self)
        d["features"] = list(self.features)
        Path(path).write_text(json.dumps(d, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> Reranker:
        d = json.loads(Path(path).read_text(encoding="utf-8"))
        d["features"] = tuple(d["features"])
        return cls(**d)


@lru_cache(maxsize=1)
def load_reranker() -> Reranker | None:
    """The packaged reranker, or None when it has not been built."""
    path = RESOURCE_DIR / RERANKER_FILE
    return Reranker.load(path) if path.is_file() else None
