"""A linear reranker over the Viterbi candidates (after Maddela et al., ACL 2019).

Each candidate segmentation is described by a few dozen features: language-model scores (bigram, unigram, the
hashtag-domain counts), word counts and lengths, unknown words, agreement with the camelCase of the hashtag,
digits and codes, and its rank and score gap in the Viterbi list. A listwise linear ranker trained on
STAN-large (``taglens.segmentation.train``) weighs them; the weights ship as ``resources/segment/reranker.json``.
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
    "n_squeezed", "len_chars", "bigram_per_word", "unk_x_len", "single_x_len", "n_not_wf",
    "unk_sq", "long_unk", "n_first", "n_last", "name_pair", "cross_frac", "multi_cross", "unk_char_min",
    "unk_char_tot", "unsplit_char", "known_char_min", "known_char_tot",
)


_CHAR_REF = -2.5  # a typical mean letter log-probability of a real word


def _word_info(w: str, kind: str, lp: float, lm: NgramLM) -> tuple[int, float, int, float]:
    """``(known to the LM but not to wordfreq, domain log-prob, in the domain counts, mean letter
    log-probability minus a typical word's)``."""
    key = kind + w
    cache = lm.feature_cache
    info = cache.get(key)
    if info is None:
        if len(cache) > 200_000:
            cache.clear()
        not_wf = int(kind == KNOWN and not lm.in_wordfreq(lp))
        d = lm.domain.get(w)
        c = lm.char_logprob(w) - _CHAR_REF if w.isalpha() else 0.0
        info = (not_wf, d if d is not None else (-16.0 if kind == KNOWN else -20.0), int(d is not None), c)
        cache[key] = info
    return info


def candidate_features(prep: Prepared, cands: list[tuple[float, list[Edge]]], lm: NgramLM) -> list[list[float]]:
    """The feature vector (in ``FEATURES`` order) of every candidate ``(viterbi score, edges)``."""
    camel = prep.camel if prep.cased else frozenset()
    n_chars = max(1, len(prep.text))
    log_chars = math.log(n_chars)
    allcaps = prep.original.isupper()
    best = cands[0][0] if cands else 0.0
    names = lm.names
    rows = []
    for rank, (score, edges) in enumerate(cands):
        nw = 0
        unigram = pens = 0.0
        n_unk = unk_chars = n_single = n_two = n_num = n_mixed = n_code = n_sq = 0
        dom_known = n_not_wf = max_unk = total_len = max_len = 0
        min_len = 99
        dom_lp = min_lp = 0.0
        cuts = set()
        prev_first = False
        n_first = n_last = name_pair = 0
        unk_char_min = unk_char_tot = last_char = known_char_min = known_char_tot = 0.0
        for e in edges:
            w = e.word
            if e.start:
                cuts.add(e.start)
            if not w:
                continue
            nw += 1
            L = len(w)
            total_len += L
            if L > max_len:
                max_len = L
            if L < min_len:
                min_len = L
            lp = e.lp
            unigram += lp
            pens += e.pen
            if lp < min_lp:
                min_lp = lp
            kind = e.kind
            if kind == UNKNOWN:
                n_unk += 1
                unk_chars += L
                if L > max_unk:
                    max_unk = L
            elif kind == NUMBER:
                n_num += 1
            elif kind == MIXED:
                n_mixed += 1
            elif kind == CODE:
                n_code += 1
                unk_chars += L
            elif kind == SQUEEZED:
                n_sq += 1
            if L == 1:
                if w.isalpha() and w not in _SHORT_OK:
                    n_single += 1
            elif L == 2 and w.isalpha():
                n_two += 1
            nf = names.get(w, 0) if L >= 3 else 0
            if nf & 1:
                n_first += 1
            if nf & 2:
                n_last += 1
            if prev_first and (nf & 2 or kind == UNKNOWN):
                name_pair += 1
            prev_first = bool(nf & 1)
            not_wf, d, in_dom, last_char = _word_info(w, kind, lp, lm)
            if kind == KNOWN and L >= 3:
                known_char_tot += last_char
                if last_char < known_char_min:
                    known_char_min = last_char
            if kind == UNKNOWN or kind == CODE:
                unk_char_tot += last_char * L
                if last_char < unk_char_min:
                    unk_char_min = last_char
            n_not_wf += not_wf
            dom_lp += d
            dom_known += in_dom
        bigram = score - pens  # the search score is the bigram log-probability plus the camelCase penalties
        div = max(1, nw)
        agree = len(cuts & camel)
        cross = len(camel - cuts)
        extra = len(cuts - camel) if camel else 0
        unsplit = 1.0 if nw == 1 else 0.0
        unk_frac = unk_chars / n_chars
        rows.append([
            score, score - best, float(rank), math.log1p(rank), bigram, unigram, float(nw),
            float(nw * nw), 1.0 / div, unsplit,
            unsplit * (1.0 if any(e.kind == KNOWN for e in edges) else 0.0),
            unsplit * log_chars, float(n_unk), float(unk_chars), unk_frac, float(n_single),
            float(n_two), total_len / div, float(min_len if nw else 0), float(max_len),
            min_lp, float(max_unk), float(dom_known), dom_lp / div, float(nw - dom_known), float(agree),
            float(cross), float(extra), 1.0 if camel else 0.0, (nw - 1.0) if allcaps else 0.0, float(n_num),
            float(n_mixed), float(n_code), float(n_sq), log_chars, bigram / div, unk_frac * log_chars,
            n_single / div, float(n_not_wf), unk_chars * unk_frac, float(max_unk >= 10),
            float(n_first), float(n_last), float(name_pair), cross / max(1, len(camel)),
            float(cross * cross) if len(camel) >= 2 else 0.0, unk_char_min, unk_char_tot,
            unsplit * last_char * log_chars, known_char_min, known_char_tot,
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
    n_candidates: int = 5
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        if tuple(self.features) != FEATURES:
            raise ValueError("reranker weights were trained for another feature set; rebuild them")
        import numpy as np

        self._coef = np.asarray(self.weights, dtype=np.float64) / np.asarray(self.scale, dtype=np.float64)
        self._bias = -float(self._coef @ np.asarray(self.mean, dtype=np.float64))

    @property
    def search_cfg(self) -> SearchCfg:
        return SearchCfg(**self.search)

    def score(self, prep: Prepared, cands: list[tuple[float, list[Edge]]], lm: NgramLM) -> list[float]:
        import numpy as np

        rows = np.array(candidate_features(prep, cands, lm), dtype=np.float64)
        return (rows @ self._coef + self._bias).tolist()

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
