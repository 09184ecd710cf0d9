"""Issue 18.6, the smaller ones: an empty evaluation set, tags that are not hashtags, an unwritable store, errors
kept in the store cut mid-word."""
from __future__ import annotations

import json

from taglens.cli import main
from taglens.exceptions import ExitCode


def test_evaluate_on_an_empty_file_is_a_data_error(tmp_path, capsys):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n")
    assert main(["evaluate", str(empty), "--json"]) == ExitCode.DATA
    assert "no posts to evaluate on" in capsys.readouterr().err
    untagged = tmp_path / "untagged.jsonl"  # posts, but none with a hashtag to score
    untagged.write_text(json.dumps({"id": "a", "text": "sunset at the beach"}) + "\n")
    assert main(["evaluate", str(untagged), "--inputs", "text", "--json"]) == ExitCode.DATA
    err = capsys.readouterr().err
    assert "no post could be scored (1 read)" in err


def test_tags_that_are_not_hashtags_are_left_out_everywhere(tmp_path, capsys, caplog):
    from taglens.data.posts import read_records
    from taglens.types import Post, unique_tags, valid_tag

    assert [valid_tag(t) for t in ("two words", "🍕", "new-york", "#Pizza", "2019", "café", "東京")] == \
        ["", "", "", "pizza", "", "café", "東京"]
    assert unique_tags(["two words", "Pizza", "🍕", "#pizza"]) == ("pizza",)
    assert Post(hashtags=("two words", "dog")).hashtags == ("dog",)
    data = tmp_path / "train.jsonl"
    data.write_text("".join(json.dumps({"id": str(i), "text": "dinner", "hashtags": ["two words", "🍕", "pizza"]})
                            + "\n" for i in range(5)))
    recs = read_records(data)
    assert all(r.hashtags == ("pizza",) for r in recs)
    assert "left out 10 hashtag(s)" in caplog.text and "'two words' on line 1" in caplog.text
    assert caplog.text.count("left out") == 1  # once per file
    out = tmp_path / "model"
    assert main(["train", "--model", "popularity", "--data", str(data), "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["suggest", "--text", "dinner", "--model", str(out), "--json"]) == 0
    tags = [s["tag"] for s in json.loads(capsys.readouterr().out)["suggestions"]]
    assert tags == ["pizza"]


def test_a_store_that_cannot_be_created_is_an_output_error_in_words(tmp_path, capsys):
    """It was "I/O error .../s: Not a directory", exit 1."""
    (tmp_path / "afile").write_text("x")
    data = tmp_path / "posts.jsonl"
    data.write_text(json.dumps({"id": "a", "text": "x #cat"}) + "\n")
    code = main(["collect", "--source", f"jsonl:{data}", "--store", str(tmp_path / "afile" / "s"), "--no-progress"])
    err = capsys.readouterr().err
    assert code == ExitCode.OUTPUT and "cannot create the collection store here" in err and "I/O error" not in err


def test_errors_kept_in_the_store_are_cut_at_a_word():
    from taglens.collect.sources.base import shorten

    msg = "malformed JSON from https://example.org/api/v1/timelines/tag/x: " + "Expecting value " * 60
    short = shorten(msg)
    assert len(short) <= 500 and short.endswith(" ...") and short[:-4].endswith(("Expecting", "value"))
    assert shorten("short message") == "short message"
