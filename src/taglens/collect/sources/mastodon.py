"""Mastodon's public hashtag timeline: ``GET /api/v1/timelines/tag/:hashtag`` (no login needed).

Pagination follows the ``Link: <...max_id=...>; rel="next"`` header; the cursor is that next URL's query string.
``X-RateLimit-Remaining``/``X-RateLimit-Reset`` are honoured before the window runs out, and a 429 is turned
into :class:`RateLimited` with its ``Retry-After`` (seconds or an HTTP date), so the loop waits it out.
"""
from __future__ import annotations

import html
import logging
import re
import threading
import time
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Callable
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit

from ...exceptions import SourceError
from .base import (BaseSource, MediaMissing, MediaRef, Page, PermanentSourceError, RateLimited, RawPost,
                   TransientSourceError, shorten)

log = logging.getLogger(__name__)

_TAG_RE = re.compile(r"<br\s*/?>|</p>\s*<p>", re.I)
_HTML_RE = re.compile(r"<[^>]+>")


def html_to_text(content: str) -> str:
    """Mastodon's status HTML as plain text: paragraphs and line breaks become newlines, entities decoded."""
    text = _TAG_RE.sub("\n", content or "")
    return html.unescape(_HTML_RE.sub("", text)).strip()


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(when.timestamp() - (time.time() if now is None else now), 0.0)


def parse_reset(value: str | None, now: float | None = None) -> float | None:
    """Seconds until an ``X-RateLimit-Reset`` (ISO 8601 time, as Mastodon sends it)."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return parse_retry_after(value, now)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(when.timestamp() - (time.time() if now is None else now), 0.0)


PAGE_MAX_BYTES = 16 << 20  # a page of 40 statuses is some 100 KB


class _TooLarge(SourceError):
    """A body over the size limit: not retried (the same bytes would come again); the image is a failed one."""


class MastodonSource(BaseSource):
    """Posts with media under a hashtag on one Mastodon server.

    Args:
        base_url: the server, e.g. ``https://mastodon.social``.
        only_media: ask only for statuses with media (``only_media=true``).
        page_size: statuses per request (Mastodon allows up to 40).
        timeout: seconds a read may wait for the next bytes; a slower answer is a transient error.
        deadline: seconds a whole request may take, however the bytes trickle in (a transient error after).
        max_bytes: the largest image (or video preview) downloaded; a larger one is a failed image, read no
            further. A page of statuses may be up to ``PAGE_MAX_BYTES``.
        min_remaining: wait for the window reset once ``X-RateLimit-Remaining`` drops to this.
        client: an ``httpx.Client`` to use (tests); one is created otherwise.
    """

    def __init__(self, base_url: str, *, only_media: bool = True, page_size: int = 40, timeout: float = 20.0,
                 deadline: float = 60.0, max_bytes: int = 32 << 20, min_remaining: int = 1, max_wait: float = 900.0,
                 client: Any = None,
                 sleep: Callable[[float], None] = time.sleep, user_agent: str = "taglens-collect") -> None:
        import httpx

        self.base_url = base_url.rstrip("/")
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise PermanentSourceError(f"mastodon source needs an http(s) URL, got {base_url!r}")
        self.name = f"mastodon:{self.base_url}"
        self.family = f"mastodon:{parts.netloc}"
        self.only_media = only_media
        self.page_size = page_size
        self.min_remaining = min_remaining
        self.max_wait = max_wait
        self.deadline = deadline
        self.max_bytes = max_bytes
        self.sleep = sleep
        self._own_client = client is None
        self.client = client or httpx.Client(timeout=httpx.Timeout(min(timeout, deadline)), follow_redirects=True,
                                             headers={"User-Agent": user_agent})
        self._lock = threading.Lock()
        self._wait_until = 0.0
        self._announced = 0.0  # the window end already logged (image workers share one window)

    def close(self) -> None:
        if self._own_client:
            self.client.close()

    # -- HTTP -----------------------------------------------------------------------------------------------
    def _honour_window(self) -> None:
        """Wait for an exhausted rate-limit window to reset; a reset further away than ``max_wait`` (the run's
        ``--max-wait``, set by the collection loop) is raised as :class:`RateLimited` instead, so the loop fails
        the hashtag rather than hang."""
        with self._lock:
            until = self._wait_until
            wait = until - time.time()
            announce = wait > 0 and self._announced != until
            if announce:
                self._announced = until
        if wait <= 0:
            return
        if wait > self.max_wait:
            raise RateLimited(f"{self.name}: rate-limit window exhausted; it resets in {wait:.0f}s, more than "
                              f"--max-wait {self.max_wait:.0f}s", wait)
        if announce:
            log.warning("%s: rate-limit window exhausted, waiting %.1fs for it to reset", self.name, wait)
        self.sleep(wait)

    def _note_limits(self, headers: Any) -> None:
        remaining = headers.get("X-RateLimit-Remaining")
        if remaining is None:
            return
        try:
            left = int(float(remaining))
        except ValueError:
            return
        if left <= self.min_remaining:
            reset = parse_reset(headers.get("X-RateLimit-Reset"))
            if reset is not None:
                with self._lock:
                    self._wait_until = max(self._wait_until, time.time() + reset)

    def _get(self, url: str, params: dict[str, Any] | None = None, max_bytes: int = PAGE_MAX_BYTES) -> Any:
        """The answer to ``GET url``, its body read within ``self.deadline`` seconds and ``max_bytes`` bytes
        (beyond either, a TransientSourceError: the read timeout alone is per read, and a server that sends one
        byte a second never trips it)."""
        import httpx

        self._honour_window()
        start = time.monotonic()
        try:
            with self.client.stream("GET", url, params=params) as resp:
                self._note_limits(resp.headers)
                if resp.status_code != 200:  # the body of an error is not needed
                    body = b""
                else:
                    declared = resp.headers.get("Content-Length", "")
                    if declared.isdigit() and int(declared) > max_bytes:
                        raise _TooLarge(f"{url}: {int(declared):,} bytes, more than the limit of {max_bytes:,}")
                    chunks, size = [], 0
                    for chunk in resp.iter_bytes():  # decoded (gzip): the limit is on what is kept
                        size += len(chunk)
                        if size > max_bytes:
                            raise _TooLarge(f"{url}: more than the limit of {max_bytes:,} bytes")
                        if time.monotonic() - start > self.deadline:
                            raise TransientSourceError(f"{url}: not complete after {self.deadline:g}s (the server "
                                                       f"sends too slowly); given up")
                        chunks.append(chunk)
                    body = b"".join(chunks)
                headers = [(k, v) for k, v in resp.headers.multi_items()
                           if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]
                resp = httpx.Response(resp.status_code, headers=headers, content=body, request=resp.request)
        except httpx.TimeoutException as exc:
            raise TransientSourceError(f"timeout fetching {url}: {exc}") from exc
        except httpx.TransportError as exc:
            raise TransientSourceError(f"network error fetching {url}: {exc}") from exc
        if resp.status_code == 429:
            retry = parse_retry_after(resp.headers.get("Retry-After"))
            if retry is None:
                retry = parse_reset(resp.headers.get("X-RateLimit-Reset"))
            raise RateLimited(f"429 Too Many Requests from {url}", retry)
        if resp.status_code >= 500 or resp.status_code == 408:
            raise TransientSourceError(f"HTTP {resp.status_code} from {url}")
        return resp

    def fetch_page(self, hashtag: str, cursor: str | None) -> Page:
        url = f"{self.base_url}/api/v1/timelines/tag/{quote(hashtag, safe='')}"
        params: dict[str, Any] = {"limit": self.page_size}
        if self.only_media:
            params["only_media"] = "true"
        if cursor:
            params.update(dict(parse_qsl(cursor)))
        resp = self._get(url, params)
        if resp.status_code == 404:
            return Page([], None, True)  # unknown hashtag: nothing to collect
        if resp.status_code in (401, 403, 410, 422):
            raise PermanentSourceError(f"HTTP {resp.status_code} from {resp.url}")
        if resp.status_code != 200:
            raise TransientSourceError(f"HTTP {resp.status_code} from {resp.url}")
        try:
            statuses = resp.json()
        except ValueError as exc:
            raise TransientSourceError(f"malformed JSON from {resp.url}: {exc}") from exc
        if not isinstance(statuses, list):
            raise TransientSourceError(f"expected a JSON list from {resp.url}, got {type(statuses).__name__}")
        posts = []
        for s in statuses:
            try:
                post = self._to_post(s)
            except (TypeError, AttributeError, KeyError, ValueError) as exc:
                sid = s.get("id") if isinstance(s, dict) else None
                log.warning("#%s: skipping a malformed status (id %r) from %s: %s: %s", hashtag, sid, self.name,
                            type(exc).__name__, exc)
                continue
            if post is not None:
                posts.append(post)
        nxt = resp.links.get("next", {}).get("url")
        if not statuses or not nxt:
            return Page(posts, None, True)
        query = dict(parse_qsl(urlsplit(nxt).query))
        keep = {k: v for k, v in query.items() if k in ("max_id", "since_id", "min_id")}
        return Page(posts, urlencode(sorted(keep.items())) or None, not keep)

    def _to_post(self, status: Any) -> RawPost | None:
        """A status as a post; ``None`` (with a warning) for one without a usable id. A field of the wrong type
        raises TypeError/ValueError, which :meth:`fetch_page` turns into a skipped status."""
        if not isinstance(status, dict):
            log.warning("%s: skipping a status that is not a JSON object: %s", self.name, shorten(repr(status), 80))
            return None
        if status.get("reblog") is not None:
            if not isinstance(status["reblog"], dict):
                raise TypeError(f"reblog is a {type(status['reblog']).__name__}, not an object")
            status = status["reblog"]
        sid = status.get("id")
        if isinstance(sid, bool) or not isinstance(sid, (str, int)) or not str(sid).strip():
            log.warning("%s: skipping a status without a usable id (id %s)", self.name, shorten(repr(sid), 80))
            return None
        account = status.get("account") or {}
        if not isinstance(account, dict):
            raise TypeError(f"account is a {type(account).__name__}, not an object")
        content = status.get("content") or ""
        if not isinstance(content, str):
            raise TypeError(f"content is a {type(content).__name__}, not a string")
        text = html_to_text(content)
        raw_tags = status.get("tags") or []
        if not isinstance(raw_tags, list):
            raise TypeError(f"tags is a {type(raw_tags).__name__}, not a list")
        tags = [t.get("name") or "" for t in raw_tags if isinstance(t, dict)]
        if any(not isinstance(t, str) for t in tags):
            raise TypeError("a tag name is not a string")
        from ...types import parse_hashtags

        tags = list(dict.fromkeys([*parse_hashtags(text), *(t.lower() for t in tags if t)]))
        media = []
        attachments = status.get("media_attachments") or []
        if not isinstance(attachments, list):
            raise TypeError(f"media_attachments is a {type(attachments).__name__}, not a list")
        for m in attachments:
            if not isinstance(m, dict):
                continue
            kind = m.get("type")
            url = m.get("url") if kind == "image" else m.get("preview_url") if kind in ("video", "gifv") else None
            if not url:
                continue
            if not isinstance(url, str):
                raise TypeError(f"a media url is a {type(url).__name__}, not a string")
            media.append(MediaRef(urljoin(self.base_url + "/", url), is_video=kind != "image"))
        user, username = account.get("id"), account.get("acct")
        created, url, lang = status.get("created_at"), status.get("url"), status.get("language")
        return RawPost(
            family=self.family, source_id=str(sid).strip(), text=text, hashtags=tuple(tags),
            user=str(user) if isinstance(user, (str, int)) and not isinstance(user, bool) else None,
            username=username if isinstance(username, str) else None, media=tuple(media),
            created_at=created if isinstance(created, str) else None, url=url if isinstance(url, str) else None,
            extra={"language": lang} if isinstance(lang, str) and lang else {})

    def fetch_image(self, media: MediaRef) -> bytes:
        resp = self._get(media.ref, max_bytes=self.max_bytes)
        if resp.status_code in (403, 404, 410):
            raise MediaMissing(f"HTTP {resp.status_code} for {media.ref}")
        if resp.status_code != 200:
            raise TransientSourceError(f"HTTP {resp.status_code} for {media.ref}")
        return resp.content
