"""What taglens-base does with its fused ranking before showing it (issue 20): one form per meaning in the top k,
and a confidence per suggestion.

- :func:`one_form_per_meaning`: singular/plural and synonym groups (cat/cats/kitty, animal/animals,
  drink/beverage; :func:`taglens.knowledge.forms.group_forms`) yield one tag in the top k: the form the fused
  evidence ranks first (the sources learned which form each kind of post uses: #cars on Instagram, while the
  corpora's counts, dominated by HARRISON's lists, prefer #car; putting the most used form there instead cost
  instagram6 P@1 0.08), the other forms after the top k.
- :func:`confidence`: the fused score mapped to [0, 1] by ``score / (score + half)``, where ``half`` is the score
  at which about half of the first suggestions on the development sets were tags the author used (measured on
  the val side of the four sets and the everyday bench; ``TaglensBase.confidence_half``).
"""
from __future__ import annotations

from typing import Sequence

from ...types import Suggestion


def one_form_per_meaning(ranked: Sequence[Suggestion], k: int) -> list[Suggestion]:
    """``ranked`` (best first, scores decreasing) with one form of each meaning in the first ``k``; later forms
    of a meaning already there are moved after the first ``k`` (their scores lowered below the k-th so the order
    holds when re-sorted)."""
    from ...knowledge.forms import group_forms

    ranked = list(ranked)
    if len(ranked) < 2:
        return ranked
    groups = group_forms([s.tag for s in ranked])
    top: list[Suggestion] = []
    later: list[Suggestion] = []
    placed: set[str] = set()
    used: set[str] = set()
    for s in ranked:
        if s.tag in used:
            continue
        key = groups[s.tag][0]
        if key in placed or len(top) >= k:
            later.append(s)
            used.add(s.tag)
            continue
        placed.add(key)
        top.append(s)
        used.add(s.tag)
    if later and top:
        floor = min(s.score for s in top)
        later = [changed(s, score=min(s.score, floor * 0.999 ** (i + 1))) for i, s in enumerate(later)]
    return top + later


def changed(s: Suggestion, **values) -> Suggestion:
    """``dataclasses.replace(s, **values)`` without its per-field work: a copy of ``s`` (every field, whatever fields
    ``Suggestion`` has) with ``values`` set; ~30 a post, where ``replace`` cost ~5 us each (speed). Suggestion has
    no ``__post_init__`` to run; the test checks both give equal suggestions."""
    out = object.__new__(type(s))
    out.__dict__.update(s.__dict__, **values)
    return out


def confidence(score: float, half: float) -> float:
    """The fused score mapped to [0, 1]: 0.5 at ``half``."""
    score = max(float(score), 0.0)
    return score / (score + half) if half > 0 else 1.0


def with_confidence(ranked: Sequence[Suggestion], half: float) -> list[Suggestion]:
    return [changed(s, confidence=round(confidence(s.score, half), 4)) for s in ranked]


__all__ = ["changed", "confidence", "one_form_per_meaning", "with_confidence"]
