"""Where the caption names what the photo shows, the caption's name beats the photo's guess (issue 20). The classifier
reads a pencil drawing of horses as a dog, and "Sketching horses at the stable today" got #dog first, #puppy and
#dogsofinstagram beside #horses; a coffee-shop photo with "Cold beer after a long shift" got #coffee #espresso.

A tag of the image sources (``IMAGE_SOURCES``) is a *rival* of the caption when its thing and a thing the caption
(or a tag of the post) names are of one kind (``KINDS``: animals, food and drink, musical instruments), closer kin
than that kind itself (they share a narrower kind: a horse and a dog are placental mammals, coffee and beer
beverages), while neither is a kind of the other: a puppy is a dog (no rival), an animal is what a horse is (no
rival), a pet or a kitten is only an animal as a cat is (no rival: WordNet files the role and the young apart). Such
a tag keeps ``UNSAID`` of its score. A thing is read from a tag as WordNet's usual noun sense of the tag, or of one of
its words (#dogsofinstagram: a dog). A photo alone, or a caption that names no thing of these kinds, keeps every tag.
Plants and vehicles are left out: "flower" and "rose" are filed apart (a rose is a shrub), and a caption's "launch"
is WordNet's motorboat first (a rocket's launch would lose #rocket).

The caption wins only as far as the classifier is unsure of its rival (tenth stop): a caption naming another animal or
dish under a photo the classifier is sure of is no evidence that the photo shows it (the everyday mixed set: photos
of pets and flowers under unrelated captions lost their labels when every rival stepped back). The classifier's
sureness is the largest ``image_tags`` score (its noisy-or of class probabilities) of a rival tag: at ``SURE_LOW`` or
less the rivals keep ``UNSAID``, at ``SURE_FULL`` or more all of their score, linearly between (the horse drawing's
#dog: 0.45, a photo of a dog: 0.9 and more).
"""
from __future__ import annotations

from functools import lru_cache

from ..tags import Evidence

IMAGE_SOURCES = ("image_tags", "conse", "class_rates", "image", "image_protos", "scene_rates")
KINDS = ("animal.n.01", "food.n.01", "musical_instrument.n.01")
UNSAID = 0.3
SURE_LOW, SURE_FULL = 0.5, 0.75
KNOWLEDGE = "image_tags"  # the source whose scores are the classifier's sureness
DEPTH = 16


@lru_cache(maxsize=16384)
def _thing(word: str) -> tuple | None:
    """(the usual noun sense of ``word``, it and all its hypernyms, the kind of ``KINDS`` it is of, that kind and its
    hypernyms), or None when that sense is of none of them."""
    from ...wordnet import WordNetUnavailable, get_lookup, synset_keys

    if len(word) < 3 or not word.replace("_", "").isalpha():
        return None
    try:
        lookup = get_lookup()
        kinds = synset_keys(KINDS)
        first = lookup.common_synsets(word)[:1]
        if not first or first[0].pos != "n":
            return None
        ups = frozenset(key for level in lookup.climb(first[0].key, lookup.hypernyms, DEPTH) for key in level)
    except WordNetUnavailable:
        return None
    kind = next((k for k in kinds if k in ups), None)
    if kind is None:
        return None
    return first[0].key, ups, kind, _above(kind)


@lru_cache(maxsize=16)
def _above(kind: tuple[str, int]) -> frozenset:
    """The kind and every hypernym of it: ancestors two things share that say no more than their kind does."""
    from ...wordnet import get_lookup

    lookup = get_lookup()
    return frozenset(key for level in lookup.climb(kind, lookup.hypernyms, DEPTH) for key in level)


@lru_cache(maxsize=16384)
def tag_things(tag: str) -> tuple:
    """The things a tag names (``_thing``): the tag as one word, else its words (#dogsofinstagram: dog)."""
    from ..tags import tag_words

    whole = _thing(tag)
    if whole is not None:
        return (whole,)
    words = tag_words(tag)
    if len(words) > 1:
        joined = _thing("_".join(words))
        if joined is not None:
            return (joined,)
        return tuple(t for t in (_thing(w) for w in words) if t is not None)
    return ()


def _related(a, b) -> bool:
    """Whether one of two things is the other or a kind of it."""
    return a[0] in b[1] or b[0] in a[1]


def named_things(text: str, tags) -> list:
    """The things of ``KINDS`` the post's caption (its words, or their English glosses) and tags name."""
    from ...knowledge.glosses import english_words
    from ...knowledge.vocabulary import caption_tokens
    from .language_gate import caption_language

    words = [w.strip("'").removesuffix("'s") for w in caption_tokens(text or "")] + list(tags)
    lang = caption_language(text) if text else "en"
    if lang != "en":
        words += [english for _, english in english_words(text or "", lang)]
    out = []
    for w in dict.fromkeys(words):
        out.extend(tag_things(w))
    return out


def is_rival(tag: str, named: list) -> bool:
    """Whether ``tag`` names a thing of the same kind as a ``named`` thing, but another one, and no named thing
    is it or a kind of it."""
    things = tag_things(tag)
    if not things or any(_related(t, n) for t in things for n in named):
        return False
    return any(t[2] == n[2] and bool((t[1] & n[1]) - t[3]) for t in things for n in named)


def caption_beats_photo(evidence: dict[str, Evidence], text: str, tags) -> dict[str, Evidence]:
    """``evidence`` with the image sources' rival tags (see the module docstring) stepped back (to ``UNSAID`` where
    the classifier is unsure of them)."""
    if not (text or tags) or not any(evidence.get(name) for name in IMAGE_SOURCES):
        return evidence
    named = named_things(text, tags)
    if not named:
        return evidence
    rivals = {tag for name in IMAGE_SOURCES for tag in evidence.get(name, ()) if is_rival(tag, named)}
    if not rivals:
        return evidence
    sure = max((score for tag, (score, _) in evidence.get(KNOWLEDGE, {}).items() if tag in rivals), default=0.0)
    keep = UNSAID + (1.0 - UNSAID) * min(1.0, max(0.0, (sure - SURE_LOW) / (SURE_FULL - SURE_LOW)))
    if keep >= 1.0:
        return evidence
    out = dict(evidence)
    for name in IMAGE_SOURCES:
        ev = evidence.get(name)
        if ev and not rivals.isdisjoint(ev):
            out[name] = {tag: ((score * keep, reason) if tag in rivals else (score, reason))
                         for tag, (score, reason) in ev.items()}
    return out


__all__ = ["IMAGE_SOURCES", "KINDS", "SURE_FULL", "SURE_LOW", "UNSAID", "caption_beats_photo", "is_rival",
           "named_things", "tag_things"]
