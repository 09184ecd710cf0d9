"""The SQLite store: deduplication by source id and content hash, WAL, per-page transactions, export."""
from __future__ import annotations

import json
import sqlite3

import pytest

from taglens.cli import main
from taglens.collect.export import export_store, split_of
from taglens.collect.sources.base import MediaRef, RawPost
from taglens.collect.store import Store, StoredMedia, sniff_ext
from taglens.data.posts import read_records
from taglens.exceptions import ExitCode, InputError

JPEG = b"\xff\xd8\xff\xe0" + b"x" * 50
PNG = b"\x89PNG\r\n\x1a\n" + b"y" * 50


def _post(i: int, user: str | None = "u1", family: str = "fam", tags=("dog", "puppy")) -> RawPost:
    return RawPost(family, f"p{i}", text=f"post {i} #dog", hashtags=tags, user=user,
                   media=(MediaRef("a.jpg"), MediaRef("b.png")))


def _save(store: Store, posts, tag="dog", cursor=None, done=False):
    images, items = {}, []
    for p in posts:
        media = []
        for ref, data in zip(p.media, (JPEG, PNG)):
            sha, ext = store.put_image(data)
            images[sha] = (ext, len(data))
            media.append(StoredMedia(ref, sha, "ok"))
        items.append((p, media))
    return store.save_page("src", tag, items, cursor, done, 0, images)


def test_posts_are_unique_by_source_id_and_gain_topics(tmp_path):
    store = Store(tmp_path)
    r1 = _save(store, [_post(1), _post(2)], cursor="c1")
    r2 = _save(store, [_post(2), _post(3)], tag="puppy", cursor="c2")
    assert (r1.new_posts, r1.new_images, r2.new_posts, r2.known_posts, r2.new_images) == (2, 2, 1, 1, 0)
    assert store.counts()["posts"] == 3 and store.counts()["images"] == 2
    topics = {r[0]: r[1] for r in store.db.execute(
        "SELECT p.source_id, group_concat(t.tag) FROM posts p JOIN post_topics t ON t.post_id = p.id GROUP BY p.id")}
    assert sorted(topics["p2"].split(",")) == ["dog", "puppy"]
    assert store.get_cursor("src", "dog").cursor == "c1" and store.get_cursor("src", "dog").pages == 1
    # the same id in another family is another post
    _save(store, [_post(1, family="other")])
    assert store.counts()["posts"] == 4


def test_store_is_wal_and_survives_reopen(tmp_path):
    store = Store(tmp_path)
    _save(store, [_post(1)])
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()
    again = Store(tmp_path)
    assert again.counts()["posts"] == 1


def test_failed_page_rolls_back_entirely(tmp_path):
    store = Store(tmp_path)
    bad = RawPost("fam", "p9", hashtags=("x",), media=(MediaRef("a"),))
    with pytest.raises(sqlite3.IntegrityError):
        # a media row pointing at an image that was never registered breaks the foreign key mid-page
        store.save_page("src", "dog", [(_post(1), []), (bad, [StoredMedia(bad.media[0], "f" * 64, "ok")])],
                        "c1", False, 0, {})
    assert store.counts()["posts"] == 0 and store.get_cursor("src", "dog") is None


def test_put_image_is_content_addressed(tmp_path):
    store = Store(tmp_path)
    a = store.put_image(JPEG)
    assert store.put_image(JPEG) == a and a[1] == "jpg"
    assert store.image_path(*a).read_bytes() == JPEG
    with pytest.raises(ValueError):
        store.put_image(b"<html>not an image</html>")


@pytest.mark.parametrize("data, ext", [(JPEG, "jpg"), (PNG, "png"), (b"GIF89a...", "gif"),
                                       (b"RIFF\0\0\0\0WEBPVP8 ", "webp"), (b"\0\0\0\x18ftypmp42", "mp4"),
                                       (b"<html>", None)])
def test_sniff_ext(data, ext):
    assert sniff_ext(data) == ext


def test_export_writes_the_evaluation_format_and_user_split(tmp_path):
    store = Store(tmp_path / "s")
    _save(store, [_post(i, user=f"u{i % 7}") for i in range(60)] + [_post(99, user=None)])
    result = export_store(store, tmp_path / "out", split="user")
    recs = read_records(tmp_path / "out" / "posts.jsonl")  # the shared reader, with its path checks
    assert len(recs) == 61 and result["images"] == 2
    assert recs[0].hashtags == ("dog", "puppy") and recs[0].topic == "dog" and recs[0].source == "fam"
    assert all(len(r.images) == 2 and r.images[0].is_file() for r in recs)
    users = {}
    for part in ("train", "dev", "test"):
        for r in read_records(tmp_path / "out" / f"{part}.jsonl"):
            users.setdefault(r.user, set()).add(part)
    assert all(len(parts) == 1 for parts in users.values())
    assert sum(result["files"][f"{p}.jsonl"] for p in ("train", "dev", "test")) == 61


def test_split_of_is_roughly_80_10_10():
    parts = [split_of(f"user:{i}") for i in range(3000)]
    assert 0.75 < parts.count("train") / 3000 < 0.85 and 0.07 < parts.count("test") / 3000 < 0.13


def test_export_and_stats_cli_need_an_existing_store(tmp_path, capsys):
    assert main(["stats", "--store", str(tmp_path / "nope")]) == ExitCode.INPUT
    assert "no taglens store" in capsys.readouterr().err
    with pytest.raises(InputError):
        Store(tmp_path / "nope", create=False)


def test_export_ids_stay_unique_across_families(tmp_path):
    store = Store(tmp_path / "s")
    _save(store, [_post(1, family="a"), _post(1, family="b"), _post(2, family="a")])
    assert main(["export", "--store", str(tmp_path / "s"), "--out", str(tmp_path / "o")]) == 0
    ids = [json.loads(line)["id"] for line in open(tmp_path / "o" / "posts.jsonl")]
    assert sorted(ids) == ["a:p1", "b:p1", "p2"]


def test_one_collector_per_store(tmp_path):
    first = Store(tmp_path)
    first.lock()
    second = Store(tmp_path)
    with pytest.raises(InputError, match="another `taglens collect`"):
        second.lock()
    first.close()
    second.lock()  # released with the first
    second.close()


def test_a_caption_with_a_lone_surrogate_is_stored(tmp_path):
    """An API answer with a broken JSON escape ("\\ud83d" without its pair) must not stop the crawl: sqlite
    refuses lone surrogates, so they become U+FFFD, as in every Post."""
    store = Store(tmp_path)
    post = RawPost(family="src", source_id="s\udc80", text="pizza \ud83d #food", user="u\ud800")
    assert _save(store, [post]).new_posts == 1
    text, = store.db.execute("SELECT text FROM posts").fetchone()
    assert text == "pizza \ufffd #food" and post.hashtags == ("food",)
