"""Hashtag text preparation: normalisation, character classes, camelCase boundaries and repeated letters.

A hashtag is cleaned into one lowercase string ``s`` plus a few facts the segmenter needs about each position:
which positions *must* be word boundaries (a change of script class, e.g. letters to digits, or a separator such
as ``_``), and which positions the original casing *suggests* as boundaries (``sunsetBeach``, ``CEOSummit``).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

REPEAT_RE = re.compile(r"(.)\1{2,}")

# Character classes: letters of a Latin-like cased alphabet, digits, other letters (CJK, Thai, ... and marks),
# and everything else (separators, emoji, punctuation), which is never part of a word of the lattice.
LETTER, DIGIT, OTHER_LETTER, SEP = "L", "D", "O", "S"


def char_class(ch: str) -> str:
    """The class of one character: ``L`` (ASCII/Latin letter), ``D`` (digit), ``O`` (other letter), ``S``."""
    if ch.isascii():
        if ch.isalpha():
            return LETTER
        if ch.isdigit():
            return DIGIT
        return SEP
    if ch.isdigit():
        return DIGIT
    cat = unicodedata.category(ch)
    if cat[0] == "L" or cat[0] == "M":
        # Latin letters with diacritics (é, ñ, ü) count as letters; other scripts as "other letters".
        name = unicodedata.name(ch, "")
        return LETTER if name.startswith("LATIN") or cat[0] == "M" else OTHER_LETTER
    return SEP


_ASCII_CLASSES = {i: char_class(chr(i)) for i in range(128)}


@dataclass(frozen=True)
class Prepared:
    """A hashtag made ready for the lattice.

    Attributes:
        original: the hashtag as given, without ``#`` and surrounding white space.
        text: the lowercase string the words are cut from (separators kept, they become their own chunks).
        classes: one class letter per character of ``text`` (see ``char_class``).
        camel: positions (0 < i < len) where the casing suggests a boundary before ``text[i]``.
        cased: whether the original mixes upper and lower case (so ``camel`` carries information).
    """

    original: str
    text: str
    classes: str
    camel: frozenset[int]
    cased: bool

    def chunks(self) -> list[tuple[int, int, str]]:
        """Maximal runs of the same class as ``(start, end, class)``; letters and digits are split apart."""
        out: list[tuple[int, int, str]] = []
        start = 0
        cls = self.classes
        for i in range(1, len(cls) + 1):
            if i == len(cls) or cls[i] != cls[start] or cls[start] == SEP:
                out.append((start, i, cls[start]))
                start = i
        return out


def prepare(hashtag: str) -> Prepared:
    """Normalise a hashtag (NFC, strip white space and leading '#') and find its case boundaries."""
    raw = unicodedata.normalize("NFC", str(hashtag)).strip()
    raw = raw.lstrip("#").strip()
    # lower() may change the length of a few characters (e.g. 'İ'); keep positions aligned by lowering per char.
    if raw.isascii():
        lowered = raw.lower()
    else:
        lowered = "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in raw)
    classes = raw.translate(_ASCII_CLASSES) if raw.isascii() else "".join(char_class(ch) for ch in raw)
    camel: set[int] = set()
    has_upper = raw != lowered or any(ch.isupper() for ch in raw)
    has_lower = any(ch.islower() for ch in raw)
    for i in range(1, len(raw) if has_upper else 0):  # without capitals there is no case boundary
        a, b = raw[i - 1], raw[i]
        if a.islower() and b.isupper():
            if i == 2 and raw[:2] == "Mc":
                continue  # McDonalds
            camel.add(i)  # sunsetBeach
        elif a.isupper() and b.isupper() and i + 1 < len(raw) and raw[i + 1].islower():
            camel.add(i)  # CEOSummit -> CEO|Summit
        elif not a.isalpha() and b.isupper() and a.isdigit():
            camel.add(i)
    if 1 in camel and len(raw) > 2 and raw[2].islower() and not any(c != 1 and raw[c - 1].isalpha() for c in camel):
        camel.discard(1)  # iPhone, eBay, iPhone3G: a brand prefix, not a word boundary (iAteTheBones is cut)
    return Prepared(raw, lowered, classes, frozenset(camel), has_upper and has_lower)


def squeeze_repeats(word: str, keep: int = 1) -> str:
    """Collapse runs of three or more identical characters to ``keep`` (``"sooooo"`` -> ``"so"``)."""
    return REPEAT_RE.sub(lambda m: m.group(1) * keep, word)


def restore_case(words: list[str], original: str, text: str) -> list[str]:
    """Cut ``original`` (any casing) at the same offsets as ``words`` were cut from its lowercase ``text``."""
    if len(original) != len(text):
        return words
    out = []
    pos = 0
    for w in words:
        out.append(original[pos : pos + len(w)])
        pos += len(w)
    return out


# Contractions written without their apostrophe in hashtags (#imaddicted), restored as STAN-large's gold writes
# them. Left out on purpose: words that are also common words without it (ill, id, well, were, shell, hell,
# wed) and those that BOUN's gold keeps plain (thats, whats, theres).
CONTRACTIONS = {
    "im": "i'm", "ive": "i've", "dont": "don't", "cant": "can't", "wont": "won't", "isnt": "isn't",
    "arent": "aren't", "wasnt": "wasn't", "werent": "weren't", "didnt": "didn't", "doesnt": "doesn't",
    "havent": "haven't", "hasnt": "hasn't", "hadnt": "hadn't", "couldnt": "couldn't", "wouldnt": "wouldn't",
    "shouldnt": "shouldn't", "aint": "ain't", "youre": "you're", "youve": "you've", "youll": "you'll",
    "youd": "you'd", "theyre": "they're", "theyve": "they've", "theyll": "they'll", "theyd": "they'd",
    "lets": "let's", "its": "it's",
}


def restore_contractions(words: list[str] | tuple[str, ...]) -> list[str]:
    """Put the apostrophe back into contractions: ``["im", "addicted"] -> ["i'm", "addicted"]``."""
    return [CONTRACTIONS.get(w, w) for w in words]
