"""The Mastodon source and the loop against a real HTTP server on 127.0.0.1 (tests/collect/mastodon_server.py)."""
from __future__ import annotations

import time
from email.utils import formatdate

import pytest
from mastodon_server import MastodonTestServer

from taglens.collect.loop import CollectConfig, Collector
from taglens.collect.sources.base import MediaMissing, MediaRef, RateLimited, TransientSourceError
from taglens.collect.sources.mastodon import MastodonSource, html_to_text, parse_reset, parse_retry_after
from taglens.collect.store import FAILED, Store


def _collect(srv, tmp_path, sleeps, fast_expander, seeds=("dog",), rounds=1, target=10_000, timeout=5.0,
             **config):
    source = MastodonSource(srv.url, sleep=sleeps, timeout=timeout)
    store = Store(tmp_path / "store")
    report = Collector(store, [source], CollectConfig(target=target, rounds=rounds, backoff=0.01, **config),
                       expander=fast_expander, sleep=sleeps).run(list(seeds))
    source.close()
    return store, report


def _ids(store: Store) -> list[str]:
    return [r[0] for r in store.db.execute("SELECT source_id FROM posts")]


def test_pagination_collects_every_post_with_media_once(server, tmp_path, sleeps, fast_expander):
    store, report = _collect(server, tmp_path, sleeps, fast_expander, seeds=("dog", "puppy"))
    ids = _ids(store)
    assert len(ids) == len(set(ids))
    assert set(ids) == server.world.all_ids(["dog", "puppy"])
    # 30 posts per tag, 40 per page: one page and one empty page each, and no more
    assert server.requests["/api/v1/timelines/tag/dog"] == 2
    assert report.stop_reason.startswith("1 round")
    cur = store.get_cursor(f"mastodon:{server.url}", "dog")
    assert cur.done and cur.pages == 2


def test_small_pages_follow_link_headers(world, tmp_path, sleeps):
    with MastodonTestServer(world) as srv:
        src = MastodonSource(srv.url, page_size=7, sleep=sleeps)
        cursor, seen, pages = None, [], 0
        while True:
            page = src.fetch_page("dog", cursor)
            pages += 1
            seen += [p.source_id for p in page.posts]
            if page.done:
                break
            assert page.cursor and page.cursor.startswith("max_id=")
            cursor = page.cursor
        assert pages == 30 // 7 + 2  # the last full page, then an empty page ends the timeline
        assert seen == [s["id"] for s in world.statuses["dog"]]
        assert all(q.endswith("only_media=true") or "only_media=true" in q for q in srv.log)


def test_status_fields_become_a_post(server, sleeps):
    src = MastodonSource(server.url, sleep=sleeps)
    post = src.fetch_page("dog", None).posts[0]
    status = server.world.statuses["dog"][0]
    assert post.source_id == status["id"] and post.user == status["account"]["id"]
    assert post.text.startswith(f"Post {status['id']} about dog & friends\n#")
    assert post.hashtags[0] == "dog" and set(post.hashtags) == {t["name"] for t in status["tags"]}
    assert [m.ref for m in post.media] == [server.url + m["url"] for m in status["media_attachments"]]


def test_429_retry_after_is_honoured(world, tmp_path, sleeps, fast_expander):
    with MastodonTestServer(world, faults={"dog:": ["429", "429"]}, retry_after="3") as srv:
        store, _ = _collect(srv, tmp_path, sleeps, fast_expander)
        assert sleeps.count(3.0) == 2
        assert set(_ids(store)) == world.all_ids(["dog"])


def test_retry_after_longer_than_max_wait_fails_the_tag(world, tmp_path, sleeps, fast_expander):
    with MastodonTestServer(world, faults={"dog:": ["429"]}, retry_after="7200") as srv:
        store, report = _collect(srv, tmp_path, sleeps, fast_expander, max_wait=60)
        assert report.failed_tags == ["dog"] and store.hashtag("dog").status == FAILED
        assert not sleeps


def test_broken_json_and_500_are_retried(world, tmp_path, sleeps, fast_expander):
    with MastodonTestServer(world, faults={"dog:": ["broken", "500"]}) as srv:
        store, _ = _collect(srv, tmp_path, sleeps, fast_expander)
        assert set(_ids(store)) == world.all_ids(["dog"])
        assert srv.requests["/api/v1/timelines/tag/dog"] == 4
        assert len(sleeps) == 2 and sleeps[1] == 2 * sleeps[0]  # exponential backoff


def test_slow_response_times_out_and_is_retried(world, tmp_path, sleeps, fast_expander, caplog):
    caplog.set_level("INFO", logger="taglens.collect.loop")
    with MastodonTestServer(world, faults={"dog:": ["slow"]}, slow_seconds=3.0) as srv:
        store, _ = _collect(srv, tmp_path, sleeps, fast_expander, timeout=1.0)
        assert set(_ids(store)) == world.all_ids(["dog"])
        assert sleeps and any("timeout fetching" in r.getMessage() for r in caplog.records)


def test_missing_image_keeps_the_post(server, tmp_path, sleeps, fast_expander):
    store, report = _collect(server, tmp_path, sleeps, fast_expander)
    rows = store.db.execute("SELECT status, count(*) FROM post_media GROUP BY status").fetchall()
    by_status = dict((r[0], r[1]) for r in rows)
    expected_missing = sum(1 for s in server.world.statuses["dog"] for m in s["media_attachments"]
                           if "/missing-" in m["url"])
    assert expected_missing > 0 and by_status["missing"] == expected_missing
    assert report.missing_images == expected_missing
    # images are stored once per content: the shared picture is one file
    n_ok = by_status["ok"]
    assert store.counts()["images"] < n_ok
    for sha, ext in store.db.execute("SELECT sha256, ext FROM images"):
        assert store.image_path(sha, ext).is_file()


def test_failing_source_is_reported_and_skipped(world, tmp_path, sleeps, fast_expander):
    tags = ["dog", "puppy", "dogtraining", "goldenretriever"]
    with MastodonTestServer(world, always_fail=set(tags)) as srv:
        store, report = _collect(srv, tmp_path, sleeps, fast_expander, seeds=tags, max_retries=2,
                                 source_failure_limit=3)
        name = f"mastodon:{srv.url}"
        assert name in report.failed_sources
        assert "3 hashtags in a row failed" in report.failed_sources[name]
        # bounded: 3 tags x (1 + 2 retries), the 4th tag never asked
        assert sum(srv.requests.values()) == 9
        assert srv.requests["/api/v1/timelines/tag/goldenretriever"] == 0
        row = store.db.execute("SELECT status, last_error FROM sources WHERE name = ?", (name,)).fetchone()
        assert row["status"] == "failed"


def test_rate_limit_window_waits_for_reset(world, sleeps):
    with MastodonTestServer(world, rate_limit=2, window_seconds=30) as srv:
        src = MastodonSource(srv.url, sleep=sleeps, min_remaining=0)
        src.fetch_page("dog", None)  # remaining 1
        assert not sleeps
        src.fetch_page("puppy", None)  # remaining 0: the next call waits for the reset
        src.fetch_page("dog", None)
        assert len(sleeps) == 1 and 20 < sleeps[0] <= 30


def test_unknown_tag_is_an_empty_timeline(server, sleeps):
    page = MastodonSource(server.url, sleep=sleeps).fetch_page("nosuchtag", None)
    assert page.done and not page.posts


def test_fetch_image_errors(server, sleeps):
    src = MastodonSource(server.url, sleep=sleeps)
    assert src.fetch_image(MediaRef(f"{server.url}/media/abc.jpg")).startswith(b"\xff\xd8")
    with pytest.raises(MediaMissing):
        src.fetch_image(MediaRef(f"{server.url}/media/missing-1.jpg"))
    with pytest.raises(TransientSourceError):
        MastodonSource("http://127.0.0.1:9", sleep=sleeps, timeout=1).fetch_page("dog", None)


def test_429_raises_rate_limited_with_wait(world, sleeps):
    with MastodonTestServer(world, faults={"dog:": ["429"]}, retry_after="12") as srv:
        with pytest.raises(RateLimited) as info:
            MastodonSource(srv.url, sleep=sleeps).fetch_page("dog", None)
        assert info.value.retry_after == 12.0


@pytest.mark.parametrize("value, low, high", [("5", 5, 5), ("0", 0, 0), ("junk", None, None)])
def test_parse_retry_after_seconds(value, low, high):
    got = parse_retry_after(value)
    assert (got is None) if low is None else low <= got <= high


def test_parse_retry_after_http_date_and_reset():
    now = time.time()
    assert 55 <= parse_retry_after(formatdate(now + 60, usegmt=True), now) <= 61
    iso = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now + 30)) + ".000Z"
    assert 28 <= parse_reset(iso, now) <= 31


def test_html_to_text():
    assert html_to_text("<p>a &amp; b</p><p>#<span>dog</span><br/>x</p>") == "a & b\n#dog\nx"
