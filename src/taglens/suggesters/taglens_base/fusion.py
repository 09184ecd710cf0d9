"""Fusion of the sources' evidence into one ranking: a weighted sum, then a diversified re-ranking.

``score(t) = sum_s w_s * g_s(post) * score_s(t)``, where ``w_s`` are weights keyed by ``source.name`` (tuned by
cross-fitting on the training side, see scripts/build_default_model.py) and ``g_s`` (``source.gain``) grows with
how much evidence of that kind the post has (caption length, number of known tags). A source with a
``weight_with_caption`` (the image sources) has two weights, for a photo alone and for a photo with a full
caption, mixed by the caption's gain: a photo alone leans on the prototypes of similar photos; with a caption,
the caption carries the topic and the image heads add what is seen. The reason shown is the one of the largest
contribution.
"""
from __future__ import annotations

from typing import Iterable

import numpy as np

from ...types import Suggestion
from ..base import unwanted_tags
from ..tags import Evidence
from .source import EvidenceSource

DIVERSE_POOL = 30  # candidates the diversified ranking chooses from
PASSABLE = 2  # the most first tags an under-first tag may pass (``_under_first``: its own categories)
CAPTION = "caption"  # the source whose gain mixes the two weights of a source with a weight_with_caption


def default_weights(sources: Iterable[EvidenceSource]) -> dict[str, float]:
    """Each source's default weight by name, then ``name+caption`` for those weighed anew with a caption."""
    sources = list(sources)
    weights = {s.name: s.weight for s in sources}
    weights.update({f"{s.name}+caption": s.weight_with_caption for s in sources if s.weight_with_caption is not None})
    return weights


def effective_weights(weights: dict[str, float], gains: dict[str, float], mixed: Iterable[str]) -> dict[str, float]:
    """``weights`` with the weight of each ``mixed`` source blended with its ``+caption`` weight by the caption's
    gain."""
    w = dict(weights)
    g_text = gains.get(CAPTION, 0.0)
    for source in mixed:
        with_caption = w.get(f"{source}+caption", w.get(source, 0.0))
        w[source] = (1.0 - g_text) * w.get(source, 0.0) + g_text * with_caption
    return w


def fuse(evidence: dict[str, Evidence], gains: dict[str, float], exclude: set[str] | frozenset[str], k: int,
         weights: dict[str, float], mixed: Iterable[str] = (), firm_sources: Iterable[str] = (),
         cooccurrence=None, diversity: float = 0.0, text: str | None = None,
         under_first: Iterable[str] = (), passes=None) -> list[Suggestion]:
    """Weighted sum of the sources' scores, without the tags of ``exclude``, blocked tags (``taglens.blocklist``)
    and junk (``taglens.knowledge.junk``: engagement bait and tags that do not read as hashtags, unless
    ``TAGLENS_ALLOW_GENERIC`` is set); each tag keeps the reason of its largest contribution; then ``diversify``
    (with the tags whose best contribution came from a ``firm_sources`` source never discounted). Returns the
    first ``k``. ``text``: the post's caption, for the bait it shows to be true of the post (``unwanted_tags``).
    The sources of ``under_first`` speak under the first tag only (``_under_first``), except above a category
    ``passes(tag, first)`` says ``tag`` may pass."""
    w = effective_weights(weights, gains, mixed)
    total: dict[str, float] = {}
    best: dict[str, tuple[float, str, str]] = {}  # each tag's largest contribution, its source and its reason
    total_get, best_get = total.get, best.get
    under = []
    for source, ev in evidence.items():
        ws = w.get(source, 0.0) * gains.get(source, 1.0)
        if ws <= 0:
            continue
        if source in under_first:
            under.append((source, ev, ws))
            continue
        for tag, (score, reason) in ev.items():
            c = ws * score
            before = total_get(tag)
            if before is None:  # the tag's first contribution
                if tag in exclude:
                    continue
                total[tag] = 0.0 + c
                if c > -1.0:
                    best[tag] = (c, source, reason)
            else:
                total[tag] = before + c
                largest = best_get(tag)
                if c > (-1.0 if largest is None else largest[0]):
                    best[tag] = (c, source, reason)
    unwanted = unwanted_tags(exclude, text)  # the list read once per post; each distinct tag is looked up once
    if under:
        _under_first(total, best, under, exclude, unwanted, passes)
    want = max(k, DIVERSE_POOL)
    ranked = _first_wanted(total, want, unwanted, 2 * want)
    if len(ranked) < want and len(total) > 2 * want:  # many unwanted among the best: the whole order
        ranked = _first_wanted(total, want, unwanted, len(total))
    firm_sources = set(firm_sources)
    firm = {t for t, _ in ranked if best[t][1] in firm_sources}
    ranked = diversify(ranked, k, cooccurrence, diversity, firm)
    return [Suggestion(tag, s, *best[tag][1:]) for tag, s in ranked]


def _under_first(total: dict[str, float], best: dict[str, tuple[float, str, str]], under: list, exclude, unwanted,
                 passes=None) -> None:
    """Adds the contributions of the sources of ``under`` ((name, evidence, weight x gain)) to ``total`` (and
    ``best``), each tag's cut so that it does not rise above the first wanted tag of the other sources' sums. With no
    other tag, they rank freely. ``passes(tag, other)``: whether ``tag`` may rise above ``other`` all the same (a
    kind above its own category, ``kind_forms.names_category``): it rises then at most just above the categories
    it passes (its own place), or to the first wanted tag it may not pass where that is higher."""
    adds: dict[str, list[tuple[float, str, str]]] = {}
    for source, ev, ws in under:
        for tag, (score, reason) in ev.items():
            if tag not in exclude and ws * score > 0:
                adds.setdefault(tag, []).append((ws * score, source, reason))
    if not adds:
        return
    firsts = _first_wanted(total, PASSABLE + 1 if passes else 1, unwanted, len(total)) if total else []
    for tag, parts in adds.items():
        above, passed = firsts, 0.0
        while passes and above and above[0][0] != tag and len(above) > 1 and passes(tag, above[0][0]):
            passed, above = max(passed, above[0][1] * (1.0 + 1e-6)), above[1:]  # at most just above its category
        top, ceiling = (above[0][0], max(passed, above[0][1] * (1.0 - 1e-6))) if above else (None, float("inf"))
        before = total.get(tag, 0.0)
        room = float("inf") if tag == top else max(0.0, ceiling - before)
        factor = min(1.0, room / sum(p[0] for p in parts))
        for c, source, reason in parts:
            c *= factor
            if c <= 0:
                continue
            total[tag] = total.get(tag, 0.0) + c
            if tag not in best or c > best[tag][0]:
                best[tag] = (c, source, reason)


def _first_wanted(total: dict[str, float], want: int, unwanted, among: int) -> list[tuple[str, float]]:
    """The first ``want`` tags that are not ``unwanted`` among the ``among`` best of ``total`` (best first, ties
    by name)."""
    if among < len(total):  # the ``among`` best: those at least the among-th score (ties too), sorted, cut (speed)
        cut = sorted(total.values(), reverse=True)[among - 1]
        best = [(t, v) for t, v in total.items() if v >= cut]
    else:
        best = list(total.items())
    best.sort(key=lambda kv: (-kv[1], kv[0]))
    ranked = []
    for t, v in best[:among]:
        if not unwanted(t):  # blocked tags, engagement bait, handles: never ranked
            ranked.append((t, v))
            if len(ranked) >= want:
                break
    return ranked


def diversify(ranked: list[tuple[str, float]], k: int, cooccurrence, diversity: float,
              firm: set[str] | frozenset[str] = frozenset()) -> list[tuple[str, float]]:
    """Re-rank so that each tag adds something the ones above it do not already imply: greedily, a tag's score
    is multiplied by ``1 - diversity * P(u | tag)`` for every tag u already placed (P from the co-occurrence
    statistics ``cooccurrence``, a fitted CooccurrenceSuggester). The first tag never changes; scores stay in
    decreasing order; ``firm`` tags are not discounted. Returns the first ``k``.

    A list of five near-synonyms (#sea #ocean #beach #waves #seaside) all hit or all miss together; five tags
    that cover different readings of the post are more likely to hold one the author wanted (docs/EXPERIMENTS.md
    has the figures)."""
    if diversity <= 0 or len(ranked) < 3 or cooccurrence is None:
        return ranked[:k]
    cooc = cooccurrence
    n = len(ranked)
    cand = np.array([cooc.index_.get(t, -1) for t, _ in ranked], dtype=np.int64)
    known = np.flatnonzero(cand >= 0)
    order = known[np.argsort(cand[known])]  # candidate positions by vocabulary index, for searchsorted
    sorted_idx = cand[order]
    given = np.zeros((n, n), np.float32)  # given[i, j] = P(tag j | tag i)
    if len(known):  # every known candidate's row of the statistics at once (one slice per row cost ~10 us each)
        starts, ends = cooc.indptr_[cand[known]], cooc.indptr_[cand[known] + 1]
        lengths = ends - starts
        flat = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(int(lengths.sum()))
        rows, neighbours = np.repeat(known, lengths), cooc.indices_[flat]
        at = np.minimum(np.searchsorted(sorted_idx, neighbours), len(sorted_idx) - 1)
        hit = sorted_idx[at] == neighbours
        given[rows[hit], order[at[hit]]] = cooc.values_[flat[hit]]
    damp = 1.0 - diversity * np.clip(given, 0.0, 1.0)
    if firm:
        damp[[i for i, (t, _) in enumerate(ranked) if t in firm]] = 1.0
    # the greedy choice on Python floats (float64, as numpy's: a float32 factor is exact in a double), the first of
    # equal best scores as np.argmax; a few hundred numpy calls on 30 numbers cost more than the arithmetic (speed)
    scores = [float(s) for _, s in ranked]
    columns = damp.T.tolist()  # columns[j][i] = damp[i, j]
    out: list[tuple[str, float]] = []
    free = list(range(n))
    for _ in range(min(k, n)):
        pick = max(free, key=scores.__getitem__)
        out.append((ranked[pick][0], scores[pick]))
        free.remove(pick)
        scores = [s * d for s, d in zip(scores, columns[pick])]
    return out


__all__ = ["DIVERSE_POOL", "default_weights", "diversify", "effective_weights", "fuse"]


