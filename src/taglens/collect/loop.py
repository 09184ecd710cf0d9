"""The collection loop: seed hashtags -> crawl -> store -> expand -> crawl again, until there is enough data.

Round 0 crawls the seeds; each later round crawls the hashtags the :class:`~taglens.collect.expand.Expander`
queued from what was collected. Every page of posts is stored with its cursor in one transaction, every expansion
round with its decisions in another, so the same command run again after a crash (or ``kill -9``) picks up where
it stopped: queued hashtags continue from their stored cursors, finished ones are not fetched again.

Failures are bounded: a transient error (timeout, 5xx, malformed body) is retried with exponential backoff, a rate
limit is waited out (``Retry-After``) up to ``max_wait``; a hashtag that still fails is marked failed and skipped,
and a source that fails ``source_failure_limit`` hashtags in a row is reported and dropped for the run.
"""
from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Sequence

from ..exceptions import SourceError
from ..types import normalize_tag
from .expand import Expander, segment_tag
from .sources.base import (MediaMissing, MediaRef, Page, PermanentSourceError, RateLimited, RawPost, Source,
                           TransientSourceError)
from .store import CAPPED, DONE, FAILED, QUEUED, REJECTED, HashtagRow, Store, StoredMedia, TagStatus, image_ext

# A hashtag whose pages stop bringing new posts (empty pages, or pages of posts already read, with a moving
# cursor) is given up after this many in a row.
EMPTY_PAGE_LIMIT = 5

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CollectConfig:
    """How much to collect and how hard to try.

    ``rounds`` counts crawl rounds (round 0 = the seeds, so ``rounds=1`` never expands); ``target`` stops the
    crawl once the store holds that many posts; ``per_tag`` bounds the posts read per hashtag and source.
    """

    target: int = 1000
    rounds: int = 3
    per_tag: int = 300
    max_retries: int = 4
    backoff: float = 1.0
    max_backoff: float = 30.0
    max_wait: float = 900.0
    source_failure_limit: int = 3
    image_workers: int = 8
    image_retries: int = 2


@dataclass
class CollectReport:
    rounds: int = 0
    new_posts: int = 0
    new_images: int = 0
    pages: int = 0
    missing_images: int = 0  # images of this run's posts not stored (404, kept failing, too large, not an image)
    retried_images: int = 0  # images missing or failed in an earlier run, tried again
    recovered_images: int = 0  # of those, stored now
    failed_tags: list[str] = field(default_factory=list)
    failed_sources: dict[str, str] = field(default_factory=dict)
    stop_reason: str = ""


class TagFailed(Exception):
    """A hashtag could not be fetched from a source after the allowed retries."""


@dataclass(frozen=True)
class RetryPolicy:
    """How a call to a source is retried: a transient error after an exponential backoff (``backoff`` seconds,
    doubling up to ``max_backoff``), a rate limit after the wait it asks for (``Retry-After``) or the backoff, at
    most ``retries`` times; a wait over ``max_wait`` is not waited out. ``run`` raises TagFailed when that is
    spent; other errors pass through."""

    retries: int
    backoff: float = 1.0
    max_backoff: float = 30.0
    max_wait: float = 900.0

    def run(self, what: str, call: Callable[[], object], sleep: Callable[[float], None]) -> object:
        delay = self.backoff
        for attempt in range(self.retries + 1):
            try:
                return call()
            except RateLimited as exc:
                wait = exc.retry_after if exc.retry_after is not None else delay
                if wait > self.max_wait:
                    raise TagFailed(f"{what}: asked to wait {wait:.0f}s > max_wait {self.max_wait:.0f}s")
                if attempt == self.retries:
                    raise TagFailed(f"{what}: still rate limited after {self.retries} retries ({exc})") from exc
                log.log(logging.WARNING if wait >= 10 else logging.INFO, "%s: rate limited, waiting %.1fs",
                        what, wait)
                sleep(max(wait, 0.0))
                if exc.retry_after is None:
                    delay = min(delay * 2, self.max_backoff)
            except TransientSourceError as exc:
                if attempt == self.retries:
                    raise TagFailed(f"{what}: {exc} (after {self.retries} retries)") from exc
                log.info("%s: %s; retrying in %.1fs", what, exc, delay)
                sleep(delay)
                delay = min(delay * 2, self.max_backoff)
        raise AssertionError("unreachable")


class SeedPlan:
    """A crawl from seed hashtags: every live source reads every hashtag on the frontier; hashtags a local import
    put in the store (and its catch-all ``*``) were not chosen for this topic and are never queued again."""

    def reads(self, source: str, tag: str) -> bool:
        return True

    def requeues(self, row: HashtagRow) -> bool:
        return not (row.tag == "*" or row.origin == "import")


class ImportPlan:
    """An import of whole local sources: each source reads only the hashtags it holds (``tag_sources``: hashtag ->
    the names of the sources holding it)."""

    def __init__(self, tag_sources: dict[str, set[str]]) -> None:
        self.tag_sources = tag_sources

    def reads(self, source: str, tag: str) -> bool:
        return source in self.tag_sources.get(tag, ())

    def requeues(self, row: HashtagRow) -> bool:
        return True


class _Progress:
    """tqdm bars for posts and images, with the round and hashtag in the description (stderr)."""

    def __init__(self, enabled: bool, target: int, posts: int, images: int) -> None:
        self.enabled = enabled
        if enabled:
            from tqdm import tqdm

            bounded = target < 10**9  # an import with no --target has no meaningful total
            self.posts = tqdm(total=target if bounded else None, initial=min(posts, target), desc="posts",
                              unit="post", position=0, dynamic_ncols=True)
            self.images = tqdm(initial=images, desc="images", unit="img", position=1, dynamic_ncols=True)

    def update(self, posts: int, images: int) -> None:
        if self.enabled:
            room = posts if self.posts.total is None else max(self.posts.total - self.posts.n, 0)
            self.posts.update(min(posts, room))
            self.images.update(images)

    def describe(self, text: str) -> None:
        if self.enabled:
            self.posts.set_description_str(text)

    def close(self) -> None:
        if self.enabled:
            self.posts.close()
            self.images.close()


class Collector:
    """Runs the loop over one store and one or more sources.

    ``sleep`` is injectable so tests can run backoffs instantly; ``expander`` defaults to
    :class:`~taglens.collect.expand.Expander` with MiniLM, WordNet and the project's segmenter.
    """

    def __init__(self, store: Store, sources: Sequence[Source], config: CollectConfig = CollectConfig(), *,
                 expander: Expander | None = None, sleep: Callable[[float], None] = time.sleep,
                 progress: bool = False) -> None:
        self.store = store
        self.sources = list(sources)
        self.config = config
        self.expander = expander
        self.sleep = sleep
        self.progress = progress
        self.report = CollectReport()
        self._posts = 0
        self._failing: dict[str, int] = {}
        self._dead: dict[str, str] = {}
        self._plan: SeedPlan | ImportPlan = SeedPlan()
        self._retried: set[str] = set()  # hashtags that failed in an earlier run, queued again by _requeue
        self.page_retry = RetryPolicy(config.max_retries, config.backoff, config.max_backoff, config.max_wait)
        self.image_retry = RetryPolicy(config.image_retries, config.backoff, config.max_backoff, config.max_wait)
        for src in self.sources:
            src.max_wait = config.max_wait  # the source's own rate-limit waits honour the run's --max-wait

    # -- public ---------------------------------------------------------------------------------------------
    def run(self, seeds: Sequence[str] | None) -> CollectReport:
        """Collect for ``seeds``; with no seeds, import every hashtag the (offline) sources hold."""
        with self.store.guard():  # a damaged store or a full disk: a clear error naming the store
            counts = self.store.counts()
            self._posts = counts["posts"]
            self._bar = _Progress(self.progress, self.config.target, counts["posts"], counts["images"])
            for src in self.sources:
                for old in src.aliases:
                    if old != src.name and self.store.rename_source(old, src.name):
                        log.info("cursors of %s are now kept under %s", old, src.name)
                self.store.set_source_status(src.name, "active")
            try:
                self._retry_media()
                if seeds:
                    self._run_seeds([t for t in dict.fromkeys(normalize_tag(s) for s in seeds) if t])
                else:
                    self._run_import()
            finally:
                self._bar.close()
        self.report.failed_sources = dict(self._dead)
        return self.report

    # -- modes ----------------------------------------------------------------------------------------------
    def _run_import(self) -> None:
        tags: list[str] = []
        tag_sources: dict[str, set[str]] = {}
        for src in self.sources:
            listed = src.list_hashtags()
            if listed is None:
                raise SourceError(f"{src.name}: an online source needs --seeds (only local sources import whole)")
            tags += [t for t in listed if t not in tags]
            for t in listed:
                tag_sources.setdefault(t, set()).add(src.name)
        self._plan = plan = ImportPlan(tag_sources)
        with self.store.transaction() as db:
            for t in tags:
                if self.store.add_hashtag(db, t, status=QUEUED, round_no=0, score=None, origin="import",
                                          reason="hashtag held by the local source"):
                    self.store.log_decision(db, 0, t, "import", None, "hashtag held by the local source")
        fingerprints = {src.name: src.fingerprint() for src in self.sources}
        known = self.store.get_meta("fingerprints", {})
        for name, fp in fingerprints.items():
            if fp is None or known.get(name) == fp:
                continue
            n_cursors, n_done = self.store.cursor_counts(name)
            if name in known or (n_cursors and n_done == n_cursors):
                # changed since its last complete import (or completely imported by a taglens that kept no
                # fingerprint): read it again from the start; posts already stored are recognised by id before
                # any image is copied, so this costs a re-read, not a re-import. An import that was interrupted
                # before it ever finished resumes from its cursors instead.
                n = self.store.reset_cursors(name)
                if n:
                    log.info("%s changed since it was last imported: reading it again (%d hashtag%s)", name, n,
                             "" if n == 1 else "s")
        self._requeue(None)
        self._crawl_round(0, per_tag=None)
        finished = {name: fp for name, fp in fingerprints.items()
                    if fp is not None and name not in self._dead and all(
                        self._source_done(name, t) for t in tags if plan.reads(name, t))}
        if finished:
            self.store.set_meta("fingerprints", {**known, **finished})
        self.report.stop_reason = "imported every hashtag of the source"

    def _source_done(self, source: str, tag: str) -> bool:
        row = self.store.get_cursor(source, tag)
        return row is not None and row.done

    def _run_seeds(self, seeds: list[str]) -> None:
        store = self.store
        known_seeds = store.get_meta("seeds", [])
        with store.transaction() as db:
            store.set_meta("seeds", list(dict.fromkeys([*known_seeds, *seeds])), db)
            round_no = int(store.get_meta("round", 0))
            for s in seeds:
                words = segment_tag(s, self._expander().segmenter or str.split)
                if store.add_hashtag(db, s, status=QUEUED, round_no=round_no, score=1.0, origin="seed",
                                     reason="seed hashtag", words=words):
                    store.log_decision(db, round_no, s, "seed", 1.0, "seed hashtag given on the command line",
                                       {"words": words})
        self._requeue(self.config.per_tag)
        all_seeds = store.get_meta("seeds")
        while True:
            round_no = int(store.get_meta("round", 0))
            self.report.rounds = round_no + 1
            self._crawl_round(round_no, per_tag=self.config.per_tag)
            if self._posts >= self.config.target:
                self.report.stop_reason = f"target reached ({self._posts} >= {self.config.target} posts)"
                return
            if not self._live_sources():
                self.report.stop_reason = "every source failed"
                return
            if round_no + 1 >= self.config.rounds:
                self.report.stop_reason = f"{self.config.rounds} round(s) done ({self._posts} posts)"
                return
            self._bar.describe(f"round {round_no + 1}: expanding")
            decisions = self._expander().expand(store, all_seeds, round_no + 1)
            added = 0
            with store.transaction() as db:
                for d in decisions:
                    if d.action in ("add", "reject"):
                        status = QUEUED if d.action == "add" else REJECTED
                        if not store.add_hashtag(db, d.tag, status=status, round_no=round_no + 1, score=d.score,
                                                 origin=d.origin, reason=d.reason, words=d.words):
                            continue
                        added += d.action == "add"
                    store.log_decision(db, round_no + 1, d.tag, d.action, d.score, d.reason,
                                       {**d.details, "origin": d.origin, "words": list(d.words)})
                store.set_meta("round", round_no + 1, db)
            log.info("round %d: queued %d new hashtags", round_no + 1, added)
            if not added and not store.frontier():
                self.report.stop_reason = f"no new on-topic hashtags after round {round_no} ({self._posts} posts)"
                return

    def _needs_work(self, src: Source, tag: str, per_tag: int | None) -> bool:
        """Whether ``src`` has more to give for ``#tag``: never crawled, failed part-way, or capped below
        ``per_tag``."""
        row = self.store.get_cursor(src.name, tag)
        if row is None:
            return True
        if row.done:
            return False
        return per_tag is None or row.posts < per_tag

    def _requeue(self, per_tag: int | None) -> None:
        """Put back on the frontier every finished hashtag a live source still has work for, so the same command
        run again resumes: failed hashtags are retried, capped ones continue under a higher ``--per-tag``, and a
        source new to the store crawls the hashtags the others already finished."""
        again: dict[TagStatus, list[str]] = {}
        for status in (FAILED, CAPPED, DONE):
            for row in self.store.hashtags(status):
                tag = row.tag
                if not self._plan.requeues(row):
                    continue
                for src in self._live_sources():
                    if not self._plan.reads(src.name, tag):
                        continue
                    if self._needs_work(src, tag, per_tag):
                        again.setdefault(status, []).append(tag)
                        self.store.set_hashtag_status(tag, QUEUED)
                        if status == FAILED:
                            self._retried.add(tag)
                        break
        for status, tags in again.items():
            why = {FAILED: "failed before; retrying", CAPPED: "capped before; --per-tag allows more",
                   DONE: "not yet read from every source"}[status]
            log.info("queued again (%s): %s", why, " ".join("#" + t for t in tags))

    def _expander(self) -> Expander:
        if self.expander is None:
            self.expander = Expander()
        self.expander._parts()
        return self.expander

    def _live_sources(self) -> list[Source]:
        return [s for s in self.sources if s.name not in self._dead]

    # -- crawling -------------------------------------------------------------------------------------------
    def _crawl_round(self, round_no: int, per_tag: int | None) -> None:
        for row in self.store.frontier():
            if self._posts >= self.config.target:
                return
            tag = row.tag
            outcomes: list[TagStatus] = []
            for src in self._live_sources():
                if not self._plan.reads(src.name, tag):
                    continue
                self._bar.describe(f"round {round_no} #{tag} ({src.name})")
                try:
                    outcomes.append(self._crawl_tag(src, tag, round_no, per_tag))
                    self._failing[src.name] = 0
                except TagFailed as exc:
                    outcomes.append(FAILED)
                    if tag in self._retried:  # a retry of a tag that failed before must not drop the source
                        log.warning("#%s from %s failed again: %s", tag, src.name, exc)
                        continue
                    n = self._failing[src.name] = self._failing.get(src.name, 0) + 1
                    log.warning("#%s from %s failed: %s", tag, src.name, exc)
                    if n >= self.config.source_failure_limit:
                        msg = f"{n} hashtags in a row failed; last: {exc}"
                        self._dead[src.name] = msg
                        self.store.set_source_status(src.name, "failed", msg)
                        log.error("source %s skipped for this run: %s", src.name, msg)
            if self._posts >= self.config.target and QUEUED in outcomes:
                continue  # stopped by the target: the hashtag stays queued with its cursor
            if not outcomes:
                if not self._live_sources():
                    return  # every source failed: the rest of the frontier waits for the next run
                continue
            if all(o == FAILED for o in outcomes):
                status = FAILED
                self.report.failed_tags.append(tag)
            elif any(o == CAPPED for o in outcomes):
                status = CAPPED
            else:
                status = DONE
            self.store.set_hashtag_status(tag, status)

    def _crawl_tag(self, src: Source, tag: str, round_no: int, per_tag: int | None) -> TagStatus:
        """Fetch pages of ``#tag`` from ``src`` until exhausted (DONE), capped (CAPPED) or the target is reached
        (QUEUED: more to read, from the stored cursor)."""
        row = self.store.get_cursor(src.name, tag)
        if row is not None and row.done:
            return DONE
        cursor = row.cursor if row is not None else None
        seen = row.posts if row is not None else 0
        cursors = {cursor} if cursor is not None else set()
        ids: set[tuple[str, str]] = set()
        empty = 0
        while True:
            if per_tag is not None and seen >= per_tag:
                return CAPPED
            if self._posts >= self.config.target:
                return QUEUED
            page = self._fetch_page(src, tag, cursor)
            # a source that stops moving (a repeated cursor, or page after page with no post) is treated as
            # exhausted rather than looped over until --per-tag
            page_ids = {(p.family, p.source_id) for p in page.posts}
            stuck = None
            if not (page.done or page.cursor is None):
                # (one page of posts already read is no reason: a file may repeat a block, pages may overlap)
                if page.cursor in cursors:
                    stuck = "the source repeated a paging cursor"
                elif not page_ids - ids:
                    empty += 1
                    if empty >= EMPTY_PAGE_LIMIT:
                        stuck = f"{empty} pages in a row brought no post not already read"
                else:
                    empty = 0
            if stuck:
                log.warning("#%s from %s: %s; treating the hashtag as done", tag, src.name, stuck)
                page = Page(page.posts, page.cursor, True)
            self._store_page(src, tag, page, round_no)
            seen += len(page.posts)
            if page.done or page.cursor is None:
                return DONE
            ids |= page_ids
            cursors.add(page.cursor)
            cursor = page.cursor

    def _fetch_page(self, src: Source, tag: str, cursor: str | None) -> Page:
        try:
            return self.page_retry.run(f"{src.name} #{tag}", lambda: src.fetch_page(tag, cursor),
                                       self.sleep)  # type: ignore[return-value]
        except TagFailed as exc:
            self.store.record_failure(src.name, tag, str(exc))
            raise
        except (PermanentSourceError, SourceError) as exc:
            self.store.record_failure(src.name, tag, str(exc))
            raise TagFailed(f"{src.name} #{tag}: {exc}") from exc

    def _fetch_one(self, src: Source, m: MediaRef) -> tuple[StoredMedia, bytes | None]:
        try:
            data = self.image_retry.run(f"image {m.ref}", lambda: src.fetch_image(m), self.sleep)
        except MediaMissing as exc:
            log.info("image missing: %s", exc)
            return StoredMedia(m, None, "missing"), None
        except (TagFailed, SourceError) as exc:
            log.warning("image failed: %s", exc)
            return StoredMedia(m, None, "failed"), None
        if not isinstance(data, bytes):
            log.warning("image failed: %s: the source gave %s, not bytes", m.ref, type(data).__name__)
            return StoredMedia(m, None, "failed"), None
        if image_ext(data) is None:
            log.info("image invalid (not a decodable image or video): %s", m.ref)
            return StoredMedia(m, None, "invalid"), data
        return StoredMedia(m, None, "ok"), data

    def _retry_media(self) -> None:
        """Fetch again the images that earlier runs found missing (404) or that kept failing: a server may have
        been down, a file may have come back. Each is tried once more per run; what is still missing stays so."""
        for src in self.sources:
            rows = self.store.media_to_retry(src.name)
            if not rows:
                continue
            log.info("%s: trying %d image(s) again that earlier runs could not fetch", src.name, len(rows))
            refs = [MediaRef(r.ref, local=not r.ref.startswith(("http://", "https://")), is_video=r.is_video)
                    for r in rows]
            workers = max(1, min(self.config.image_workers, len(refs)))
            with ThreadPoolExecutor(workers) as pool:
                done = list(pool.map(lambda m: self._fetch_one(src, m), refs))
            images: dict[str, tuple[str, int]] = {}
            updates = []
            for row, (sm, data) in zip(rows, done):
                sha, status = None, sm.status
                if data is not None and status == "ok":
                    sha, ext = self.store.put_image(data)
                    images[sha] = (ext, len(data))
                updates.append((row.post_id, row.position, sha, status))
            recovered = self.store.update_media(updates, images)
            self.report.retried_images += len(rows)
            self.report.recovered_images += recovered

    def _store_page(self, src: Source, tag: str, page: Page, round_no: int) -> None:
        # dedupe within the page and against the store before downloading any image
        unique: dict[tuple[str, str], RawPost] = {}
        for p in page.posts:
            unique.setdefault((p.family, p.source_id), p)
        known: set[tuple[str, str]] = set()
        for family in {f for f, _ in unique}:
            ids = [sid for f, sid in unique if f == family]
            known |= {(family, sid) for sid in self.store.known_source_ids(family, ids)}
        fresh = [p for k, p in unique.items() if k not in known]
        images: dict[str, tuple[str, int]] = {}
        media_of: dict[tuple[str, str], list[StoredMedia]] = {}
        if fresh:
            wanted = [(i, m) for i, p in enumerate(fresh) for m in p.media]
            workers = max(1, min(self.config.image_workers, len(wanted)))
            if workers == 1:
                done = [self._fetch_one(src, m) for _, m in wanted]
            else:
                with ThreadPoolExecutor(workers) as pool:
                    done = list(pool.map(lambda im: self._fetch_one(src, im[1]), wanted))
            fetched: list[list[tuple[StoredMedia, bytes | None]]] = [[] for _ in fresh]
            for (i, _), result in zip(wanted, done):
                fetched[i].append(result)
            for post, results in zip(fresh, fetched):
                stored = []
                for sm, data in results:
                    if data is not None and sm.status == "ok":
                        sha, ext = self.store.put_image(data)
                        images[sha] = (ext, len(data))
                        sm = StoredMedia(sm.media, sha, "ok")
                    elif sm.status in ("missing", "failed", "invalid"):
                        self.report.missing_images += 1
                    stored.append(sm)
                media_of[(post.family, post.source_id)] = stored
        items = [(p, media_of.get(k, [])) for k, p in unique.items()]
        result = self.store.save_page(src.name, tag, items, page.cursor, page.done, round_no, images)
        self._posts += result.new_posts
        self.report.new_posts += result.new_posts
        self.report.new_images += result.new_images
        self.report.pages += 1
        self._bar.update(result.new_posts, result.new_images)
