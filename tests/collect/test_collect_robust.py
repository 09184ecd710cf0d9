"""Robustness of `taglens collect`/`stats`: per-source progress, malformed posts, resuming failed and capped
hashtags, rate-limit windows under --max-wait, damaged stores, looping cursors, corrupt images, null ids.

Against real local HTTP servers (the Mastodon test server, and a small scripted one for answers the test server
cannot give) and real files.
"""
from __future__ import annotations

import json
import logging
import lzma
import os
import sqlite3
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from mastodon_server import LocalServer, MastodonTestServer, jpeg_bytes

from taglens.cli import main
from taglens.collect.loop import EMPTY_PAGE_LIMIT, CollectConfig, Collector
from taglens.collect.sources.local import InstaloaderDirSource, JsonlSource
from taglens.collect.sources.mastodon import MastodonSource
from taglens.collect.store import CAPPED, DONE, FAILED, Store, image_ext
from taglens.exceptions import ExitCode, InputError, OutputError


# -- a scripted Mastodon-like server ---------------------------------------------------------------------------
def _status(i: int, **fields) -> dict:
    st = {"id": str(i), "account": {"id": str(i % 5), "acct": f"u{i % 5}"}, "content": f"<p>post {i} #dog</p>",
          "tags": [{"name": "dog"}], "media_attachments": [{"type": "image", "url": f"/media/ok-{i}.jpg"}],
          "created_at": "2026-01-01T00:00:00Z", "url": f"https://example.test/{i}"}
    st.update(fields)
    return st


class ScriptedServer(LocalServer):
    """``pages[tag](max_id) -> (statuses, next max_id or None)``; ``images[name] -> bytes`` (default a JPEG)."""

    def __init__(self, pages: dict[str, Callable[[str | None], tuple[list, str | None]]],
                 images: dict[str, bytes] | None = None) -> None:
        self.pages, self.images, self.requests = pages, images or {}, []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _send(self, code: int, body: bytes, headers: dict[str, str] | None = None) -> None:
                self.send_response(code)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802
                parts = urlsplit(self.path)
                server.requests.append(self.path)
                if parts.path.startswith("/media/"):
                    name = parts.path[len("/media/"):].rsplit(".", 1)[0]
                    return self._send(200, server.images.get(name) or jpeg_bytes(name))
                tag = parts.path.rsplit("/", 1)[-1]
                if tag not in server.pages:
                    return self._send(404, b"{}")
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                statuses, nxt = server.pages[tag](query.get("max_id"))
                headers = {}
                if nxt is not None:
                    headers["Link"] = f'<http://{self.headers.get("Host")}{parts.path}?max_id={nxt}>; rel="next"'
                self._send(200, json.dumps(statuses).encode(), headers)

        self._serve(Handler, ThreadingHTTPServer)

    def tag_requests(self, tag: str) -> int:
        return sum(1 for r in self.requests if urlsplit(r).path.endswith(f"/tag/{tag}"))


def _run(store: Store, sources, seeds=("dog",), sleeps=None, expander=None, **config):
    config.setdefault("rounds", 1)
    config.setdefault("target", 10_000)
    config.setdefault("backoff", 0.01)
    kwargs = {"sleep": sleeps} if sleeps is not None else {}
    return Collector(store, sources, CollectConfig(**config), expander=expander, **kwargs).run(
        list(seeds) if seeds else None)


def _ids(store: Store) -> set[str]:
    return {r[0] for r in store.db.execute("SELECT source_id FROM posts")}


def _write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _meta(shortcode: str) -> bytes:
    node = {"__typename": "GraphImage", "shortcode": shortcode, "owner": {"id": "7", "username": "u"},
            "taken_at_timestamp": 1700000000, "edge_media_to_caption": {"edges": []}}
    return lzma.compress(json.dumps({"node": node}).encode())


def _instaloader_post(folder: Path, stem: str, shortcode: str, caption: bytes = b"a post #vape") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{stem}.json.xz").write_bytes(_meta(shortcode))
    (folder / f"{stem}.txt").write_bytes(caption)
    (folder / f"{stem}.jpg").write_bytes(jpeg_bytes(shortcode))


# -- 1. per-source progress ------------------------------------------------------------------------------------
def test_second_jsonl_source_is_imported_into_the_same_store(tmp_path, capsys):
    a = _write_jsonl(tmp_path / "a.jsonl", [{"id": "x1", "user": "u1", "images": [], "text": "a #cat",
                                             "hashtags": ["cat"], "source": "A"}])
    b = _write_jsonl(tmp_path / "b.jsonl", [{"id": "x1", "user": "u1", "images": [], "text": "b #cat",
                                             "hashtags": ["cat"], "source": "B"}])
    store = tmp_path / "store"
    for path, posts in ((a, 1), (b, 2), (b, 2), (a, 2)):
        assert main(["collect", "--source", f"jsonl:{path}", "--store", str(store), "--no-progress", "--json"]) == 0
        report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert report["store"]["posts"] == posts


def test_instaloader_folders_sharing_a_hashtag_folder_are_both_imported(tmp_path):
    _instaloader_post(tmp_path / "a" / "vapelondon", "2020-01-01_00-00-00_UTC", "AAA")
    _instaloader_post(tmp_path / "b" / "vapelondon", "2020-01-02_00-00-00_UTC", "BBB")
    with Store(tmp_path / "store") as store:
        _run(store, [InstaloaderDirSource(tmp_path / "a")], seeds=None)
        _run(store, [InstaloaderDirSource(tmp_path / "b")], seeds=None)
        assert _ids(store) == {"AAA", "BBB"}


def test_a_second_mastodon_server_crawls_hashtags_already_done(world, tmp_path, sleeps):
    with MastodonTestServer(world) as one, MastodonTestServer(world) as two, Store(tmp_path / "s") as store:
        _run(store, [MastodonSource(one.url, sleep=sleeps)], sleeps=sleeps)
        assert store.hashtag("dog").status == DONE
        _run(store, [MastodonSource(two.url, sleep=sleeps)], sleeps=sleeps)
        assert two.requests["/api/v1/timelines/tag/dog"] > 0
        assert store.get_cursor(f"mastodon:{two.url}", "dog").done
        # and neither is crawled again after that
        _run(store, [MastodonSource(one.url, sleep=sleeps), MastodonSource(two.url, sleep=sleeps)], sleeps=sleeps)
        assert one.requests["/api/v1/timelines/tag/dog"] == 2 and two.requests["/api/v1/timelines/tag/dog"] == 2


def test_local_source_names_are_resolved_and_old_names_still_resume(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _write_jsonl(tmp_path / "a.jsonl", [{"id": "x1", "user": "u1", "images": [], "text": "a #cat"}])
    src = JsonlSource(Path("a.jsonl"))
    assert src.name == f"jsonl:{(tmp_path / 'a.jsonl').resolve()}"
    with Store(tmp_path / "store") as store:
        # a store written before: the cursor is kept under the name as typed, and is done
        store.db.execute("INSERT INTO posts (family, source_id, text, source, round, collected_at) "
                         "VALUES ('jsonl', 'x1', 'a #cat', 'jsonl:a.jsonl', 0, 0)")
        store.db.execute("INSERT INTO hashtags (tag, status, round, origin, reason, updated_at) "
                         "VALUES ('*', 'done', 0, 'import', 'old', 0)")
        store.db.execute("INSERT INTO cursors (source, tag, done, pages, posts, updated_at) "
                         "VALUES ('jsonl:a.jsonl', '*', 1, 1, 1, 0)")
        report = _run(store, [src], seeds=None)
        # an old store keeps no fingerprint of the file: read once more (nothing new), then never again
        assert report.pages == 1 and report.new_posts == 0
        assert store.get_cursor(src.name, "*").done
        again = _run(store, [JsonlSource(Path("a.jsonl"))], seeds=None)
        assert again.pages == 0 and again.new_posts == 0


# -- 2. a malformed post is skipped, not fatal -------------------------------------------------------------------
def test_malformed_statuses_are_skipped_with_a_warning(tmp_path, sleeps, caplog):
    bad = [_status(1, account="bob"), _status(2, content=123), _status(3, reblog="x"),
           _status(4, tags=[{"name": 5}]), _status(5, media_attachments=[{"type": "image", "url": 7}]),
           _status(6), _status(7, tags="dog"), _status(8, media_attachments={"a": 1})]
    with ScriptedServer({"dog": lambda mid: (bad, None), "cat": lambda mid: ([_status(20)], None)}) as srv, \
            Store(tmp_path / "s") as store, caplog.at_level(logging.WARNING):
        report = _run(store, [MastodonSource(srv.url, sleep=sleeps)], seeds=("dog", "cat"), sleeps=sleeps)
        assert _ids(store) == {"6", "20"}
        assert store.hashtag("dog").status == DONE and store.hashtag("cat").status == DONE
        assert not report.failed_tags
    skipped = [r.getMessage() for r in caplog.records if "malformed status" in r.getMessage()]
    assert len(skipped) == 7 and any("account is a str" in m for m in skipped)


def test_non_utf8_caption_is_read_with_replacement(tmp_path):
    folder = tmp_path / "dl" / "vapelondon"
    _instaloader_post(folder, "2016-06-03_10-03-07_UTC", "AAA", caption=b"caf\xe9 #vape\n")
    _instaloader_post(folder, "2016-06-04_10-03-07_UTC", "BBB")
    with Store(tmp_path / "s") as store:
        _run(store, [InstaloaderDirSource(tmp_path / "dl")], seeds=None)
        texts = dict(store.db.execute("SELECT source_id, text FROM posts").fetchall())
    assert texts["AAA"] == "caf\ufffd #vape\n" and "BBB" in texts


def test_malformed_instaloader_metadata_is_skipped(tmp_path, caplog):
    folder = tmp_path / "dl" / "vape"
    _instaloader_post(folder, "2020-01-01_00-00-00_UTC", "AAA")
    (folder / "2020-01-02_00-00-00_UTC.json.xz").write_bytes(lzma.compress(b'{"node": {"shortcode": "B", '
                                                                          b'"owner": "x", "taken_at_timestamp": "y"}}'))
    (folder / "2020-01-03_00-00-00_UTC.json.xz").write_bytes(lzma.compress(b'{"node": [1, 2]}'))
    with Store(tmp_path / "s") as store, caplog.at_level(logging.WARNING):
        _run(store, [InstaloaderDirSource(tmp_path / "dl")], seeds=None)
        assert _ids(store) == {"AAA"}
    assert sum("skipping" in r.getMessage() for r in caplog.records) == 2


# -- 3. failed and capped hashtags resume -----------------------------------------------------------------------
def test_failed_hashtag_is_retried_on_the_next_run(world, tmp_path, sleeps):
    with MastodonTestServer(world, always_fail={"dog"}) as srv, Store(tmp_path / "s") as store:
        report = _run(store, [MastodonSource(srv.url, sleep=sleeps)], seeds=("dog", "puppy"), sleeps=sleeps,
                      max_retries=0)
        assert report.failed_tags == ["dog"] and store.hashtag("dog").status == FAILED
        srv.always_fail.clear()  # the server is healthy again: the same command resumes
        report = _run(store, [MastodonSource(srv.url, sleep=sleeps)], seeds=("dog", "puppy"), sleeps=sleeps,
                      max_retries=0)
        assert not report.failed_tags and store.hashtag("dog").status == DONE
        assert _ids(store) == world.all_ids(["dog", "puppy"])


def test_capped_hashtag_continues_under_a_higher_per_tag(world, tmp_path, sleeps):
    with MastodonTestServer(world) as srv, Store(tmp_path / "s") as store:
        src = lambda: MastodonSource(srv.url, page_size=5, sleep=sleeps)  # noqa: E731
        _run(store, [src()], sleeps=sleeps, per_tag=0)
        assert store.hashtag("dog").status == CAPPED and not _ids(store)
        _run(store, [src()], sleeps=sleeps, per_tag=10)
        assert store.hashtag("dog").status == CAPPED and len(_ids(store)) == 10
        _run(store, [src()], sleeps=sleeps, per_tag=10)  # the same cap: nothing more
        assert len(_ids(store)) == 10
        _run(store, [src()], sleeps=sleeps, per_tag=1000)
        assert store.hashtag("dog").status == DONE and _ids(store) == world.all_ids(["dog"])


# -- 4. rate-limit windows honour --max-wait -------------------------------------------------------------------
def test_rate_limit_window_longer_than_max_wait_fails_instead_of_hanging(world, tmp_path, sleeps):
    with MastodonTestServer(world, rate_limit=3, window_seconds=3600) as srv, Store(tmp_path / "s") as store:
        source = MastodonSource(srv.url, sleep=sleeps)  # its own default max_wait is 900 s
        report = _run(store, [source], seeds=("dog", "puppy"), sleeps=sleeps, max_wait=5, image_workers=2)
        assert source.max_wait == 5
        assert all(s <= 5 for s in sleeps)
        assert "puppy" in report.failed_tags


def test_rate_limit_window_wait_is_logged_as_a_warning(world, tmp_path, sleeps, caplog):
    with MastodonTestServer(world, rate_limit=3, window_seconds=60) as srv, Store(tmp_path / "s") as store, \
            caplog.at_level(logging.WARNING):
        _run(store, [MastodonSource(srv.url, page_size=10, sleep=sleeps)], sleeps=sleeps, max_wait=120)
        assert _ids(store) == world.all_ids(["dog"])
    assert sleeps and all(0 < s <= 120 for s in sleeps)
    assert any("rate-limit window exhausted" in r.getMessage() and r.levelno == logging.WARNING
               for r in caplog.records)


# -- 5. damaged, full and read-only stores ------------------------------------------------------------------------
def _small_store(tmp_path: Path, n: int = 200) -> Path:
    rows = [{"id": f"p{i}", "user": f"u{i % 7}", "images": [], "text": f"post {i} " + "lorem " * 40 + "#cat"}
            for i in range(n)]
    jsonl = _write_jsonl(tmp_path / "posts.jsonl", rows)
    with Store(tmp_path / "store") as store:
        _run(store, [JsonlSource(jsonl)], seeds=None)
    return tmp_path / "store"


def test_garbage_store_gives_a_clear_input_error(tmp_path, capsys):
    store = tmp_path / "store"
    store.mkdir()
    (store / "taglens.sqlite").write_bytes(os.urandom(8192))
    for argv in (["stats", "--store", str(store)],
                 ["collect", "--source", f"jsonl:{_write_jsonl(tmp_path / 'a.jsonl', [])}", "--store", str(store),
                  "--no-progress"]):
        assert main(argv) == ExitCode.INPUT
        err = capsys.readouterr().err
        assert "taglens.sqlite" in err and "damaged" in err and "Traceback" not in err
    with pytest.raises(InputError, match="damaged"):
        Store(store, read_only=True)


def test_truncated_store_gives_a_clear_input_error(tmp_path, capsys):
    store = _small_store(tmp_path)
    db = store / "taglens.sqlite"
    db.write_bytes(db.read_bytes()[: db.stat().st_size // 3])
    assert main(["stats", "--store", str(store)]) == ExitCode.INPUT
    err = capsys.readouterr().err
    assert str(db) in err and "Traceback" not in err


def test_disk_full_while_writing_the_store_is_an_output_error(tmp_path):
    rows = [{"id": f"q{i}", "user": "u", "images": [], "text": "x" * 2000 + " #cat"} for i in range(500)]
    jsonl = _write_jsonl(tmp_path / "big.jsonl", rows)
    with Store(tmp_path / "s") as store:
        pages = store.db.execute("PRAGMA page_count").fetchone()[0]
        store.db.execute(f"PRAGMA max_page_count = {pages + 20}")  # what a full disk looks like to sqlite
        with pytest.raises(OutputError, match=r"taglens\.sqlite: cannot write the collection store: .*full"):
            _run(store, [JsonlSource(jsonl)], seeds=None)
        assert store.counts()["posts"] < 500  # what was committed before stays readable


def test_read_only_store_api(tmp_path, capsys):
    store_dir = _small_store(tmp_path, n=5)
    mtime = (store_dir / "taglens.sqlite").stat().st_mtime_ns
    (store_dir / "images").rmdir()  # opening read-only creates nothing
    with Store(store_dir, read_only=True) as store:
        assert store.counts()["posts"] == 5 and len(list(store.iter_posts())) == 5
        with pytest.raises(sqlite3.OperationalError):
            store.db.execute("DELETE FROM posts")
    assert not (store_dir / "images").exists()
    assert (store_dir / "taglens.sqlite").stat().st_mtime_ns == mtime
    with pytest.raises(InputError, match="no taglens store"):
        Store(tmp_path / "nothing", read_only=True)
    assert main(["stats", "--store", str(store_dir)]) == 0
    assert "5 posts" in capsys.readouterr().out


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root ignores file permissions")
def test_stats_on_a_read_only_store(tmp_path, capsys):
    store_dir = _small_store(tmp_path, n=5)
    for p in [store_dir / "taglens.sqlite", *store_dir.glob("*")]:
        p.chmod(0o555 if p.is_dir() else 0o444)
    store_dir.chmod(0o555)
    try:
        assert main(["stats", "--store", str(store_dir)]) == 0
        assert "5 posts" in capsys.readouterr().out
    finally:
        store_dir.chmod(0o755)


# -- 6. looping cursors ------------------------------------------------------------------------------------------
def test_repeating_cursors_and_pages_stop_the_hashtag(tmp_path, sleeps, caplog):
    pages = {
        "loopsame": lambda mid: ([_status(500 + i) for i in range(3)], "999"),
        "loopcycle": lambda mid: ([_status(600 + i + (0 if mid != "111" else 3)) for i in range(3)],
                                  "111" if mid != "111" else "222"),
        "loopmove": lambda mid: ([_status(700 + i) for i in range(3)], str(int(mid or 10**6) - 1)),
        "loopempty": lambda mid: ([], str(int(mid or 10**6) - 1)) if mid else ([_status(800)], "5000"),
    }
    with ScriptedServer(pages) as srv, Store(tmp_path / "s") as store, caplog.at_level(logging.WARNING):
        _run(store, [MastodonSource(srv.url, sleep=sleeps)], seeds=tuple(pages), sleeps=sleeps, per_tag=10**6)
        for tag in pages:
            assert store.hashtag(tag).status == DONE, tag
            assert store.get_cursor(f"mastodon:{srv.url}", tag).done
        # the same posts behind a moving cursor: given up after EMPTY_PAGE_LIMIT pages that bring nothing new
        assert srv.tag_requests("loopsame") == 2 and srv.tag_requests("loopmove") == 1 + EMPTY_PAGE_LIMIT
        assert srv.tag_requests("loopcycle") == 3
        before = len(srv.requests)
        _run(store, [MastodonSource(srv.url, sleep=sleeps)], seeds=tuple(pages), sleeps=sleeps, per_tag=10**6)
        assert len(srv.requests) == before  # stopped hashtags are done for good
    assert any("repeated a paging cursor" in r.getMessage() for r in caplog.records)


# -- 7. corrupt images -------------------------------------------------------------------------------------------
def test_corrupt_images_are_marked_invalid(tmp_path, sleeps):
    good = jpeg_bytes("good", 64)
    images = {"trunc": good[: len(good) // 2], "short": good[:40], "magic": b"\xff\xd8\xff" + b"garbage" * 100,
              "good": good}
    atts = [{"type": "image", "url": f"/media/{k}.jpg"} for k in images]
    with ScriptedServer({"dog": lambda mid: ([_status(1, media_attachments=atts)], None)}, images) as srv, \
            Store(tmp_path / "s") as store:
        _run(store, [MastodonSource(srv.url, sleep=sleeps)], sleeps=sleeps)
        status = dict(store.db.execute("SELECT ref, status FROM post_media").fetchall())
        assert {ref.rsplit("/", 1)[-1]: s for ref, s in status.items()} == {
            "trunc.jpg": "invalid", "short.jpg": "invalid", "magic.jpg": "invalid", "good.jpg": "ok"}
        assert store.counts()["images"] == 1


def test_image_ext_checks_that_pictures_decode():
    from io import BytesIO

    from PIL import Image

    buf = BytesIO()
    Image.new("RGB", (32, 32), (1, 2, 3)).save(buf, "PNG")
    png = buf.getvalue()
    assert image_ext(jpeg_bytes("x", 64)) == "jpg" and image_ext(png) == "png"
    assert image_ext(png[:-20]) is None and image_ext(b"GIF89a" + b"\0" * 20) is None
    assert image_ext(b"\0\0\0\x18ftypmp42") == "mp4"  # videos: by magic number only


# -- 8. null ids -------------------------------------------------------------------------------------------------
def test_null_and_empty_ids_are_skipped(tmp_path, sleeps, caplog):
    statuses = [_status(1, id=None), _status(2, id=""), _status(3, id=[1, 2]), _status(4, id=True), _status(5)]
    with ScriptedServer({"dog": lambda mid: (statuses, None)}) as srv, Store(tmp_path / "s") as store, \
            caplog.at_level(logging.WARNING):
        _run(store, [MastodonSource(srv.url, sleep=sleeps)], sleeps=sleeps)
        assert _ids(store) == {"5"}
    assert sum("without a usable id" in r.getMessage() for r in caplog.records) == 4


# -- fixes after a review of the fixes ---------------------------------------------------------------------------
def test_hashtags_that_keep_failing_do_not_block_new_ones(world, tmp_path, sleeps):
    """Failed tags are retried every run, but their failing again must not drop the source before it reaches the
    run's new hashtags (three retries in a row used to end every later run)."""
    bad = {"bad1", "bad2", "bad3"}
    with MastodonTestServer(world, always_fail=set(bad)) as srv, Store(tmp_path / "s") as store:
        _run(store, [MastodonSource(srv.url, sleep=sleeps)], seeds=sorted(bad), sleeps=sleeps, max_retries=0)
        assert all(store.hashtag(t).status == FAILED for t in bad)
        report = _run(store, [MastodonSource(srv.url, sleep=sleeps)], seeds=sorted(bad) + ["dog"], sleeps=sleeps,
                      max_retries=0)
        assert not report.failed_sources and store.hashtag("dog").status == DONE
        assert _ids(store) == world.all_ids(["dog"])


def test_a_file_that_repeats_a_block_of_posts_is_imported_whole(tmp_path):
    """A page of posts already read is no reason to stop (two exports joined, overlapping pages)."""
    rows = [{"id": f"p{i}", "images": [], "text": f"post {i} #cat", "hashtags": ["cat"]} for i in range(150)]
    path = _write_jsonl(tmp_path / "joined.jsonl", rows + rows[:100] + [dict(r, id=f"q{i}") for i, r in
                                                                          enumerate(rows[:120])])
    with Store(tmp_path / "s") as store:
        _run(store, [JsonlSource(path)], seeds=None)
        assert _ids(store) == {f"p{i}" for i in range(150)} | {f"q{i}" for i in range(120)}


def test_imported_and_catch_all_tags_are_not_sent_to_online_sources(world, tmp_path, sleeps):
    local = _write_jsonl(tmp_path / "a.jsonl", [{"id": "x1", "images": [], "text": "a #cat", "hashtags": ["cat"]}])
    with MastodonTestServer(world) as srv, Store(tmp_path / "s") as store:
        _run(store, [JsonlSource(local)], seeds=None)
        _run(store, [MastodonSource(srv.url, sleep=sleeps)], seeds=("dog",), sleeps=sleeps)
        assert store.hashtag("dog").status == DONE
        asked = [p for p in srv.log if "/timelines/tag/" in p]
        assert asked and all("/tag/dog" in p for p in asked)  # neither the catch-all '*' nor the imported #cat
