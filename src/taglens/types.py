"""Core value types: Post, Suggestion, and the one way a tag is normalised. No heavy imports here."""
from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Union

_WS_RE = re.compile(r"\s+")
# A tag list as users type it (--tags): tags separated by white space, commas, semicolons or '#'.
_TAG_LIST_SEP_RE = re.compile(r"[\s,;#]+")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


@functools.lru_cache(maxsize=1)
def _grammar() -> tuple[Any, Any, Any]:
    """(hashtag in a text, hashtag token to strip, tag token of a list), compiled on first use.

    The hashtag grammar of ../shared/data, Unicode-aware: a letter or digit after '#', then word characters;
    '&#39;'-style HTML entities are skipped; all-digit tokens (#1, #2017) are not hashtags. Where it differs:
    combining marks continue a hashtag (Python's ``re`` ends ``\\w`` at them), so #हिन्दी, #ของขวัญ or a decomposed
    #café stay whole instead of being cut at their first vowel sign or accent (``regex`` knows the mark
    category). A zero-width joiner or non-joiner between letters also continues it (Persian #می‌خواهم)."""
    import regex

    # re's [^\W_] and \w, and marks; a zero-width (non-)joiner continues a tag when a letter or mark follows
    first, rest = r"[\p{L}\p{N}]", r"(?:[\p{L}\p{N}\p{M}_]|[\u200c\u200d](?=[\p{L}\p{M}]))"
    return (regex.compile(rf"(?<!&)#({first}{rest}*)"), regex.compile(rf"(?<!&)#{rest}+"),
            regex.compile(rf"{first}{rest}*"))

# How many distinct hashtags of one post the models read when suggesting (each costs a segmentation and a WordNet
# lookup). Instagram allows 30 a post and the developer data's most (caption and comments of an instagram6 post) is
# 133; beyond a few hundred a "post" is a tag dump (80,000 tags in one caption took 25 s before this cap). Stored
# and training posts keep all their tags: only suggesting reads the first MAX_POST_HASHTAGS.
MAX_POST_HASHTAGS = 200

# An image is a path on disk (image or video file) or an in-memory PIL image.
ImageLike = Union[Path, Any]


def clean_text(text: str) -> str:
    """``text`` with every lone surrogate (``'\\udce9'`` from an argv byte that is not UTF-8, ``"\\ud83d"`` from a
    JSON escape) replaced by U+FFFD, so that it can be encoded as UTF-8; a surrogate pair becomes its character."""
    text = str(text)
    if _SURROGATE_RE.search(text) is None:
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def normalize_tag(tag: str) -> str:
    """Return the canonical form of a tag: NFKC (full-width ``ＤＯＧ`` is ``dog``, the ligature ``ﬁ`` is ``fi``),
    stripped, without leading '#', lowercase (a Turkish dotted ``İ`` is a plain ``i``; lone surrogates are
    replaced by U+FFFD)."""
    tag = clean_text(tag).strip()
    folded = unicodedata.normalize("NFKC", tag)
    if folded != tag and (_wordlike(tag) and not _wordlike(folded) or any(c.isspace() for c in folded)):
        # NFKC spells a few signs with punctuation or spaces (U+2474 as "(1)", U+FDFA as words): keep them
        folded = unicodedata.normalize("NFC", tag)
    return folded.strip().lstrip("#").strip().lower().replace("i\u0307", "i")


def _wordlike(text: str) -> bool:
    """Whether every character may be part of a hashtag: letters, digits, '_', combining marks, joiners."""
    return all(c.isalnum() or c in "_\u200c\u200d" or unicodedata.category(c)[0] == "M" for c in text)


def _hashtag(token: str) -> str:
    """The canonical hashtag of a token matched by the grammar, or '' for an all-digit token (#1, #2017)."""
    tag = normalize_tag(token)
    return "" if tag.isdigit() else tag


def parse_hashtags(text: str, limit: int | None = None) -> list[str]:
    """Hashtags in a text, normalised, deduplicated in order of appearance, all-digit tokens dropped; at most
    ``limit`` (the first distinct ones), all by default."""
    seen: dict[str, None] = {}
    for match in _grammar()[0].finditer(clean_text(text or "")):
        tag = _hashtag(match.group(1))
        if tag and tag not in seen:
            if limit is not None and len(seen) >= limit:
                break
            seen[tag] = None
    return list(seen)


def parse_tag_list(spec: str | None, limit: int | None = None) -> tuple[list[str], list[str]]:
    """(tags, ignored items) of a tag list as a user types it: ``"#pizza. food,#Pasta;#pizza#2019"`` ->
    ``(["pizza", "food", "pasta"], ["2019"])``.

    Items are separated by white space, commas, semicolons or '#', with or without '#', and each is read like a
    hashtag in a caption: a letter or digit first, then word characters (trailing punctuation
    is dropped), normalised, deduplicated, all-digit items dropped. Items that hold no hashtag are returned as
    ignored. At most ``limit`` tags (all by default), as ``parse_hashtags``.
    """
    seen: dict[str, None] = {}
    ignored: list[str] = []
    for item in _TAG_LIST_SEP_RE.split(clean_text(spec or "")):
        if not item:
            continue
        match = _grammar()[2].match(item)
        tag = _hashtag(match.group(0)) if match else ""
        if not tag:
            ignored.append(item)
            continue
        rest = item[match.end():]
        if any(c.isalnum() for c in rest):  # "new-york" is #new, as in a caption: say that "-york" is left out
            ignored.append(rest)
        if tag not in seen:
            if limit is not None and len(seen) >= limit:
                break
            seen[tag] = None
    return list(seen), ignored


def strip_hashtags(text: str) -> str:
    """The text with every '#hashtag' token removed and white space collapsed (EVALUATION.md, step 2)."""
    return _WS_RE.sub(" ", _grammar()[1].sub(" ", text or "")).strip()


def valid_tag(tag: str) -> str:
    """The normalised tag if it is one whole hashtag by the grammar every input is read with (a letter or digit,
    then letters, digits, marks or '_'; not all digits), else ''. "two words", "🍕" and "new-york" are not
    hashtags: no caption could carry them, and a model that learnt one would suggest "#two words"."""
    norm = normalize_tag(tag)
    return norm if norm and not norm.isdigit() and _grammar()[2].fullmatch(norm) else ""


def unique_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """Normalise tags, dropping what is not a hashtag (``valid_tag``) and duplicates, keeping the first
    occurrence's order."""
    seen: dict[str, None] = {}
    for tag in tags:
        norm = valid_tag(tag)
        if norm:
            seen.setdefault(norm, None)
    return tuple(seen)


@dataclass(frozen=True)
class Post:
    """A social-media post; every field may be empty.

    ``images`` holds image or video paths, or in-memory PIL images. ``hashtags`` are the tags the author already
    chose (normalised on construction). ``text`` is the caption as written, hashtags and all. Lone surrogates in
    ``text``, ``hashtags``, ``post_id`` and ``user`` are replaced by U+FFFD.
    """

    text: str = ""
    hashtags: tuple[str, ...] = ()
    images: tuple[ImageLike, ...] = ()
    post_id: str | None = None
    user: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Lone surrogates (bad argv bytes, broken JSON escapes) become U+FFFD here, so no model or tokenizer, and
        # no output, ever sees text that cannot be encoded as UTF-8.
        object.__setattr__(self, "text", "" if self.text is None else clean_text(self.text))
        object.__setattr__(self, "hashtags", unique_tags(self.hashtags or ()))
        for name in ("post_id", "user"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, clean_text(value))
        images = tuple(Path(i) if isinstance(i, str) else i for i in (self.images or ()))
        object.__setattr__(self, "images", images)

    @property
    def is_empty(self) -> bool:
        return not (self.text.strip() or self.hashtags or self.images)


@dataclass(frozen=True)
class Suggestion:
    """One suggested tag: its score (higher is better), the input it came from and a readable reason, and where
    the model can tell, its ``confidence`` in [0, 1] (how likely such a suggestion is one the author would use)."""

    tag: str
    score: float
    source: str = ""
    reason: str = ""
    confidence: float | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {"tag": self.tag, "score": round(float(self.score), 6), "source": self.source, "reason": self.reason}
        if self.confidence is not None:
            out["confidence"] = round(float(self.confidence), 3)
        return out
