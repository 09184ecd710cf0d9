"""A Spanish verb is not the noun it is spelled like (issue 20: wrong senses). "El gato de mi vecina vino a
visitarme" (came to visit me) got #vino (wine) second: `caption_tags` reads each word by itself, and "vino" is a
hashtag in 5 of 8 posts that mention it. In Spanish a word followed by "a" and an infinitive ("vino a verme", "fue a
comer", "voy a correr": the periphrases of motion and of the near future) is a verb; a noun before "a" and an
infinitive is rare. ``unsaid_verbs`` takes such a word's own tag out of the caption sources' evidence in a Spanish
caption (stepped back to 0.2 it stayed third of a short list: the word is no noun there at all); "una copa de vino"
keeps #vino, and the photo's sources are untouched (a bottle in the photo is still wine).
"""
from __future__ import annotations

import re
from functools import lru_cache

from ..tags import Evidence, left_out
from .compounds import CAPTION_SOURCES

LANGUAGES = ("es",)
# a word, "a", the next word: only spaces between them (a comma ends the verb's phrase)
PATTERN = re.compile(r"([^\W\d_]+) +a +(?=([^\W\d_]+))")
# an infinitive, with up to two clitic pronouns (visitarme, verme, dárselo)
INFINITIVE = re.compile(r"^[a-záéíóúüñ]+(?:ar|er|ir|ír)(?:me|te|se|lo|la|le|nos|os|los|las|les){0,2}$")


@lru_cache(maxsize=4096)
def verbs(text: str) -> frozenset[str]:
    """The words of a Spanish caption that are verbs by the "X a <infinitive>" pattern, lower case; {} in another
    language."""
    from .language_gate import caption_language

    if " a " not in (text or "").lower() or caption_language(text) not in LANGUAGES:
        return frozenset()
    # on the written text, not its tokens: "esos 3 puntos, a dejar todo" is a noun and a new clause
    return frozenset(m.group(1) for m in PATTERN.finditer(text.lower()) if INFINITIVE.match(m.group(2)))


def unsaid_verbs(evidence: dict[str, Evidence], text: str) -> dict[str, Evidence]:
    """``evidence`` without the caption sources' tags spelled as one of ``verbs``."""
    found = verbs(text or "") if text else frozenset()
    if not found:
        return evidence
    caption = {name: ev for name, ev in evidence.items() if name in CAPTION_SOURCES}
    return {**evidence, **left_out(caption, found)}


__all__ = ["unsaid_verbs", "verbs"]
