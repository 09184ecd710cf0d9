"""The model of one server process: loaded once on a background thread, then run on that one thread.

Requests never run the model on the event loop: they queue a job and await its future, so /healthz and /metrics
answer while the model is busy. With ``batch_max`` > 1 the thread takes every job waiting (up to ``batch_max``
posts) and runs their posts through ``suggest_batch`` together; bench/bench_serve.py measures whether that is
faster than one post at a time.
"""
from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Sequence

log = logging.getLogger("taglens.serve")


class NotReady(Exception):
    """The model is still loading, or failed to load (``error``)."""

    def __init__(self, state: str, error: str | None = None):
        super().__init__(error or f"the model is {state}")
        self.state, self.error = state, error


class Timeout(Exception):
    """A job waited or ran longer than the request's time limit."""


@dataclass
class _Job:
    posts: Sequence[Any]
    k: int
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future
    queued_at: float = field(default_factory=time.perf_counter)
    cancelled: bool = False
    started_at: float | None = None


class ModelHost:
    """Loads ``model_name`` and answers ``await host.suggest(posts, k, timeout_s)`` from one inference thread."""

    def __init__(self, model_name: str, batch_max: int = 1, warmup: bool = True):
        self.model_name = model_name
        self.batch_max = max(1, int(batch_max))
        self.warmup = warmup
        self.state = "loading"  # loading -> ready | failed
        self.error: str | None = None
        self.model: Any = None
        self.load_seconds: float | None = None
        self.running = 0  # posts in the model call under way
        self.batch_sizes: list[int] = []  # posts per model call, since the last metrics read (bounded)
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._thread = threading.Thread(target=self._main, name="taglens-model", daemon=True)

    # -- lifecycle --------------------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._queue.put(None)

    @property
    def queued(self) -> int:
        return self._queue.qsize()

    def _main(self) -> None:
        from ..model_folder import load_suggester

        t = time.perf_counter()
        try:
            model = load_suggester(self.model_name)
            if self.warmup:  # loads the encoders, so the first request is not slow
                post = _warmup_post()
                model.suggest(post, k=5)
                # again, its caption now encoded before: the photo is encoded on all the encoders' threads (beside a new
                # caption it gets a session with one fewer: features.pending_post_features), so both sessions are loaded
                model.suggest(post, k=5)
        except Exception as exc:  # noqa: BLE001 - reported by /healthz and every request, and logged
            self.state, self.error = "failed", f"cannot load model {self.model_name!r}: {exc}"
            log.error("%s", self.error)
            return
        self.model, self.load_seconds = model, time.perf_counter() - t
        import gc

        gc.freeze()  # the model (and what a warm-up loaded) lives as long as the server: no full pass walks it again
        self.state = "ready"
        log.info("model %s ready in %.1f s", self.model_name, self.load_seconds)
        while True:
            job = self._queue.get()
            if job is None:
                return
            jobs = [job]
            posts = len(job.posts)
            while posts < self.batch_max:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)
                    break
                jobs.append(more)
                posts += len(more.posts)
            self._run(jobs)

    # -- running ----------------------------------------------------------------------------------------------
    def _run(self, jobs: list[_Job]) -> None:
        jobs = [j for j in jobs if not j.cancelled]
        now = time.perf_counter()
        for job in jobs:
            job.started_at = now
        by_k: dict[int, list[_Job]] = {}
        for job in jobs:
            by_k.setdefault(job.k, []).append(job)
        for k, group in by_k.items():
            posts = [p for j in group for p in j.posts]
            answers: list[Any] = []
            for start in range(0, len(posts), self.batch_max):
                answers.extend(self._answer(posts[start:start + self.batch_max], k))
            at = 0
            for job in group:
                result = answers[at:at + len(job.posts)]
                at += len(job.posts)
                job.loop.call_soon_threadsafe(_resolve, job.future, result)

    def _answer(self, posts: list[Any], k: int) -> list[Any]:
        """Suggestions (or the exception) for each post: ``suggest`` for one, ``suggest_batch`` for several (and
        each alone when the batch fails, to find the post that fails)."""

        self.batch_sizes.append(len(posts))
        del self.batch_sizes[:-4096]
        self.running = len(posts)
        try:
            return self._answer_now(posts, k)
        finally:
            self.running = 0

    def _answer_now(self, posts: list[Any], k: int) -> list[Any]:
        from ..exceptions import TaglensError

        if len(posts) > 1:
            try:
                return list(self.model.suggest_batch(posts, k=k))
            except TaglensError:
                pass
            except Exception:  # noqa: BLE001
                log.exception("suggest_batch failed; answering its posts one by one")
        out: list[Any] = []
        for post in posts:
            try:
                out.append(self.model.suggest(post, k=k))
            except Exception as exc:  # noqa: BLE001 - the request answers with it
                if not isinstance(exc, TaglensError):
                    log.exception("suggest failed")
                out.append(exc)
        return out

    async def suggest(self, posts: Sequence[Any], k: int, timeout_s: float) -> tuple[list[Any], dict[str, float]]:
        """(per post: its suggestions or the exception it raised, timings in ms). Raises NotReady or Timeout."""
        if self.state != "ready":
            raise NotReady(self.state, self.error)
        loop = asyncio.get_running_loop()
        job = _Job(list(posts), k, loop, loop.create_future())
        self._queue.put(job)
        try:
            result = await asyncio.wait_for(asyncio.shield(job.future), max(0.001, timeout_s))
        except asyncio.TimeoutError:
            job.cancelled = True  # skipped if it has not started; a running model call cannot be interrupted
            raise Timeout() from None
        done = time.perf_counter()
        started = job.started_at or done
        return result, {"queue_ms": round(1000 * (started - job.queued_at), 1),
                        "model_ms": round(1000 * (done - started), 1)}


def _resolve(future: asyncio.Future, result: Any) -> None:
    if not future.done():
        future.set_result(result)


def _warmup_post() -> Any:
    """A post with a generated photo (a gradient), a caption and a tag."""
    import numpy as np
    from PIL import Image

    from ..types import Post

    y, x = np.mgrid[0:240, 0:320]
    pixels = np.stack([x * 255 // 319, y * 255 // 239, (x + y) * 255 // 558], axis=-1).astype("uint8")
    return Post(text="warming up on a sunny morning", hashtags=("morning",), images=(Image.fromarray(pixels),))
