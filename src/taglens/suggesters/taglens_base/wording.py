"""How taglens-base reads a caption: its content words (no stop words), candidate tags it spells out, and how much
of a caption there is (the gain of the caption sources)."""
from __future__ import annotations

import re
from typing import Callable
from functools import lru_cache

from ..phrases import term_spans
from ..text import emoji_symbols, plain_wording

WORD_RE = re.compile(r"[^\W\d_][\w']*", re.UNICODE)
STOPWORDS = frozenset("""a an and are as at be but by for from has have he her his i if in into is it its me my
no not of on or our she so that the their them there they this to too us was we were what when where which who
will with you your just im it's i'm dont don't can get got all more now out up one new here via amp rt user""".split())


def caption_terms(text: str, bare: Callable[[str], bool] | None = None) -> list[str]:
    """Candidate tags a caption spells out: its content words and adjacent word pairs, joined; ``bare``: as
    ``phrases.term_spans``' (a possessive's bare word where it says the word is known)."""
    return [term for term, *_ in term_spans(text, STOPWORDS, bare)]


def caption_words(text: str) -> list[str]:
    """The distinct lowercase content words of a caption (no stop words), then its distinct emoji
    (``text.emoji_symbols``: "💨" says vape to a vape shop's followers as plainly as a word does), read without
    its @handles and addresses (see ``text.plain_wording``)."""
    return list(_caption_words(text))


@lru_cache(maxsize=4096)  # asked by several sources a post (speed); callers get a list of their own
def _caption_words(text: str) -> tuple[str, ...]:
    plain = plain_wording(text)
    words = (w for w in (m.lower() for m in WORD_RE.findall(plain)) if len(w) > 1 and w not in STOPWORDS)
    return tuple(dict.fromkeys(words)) + tuple(emoji_symbols(plain))


def _share(n: int, full: int) -> float:
    return min(1.0, n / max(full, 1)) ** 0.5 if n else 0.0


@lru_cache(maxsize=4096)  # a pure function of the caption, asked by ~10 sources per post (speed)
def caption_gain(text: str, full: int) -> float:
    """How much caption there is for the sentence encoder and the word-level sources: sqrt(content words /
    ``full``), at most 1."""
    return _share(len([w for w in WORD_RE.findall(text) if w.lower() not in STOPWORDS]), full)


@lru_cache(maxsize=4096)
def reading_gain(text: str, full: int) -> float:
    """Like ``caption_gain``, counting emoji too, for the sources that read them (so "💨💨🔥" is evidence for them),
    counted as the word statistics read them, without @handles and addresses."""
    n_words = len([w for w in WORD_RE.findall(text) if w.lower() not in STOPWORDS])
    return _share(n_words + len(emoji_symbols(plain_wording(text))), full)


def glossed_gain(text: str, full: int) -> float:
    """``reading_gain``, or for a caption read through its words' English glosses (``knowledge.glosses``: a
    Japanese caption is one run of letters) the same counting its glossed words, whichever is larger."""
    gain = reading_gain(text, full)
    if gain >= 1.0 or not text:
        return gain
    from ...knowledge.glosses import english_words
    from .language_gate import caption_language

    english = english_words(text, caption_language(text))
    return max(gain, _share(len(english) + len(emoji_symbols(plain_wording(text))), full)) if english else gain
