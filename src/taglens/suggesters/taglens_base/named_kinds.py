"""A thing the caption names that the photo shows as its kind is what the photo shows (issue 20).

The zero-shot path (``conse``) and the image tag map (``image_tags``) name what the classifier sees at the level of
its kind: under the sklearn temple photo the classifier sees a palace, a monastery and a bell cote, and they vote
#building #architecture #house. A caption that names a temple says which building it is, but ``caption_tags`` alone
gave #temple 0.051 ("a hashtag in 1 of 6 posts that mention it"), eighth, under #building and #palace. Where a noun
the caption names (``caption_tags``' tag) is, in its usual senses, a kind of a concept a photo source votes for
(WordNet's hypernyms from the noun's usual sense, ``CLIMB`` levels at most: a temple is a place of worship, a
building), the photo source votes
for the named thing as well, with the concept's score: the photo's evidence of a building is evidence of the temple
the caption names (its reason says both). A noun the photo shows no kind of ("a good book" under a street) gets
nothing, and a concept is not its own kind (the photo's #building keeps its own vote only). Both words must usually
name a thing one sees (``conse.NO_THING``: a moment is a kind of time, but no photo shows the moment a caption names).
"""
from __future__ import annotations

from functools import lru_cache

from ..tags import Evidence

PHOTO_SOURCES = ("conse", "image_tags")  # the photo's sources that vote for WordNet concepts and curated kinds
CAPTION_SOURCE = "caption_tags"
# hypernym levels from a named noun to the photo's concept: a close kind (a temple is a building 2 levels up, beer a
# drink 4, a motorbike a vehicle 5); a broad class says little of which member the photo shows (a human, a lion and a
# horse are animals 8-9 levels up: #human #lions on a dog's and a cat's photo under unrelated captions)
CLIMB = 4
# a concept WordNet files among its unique beginners (animal, person, plant) is too broad a class to say which one the
# photo shows: a queen (bee) and a giant (creature) are animals at once, #queen led under a bird's photo
BROAD = "noun.Tops"


@lru_cache(maxsize=4096)
def _noun_senses(word: str) -> frozenset[tuple[str, int]]:
    """The keys of a word's usual noun senses (WordNet's common senses, nouns only); empty without WordNet."""
    from ...wordnet import WordNetUnavailable, get_lookup

    try:
        return frozenset(s.key for s in get_lookup().common_synsets(word) if s.pos == "n")
    except WordNetUnavailable:
        return frozenset()


def _lexname(word: str) -> str | None:
    """The lexicographer file of WordNet's usual noun sense of ``word`` (None: no noun, or no WordNet)."""
    from ...wordnet import WordNetUnavailable, get_lookup

    try:
        return get_lookup().usual_noun_lexname(word)
    except WordNetUnavailable:
        return None


def _a_thing(word: str) -> bool:
    """Whether WordNet's usual noun sense of ``word`` is a thing one sees (not ``conse.NO_THING``)."""
    from .sources.conse import NO_THING

    lexname = _lexname(word)
    return lexname is not None and lexname not in NO_THING


@lru_cache(maxsize=8192)
def is_kind_of(word: str, concept: str) -> bool:
    """Whether ``word``'s usual sense, a noun, is, ``CLIMB`` hypernym levels at most, ``concept``'s usual sense (a
    temple is a building; a building is not a kind of itself)."""
    if word == concept or not (_a_thing(word) and _a_thing(concept)) or _lexname(concept) == BROAD:
        return False
    below, above = _noun_senses(word), _noun_senses(concept)
    if not below or not above or below & above:
        return False
    from ...wordnet import get_lookup

    return get_lookup().reaches(below, above, CLIMB + 1)


def named_kinds(evidence: dict[str, Evidence]) -> dict[str, Evidence]:
    """``evidence`` with each photo source (``PHOTO_SOURCES``) also voting for the caption's named nouns that are a
    kind of a concept it votes for, with that concept's score (the best such concept's); see the module
    docstring."""
    named = evidence.get(CAPTION_SOURCE)
    if not named:
        return evidence
    out = evidence
    for name in PHOTO_SOURCES:
        seen = evidence.get(name)
        if not seen:
            continue
        added: Evidence = {}
        for tag in named:
            if tag in seen:
                continue
            kinds = [(score, concept) for concept, (score, _) in seen.items()
                     if score > 0 and is_kind_of(tag, concept)]
            if kinds:
                score, concept = max(kinds)
                added[tag] = (score, f"the caption names the {concept} seen in the image: {tag}")
        if added:
            out = {**out, name: {**seen, **added}}
    return out


__all__ = ["CLIMB", "is_kind_of", "named_kinds"]
