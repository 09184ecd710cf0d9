"""A tag that only the nearest cluster of training captions votes for needs other evidence (issue 20: wrong senses).
``caption_protos`` votes with the tags of the cluster of training captions nearest the caption's embedding, whatever
in the caption put it there: "Clear skies tonight, saw Jupiter through the telescope" sits by the sunset captions
(#sunset first), "Every dot is a galaxy" by the Star Wars ones (#starwars first, under a photo of galaxies), "Half
marathon done" by the hikes (#hiking second). Each such vote is counted in full only as far as the post's other
evidence (any other source but the prior: the caption's words, the caption head, the photo, the post's tags) gives
the tag: its contribution is at most ``LONE`` of itself plus ``SUPPORT`` times the others' sum for the tag. A tag the
cluster and the caption's own words or the photo agree on keeps its vote (#beach for a launch watched from a beach).
The same holds for a ``caption_topics`` vote from fewer than ``THIN`` everyday posts: "2 of 3 everyday posts with
'chemistry' use #blue" (and #woman) is one author's habit, not what a caption about a chemistry exam is filed under.
"""
from __future__ import annotations

from typing import Callable

from ..tags import Evidence, counts

PROTOS = "caption_protos"
TOPICS = "caption_topics"
NOT_SUPPORT = frozenset({"prior", PROTOS})  # the prior says what is common, not what this post shows
# the first 2,000 tweets val posts (first hits / top-5 hits): off 180/367, 0.3 182/366, 0.5 182/368
LONE = 0.5
SUPPORT = 1.0
# a caption_topics vote from fewer posts with the word and the tag than this is an anecdote of its authors ("2 of 3
# everyday posts with 'chemistry' use #blue", "... #woman" under "Cramming for my chemistry exam"): it needs support
THIN = 3


def lone_votes(evidence: dict[str, Evidence], gains: dict[str, float], weights: dict[str, float],
               shown: Callable[[str], bool] | None = None) -> dict[str, Evidence]:
    """``evidence`` with each ``caption_protos`` vote, and each thin ``caption_topics`` vote (``THIN``), limited by
    the other sources' support for its tag (see the module docstring); ``weights``: the effective weights of the
    post's sources (``fusion.effective_weights``); ``shown(tag)``: whether the tag is of a topic the post shows in
    full (``topics.topic_strength``), which is support enough (the cluster of #maga tweets voting #buildthewall
    under a tweet about the border wall)."""
    out = evidence
    for name, lone in CHECKED.items():
        votes = evidence.get(name)
        scale = weights.get(name, 0.0) * gains.get(name, 1.0)
        if not votes or scale <= 0:
            continue
        others = [(weights.get(other, 0.0) * gains.get(other, 1.0), ev) for other, ev in evidence.items()
                  if other not in NOT_SUPPORT and other != name and ev]
        checked = {}
        for tag, (score, reason) in votes.items():
            own = scale * score
            if own > 0 and lone(reason) and not (shown is not None and shown(tag)):
                support = sum(w * ev[tag][0] for w, ev in others if w > 0 and tag in ev)
                cap = LONE * own + SUPPORT * max(support, 0.0)
                if cap < own:
                    score *= cap / own
            checked[tag] = (score, reason)
        out = {**out, name: checked}
    return out


def _thin(reason: str) -> bool:
    """Whether a ``caption_topics`` vote comes from fewer than ``THIN`` posts ("2 of 3 everyday posts with
    'chemistry' use #blue"): the counts its reason carries as data (``tags.Counted``), not its wording."""
    counted = counts(reason)
    return counted is not None and counted[0] < THIN


# the sources whose votes need other evidence, and which of their votes (by the reason they give)
CHECKED: dict[str, Callable[[str], bool]] = {PROTOS: lambda reason: True, TOPICS: _thin}


def shown_in_full(strength: dict[str, float]) -> Callable[[str], bool] | None:
    """A function of a tag: whether it is a tag of a topic the post shows in full (its ``topics.topic_strength`` at
    least the topic's ``topics.SHOWN_FULL``, where ``topics.gate`` leaves its tags whole); None when the post shows no
    topic so."""
    from .topics import SHOWN_FULL, topic_of

    full = {topic for topic, s in strength.items() if s >= SHOWN_FULL.get(topic, 1.0)}
    if not full:
        return None
    owner = topic_of()
    return lambda tag: owner.get(tag) in full


__all__ = ["LONE", "SUPPORT", "lone_votes", "shown_in_full"]
