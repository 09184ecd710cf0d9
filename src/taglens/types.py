"""Core value types: Post, Suggestion, and the one way a tag is normalised. No heavy imports here."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Union

# The hashtag grammar of ../shared/data (Unicode-aware): a letter or digit after '#', then word characters;
# '&#39;'-style HTML entities are skipped. All-digit tokens (#1, #2017) are not hashtags.
HASHTAG_RE = re.compile(r"(?<!&)#([^\W_]\w*)")
_STRIP_RE = re.compile(r"(?<!&)#\w+")
_WS_RE = re.compile(r"\s+")

# An image is a path on disk (image or video file) or an in-memory PIL image.
ImageLike = Union[Path, Any]


def normalize_tag(tag: str) -> str:
    """Return the canonical form of a tag: NFC, stripped, without leading '#', lowercase."""
    tag = unicodedata.normalize("NFC", str(tag)).strip().lstrip("#").strip()
    return tag.lower()


def parse_hashtags(text: str) -> list[str]:
    """Hashtags in a text, normalised, deduplicated in order of appearance, all-digit tokens dropped."""
    seen: dict[str, None] = {}
    for match in HASHTAG_RE.finditer(text or ""):
        tag = normalize_tag(match.group(1))
        if tag and not tag.isdigit():
            seen.setdefault(tag, None)
    return list(seen)


def strip_hashtags(text: str) -> str:
    """The text with every '#hashtag' token removed and white space collapsed (EVALUATION.md, step 2)."""
    return _WS_RE.sub(" ", _STRIP_RE.sub(" ", text or "")).strip()


def unique_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """Normalise tags, dropping empties and duplicates, keeping the first occurrence's order."""
    seen: dict[str, None] = {}
    for tag in tags:
        norm = normalize_tag(tag)
        if norm:
            seen.setdefault(norm, None)
    return tuple(seen)


@dataclass(frozen=True)
class Post:
    """A social-media post; every field may be empty.

    ``images`` holds image or video paths, or in-memory PIL images. ``hashtags`` are the tags the author already
    chose (normalised on construction). ``text`` is the caption as written, hashtags and all.
    """

    text: str = ""
    hashtags: tuple[str, ...] = ()
    images: tuple[ImageLike, ...] = ()
    post_id: str | None = None
    user: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", "" if self.text is None else str(self.text))
        object.__setattr__(self, "hashtags", unique_tags(self.hashtags or ()))
        images = tuple(Path(i) if isinstance(i, str) else i for i in (self.images or ()))
        object.__setattr__(self, "images", images)

    @property
    def is_empty(self) -> bool:
        return not (self.text.strip() or self.hashtags or self.images)


@dataclass(frozen=True)
class Suggestion:
    """One suggested tag: its score (higher is better), the input it came from and a readable reason."""

    tag: str
    score: float
    source: str = ""
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"tag": self.tag, "score": round(float(self.score), 6), "source": self.source, "reason": self.reason}
