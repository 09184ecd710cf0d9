"""``tag_parts``: for a tag the co-occurrence statistics do not know, its segmented words and word pairs that are
known tags (#sunsetchasers -> #sunset), and their companions at half strength: segmentation lets a new tag speak."""
from __future__ import annotations

from typing import Sequence

from ...tags import Evidence, tag_words
from ..source import PER_SOURCE, Source
from .cooccurrence import supported_evidence
from ..wording import STOPWORDS


class TagParts(Source):
    name = "tag_parts"
    weight = 1.0

    def parts(self, tags: Sequence[str]) -> dict[str, str]:
        """{vocabulary tag: the post's tag it is part of} for the words and word pairs of the post's tags that the
        co-occurrence statistics do not know."""
        index, known = self.model.index_, self.model.source("cooccurrence").cooc_.index_
        parts: dict[str, str] = {}
        for tag in tags:
            if tag in known:
                continue
            words = [w.lower() for w in tag_words(tag)]
            if len(words) < 2:
                continue
            candidates = [w for w in words if len(w) >= 3 and w not in STOPWORDS]
            candidates += [a + b for a, b in zip(words, words[1:])]
            for cand in candidates:
                if cand != tag and cand in index:
                    parts.setdefault(cand, tag)
        return parts

    def evidence(self, post, features) -> Evidence:
        """The parts themselves (word pairs 0.5, single words 0.4) and, at half their usual strength, the
        companions of those the co-occurrence statistics know."""
        if not features.tags:
            return {}
        parts = self.parts(features.tags)
        if not parts:
            return {}
        exclude = set(features.tags)
        words = {tag: set(tag_words(tag)) for tag in set(parts.values())}
        out: Evidence = {p: (0.4 if p in words[tag] else 0.5, f"part of #{tag}: {p}")
                         for p, tag in parts.items() if p not in exclude}
        companions = supported_evidence(self.model.source("cooccurrence").cooc_, tuple(parts), PER_SOURCE)
        for cand, (score, reason) in companions.items():
            if cand not in out and cand not in exclude:
                out[cand] = (0.5 * score, reason)
        return out
