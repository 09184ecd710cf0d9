"""A weapon's name needs the post to speak of weapons (issue 20's wrong senses): the classifier reads a space rocket
on its pad as a missile, and "Launch day at the cape!" with #space got #missile beside #rocket. Where the author
wrote a caption or tags, the image sources' tags whose usual WordNet sense is a weapon (``WEAPONS``: #missile
#gun #rifle #cannon ...) keep ``UNSAID`` of their score unless a word or tag of the post is itself of that kind or
of war (``SAID``). A photo alone keeps them: nothing tells its context then.
"""
from __future__ import annotations

from functools import lru_cache

from ..tags import Evidence

IMAGE_SOURCES = ("image_tags", "conse", "class_rates")
WEAPONS = ("weapon.n.01",)
SAID = ("weapon.n.01", "military_action.n.01", "military_unit.n.01", "armed_forces.n.01", "war.n.01",
        "military_officer.n.01", "serviceman.n.01", "army_unit.n.01")
UNSAID = 0.2
DEPTH = 10


@lru_cache(maxsize=8192)
def _under(word: str, roots: tuple[str, ...]) -> bool:
    """Whether the usual noun sense of ``word`` (its first) climbs to any of ``roots`` (hypernyms and instance
    hypernyms, compared by their place in WordNet's files: no synset on the way is named)."""
    from ...wordnet import senses_reach

    return senses_reach(lambda lookup: [s.key for s in lookup.common_synsets(word) if s.pos == "n"][:1], roots, DEPTH)


def unsaid_weapons(evidence: dict[str, Evidence], text: str, tags) -> dict[str, Evidence]:
    """``evidence`` with the image sources' weapon tags stepped back on a post whose words and tags say nothing of
    weapons or war (see the module docstring)."""
    from ...knowledge.vocabulary import caption_tokens

    if not (text or tags) or not any(evidence.get(name) for name in IMAGE_SOURCES):
        return evidence
    words = set(caption_tokens(text or "")) | set(tags)
    if any(_under(w, SAID) for w in words if len(w) > 2):
        return evidence
    out = dict(evidence)
    for name in IMAGE_SOURCES:
        if evidence.get(name) and any(_under(tag, WEAPONS) for tag in evidence[name]):
            out[name] = {tag: ((score * UNSAID, reason) if _under(tag, WEAPONS) else (score, reason))
                         for tag, (score, reason) in evidence[name].items()}
    return out
