"""Tag utilities shared by the suggesters: evidence dictionaries, vocabulary files, a tag's words and their
MiniLM embeddings."""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ..types import Suggestion, normalize_tag

Evidence = dict[str, tuple[float, str]]  # {tag: (score, reason)}: what a source says about a post


class Counted(str):
    """A reason that rests on counts, carrying them as data: ``hits`` posts of ``seen`` (the posts with the word that
    also have the tag, the posts with the word). It reads as its wording wherever a reason is shown; a later step that
    weighs the vote by its counts (``support``: a vote from 2 posts is an anecdote) reads ``counts(reason)``, never
    the wording."""
    __slots__ = ("hits", "seen")

    def __new__(cls, text: str, hits: int, seen: int) -> "Counted":
        self = super().__new__(cls, text)
        self.hits, self.seen = int(hits), int(seen)
        return self

    def __reduce__(self):
        return type(self), (str(self), self.hits, self.seen)


def counts(reason: str) -> tuple[int, int] | None:
    """(hits, seen) of a ``Counted`` reason; None for a reason that carries no counts."""
    return (reason.hits, reason.seen) if isinstance(reason, Counted) else None


def stepped_back(evidence: dict[str, Evidence], tags, factor: float) -> dict[str, Evidence]:
    """Per-source ``evidence`` with each of ``tags`` (a set) scaled by ``factor`` in every source that gives it; a
    source that gives none of them is kept as it is."""
    return {name: ({tag: ((score * factor, reason) if tag in tags else (score, reason))
                    for tag, (score, reason) in ev.items()} if any(t in ev for t in tags) else ev)
            for name, ev in evidence.items()}


def left_out(evidence: dict[str, Evidence], tags) -> dict[str, Evidence]:
    """Per-source ``evidence`` without any of ``tags`` (a set) in every source that gives one; a source that gives
    none of them is kept as it is (``stepped_back`` with nothing left)."""
    return {name: ({tag: v for tag, v in ev.items() if tag not in tags} if any(t in ev for t in tags) else ev)
            for name, ev in evidence.items()}


def to_evidence_suggestions(evidence: Evidence, source: str, k: int) -> list[Suggestion]:
    best = sorted(evidence.items(), key=lambda kv: -kv[1][0])[:k]
    return [Suggestion(tag, float(score), source, reason) for tag, (score, reason) in best]


def write_vocab(path: Path, vocab: Sequence[str]) -> None:
    path.write_text("".join(f"{t}\n" for t in vocab), encoding="utf-8")


def read_vocab(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").split("\n") if line]


# Hashtags longer than this are not segmented but taken as one word. The longest hashtag of the developer data
# has 55 characters and real ones are far shorter; a longer "hashtag" is a pasted text or a key smash, its words
# would not be known tags anyway, and segmenting it costs time in proportion (a 1 MB hashtag took 69 s).
MAX_SEGMENTED_TAG_LEN = 100


def tag_words(tag: str) -> list[str]:
    """The words of a hashtag (``taglens.segment`` when available, else ``wordsegment``); a hashtag longer than
    ``MAX_SEGMENTED_TAG_LEN`` characters is one word. A tag of a loaded model's vocabulary is answered from the words
    the model stored for it (``known_words``)."""
    tag = normalize_tag(tag)
    if len(tag) > MAX_SEGMENTED_TAG_LEN:
        return [tag]
    known = _KNOWN_WORDS.get(tag)
    if known is not None:
        return list(known)
    return _segment(tag)


_KNOWN_WORDS: dict[str, tuple[str, ...]] = {}


def known_words(tags: Sequence[str], words: Sequence[str]) -> None:
    """Remember the words of ``tags`` (``words``: each tag's words joined by spaces, as a model's vocab_words.txt
    holds them, written by ``tag_words`` when the model was fitted), so ``tag_words`` answers them without the
    segmenter. A post's sources name a few hundred tags, ten or more never seen before by this process: segmenting
    each cost ~0.4-1 ms on the warm path (issue 21). The bundled model's words are what ``tag_words`` gives today for
    every one of its 6,698 tags (tests/suggesters/test_tag_words_known.py)."""
    for tag, joined in zip(tags, words):
        norm = normalize_tag(tag)
        if norm == tag and len(tag) <= MAX_SEGMENTED_TAG_LEN and joined:
            _KNOWN_WORDS[tag] = tuple(joined.split())


@functools.lru_cache(maxsize=65536)
def _segment(tag: str) -> list[str]:
    words = None
    segment = _segmenter()
    if segment is not None:
        try:
            words = segment(tag)
        except Exception:  # noqa: BLE001 - a broken segmenter must not break suggestions
            words = None
    if words is None:
        import wordsegment

        if not wordsegment.UNIGRAMS:
            wordsegment.load()
        words = wordsegment.segment(tag)
    return [w for w in words if w] or [tag]


@functools.lru_cache(maxsize=1)
def _segmenter():
    """taglens.segmentation.segment, or None (then wordsegment is used) where it cannot be loaded."""
    try:
        from ..segmentation import segment

        segment("test")
        return segment
    except Exception:  # noqa: BLE001
        return None


def tag_text(tag: str) -> str:
    """The words of a tag as a phrase, for text embeddings (``goldenretriever`` -> ``golden retriever``)."""
    return " ".join(tag_words(tag))


def embed_tags(tags: Sequence[str], embedder: Callable[[list[str]], np.ndarray] | None = None) -> np.ndarray:
    """L2-normalised MiniLM embeddings of the tags' segmented words, (n, 384) float32.

    ``embedder`` (texts -> embeddings) replaces the cached MiniLM encoder, e.g. to share a precomputed table."""
    from ..encoders.cache import text_embeddings

    return np.asarray((embedder or text_embeddings)([tag_text(t) for t in tags]), dtype=np.float32)
