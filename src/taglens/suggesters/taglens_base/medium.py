"""A tag that names the post as a photo needs the caption to speak of photos (issue 20: filler tags). The trained
caption sources learned #photo #pic #photooftheday #picoftheday as the habit of short plain captions, and put them
on everyday ones that say nothing of a photo: "Cold beer after a long shift" got #beer #photo, and a caption alone
(no photo at all) can get #photo. Such a tag says what every photo post is, not what this one shows or is about.

Which tags: those one of whose first two WordNet noun senses ("pic": a film, then a photograph), or of a word of
whose segmentation (#photooftheday: "photo of the day"; #instapic), is a photograph (``MEDIUM``); #photography (the
craft, a hobby's topic) is not one. Where the author wrote a caption, the trained caption sources'
(``CAPTION_SOURCES``) such tags keep ``UNSAID`` of their score unless a word of the caption (any sense SemCor
attests, or its first two nouns) or a tag of the post speaks of photos or cameras (``SAID``). The photo's own
sources and a word the caption spells (``mentions``) are not touched.
"""
from __future__ import annotations

from functools import lru_cache

from ..tags import Evidence, stepped_back

MEDIUM = ("photograph.n.01",)
SAID = MEDIUM + ("photography.n.01", "photography.n.02", "photography.n.03", "camera.n.01", "photographer.n.01")
NOUN_SENSES = 2  # a word's first noun senses read ("pic": a film, then a photograph)
UNSAID = 0.2
DEPTH = 8
# the sources that learned the habit from the training captions (not the words the caption itself spells)
CAPTION_SOURCES = frozenset({"caption", "caption_protos", "words", "caption_topics"})


@lru_cache(maxsize=16384)
def _noun_is(word: str, roots: tuple[str, ...]) -> bool:
    from ...wordnet import senses_reach

    if len(word) < 3 or not word.isalpha():
        return False
    return senses_reach(lambda lookup: [s.key for s in lookup.synsets(word) if s.pos == "n"][:NOUN_SENSES],
                        roots, DEPTH)


@lru_cache(maxsize=16384)
def medium_tag(tag: str) -> bool:
    """Whether a tag names the post as a photo: #photo #pic #photooftheday #picoftheday #instapic, not
    #photography."""
    from ..tags import tag_words

    if _noun_is(tag, MEDIUM):
        return True
    words = tag_words(tag)
    return len(words) > 1 and any(_noun_is(w, MEDIUM) for w in words)


@lru_cache(maxsize=16384)
def _says_photo(word: str) -> bool:
    from ...wordnet import senses_reach

    if len(word) < 3 or not word.isalpha():
        return False
    return senses_reach(lambda lookup: [s.key for s in lookup.common_synsets(word)]
                        + [s.key for s in lookup.synsets(word) if s.pos == "n"][:NOUN_SENSES], SAID, DEPTH)


def speaks_of_photos(text: str, tags) -> bool:
    """Whether the caption's words or the post's tags speak of a photo, a picture, a camera or photography."""
    from ...knowledge.vocabulary import caption_tokens

    words = {w.strip("'").removesuffix("'s") for w in caption_tokens(text or "")}
    return any(_says_photo(w) for w in words if w) or any(_says_photo(t) or medium_tag(t) for t in tags)


def unsaid_medium(evidence: dict[str, Evidence], text: str, tags) -> dict[str, Evidence]:
    """``evidence`` with the trained caption sources' tags naming the post as a photo stepped back (``UNSAID``) on
    a post whose caption and tags do not speak of photos (see the module docstring)."""
    if not text:
        return evidence
    caption = {name: ev for name, ev in evidence.items() if name in CAPTION_SOURCES}
    found = {t for ev in caption.values() for t in ev if medium_tag(t)}
    if not found or speaks_of_photos(text, tags):
        return evidence
    return {**evidence, **stepped_back(caption, found, UNSAID)}


__all__ = ["UNSAID", "medium_tag", "speaks_of_photos", "unsaid_medium"]
