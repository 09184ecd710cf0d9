"""The collection loop's parts by themselves: the retry policy and the two crawl plans."""
from __future__ import annotations

import pytest

from taglens.collect.loop import ImportPlan, RetryPolicy, SeedPlan, TagFailed
from taglens.collect.sources.base import PermanentSourceError, RateLimited, TransientSourceError
from taglens.collect.store import HashtagRow, TagStatus


def failing(*errors):
    """A call that raises ``errors`` in turn, then answers 'ok'; its calls are counted."""
    left = list(errors)
    calls = []

    def call():
        calls.append(1)
        if left:
            raise left.pop(0)
        return "ok"

    return call, calls


def test_transient_errors_back_off_doubling_up_to_the_cap(sleeps):
    call, calls = failing(*[TransientSourceError("503")] * 4)
    assert RetryPolicy(retries=4, backoff=1.0, max_backoff=3.0).run("x", call, sleeps) == "ok"
    assert sleeps == [1.0, 2.0, 3.0, 3.0] and len(calls) == 5


def test_retries_spent_is_a_tag_failure_naming_the_error(sleeps):
    call, calls = failing(*[TransientSourceError("timed out")] * 3)
    with pytest.raises(TagFailed, match="timed out .after 2 retries"):
        RetryPolicy(retries=2).run("src #dog", call, sleeps)
    assert len(calls) == 3


def test_rate_limits_wait_what_they_ask_up_to_max_wait(sleeps):
    call, _ = failing(RateLimited("429", retry_after=7.0), RateLimited("429"))
    assert RetryPolicy(retries=3, backoff=0.5, max_wait=10.0).run("x", call, sleeps) == "ok"
    assert sleeps == [7.0, 0.5]
    call, calls = failing(RateLimited("429", retry_after=60.0))
    with pytest.raises(TagFailed, match="asked to wait 60s > max_wait 10s"):
        RetryPolicy(retries=3, max_wait=10.0).run("x", call, sleeps)
    assert len(calls) == 1


def test_permanent_errors_are_not_retried(sleeps):
    call, calls = failing(PermanentSourceError("401"))
    with pytest.raises(PermanentSourceError):
        RetryPolicy(retries=3).run("x", call, sleeps)
    assert len(calls) == 1 and not sleeps


def row(tag, origin):
    return HashtagRow(tag, None, TagStatus.DONE, 0, None, origin, "why", 0.0)


def test_plans_say_who_reads_what_and_what_is_queued_again():
    seeds = SeedPlan()
    assert seeds.reads("mastodon:x", "dog") and seeds.requeues(row("dog", "seed"))
    assert not seeds.requeues(row("cat", "import")) and not seeds.requeues(row("*", "seed"))
    imports = ImportPlan({"dog": {"jsonl:a"}, "*": {"jsonl:a", "jsonl:b"}})
    assert imports.reads("jsonl:a", "dog") and not imports.reads("jsonl:b", "dog")
    assert imports.reads("jsonl:b", "*") and not imports.reads("jsonl:a", "cat")
    assert imports.requeues(row("dog", "import"))


def test_tag_status_is_stored_and_printed_as_its_value():
    assert TagStatus("capped") is TagStatus.CAPPED and str(TagStatus.QUEUED) == "queued"
    assert f"{TagStatus.DONE}" == "done" and TagStatus.DONE == "done"
