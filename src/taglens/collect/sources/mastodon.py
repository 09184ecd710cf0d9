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

from .base import (BaseSource, MediaMissing, MediaRef, Page, PermanentSourceError, RateLimited, RawPost,
                   TransientSourceError)

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


class MastodonSource(BaseSource):
    """Posts with media under a hashtag on one Mastodon server.

    Args:
        base_url: the server, e.g. ``https://mastodon.social``.
        only_media: ask only for statuses with media (``only_media=true``).
        page_size: statuses per request (Mastodon allows up to 40).
        timeout: seconds per request; a slower answer is a transient error.
        min_remaining: wait for the window reset once ``X-RateLimit-Remaining`` drops to this.
        client: an ``httpx.Client`` to use (tests); one is created otherwise.
    """

    def __init__(self, base_url: str, *, only_media: bool = True, page_size: int = 40, timeout: float = 20.0,
                 min_remaining: int = 1, max_wait: float = 900.0, client: Any = None,
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
        self.sleep = sleep
        self._own_client = client is None
        self.client = client or httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=True,
                                             headers={"User-Agent": user_agent})
        self._lock = threading.Lock()
        self._wait_until = 0.0

    def close(self) -> None:
        if self._own_client:
            self.client.close()

    # -- HTTP -----------------------------------------------------------------------------------------------
    def _honour_window(self) -> None:
        with self._lock:
            wait = self._wait_until - time.time()
        if wait > 0:
            log.info("%s: rate-limit window exhausted, waiting %.1fs", self.name, wait)
            self.sleep(min(wait, self.max_wait))

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

    def _get(self, url: str, params: dict[str, Any] | None = None) -> Any:
        import httpx

        self._honour_window()
        try:
            resp = self.client.get(url, params=params)
        except httpx.TimeoutException as exc:
            raise TransientSourceError(f"timeout fetching {url}: {exc}") from exc
        except httpx.TransportError as exc:
            raise TransientSourceError(f"network error fetching {url}: {exc}") from exc
        self._note_limits(resp.headers)
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
        posts = [p for p in (self._to_post(s) for s in statuses) if p is not None]
        nxt = resp.links.get("next", {}).get("url")
        if not statuses or not nxt:
            return Page(posts, None, True)
        query = dict(parse_qsl(urlsplit(nxt).query))
        keep = {k: v for k, v in query.items() if k in ("max_id", "since_id", "min_id")}
        return Page(posts, urlencode(sorted(keep.items())) or None, not keep)

    def _to_post(self, status: Any) -> RawPost | None:
        if not isinstance(status, dict) or "id" not in status:
            return None
        if status.get("reblog"):
            status = status["reblog"]
        account = status.get("account") or {}
        text = html_to_text(status.get("content") or "")
        tags = [t.get("name", "") for t in status.get("tags") or [] if isinstance(t, dict)]
        from ...types import parse_hashtags

        tags = list(dict.fromkeys([*parse_hashtags(text), *(t.lower() for t in tags if t)]))
        media = []
        for m in status.get("media_attachments") or []:
            if not isinstance(m, dict):
                continue
            kind = m.get("type")
            if kind == "image" and m.get("url"):
                media.append(MediaRef(urljoin(self.base_url + "/", m["url"])))
            elif kind in ("video", "gifv") and m.get("preview_url"):
                media.append(MediaRef(urljoin(self.base_url + "/", m["preview_url"]), is_video=True))
        return RawPost(
            family=self.family, source_id=str(status["id"]), text=text, hashtags=tuple(tags),
            user=str(account["id"]) if account.get("id") is not None else None, username=account.get("acct"),
            media=tuple(media), created_at=status.get("created_at"), url=status.get("url"),
            extra={"language": status.get("language")} if status.get("language") else {})

    def fetch_image(self, media: MediaRef) -> bytes:
        resp = self._get(media.ref)
        if resp.status_code in (403, 404, 410):
            raise MediaMissing(f"HTTP {resp.status_code} for {media.ref}")
        if resp.status_code != 200:
            raise TransientSourceError(f"HTTP {resp.status_code} for {media.ref}")
        return resp.content
