"""posts.jsonl reading: resolved images, normalised tags, escaping paths refused, bad lines reported."""
import json

import pytest

from taglens.data.posts import iter_records, read_records
from taglens.exceptions import DataError, InputError, PathEscapeError


def write(path, lines):
    path.write_text("\n".join(l if isinstance(l, str) else json.dumps(l) for l in lines) + "\n", encoding="utf-8")
    return path


def test_records_resolve_images_and_normalise_tags(tmp_path):
    p = write(tmp_path / "posts.jsonl", [
        {"id": "1", "user": 7, "images": ["img/a.jpg"], "text": "hi #There", "hashtags": ["There", "#sea", "there"],
         "topic": "sea", "source": "x", "likes": 3},
        "",
        {"id": "2", "images": [], "text": "", "hashtags": []},
    ])
    recs = read_records(p)
    assert [r.id for r in recs] == ["1", "2"]
    assert recs[0].images == (tmp_path / "img" / "a.jpg",)
    assert recs[0].hashtags == ("there", "sea") and recs[0].user == "7" and recs[0].extra == {"likes": 3}


@pytest.mark.parametrize("bad", ["/etc/passwd", "../secret.jpg", "img/../../x.jpg", "..\\x.jpg"])
def test_escaping_paths_are_refused(tmp_path, bad):
    p = write(tmp_path / "posts.jsonl", [{"id": "1", "images": [bad], "hashtags": ["a"]}])
    with pytest.raises(PathEscapeError, match="escapes the folder"):
        read_records(p)


def test_a_symlinked_image_folder_is_followed(tmp_path):
    """EVALUATION.md: escaping is an absolute path or '..'; a link inside the folder is the folder's own choice."""
    store = tmp_path / "photo-store"
    store.mkdir()
    (store / "a.jpg").write_bytes(b"x")
    data = tmp_path / "eval"
    data.mkdir()
    (data / "images").symlink_to(store, target_is_directory=True)
    p = write(data / "posts.jsonl", [{"id": "1", "images": ["images/a.jpg"], "hashtags": ["a"]}])
    (rec,) = read_records(p)
    assert rec.images == (data / "images" / "a.jpg",) and rec.images[0].read_bytes() == b"x"


def test_non_strict_iteration_reports_bad_lines_and_keeps_going(tmp_path):
    p = write(tmp_path / "posts.jsonl", [
        {"id": "1", "hashtags": ["a"]}, "{not json", {"id": "2", "images": ["../x.jpg"]}, ["a list"],
        {"id": "3", "hashtags": ["b"]},
    ])
    items = list(iter_records(p, strict=False))
    assert [getattr(i, "id", None) for i in items] == ["1", None, None, None, "3"]
    assert isinstance(items[1], DataError) and ":2: invalid JSON" in str(items[1])
    assert getattr(items[2], "post_id") == "2"


def test_unreadable_files(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_records(tmp_path / "missing.jsonl")
    (tmp_path / "latin1.jsonl").write_bytes(b'{"id": "\xe9"}\n')
    with pytest.raises(DataError, match=r"latin1\.jsonl:1: not UTF-8"):
        read_records(tmp_path / "latin1.jsonl")


def test_repeated_ids_are_named_once_per_file(tmp_path, caplog):
    path = tmp_path / "posts.jsonl"
    lines = [{"id": i, "text": "", "hashtags": ["x"]} for i in ("a", "b", "a", "c", "b")]
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    with caplog.at_level("WARNING", logger="taglens.data.posts"):
        records = read_records(path)
    assert [r.id for r in records] == ["a", "b", "a", "c", "b"]  # all kept: a warning, not an error
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1
    assert "2 lines repeat an earlier line's post id" in warnings[0]
    assert "'a' on line 3, already on line 1" in warnings[0]
    caplog.clear()
    path.write_text(json.dumps(lines[0]) + "\n" + json.dumps(lines[1]) + "\n", encoding="utf-8")
    with caplog.at_level("WARNING", logger="taglens.data.posts"):
        read_records(path)
    assert not caplog.records
