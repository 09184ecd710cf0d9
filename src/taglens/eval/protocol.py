"""The evaluation protocol of ../shared/EVALUATION.md.

1. Each post's hashtags are ordered by ``sha1(f"{seed}:{id}:{tag}")``; the first R are revealed (given as the
   post's existing tags, only when ``tags`` is an input), the rest are targets; posts with no target are skipped.
2. The model sees the text with every #hashtag removed (no target leaks through the caption), and the images
   only when ``images`` is an input.
3. Revealed tags and duplicates are dropped from the ranked list; tags compare lowercase without '#'.
4. Metrics per post (metrics.py), averaged over scored posts, with n.
"""
from __future__ import annotations

import hashlib
import logging
import time
from typing import Any, Callable, Iterable, Sequence

from ..blocklist import blocked_tags, fingerprint
from ..data.posts import Record
from ..exceptions import ModelError, TaglensError, UsageError
from ..suggesters.base import not_trained
from ..types import Post, normalize_tag, strip_hashtags
from .metrics import post_metrics

log = logging.getLogger(__name__)
INPUTS = frozenset({"images", "text", "tags"})


def parse_inputs(spec: str | Iterable[str]) -> frozenset[str]:
    names = [s.strip() for s in (spec.split(",") if isinstance(spec, str) else spec) if s.strip()]
    if "all" in names:
        return INPUTS
    bad = [n for n in names if n not in INPUTS]
    if bad or not names:
        raise UsageError(f"--inputs: expected a comma-separated subset of images,text,tags (or all), got {spec!r}")
    return frozenset(names)


def order_tags(post_id: str, tags: Sequence[str], seed: int | str = 0) -> list[str]:
    return sorted(tags, key=lambda t: hashlib.sha1(f"{seed}:{post_id}:{t}".encode("utf-8")).hexdigest())


def prepare_query(record: Record, inputs: Iterable[str], reveal: int = 0,
                  seed: int | str = 0) -> tuple[Post, list[str], list[str]]:
    """(the post the model sees, revealed tags, target tags) for one record."""
    inputs = frozenset(inputs)
    ordered = order_tags(record.id, [normalize_tag(t) for t in record.hashtags], seed)
    revealed, targets = ordered[:reveal], ordered[reveal:]
    post = Post(
        text=strip_hashtags(record.text) if "text" in inputs else "",
        hashtags=tuple(revealed) if "tags" in inputs else (),
        images=record.images if "images" in inputs else (),
        post_id=record.id,
        user=record.user,
    )
    return post, revealed, targets


def score_ranking(ranked: Sequence[str], revealed: Sequence[str], targets: Sequence[str],
                  k: int | None = None) -> dict[str, float]:
    """The metrics of one post: revealed tags and repeats are dropped from the ranking, then the first ``k``
    (all when None) are scored against the targets."""
    drop = set(revealed)
    seen: set[str] = set()
    clean: list[str] = []
    for tag in ranked:
        tag = normalize_tag(tag)
        if tag and tag not in drop and tag not in seen:
            seen.add(tag)
            clean.append(tag)
    return post_metrics(clean if k is None else clean[:k], set(targets))


def require_trained(suggester: Any) -> None:
    """Refuse a model that must be trained and is not (it would score every post 0 as an 'unreadable input')."""
    if getattr(suggester, "needs_training", False) and not getattr(suggester, "is_fitted", True):
        raise ModelError(not_trained(getattr(suggester, "name", suggester)))


def evaluate(records: Sequence[Record], suggester: Any, inputs: Iterable[str] = ("images", "text", "tags"),
             reveal: int = 0, seed: int | str = 0, k: int = 10, batch_size: int = 32,
             progress: Callable[[int], None] | None = None, per_post: list | None = None) -> dict[str, Any]:
    """Run the protocol; returns {"n", "P@1", ..., "errors", "blocked_tags", "blocked_list", "seconds"} with means
    over scored posts.

    A post whose input cannot be read (a corrupt image) is counted in ``errors`` and scored as an empty
    ranking, so an unreadable input is never silently left out of n. ``per_post`` (a list) receives
    ``(record, metrics)`` for per-topic breakdowns.
    """
    inputs = parse_inputs(inputs)
    require_trained(suggester)
    queries = []
    for rec in records:
        post, revealed, targets = prepare_query(rec, inputs, reveal, seed)
        if targets:
            queries.append((rec, post, revealed, targets))
    totals: dict[str, float] = dict.fromkeys(post_metrics([], {"x"}), 0.0)  # every key, even when n = 0
    if not queries:
        log.warning("no post has a target tag (posts without hashtags, or all of them revealed): n = 0")
    blocked = blocked_tags()  # read now: an unreadable list is the run's error, not every post's
    errors = 0
    start = time.perf_counter()
    if progress and len(records) > len(queries):
        progress(len(records) - len(queries))  # posts without a target are done at once
    for b in range(0, len(queries), batch_size):
        chunk = queries[b: b + batch_size]
        try:
            # ask for R more: a model that is not shown the revealed tags may suggest them, and they are dropped
            # before the top k is taken (EVALUATION.md, step 3)
            rankings = suggester.suggest_batch([q[1] for q in chunk], k=k + reveal)
        except TaglensError:
            rankings = []
            for q in chunk:  # find the bad post(s), keep the others
                try:
                    rankings.append(suggester.suggest(q[1], k=k + reveal))
                except TaglensError as exc:
                    log.warning("post %s: %s", q[0].id, exc)
                    errors += 1
                    rankings.append([])
        for (rec, _, revealed, targets), ranked in zip(chunk, rankings):
            m = score_ranking([s.tag for s in ranked], revealed, targets, k)
            if per_post is not None:
                per_post.append((rec, m))
            for key, v in m.items():
                totals[key] = totals.get(key, 0.0) + v
        if progress:
            progress(len(chunk))
    n = len(queries)
    result: dict[str, Any] = {"n": n}
    result.update({key: (v / n if n else 0.0)
                   for key, v in sorted(totals.items(), key=lambda kv: _metric_order(kv[0]))})
    result["errors"] = errors
    # the blocked-tags list of the run (taglens.blocklist): its size (0: blocking off) and a digest of it and of
    # the word rule, so that two evaluations tell whether they blocked the same tags
    result["blocked_tags"] = len(blocked)
    result["blocked_list"] = fingerprint(blocked)
    result["seconds"] = round(time.perf_counter() - start, 3)
    return result


def _metric_order(key: str) -> tuple:
    name, _, k = key.partition("@")
    return (int(k), ["P", "R", "A", "F1", "NDCG"].index(name))
