"""The one small interface every collection source implements, and the errors a source raises.

A source answers two questions: "the next page of posts under #tag, after this cursor" and "the bytes of this
image". The collection loop stores each page, with the cursor that follows it, in one transaction, so a crawl
killed at any moment resumes from the last stored page.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, Sequence, runtime_checkable

from ...exceptions import SourceError
from ...types import clean_text, parse_hashtags, unique_tags

# The hashtag that asks a local source for every post it holds (``taglens collect`` without ``--seeds``).
ALL = "*"


def shorten(text: str, limit: int = 500) -> str:
    """``text`` cut to about ``limit`` characters at a word boundary, with "..." where it was cut (an error kept in
    the store was cut mid-word at 500 characters: "malformed JSON from https://...: Expecting val"; a status
    that is not a JSON object was shown cut at 80)."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit - 4)
    return text[:cut if cut > limit // 2 else limit - 4].rstrip() + " ..."


@dataclass(frozen=True)
class MediaRef:
    """One image of a post: a URL to download or a local file to read (``local`` set), in post order."""

    ref: str
    local: bool = False
    is_video: bool = False  # the ref is a video's thumbnail/preview


@dataclass(frozen=True)
class RawPost:
    """A post as a source found it, before it is stored.

    ``source_id`` is unique within ``family`` (the same Instagram shortcode seen by the instagram and
    instaloader-dir sources is one post). ``hashtags`` are normalised on construction; when a source gives
    none they are parsed from ``text``.
    """

    family: str
    source_id: str
    text: str = ""
    hashtags: tuple[str, ...] = ()
    user: str | None = None
    username: str | None = None
    media: tuple[MediaRef, ...] = ()
    created_at: str | None = None
    url: str | None = None
    topics: tuple[str, ...] = ()  # topics the source itself records (a posts.jsonl's ``topic``)
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # lone surrogates (a broken JSON escape in an API answer) become U+FFFD: sqlite refuses to store them
        object.__setattr__(self, "text", clean_text(self.text or ""))
        for name in ("user", "username", "url"):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, clean_text(getattr(self, name)))
        tags = unique_tags(self.hashtags) if self.hashtags else tuple(parse_hashtags(self.text))
        object.__setattr__(self, "hashtags", tuple(t for t in tags if not t.isdigit()))
        object.__setattr__(self, "source_id", clean_text(str(self.source_id)))


@dataclass(frozen=True)
class Page:
    """One page of a hashtag's posts and the cursor to the next page (``None`` with ``done``)."""

    posts: Sequence[RawPost]
    cursor: str | None
    done: bool


@runtime_checkable
class Source(Protocol):
    """A place posts come from. ``name`` identifies it in the store (cursors are kept per source and hashtag);
    ``aliases`` are older names of the same source, whose cursors the collection loop moves to ``name``;
    ``max_wait`` is the longest the source itself may wait for a rate limit to reset (the loop sets it from the
    run's ``--max-wait``; a source that never waits ignores it). :class:`BaseSource` gives the defaults."""

    name: str
    aliases: tuple[str, ...]
    max_wait: float

    def fetch_page(self, hashtag: str, cursor: str | None) -> Page:
        """The posts under ``#hashtag`` that follow ``cursor`` (``None``: the first page)."""
        ...

    def fetch_image(self, media: MediaRef) -> bytes:
        """The bytes of one image; raises :class:`MediaMissing` when it is gone for good."""
        ...

    def list_hashtags(self) -> list[str] | None:
        """Every hashtag the source holds, for offline sources that can be imported whole; ``None`` otherwise."""
        ...

    def fingerprint(self) -> str | None:
        """For a local source, a digest of what it holds now (its files, their sizes and times), so that an import
        run again reads a source that changed since; ``None`` for an online source."""
        ...

    def close(self) -> None:
        ...


class TransientSourceError(SourceError):
    """A failure worth retrying after a backoff: a timeout, a 5xx, a truncated or malformed body."""


class RateLimited(TransientSourceError):
    """The source asked us to wait (HTTP 429, or an exhausted rate-limit window) ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentSourceError(SourceError):
    """A failure that retrying will not fix (401/403, an unknown hashtag, a bad login session)."""


class MediaMissing(SourceError):
    """An image is gone for good (404/410, a missing local file); the post is kept without it."""


class BaseSource:
    """Defaults shared by the built-in sources."""

    name = "source"
    # older names of the same source, whose cursors the collection loop moves to ``name`` (stores written before
    # local sources were named by their resolved path)
    aliases: tuple[str, ...] = ()
    max_wait: float = 900.0

    def list_hashtags(self) -> list[str] | None:
        return None

    def fingerprint(self) -> str | None:
        return None

    def close(self) -> None:
        return None

    def __enter__(self) -> "BaseSource":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"
