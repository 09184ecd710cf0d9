"""k-best Viterbi (beam) search over the word lattice of a hashtag, scored by the bigram LM.

The lattice has an edge for every vocabulary word inside a run of letters, for unknown words that touch a run's
edge or a camelCase boundary (names, new words: ``blame|dawno``), for words with repeated letters squeezed
(``soooo`` scores like ``so``), for whole digit runs (``2019``), for known mixed tokens (``mp3``, ``4th``), and
for whole runs of other scripts. A hypothesis is ``(score, edge, previous hypothesis, successors of its
last word)``; each position keeps
the ``beam`` best, so the search returns the k best segmentations without enumerating them all.
"""
from __future__ import annotations

from dataclasses import dataclass
from operator import itemgetter
from typing import NamedTuple

from .lm import NgramLM
from .text import REPEAT_RE, DIGIT, LETTER, SEP, Prepared, squeeze_repeats

_MISSING = object()

# Edge kinds.
KNOWN, UNKNOWN, NUMBER, MIXED, SCRIPT, SYMBOL, SQUEEZED, CODE = "k", "u", "n", "m", "o", "s", "r", "c"


@dataclass(frozen=True)
class SearchCfg:
    """Scores the search adds to the LM's log-probabilities (natural logs)."""

    beam: int = 5
    camel_cross: float = -10.0  # a word that runs over a camelCase boundary (sunsetBeach as one word)
    camel_ignore: float = -2.5  # a cut where a cased hashtag shows no case change
    number_lp: float = -7.0  # log P of a digit run as a token, plus per digit below
    number_per_digit: float = -0.5
    script_lp: float = -10.0  # a whole run of a non-Latin script
    squeeze_pen: float = -3.0  # a word that is known once repeated letters are squeezed
    unk_min_len: int = 2
    margin: float = 12.0  # hypotheses this far below the best at their position are dropped
    max_code_len: int = 6  # longest letters-and-digits run offered whole (n64, c2ea)
    code_pen: float = -4.0


class Edge(NamedTuple):
    """A word of the lattice: ``text[start:end]``, its unigram log-probability and kind, and the camelCase
    penalty of cutting it there."""

    start: int
    end: int
    word: str
    lp: float  # unigram log-probability (LM, unknown-word, number or script model)
    kind: str
    pen: float  # camelCase penalties
    wid: int = -1  # vocabulary id of a known word (for bigram lookups)


def build_lattice(prep: Prepared, lm: NgramLM, cfg: SearchCfg) -> list[list[Edge]]:
    """Edges grouped by start position. White space is skipped; ``_``, emoji and symbols are tokens of their own."""
    s = prep.text
    n = len(s)
    edges: list[list[Edge]] = [[] for _ in range(n + 1)]
    camel = prep.camel if prep.cased else frozenset()
    maxlen = lm.max_word_len
    chunks = prep.chunks()
    # Every substring of a letter run that may be a word, looked up in one vectorised call, in the order
    # _letter_edges walks them.
    subs = []
    for a, b, cls in chunks:
        if cls == LETTER:
            subs.extend(s[i:j] for i in range(a, b) for j in range(i + 1, min(b, i + maxlen) + 1))
    ids, lps = lm.lookup_lists(subs, ascii_only=s.isascii() and maxlen <= lm.width)
    at = 0
    for a, b, cls in chunks:
        if cls == SEP:
            ch = s[a:b]
            if ch.isspace() or not ch.isprintable():
                edges[a].append(Edge(a, b, "", 0.0, SYMBOL, 0.0))  # dropped (white space, zero-width marks)
            else:
                edges[a].append(Edge(a, b, ch, 0.0, SYMBOL, 0.0))  # '_', emoji, symbols: a token of their own
        elif cls == DIGIT:
            edges[a].append(Edge(a, b, s[a:b], cfg.number_lp + cfg.number_per_digit * (b - a), NUMBER, 0.0))
        elif cls == LETTER:
            at = _letter_edges(s, a, b, camel, subs, ids, lps, at, maxlen, cfg, lm, edges)
        else:
            edges[a].append(Edge(a, b, s[a:b], cfg.script_lp, SCRIPT, 0.0))
    if DIGIT in prep.classes:
        # Known tokens mixing letters and digits (mp3, 4th, 24h, 3g) that do not cut a digit run, and whole short
        # alphanumeric runs as one unknown code (n64, c2ea, t20wc).
        spans = _mixed_spans(prep)
        known = set()
        for (i, j), (wid, lp) in zip(spans, lm.lookup_many([s[i:j] for i, j in spans])):
            if lp is not None:
                edges[i].append(Edge(i, j, s[i:j], lp, MIXED, 0.0, wid))
                known.add((i, j))
        for a, b in alnum_runs(prep):
            w = s[a:b]
            if b - a <= cfg.max_code_len and not (w.isalpha() or w.isdigit()) and (a, b) not in known:
                edges[a].append(Edge(a, b, w, lm.unk_base + lm.unk_per_char * (b - a) + cfg.code_pen, CODE, 0.0))
    return edges


def _mixed_spans(prep: Prepared) -> list[tuple[int, int]]:
    """Spans mixing letters and digits that end where a digit run ends (``mp3``, ``4th``, ``24h``)."""
    s, cls = prep.text, prep.classes
    n = len(s)
    out = []
    for i in range(n):
        if cls[i] not in (LETTER, DIGIT) or (i > 0 and cls[i] == DIGIT and cls[i - 1] == DIGIT):
            continue
        for j in range(i + 2, min(n, i + 10) + 1):
            if cls[j - 1] not in (LETTER, DIGIT):
                break
            w = s[i:j]
            if w.isalpha() or w.isdigit() or (j < n and cls[j - 1] == DIGIT and cls[j] == DIGIT):
                continue
            out.append((i, j))
    return out


def alnum_runs(prep: Prepared) -> list[tuple[int, int]]:
    """Maximal runs of letters and digits (``deb8`` in ``deb8_rocks``)."""
    out = []
    start = None
    for i, c in enumerate(prep.classes + SEP):
        if c in (LETTER, DIGIT):
            if start is None:
                start = i
        elif start is not None:
            out.append((start, i))
            start = None
    return out


def _letter_edges(s, a, b, camel, subs, ids, lps, at, maxlen, cfg, lm, edges) -> int:
    """Add the edges of the letter run ``s[a:b]``; ``subs/ids/lps[at:]`` are its looked-up substrings in
    (start, end) order. Returns the index after the run's substrings."""
    unk_base, unk_char = lm.unk_base, lm.unk_per_char
    cross, ignore, sq_pen, unk_min = cfg.camel_cross, cfg.camel_ignore, cfg.squeeze_pen, cfg.unk_min_len
    camel_in = sorted(c for c in camel if a < c < b)
    triples = REPEAT_RE.search(s, a, b) is not None
    in_wordfreq = lm.in_wordfreq
    for i in range(a, b):
        start_ok = i == a or i in camel
        pen_start = 0.0 if (i == a or not camel or i in camel) else ignore
        out = edges[i]
        for j in range(i + 1, min(b, i + maxlen) + 1):
            lp = lps[at]
            w = subs[at]
            at += 1
            pen = pen_start
            if camel_in:
                for c in camel_in:
                    if i < c < j:
                        pen += cross
            if lp is not None and (pen == pen_start or in_wordfreq(lp)):
                # A word that runs over a camelCase boundary must be a real word (AdWords), not a web-crawl
                # fragment (TheFreshPrinceOf|Bel: "princeof").
                out.append(Edge(i, j, w, lp, KNOWN, pen, ids[at - 1]))
                continue
            if triples and j - i >= 3 and REPEAT_RE.search(w):
                lp2 = lm.lookup(squeeze_repeats(w, 1))[1]
                if lp2 is None:
                    lp2 = lm.lookup(squeeze_repeats(w, 2))[1]
                if lp2 is not None:
                    out.append(Edge(i, j, w, lp2 + sq_pen, SQUEEZED, pen))
                    continue
            if j - i >= unk_min and (start_ok or j == b or j in camel):
                out.append(Edge(i, j, w, unk_base + unk_char * (j - i), UNKNOWN, pen))
    return at


def search(prep: Prepared, lm: NgramLM, cfg: SearchCfg, k: int = 5,
           edges: list[list[Edge]] | None = None) -> list[tuple[float, list[Edge]]]:
    """The ``k`` best paths through the lattice (``build_lattice``'s, built here when not given), best first,
    as ``(score, edges)``."""
    n = len(prep.text)
    if n == 0:
        return [(0.0, [])]
    if edges is None:
        edges = build_lattice(prep, lm, cfg)
    beam = max(cfg.beam, k)
    margin = cfg.margin
    successors = lm.successors
    succ_cache = lm._succ
    first = itemgetter(0)
    hyps: list[list] = [[] for _ in range(n + 1)]
    # A hypothesis: (score, edge, previous hypothesis, (log gamma, {id2: log P}) of its last word or None).
    hyps[0] = [(0.0, None, None, None)]
    for pos in range(n):
        cur = hyps[pos]
        if not cur:
            continue
        if len(cur) > 1:
            cur.sort(key=first, reverse=True)
            floor = cur[0][0] - margin
            if len(cur) > beam:
                del cur[beam:]
            while cur[-1][0] < floor:
                cur.pop()
        for e in edges[pos]:
            pen = e.pen
            base = e.lp + pen
            target = hyps[e.end]
            if not e.word:  # skipped white space: carries the hypotheses over unchanged
                for h in cur:
                    target.append((h[0], e, h, h[3]))
                continue
            wid = e.wid
            succ_w = succ_cache.get(wid, _MISSING) if wid >= 0 else None
            if succ_w is _MISSING:
                succ_w = successors(wid)
            if e.kind == KNOWN:
                for h in cur:
                    succ = h[3]
                    if succ is None:
                        target.append((h[0] + base, e, h, succ_w))
                    else:
                        lp = succ[1].get(wid)
                        target.append((h[0] + (succ[0] + base if lp is None else lp + pen), e, h, succ_w))
            else:
                for h in cur:
                    succ = h[3]
                    target.append((h[0] + base + (succ[0] if succ is not None else 0.0), e, h, succ_w))
    final = hyps[n]
    final.sort(key=first, reverse=True)
    out = []
    for h in final[:k]:
        path = []
        node = h
        while node is not None and node[1] is not None:
            if node[1].word:
                path.append(node[1])
            node = node[2]
        path.reverse()
        out.append((h[0], path))
    return out


def path_score(edges: list[Edge], lm: NgramLM) -> float:
    """The search score of a path: bigram log-probabilities plus the edges' camelCase penalties."""
    total = 0.0
    succ = None
    for e in edges:
        if not e.word:
            continue
        lp = succ[1].get(e.wid) if succ is not None and e.kind == KNOWN else None
        if lp is None:
            lp = e.lp + (succ[0] if succ is not None else 0.0)
        total += lp + e.pen
        succ = lm.successors(e.wid) if e.wid >= 0 else None
    return total


def forced_candidates(prep: Prepared, lm: NgramLM, cfg: SearchCfg,
                      edges: list[list[Edge]]) -> list[tuple[float, list[Edge]]]:
    """Candidates the beam may miss: every letter run whole (a name, a new word) and the plain camelCase cut.
    Known words are taken from the lattice ``edges``; anything else is an unknown word."""
    s = prep.text
    camel = prep.camel if prep.cased else frozenset()
    out = []
    for cuts_at_camel in (False, True):
        if cuts_at_camel and not camel:
            break
        path = []
        for a, b, cls in prep.chunks():
            pieces = [a] + sorted(c for c in camel if a < c < b) + [b] if cuts_at_camel else [a, b]
            for i, j in zip(pieces, pieces[1:]):
                w = s[i:j]
                if cls == SEP:
                    path.append(Edge(i, j, "" if w.isspace() or not w.isprintable() else w, 0.0, SYMBOL, 0.0))
                elif cls == DIGIT:
                    path.append(Edge(i, j, w, cfg.number_lp + cfg.number_per_digit * (j - i), NUMBER, 0.0))
                elif cls == LETTER:
                    known = [e for e in edges[i] if e.end == j and e.kind == KNOWN]
                    if known:
                        path.append(known[0])
                    else:
                        pen = cfg.camel_cross * sum(1 for c in camel if i < c < j)
                        path.append(Edge(i, j, w, lm.unk_base + lm.unk_per_char * (j - i), UNKNOWN, pen))
                else:
                    path.append(Edge(i, j, w, cfg.script_lp, SCRIPT, 0.0))
        out.append((path_score(path, lm), path))
    return out
