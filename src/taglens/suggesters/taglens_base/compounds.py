"""A living thing named inside a compound that is no kind of it is not what the caption speaks of (issue 20: wrong
senses). "Grabbed a hot dog at the game" got #dog first ("a hashtag in 100 of 196 posts that mention it"), "Sea lion
on the pier" #lion, "Teddy bear picnic" #bear: the caption sources read each word by itself, though the two words
are one WordNet noun (hot dog, sea lion, teddy bear) that is not a kind of the thing its head names by itself (a sea
lion is a seal; a golden retriever *is* a retriever, a fire ant an ant).

``inner_things(text)``: such words, where the word's usual noun sense (its first) is a living thing (``LIVING``:
an animal, a plant, a person: the things whose tags name what a photo shows) and no sense of the compound climbs to
it; only the head: a first word names what the thing is for or of (dog food, a baby shower, a flea market), and
its thing may well be in the post. ``caption_kinds`` does not read them, and
``unsaid_inner_things`` keeps ``UNSAID`` of the caption sources' scores for the word's own tag (singular or plural);
a photo's evidence is untouched (a dog in the photo of a hot-dog stand is still a dog).
"""
from __future__ import annotations

from functools import lru_cache

from ..tags import Evidence, stepped_back

LIVING = ("organism.n.01",)
DEPTH = 14
UNSAID = 0.2
# the sources that read the caption's words (the photo's, the post's tags' and the author's are left as they are)
CAPTION_SOURCES = frozenset({"mentions", "caption_tags", "caption_kinds", "caption_topics", "words", "ngrams",
                             "about", "caption", "caption_protos"})


@lru_cache(maxsize=8192)
def _inner(first: str, second: str) -> bool:
    """Whether the pair's head (its second word) names a living thing the pair, one WordNet noun, is no kind of; a
    first word names what the thing is for or made of (dog food, a baby shower), which the post may well show."""
    from ...wordnet import WordNetUnavailable, get_lookup, synset_keys

    try:
        lookup = get_lookup()
        compound = [s.key for s in lookup.synsets(f"{first}_{second}") if s.pos == "n"]
        if not compound:
            return False
        senses = [s for s in lookup.common_synsets(second) if s.pos == "n"][:1]
        # a named one (Vega the playwright for "Las Vegas") is no thing the caption names
        if not senses or lookup.related(senses[0], ("@i",)):
            return False
        usual = [senses[0].key]
        return lookup.reaches(usual, synset_keys(LIVING), DEPTH) and not lookup.reaches(compound, set(usual), DEPTH)
    except WordNetUnavailable:
        return False


@lru_cache(maxsize=4096)
def inner_things(text: str) -> frozenset[str]:
    """The caption's words that name a living thing only as the head of a compound that is no kind of it ("hot dog":
    dog; "sea lion": lion), lower case; a word the caption also writes by itself is not one ("a hot dog for my
    dog")."""
    from ...knowledge.vocabulary import caption_tokens

    words = caption_tokens(text or "")
    inside = [i for i in range(1, len(words))
              if words[i - 1].isalpha() and words[i].isalpha() and _inner(words[i - 1], words[i])]
    alone = {w for i, w in enumerate(words) if i not in inside}
    return frozenset(words[i] for i in inside) - alone


def unsaid_inner_things(evidence: dict[str, Evidence], text: str) -> dict[str, Evidence]:
    """``evidence`` with the caption sources' tags of ``inner_things`` (the word and its plural or singular) stepped
    back to ``UNSAID``."""
    inner = inner_things(text or "")
    if not inner:
        return evidence
    from ...knowledge.forms import singular

    forms = set(inner) | {f"{w}s" for w in inner} | {singular(w) for w in inner}
    caption = {name: ev for name, ev in evidence.items() if name in CAPTION_SOURCES}
    return {**evidence, **stepped_back(caption, forms, UNSAID)}


__all__ = ["inner_things", "unsaid_inner_things", "UNSAID"]
