"""A tag of distress needs the post to speak of distress (issue 20: tags a person would be embarrassed to post). The
caption sources learned the tweets' moods (#killme #nervous #rage #sadness #nightmare #depression #anxiety) as the
habit of short, plain captions, and put them first on everyday ones: #killme on "Studying for finals all week",
#nervous on "First day at the new job, wish me luck", #rage on "This little guy purrs every time I open the laptop",
#sadness and #depression under a galaxy or a coin. Where the author wrote a caption, every source's ``DISTRESS``
tags keep ``UNSAID`` of their score unless a word, emoji or tag of the post itself speaks of distress.

Which tags: those whose usual WordNet sense (the first; an adjective's or a verb's first two, through the nouns
WordNet derives from them: "nervous" -> nervousness, "sad" -> sadness) climbs to a negative feeling or state
(``NEGATIVE``: sadness, anger, fear, anxiety, hate, pain, misery, depression, mental illness, a nightmare, suicide),
and compound tags with such a word, or with killing or dying said of the author ("kill me", "i want to die";
"killing it" is no harm; "chill" is coldness first). Which words say it: any attested sense of the caption's words
(and their English glosses) or of the post's tags under ``SAID`` (those feelings, and a bad or ugly thing, an
attack, a wrong, crying, ruin, killing or dying: the tweets' complaints), and the emoji whose Unicode names are faces
of such feelings (``FACES``). Nothing is listed for itself: the senses decide. A happy mood (#love #happy #joy) is
no embarrassment and is not touched.

Tweets val (the posts whose gold holds a distress tag, re-ranked): the first sense only and the broader ``SAID``
took the loss from 5 first hits and 7 top-5 hits to 1 and 1.
"""
from __future__ import annotations

import unicodedata
from functools import lru_cache

from ..tags import Evidence, stepped_back

NEGATIVE = ("sadness.n.01", "unhappiness.n.01", "anger.n.01", "anger.n.02", "fear.n.01", "anxiety.n.01",
            "anxiety.n.02", "hate.n.01", "nervousness.n.02", "nervousness.n.03", "pain.n.02", "misery.n.01",
            "depression.n.01", "mental_illness.n.01", "nightmare.n.01", "nightmare.n.02",
            "suicide.n.01")
# what a caption may say of distress besides its feelings: a bad or ugly thing, an attack, a wrong, crying, ruin
SAID = NEGATIVE + ("unpleasantness.n.01", "unpleasantness.n.02", "ugliness.n.01", "bad.n.01", "attack.n.01",
                   "aggression.n.03", "wrongdoing.n.02", "express_emotion.v.01", "unfortunate.n.01", "destroy.v.01",
                   "misfortune.n.02")
HARM = ("kill.v.01", "die.v.01")  # a compound of such a verb and the author ("kill me", "i want to die")
SELF = frozenset({"me", "myself", "i", "im"})
# words of emoji names that show such a feeling (😢 CRYING FACE, 😡 POUTING FACE, 😰 ANXIOUS FACE ..., 💔 BROKEN HEART)
FACES = frozenset({"CRYING", "ANGRY", "POUTING", "FEARFUL", "ANXIOUS", "DISAPPOINTED", "WEARY", "TIRED", "BROKEN",
                   "PENSIVE", "WORRIED", "FROWNING", "SCREAMING", "CONFOUNDED", "PERSEVERING", "UNAMUSED", "SKULL",
                   "CURSING", "SAD", "DEATH", "CONFUSED", "EXPRESSIONLESS", "ROLLING", "STEAM", "TRIUMPH",
                   "GRIMACING", "DIZZY", "NAUSEATED", "VOMITING"})
UNSAID = 0.2
DEPTH = 10


@lru_cache(maxsize=16384)
def _climbs(word: str, roots: tuple[str, ...], usual: bool) -> bool:
    """Whether a word's senses (or the nouns WordNet derives from an adjective's or a verb's) climb to one of
    ``roots``: with ``usual``, its first sense only (its first two for an adjective or a verb: "nervous" is
    nervous first, anxious second); otherwise every sense SemCor attests."""
    from ...wordnet import WordNetUnavailable, get_lookup, synset_keys

    if len(word) < 3 or not word.isalpha():
        return False
    try:
        lookup = get_lookup()
        keys = synset_keys(roots)
        senses = lookup.common_synsets(word)
        if usual:
            senses = senses[:1] if senses and senses[0].pos == "n" else senses[:2]
        starts = []
        for s in senses:
            starts.append(s.key)
            if s.pos != "n":
                starts.extend(t for t in lookup.targets(*s.key, ("+", "=")) if t[0] == "n")
        return lookup.reaches(starts, keys, DEPTH)
    except WordNetUnavailable:
        return False


def distress_word(word: str) -> bool:
    """Whether a word's usual sense is of distress (``NEGATIVE``): "rage", "nervous", not "chill" (coldness first)."""
    return _climbs(word, NEGATIVE, True)


def says_distress(word: str) -> bool:
    """Whether a caption's word speaks of distress, a bad time or harm in any sense SemCor attests (``SAID``):
    "terrible", "attack", "fraud", "cried", "drowning" too."""
    return _climbs(word, SAID, False) or _harm_verb(word)


@lru_cache(maxsize=16384)
def distress_tag(tag: str) -> bool:
    """Whether a tag is of distress: itself a word of it, or a compound with such a word (#killme: "kill me")."""
    from ..tags import tag_words

    if distress_word(tag):
        return True
    words = tag_words(tag)
    return len(words) > 1 and (any(distress_word(w) for w in words)
                               or bool(SELF & set(words)) and any(_harm_verb(w) for w in words))


@lru_cache(maxsize=4096)
def _harm_verb(word: str) -> bool:
    """Whether one of the first two verb senses of ``word`` climbs to killing or dying (``HARM``)."""
    from ...wordnet import senses_reach

    if len(word) < 3 or not word.isalpha():
        return False
    return senses_reach(lambda lookup: [s.key for s in lookup.synsets(word) if s.pos == "v"][:2], HARM, DEPTH)


def speaks_of_distress(text: str, tags) -> bool:
    """Whether the post's caption (its words, their English glosses, its emoji) or its tags speak of distress."""
    from ...knowledge.glosses import english_words
    from ...knowledge.vocabulary import caption_tokens
    from ..text import emoji_symbols
    from .language_gate import caption_language

    words = {w.strip("'").removesuffix("'s") for w in caption_tokens(text or "")} | set(tags)
    lang = caption_language(text) if text else "und"
    if lang != "en":
        words |= {english for _, english in english_words(text or "", lang)}
    if any(says_distress(w) or distress_tag(w) for w in words if w):
        return True
    for symbol in emoji_symbols(text or ""):
        names = {unicodedata.name(c, "") for c in symbol}
        if any(set(name.split()) & FACES for name in names):
            return True
    return False


def unsaid_distress(evidence: dict[str, Evidence], text: str, tags) -> dict[str, Evidence]:
    """``evidence`` with every source's distress tags stepped back (``UNSAID``) on a post with a caption that does
    not speak of distress (see the module docstring)."""
    if not text:
        return evidence
    found = {t for t in set().union(*evidence.values()) if distress_tag(t)}  # each tag once (~700 -> ~400)
    if not found or speaks_of_distress(text, tags):
        return evidence
    return stepped_back(evidence, found, UNSAID)


__all__ = ["NEGATIVE", "UNSAID", "distress_tag", "distress_word", "speaks_of_distress", "unsaid_distress"]
