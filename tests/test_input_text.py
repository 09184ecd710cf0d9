"""Input text as users and files give it: bad encodings, lone surrogates, byte order marks, tag lists typed by hand,
and inputs far too long to be worth understanding (caps, not timings, are asserted here)."""
import json
import subprocess
import sys

import pytest

from taglens.cli import main
from taglens.data.posts import iter_records, read_records
from taglens.exceptions import DataError, ExitCode, InputError
from taglens.segmentation import MAX_SEGMENT_LEN, segment
from taglens.suggesters.baselines import CooccurrenceSuggester
from taglens.suggesters.tags import MAX_SEGMENTED_TAG_LEN, tag_words
from taglens.types import MAX_POST_HASHTAGS, Post, clean_text, parse_hashtags, parse_tag_list


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def cooc_model(tmp_path_factory):
    """A tiny co-occurrence model (loads in milliseconds): pizza/food/dinner and beach/sunset/sea."""
    posts = [Post(hashtags=("pizza", "food", "dinner")), Post(hashtags=("beach", "sunset", "sea"))] * 5
    return str(CooccurrenceSuggester(min_count=1).fit(posts).save(tmp_path_factory.mktemp("models") / "cooc"))


def suggested(out: str) -> list[str]:
    return [s["tag"] for s in json.loads(out)["suggestions"]]


# -- 1. lone surrogates ---------------------------------------------------------------------------------------
def test_clean_text_replaces_lone_surrogates_only():
    assert clean_text("caf\udce9 pizza") == "caf\ufffd pizza"
    assert clean_text("x\ud83d") == "x\ufffd" and clean_text("\udc80") == "\ufffd"
    assert clean_text("\ud83d\ude00") == "😀"  # a pair stored as two code points is its character
    plain = "café 😀 東京"
    assert clean_text(plain) is plain


def test_post_never_carries_lone_surrogates():
    p = Post(text="pizza \ud83d", hashtags=("s\udc80", "#Caf\udce9"), post_id="i\udc80", user="u\ud800")
    for value in (p.text, *p.hashtags, p.post_id, p.user):
        value.encode("utf-8")  # would raise on a lone surrogate
    assert p.text == "pizza \ufffd"
    # a tag with a replacement character is not a hashtag (types.valid_tag): left out, never suggested as #caf�
    assert p.hashtags == ()
    assert Post(hashtags=("s\udc80", "dog")).hashtags == ("dog",)


def test_text_argv_that_is_not_utf8_is_answered():
    """`taglens suggest --text $'caf\\xe9 pizza'`: the byte arrives as '\\udce9' and used to crash the tokenizer."""
    proc = subprocess.run([sys.executable, "-m", "taglens", "suggest", "--text", b"caf\xe9 pizza", "--json", "-k", "3",
                           "--min-score", "0"], capture_output=True, timeout=120)  # all 3, weak ones too
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    tags = suggested(proc.stdout.decode("utf-8"))
    assert len(tags) == 3


def test_text_with_surrogate_through_main(capsys, cooc_model):
    code, out, err = run(capsys, "suggest", "--text", "caf\udce9 #pizza\udce9", "--model", cooc_model, "--json")
    assert code == 0, err
    assert "pizza" not in suggested(out)  # still read as the post's own hashtag


def _surrogate_batch(tmp_path):
    q = tmp_path / "q.jsonl"
    # JSON escapes of lone surrogates: valid JSON, but no valid UTF-8 text
    q.write_text('{"id": "a", "text": "pizza"}\n'
                 '{"id": "s\\udc80", "text": "pizza \\ud83d", "hashtags": ["f\\ud800"], "user": "u\\udc00"}\n'
                 '{"id": "b", "text": "beach"}\n', encoding="utf-8")
    return q


def test_batch_with_lone_surrogates_answers_every_post(capfd, tmp_path):
    """The default model tokenizes the text: the surrogate used to crash the whole batch (0 lines written)."""
    code = main(["suggest", "--batch", str(_surrogate_batch(tmp_path)), "-k", "2", "--json", "--min-score", "0"])
    out = capfd.readouterr().out
    out.encode("utf-8")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert [r["id"] for r in rows] == ["a", "s\ufffd", "b"]
    assert all(len(r["suggestions"]) == 2 for r in rows)


def test_batch_output_is_valid_utf8_with_a_model_that_ignores_text(capfdbinary, tmp_path, cooc_model):
    code = main(["suggest", "--batch", str(_surrogate_batch(tmp_path)), "--model", cooc_model, "--json"])
    raw = capfdbinary.readouterr().out
    rows = [json.loads(line) for line in raw.decode("utf-8").splitlines()]  # strict decoding
    assert code == 0 and [r["id"] for r in rows] == ["a", "s\ufffd", "b"]


def test_image_path_with_lone_surrogate_is_a_clear_error(capsys, tmp_path, cooc_model):
    q = tmp_path / "q.jsonl"
    q.write_text('{"id": "x", "images": ["a\\ud83d.jpg"]}\n{"id": "y", "text": "ok"}\n', encoding="utf-8")
    code, out, _ = run(capsys, "suggest", "--batch", str(q), "--model", cooc_model, "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == ExitCode.PARTIAL
    assert "not a valid file name" in rows[0]["error"] and "suggestions" in rows[1]


# -- 2. non-UTF-8 lines and byte order marks ------------------------------------------------------------------
def _latin1_batch(tmp_path, n=40, bad=36):
    q = tmp_path / "queries.jsonl"
    lines = []
    for i in range(1, n + 1):
        line = json.dumps({"id": f"q{i}", "text": "pizza night", "hashtags": ["food"]}).encode()
        if i == bad:
            line = '{"id": "q36", "text": "café"}'.encode("latin-1")  # Latin-1 é: the byte 0xe9
        lines.append(line)
    q.write_bytes(b"\n".join(lines) + b"\n")
    return q


def test_batch_line_that_is_not_utf8_is_one_error_line(capsys, tmp_path, cooc_model):
    q = _latin1_batch(tmp_path)
    code, out, err = run(capsys, "suggest", "--batch", str(q), "--model", cooc_model, "--json", "-k", "2")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == ExitCode.PARTIAL
    assert len(rows) == 40 and [r["id"] for r in rows] == [f"q{i}" for i in range(1, 41)]
    assert [i for i, r in enumerate(rows, 1) if "error" in r] == [36]
    assert f"{q}:36: not UTF-8 text" in rows[35]["error"] and "0xe9" in rows[35]["error"]
    assert "1 post(s)" in err


def test_read_records_names_the_line_that_is_not_utf8(tmp_path):
    q = _latin1_batch(tmp_path, n=5, bad=3)
    with pytest.raises(DataError, match=r"queries\.jsonl:3: not UTF-8 text"):
        read_records(q)
    items = list(iter_records(q, strict=False))
    assert [type(i).__name__ for i in items] == ["Record", "Record", "DataError", "Record", "Record"]


def test_train_and_evaluate_name_the_line_that_is_not_utf8(capsys, tmp_path, cooc_model):
    q = _latin1_batch(tmp_path, n=5, bad=3)
    code, _, err = run(capsys, "train", "--model", "popularity", "--data", str(q), "--out", str(tmp_path / "m"))
    assert code == ExitCode.DATA and "queries.jsonl:3: not UTF-8" in err
    code, _, err = run(capsys, "evaluate", str(q), "--model", cooc_model, "--inputs", "tags", "--reveal", "1")
    assert code == ExitCode.DATA and "queries.jsonl:3: not UTF-8" in err


def test_utf8_bom_is_skipped(capsys, tmp_path, cooc_model):
    q = tmp_path / "bom.jsonl"
    q.write_bytes(b"\xef\xbb\xbf" + json.dumps({"id": "x", "text": "caf\u00e9", "hashtags": ["pizza"]},
                                                ensure_ascii=False).encode("utf-8") + b"\r\n")
    [rec] = read_records(q)
    assert rec.id == "x" and rec.text == "café" and rec.hashtags == ("pizza",)
    code, out, _ = run(capsys, "suggest", "--batch", str(q), "--model", cooc_model, "--json")
    row = json.loads(out)
    assert code == 0 and row["id"] == "x" and "pizza" not in [s["tag"] for s in row["suggestions"]]


@pytest.mark.parametrize("data, message", [(b"\xff\xfe{\x00\"\x00", "UTF-16"),
                                           (b"\x89PNG\r\n\x1a\n\x00\x00", "binary")])
def test_utf16_or_binary_file_is_one_input_error(capsys, tmp_path, cooc_model, data, message):
    q = tmp_path / "q.jsonl"
    q.write_bytes(data)
    with pytest.raises(InputError, match=message):
        iter_records(q)
    code, out, err = run(capsys, "suggest", "--batch", str(q), "--model", cooc_model)
    assert code == ExitCode.INPUT and message in err and out == ""


# -- 3. --tags read like hashtags in a caption ----------------------------------------------------------------
@pytest.mark.parametrize("spec, tags", [
    ("#pizza.", ["pizza"]),
    ("#pizza#food", ["pizza", "food"]),
    ("food,,#pizza;pasta", ["food", "pizza", "pasta"]),
    ("#Pizza, pizza #PIZZA!", ["pizza"]),
    ("  #dog   #park ", ["dog", "park"]),
    ("#sun_set #東京 #café", ["sun_set", "東京", "café"]),
    ("", []),
])
def test_tag_list_is_read_like_caption_hashtags(spec, tags):
    assert parse_tag_list(spec)[0] == tags
    caption = " ".join("#" + t for t in tags)
    assert parse_hashtags(caption) == tags


def test_tag_list_reports_items_that_are_no_hashtag():
    assert parse_tag_list("#2019 -x food 😀") == (["food"], ["2019", "-x", "😀"])


@pytest.mark.parametrize("spec, own", [("#pizza.", {"pizza"}), ("#pizza#food", {"pizza", "food"}),
                                       ("food,,#pizza;pasta", {"pizza", "food"})])
def test_own_tags_are_not_suggested_back(capsys, cooc_model, spec, own):
    code, out, err = run(capsys, "suggest", "--tags", spec, "--model", cooc_model, "--json", "-k", "6")
    tags = suggested(out)
    assert code == 0 and not own & set(tags)
    assert tags[0] in {"food", "dinner"} - own  # a companion of #pizza ranks first: the tags were understood


def test_tags_note_names_ignored_items(capsys, cooc_model):
    code, _, err = run(capsys, "suggest", "--tags", "#2019 food", "--model", cooc_model, "--json")
    assert code == 0 and "ignored '2019'" in err


# -- 4. caps on what is worth understanding -------------------------------------------------------------------
def test_very_long_hashtag_is_one_word():
    huge = "ab" * 500_000  # a 1 MB hashtag
    assert tag_words(huge) == [huge]
    at_cap = "sunsetbeach" * (MAX_SEGMENTED_TAG_LEN // 11)
    assert tag_words(at_cap)[:2] == ["sunset", "beach"]  # up to the cap hashtags are still segmented


def test_only_the_first_hashtags_of_a_post_are_read_when_suggesting(monkeypatch):
    """Posts keep every tag (stored and training posts lose none); suggesting reads the first MAX_POST_HASHTAGS,
    and still suggests none of the others back."""
    from taglens.model_folder import load_suggester

    many = [f"tag{i}x" for i in range(1000)]
    assert Post(hashtags=tuple(many)).hashtags == tuple(many)
    caption = " ".join("#" + t for t in many)
    assert parse_hashtags(caption) == many and parse_hashtags(caption, limit=5) == many[:5]
    assert parse_tag_list(caption)[0] == many
    model = load_suggester("taglens-base")
    read = []
    monkeypatch.setattr(type(model.source("tag_parts")), "parts", lambda self, tags: read.extend(tags) or {})
    ev, gains, exclude = model.evidence(Post(text=caption, hashtags=("dog",)))
    assert read == (["dog"] + many)[:MAX_POST_HASHTAGS] and exclude == {"dog", *many}


def test_huge_posts_are_answered(capsys):
    caption = " ".join(f"#w{i:06d}q" for i in range(80_000))
    for argv in (["--text", caption], ["--text", "#" + "ab" * 500_000], ["--tags", "a" * 100_000]):
        code, out, err = run(capsys, "suggest", *argv, "--json", "-k", "3", "--min-score", "0")
        assert code == 0, err
        assert len(suggested(out)) == 3


def test_segmenting_a_huge_input_is_capped():
    huge = "sunsetbeach" * 100_000  # 1.1 MB
    words = segment(huge)
    assert "".join(words) == huge  # no character lost
    assert words[:2] == ["sunset", "beach"]
    assert words[-1] == huge[MAX_SEGMENT_LEN:]  # beyond the cap the rest is one word
    long_ok = "sunsetbeach" * 100  # 1,100 characters: segmented piece by piece, wholly
    assert "".join(segment(long_ok)) == long_ok and max(len(w) for w in segment(long_ok)) < 12


# -- 5. minor ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("content", [b"", b"\n  \n\n"])
def test_empty_batch_says_so(capsys, tmp_path, cooc_model, content):
    q = tmp_path / "empty.jsonl"
    q.write_bytes(content)
    code, out, err = run(capsys, "suggest", "--batch", str(q), "--model", cooc_model)
    assert code == 0 and out == "" and f"no posts in {q}" in err


@pytest.mark.parametrize("k", ["0", "-1", "two"])
def test_bad_k_is_a_usage_error(capsys, cooc_model, k):
    with pytest.raises(SystemExit) as exc:
        main(["suggest", "--tags", "food", "--model", cooc_model, "-k", k])
    assert exc.value.code == ExitCode.USAGE
    assert "-k" in capsys.readouterr().err
