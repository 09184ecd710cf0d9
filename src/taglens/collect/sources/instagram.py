"""Instagram hashtag feeds through instaloader (``pip install instaloader``).

Instagram serves hashtag feeds only to logged-in sessions, so the source loads a session file written by
``instaloader --login USER`` (a pickled cookie jar; :meth:`Instaloader.load_session_from_file`). Requests are
paced by instaloader's own :class:`RateController` (subclassed so that its waits go through an injectable
``sleep``), and the crawl is resumable through instaloader's :class:`NodeIterator` freeze/thaw: the cursor stored
after each page is the JSON of the frozen iterator, thawed again after a restart.
"""
from __future__ import annotations

import json
import logging
import time
from typing import Any, Callable

from .base import BaseSource, MediaMissing, MediaRef, Page, PermanentSourceError, RawPost, TransientSourceError

log = logging.getLogger(__name__)


def make_rate_controller(sleep: Callable[[float], None]) -> Callable[[Any], Any]:
    """A factory for instaloader's ``rate_controller=`` argument whose waits call ``sleep``."""
    import instaloader

    class TaglensRateController(instaloader.RateController):
        waits: list[float] = []

        def sleep(self, secs: float) -> None:  # noqa: D102 - instaloader's hook
            self.waits.append(secs)
            log.info("instagram rate controller: waiting %.1fs", secs)
            sleep(secs)

    return lambda context: TaglensRateController(context)


class InstagramSource(BaseSource):
    """Recent posts of a hashtag, via ``Hashtag.get_posts_resumable()``.

    Args:
        username: the account of the session file.
        session_file: path of the session file; instaloader's default location for ``username`` when omitted.
        page_size: posts per stored page (instaloader fetches 12 per request).
        loader: an ``instaloader.Instaloader`` to use instead of a new one (tests).
        sleep: what the rate controller calls to wait.
        polite_sleep: instaloader's own short random pause before every request (keep it on for real crawls).
    """

    family = "instagram"

    def __init__(self, username: str | None = None, session_file: str | None = None, *, page_size: int = 12,
                 loader: Any = None, sleep: Callable[[float], None] = time.sleep, polite_sleep: bool = True,
                 max_connection_attempts: int = 3, request_timeout: float = 60.0) -> None:
        import instaloader

        self.name = "instagram" if not username else f"instagram:{username}"
        self.page_size = page_size
        self.loader = loader or instaloader.Instaloader(
            sleep=polite_sleep, quiet=True, download_pictures=False, download_videos=False, save_metadata=False,
            compress_json=False, max_connection_attempts=max_connection_attempts, request_timeout=request_timeout,
            rate_controller=make_rate_controller(sleep), iphone_support=False)
        if username or session_file:
            try:
                self.loader.load_session_from_file(username or "", session_file)
            except FileNotFoundError:
                raise PermanentSourceError(
                    f"instagram session file not found ({session_file or 'default location'}); create it with "
                    f"`instaloader --login {username or 'USER'}`") from None
            except Exception as exc:  # a corrupt pickle, a cookie jar without csrftoken ...
                raise PermanentSourceError(f"cannot load instagram session file {session_file}: {exc}") from exc
        self._iterators: dict[str, Any] = {}

    @property
    def context(self) -> Any:
        return self.loader.context

    def _iterator(self, tag: str, cursor: str | None) -> Any:
        import instaloader
        from instaloader.exceptions import InvalidArgumentException

        it = self._iterators.get(tag)
        if it is not None and cursor is not None:
            return it
        it = instaloader.Hashtag(self.context, {"name": tag}).get_posts_resumable()
        if cursor:
            try:
                it.thaw(instaloader.FrozenNodeIterator(**json.loads(cursor)))
            except (InvalidArgumentException, TypeError, ValueError) as exc:
                log.warning("#%s: stored instagram cursor unusable (%s); starting the hashtag over", tag, exc)
                it = instaloader.Hashtag(self.context, {"name": tag}).get_posts_resumable()
        self._iterators[tag] = it
        return it

    def fetch_page(self, hashtag: str, cursor: str | None) -> Page:
        from instaloader.exceptions import (AbortDownloadException, ConnectionException, LoginRequiredException,
                                            QueryReturnedNotFoundException)

        try:
            it = self._iterator(hashtag, cursor)
            posts: list[RawPost] = []
            done = False
            for _ in range(self.page_size):
                try:
                    post = next(it)
                except StopIteration:
                    done = True
                    break
                posts.append(self._to_post(post))
        except QueryReturnedNotFoundException:
            self._iterators.pop(hashtag, None)
            return Page([], None, True)
        except (LoginRequiredException, AbortDownloadException) as exc:
            self._iterators.pop(hashtag, None)
            raise PermanentSourceError(f"instagram refused #{hashtag}: {exc}") from exc
        except (ConnectionException, KeyError) as exc:
            self._iterators.pop(hashtag, None)  # restart from the stored cursor
            raise TransientSourceError(f"instagram #{hashtag}: {exc}") from exc
        if done:
            self._iterators.pop(hashtag, None)
            return Page(posts, None, True)
        return Page(posts, json.dumps(it.freeze()._asdict(), separators=(",", ":")), False)

    def _to_post(self, post: Any) -> RawPost:
        node = post._node  # noqa: SLF001 - read what the feed already gave, without extra requests
        if post.typename == "GraphSidecar":
            media = tuple(MediaRef(n.display_url, is_video=n.is_video) for n in post.get_sidecar_nodes())
        else:
            media = (MediaRef(post.url, is_video=bool(node.get("is_video"))),)
        owner = node.get("owner") or {}
        return RawPost(
            family=self.family, source_id=post.shortcode, text=post.caption or "",
            user=str(post.owner_id) if owner.get("id") is not None else None, username=owner.get("username"),
            media=media, created_at=post.date_utc.isoformat() + "+00:00",
            url=f"https://www.instagram.com/p/{post.shortcode}/", extra={"typename": post.typename})

    def fetch_image(self, media: MediaRef) -> bytes:
        from instaloader.exceptions import (ConnectionException, QueryReturnedForbiddenException,
                                            QueryReturnedNotFoundException)

        try:
            return self.context.get_raw(media.ref).content
        except (QueryReturnedNotFoundException, QueryReturnedForbiddenException) as exc:
            raise MediaMissing(str(exc)) from exc
        except ConnectionException as exc:
            raise TransientSourceError(str(exc)) from exc
        except Exception as exc:  # requests' own errors
            raise TransientSourceError(f"download of {media.ref} failed: {exc}") from exc

    def close(self) -> None:
        self.loader.close()
