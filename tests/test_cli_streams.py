"""Issue 18, items 2, 5 and 6, and issue 22: batch input from pipes, FIFOs and endless files; caption files that
never end or never come; over-long lines and captions; absolute paths in a query file; an empty post.

Each run is a real ``python -m taglens`` child with a time limit, so a hang fails the test instead of the suite."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from taglens.exceptions import ExitCode

SRC = Path(__file__).resolve().parents[1] / "src"
MODEL: list[str] = []  # the default model (the only one ready without training)


def taglens(*argv: str, stdin: bytes | None = None, timeout: float = 120, cwd: Path | None = None):
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.run([sys.executable, "-m", "taglens", *argv], input=stdin, capture_output=True, env=env,
                          timeout=timeout, cwd=cwd, stdin=None if stdin is not None else subprocess.DEVNULL)
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode()


def run(capsys, *argv: str):
    """In this process (the model is loaded once for the tests that need answers)."""
    from taglens.cli import main

    code = main(list(argv))
    got = capsys.readouterr()
    return code, got.out, got.err


def _queries(tmp_path: Path, food_images) -> tuple[Path, bytes]:
    shutil.copy(food_images[0], tmp_path / "a.jpg")
    lines = [{"id": "img", "images": ["a.jpg"], "hashtags": ["food"]},
             {"id": "txt", "text": "Morning run along the river #fitness"}]
    data = "".join(json.dumps(x) + "\n" for x in lines).encode()
    (tmp_path / "q.jsonl").write_bytes(data)
    return tmp_path / "q.jsonl", data


def _ids(out: str) -> list:
    return [json.loads(line)["id"] for line in out.splitlines()]


def test_batch_reads_a_pipe_standard_input_and_a_fifo_in_one_pass(tmp_path, food_images):
    q, data = _queries(tmp_path, food_images)
    # a pipe on standard input, named three ways (relative image paths then resolve against the current folder)
    for name in ("-", "/dev/stdin"):
        code, out, err = taglens("suggest", "--batch", name, "--json", *MODEL, stdin=data, cwd=tmp_path)
        assert code == 0, err
        assert _ids(out) == ["img", "txt"] and "no posts" not in err
    # a named FIFO, written by another thread: it used to be read twice (hang) or seen empty
    fifo = tmp_path / "q.fifo"
    os.mkfifo(fifo)

    def write() -> None:
        with open(fifo, "wb") as fh:
            fh.write(q.read_bytes().replace(b'"a.jpg"', json.dumps(str(tmp_path / "a.jpg")).encode()))

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    code, out, err = taglens("suggest", "--batch", str(fifo), "--json", *MODEL, timeout=120)
    writer.join(5)
    assert code == 0, err
    assert _ids(out) == ["img", "txt"]


def test_batch_from_an_endless_or_binary_file_is_an_input_error(tmp_path):
    code, out, err = taglens("suggest", "--batch", "/dev/zero", "--json", *MODEL, timeout=60)
    assert code == ExitCode.INPUT and "binary file" in err and "Traceback" not in err and out == ""


def test_a_line_longer_than_the_limit_is_that_lines_error(tmp_path, capsys):
    from taglens.data.posts import MAX_LINE_BYTES

    q = tmp_path / "q.jsonl"
    with open(q, "w") as fh:
        fh.write(json.dumps({"id": "long", "text": "x" * (MAX_LINE_BYTES * 10)}) + "\n")  # 10 MiB
        fh.write(json.dumps({"id": "after", "text": "sunset at the beach"}) + "\n")
    code, out, err = run(capsys, "suggest", "--batch", str(q), "--json", *MODEL)
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == ExitCode.PARTIAL, err
    assert rows[0]["id"] is None and f"{q}:1: line longer than 1,048,576 bytes" in rows[0]["error"]
    assert rows[1]["id"] == "after" and rows[1]["suggestions"]


def test_a_long_caption_is_cut_with_a_warning(tmp_path, caplog, capsys):
    from taglens.data.posts import MAX_CAPTION_CHARS

    q = tmp_path / "q.jsonl"
    q.write_text(json.dumps({"id": "long", "text": "beach sunset " * MAX_CAPTION_CHARS}) + "\n")
    code, out, err = run(capsys, "suggest", "--batch", str(q), "--json", *MODEL)
    assert code == 0, err
    assert f"only the first {MAX_CAPTION_CHARS} are read" in caplog.text and json.loads(out)["suggestions"]
    caplog.clear()
    code, out, err = run(capsys, "suggest", "--text", "beach sunset " * MAX_CAPTION_CHARS, "--json", *MODEL)
    chars = len("beach sunset ") * MAX_CAPTION_CHARS  # the option named, not "the caption: the caption has ..."
    assert code == 0 and f"--text: the caption has {chars} characters; only the first" in caplog.text


def test_absolute_paths_are_fine_in_a_query_file(tmp_path, food_images, capsys):
    """Issue 22: every post with an absolute path was refused as escaping the folder, even inside it."""
    shutil.copy(food_images[0], tmp_path / "a.jpg")
    q = tmp_path / "q.jsonl"
    q.write_text(json.dumps({"id": "abs", "images": [str(tmp_path / "a.jpg")]}) + "\n"
                 + json.dumps({"id": "outside", "images": [str(food_images[1])]}) + "\n")
    code, out, err = run(capsys, "suggest", "--batch", str(q), "--json", *MODEL)
    assert code == 0, err
    assert [len(json.loads(line)["suggestions"]) for line in out.splitlines()] == [10, 10]


def test_text_file_that_never_ends_or_never_comes(tmp_path, capsys, caplog):
    fifo = tmp_path / "caption.fifo"
    os.mkfifo(fifo)  # nobody writes to it: reading would wait forever
    for path in ("/dev/zero", str(fifo)):
        code, out, err = taglens("suggest", "--text-file", path, "--json", *MODEL, timeout=60)
        assert code == ExitCode.INPUT and "not a regular file" in err and "Traceback" not in err, (path, err)
    big = tmp_path / "big.txt"
    big.write_bytes(b"sunset beach " * 400_000)  # 5.2 MB: read up to 1 MiB, of which the first 10,000 characters
    code, out, err = run(capsys, "suggest", "--text-file", str(big), "--json", *MODEL)
    assert code == 0 and json.loads(out)["suggestions"]
    assert "big.txt: the caption has 1048576 characters; only the first 10000 are read" in caplog.text
    # standard input is read within the same cap, however much comes
    code, out, err = taglens("suggest", "--text-file", "-", "--json", *MODEL, stdin=b"\0" * 5_000_000)
    assert code == ExitCode.INPUT and "standard input" in err
    code, out, err = taglens("suggest", "--text-file", "-", "--json", *MODEL, stdin=b"sunset at the beach")
    assert code == 0 and json.loads(out)["suggestions"]


def test_a_post_with_nothing_in_it_is_a_usage_error():
    """Issue 22: it printed popular tags at score 0.000 and exit 0."""
    code, out, err = taglens("suggest", *MODEL)
    assert code == ExitCode.USAGE and out == ""
    assert "nothing to suggest for" in err and "--text" in err and "--batch" in err
    code, _, err = taglens("suggest", "--text", "   ", "--tags", "", *MODEL)
    assert code == ExitCode.USAGE


def test_tags_that_hold_no_tag_and_an_empty_batch_post_are_refused_too(capsys, tmp_path):
    """``--tags "#"`` parses to no tag, and a batch line with only an id (or a blank caption) holds nothing: both
    were answered with popular tags at score 0.001 (issue 22's defect) where the single post was refused."""
    for tags in ("#", ",, #"):
        code, out, err = run(capsys, "suggest", "--tags", tags, *MODEL)
        assert code == ExitCode.USAGE and out == "" and "nothing to suggest for" in err
    q = tmp_path / "q.jsonl"
    q.write_text('{"id": "blank", "text": "  "}\n{"id": "bare"}\n{"id": "ok", "text": "sunset at the beach"}\n'
                 '{"id": "author", "user": "someone"}\n', encoding="utf-8")
    code, out, err = run(capsys, "suggest", "--batch", str(q), "--json", *MODEL)
    answers = {a["id"]: a for a in map(json.loads, out.splitlines())}
    assert code == ExitCode.PARTIAL and "2 post(s) could not be answered" in err
    for pid in ("blank", "bare"):
        assert "suggestions" not in answers[pid] and "nothing to suggest for" in answers[pid]["error"]
    assert answers["ok"]["suggestions"] and "error" not in answers["author"]  # an author alone is asked about,
    assert answers["author"]["suggestions"] == [] and answers["author"]["left_out_weak"] == 10  # not popular tags
    code, out, err = run(capsys, "suggest", "--user", "someone", *MODEL)  # an author the model does not know
    assert code == 0 and out == "(no suggestions)\n" and "the evidence is weak" in err


def test_an_empty_batch_post_is_taken_out_before_ranking(capsys, tmp_path, monkeypatch, food_images):
    """An empty post was ranked with its chunk (its features read ahead with the others), and only then its answer
    replaced by the error: the model now sees only the posts it answers, and the features read ahead stay with
    their posts (the answers are those of a file without the empty posts)."""
    import taglens.model_folder

    model = taglens.model_folder.load_suggester("taglens-base")
    seen: dict[str, list] = {"features": [], "batch": []}

    class Spy:
        def batch_features(self, posts):
            seen["features"].append([p.text for p in posts])
            return model.batch_features(posts)

        def suggest_batch(self, posts, k=10, **kw):
            seen["batch"].append([p.text for p in posts])
            return model.suggest_batch(posts, k=k, **kw)

        def suggest(self, post, k=10):
            return model.suggest(post, k=k)

    monkeypatch.setattr(taglens.model_folder, "load_suggester", lambda name: Spy())
    shutil.copy(food_images[0], tmp_path / "a.jpg")
    posts = [{"id": "bare"}, {"id": "photo", "images": ["a.jpg"], "text": "dinner"}, {"id": "blank", "text": " "},
             {"id": "caption", "text": "sunset at the beach"}]
    (tmp_path / "q.jsonl").write_text("".join(json.dumps(p) + "\n" for p in posts), encoding="utf-8")
    (tmp_path / "good.jsonl").write_text("".join(json.dumps(p) + "\n" for p in posts[1::2]), encoding="utf-8")
    code, out, err = run(capsys, "suggest", "--batch", str(tmp_path / "q.jsonl"), "--json", "-k", "4")
    assert code == ExitCode.PARTIAL and "2 post(s) could not be answered" in err
    assert seen == {"features": [["dinner", "sunset at the beach"]], "batch": [["dinner", "sunset at the beach"]]}
    answers = [json.loads(line) for line in out.splitlines()]
    assert [a["id"] for a in answers] == ["bare", "photo", "blank", "caption"]
    assert all("nothing to suggest for" in answers[i]["error"] for i in (0, 2))
    code, out, _ = run(capsys, "suggest", "--batch", str(tmp_path / "good.jsonl"), "--json", "-k", "4")
    assert code == 0 and [json.loads(line) for line in out.splitlines()] == answers[1::2]
    seen["batch"].clear()
    (tmp_path / "empty.jsonl").write_text('{"id": "a"}\n{"id": "b", "text": ""}\n', encoding="utf-8")
    code, out, _ = run(capsys, "suggest", "--batch", str(tmp_path / "empty.jsonl"), "--json")
    assert code == ExitCode.PARTIAL and len(out.splitlines()) == 2 and seen["batch"] == []  # nothing to rank


def test_the_batch_line_format_is_documented():
    code, out, _ = taglens("suggest", "--help")
    assert code == 0
    for field in ('"id"', "id        required", "images", "absolute", "hashtags", "standard input"):
        assert field in out
    readme = (SRC.parent / "README.md").read_text()
    assert "id" in readme and "### Batch queries" in readme


@pytest.mark.parametrize("path, ok", [("images/../images/x.jpg", True), ("./images/x.jpg", True),
                                      ("images/../../x.jpg", False), ("/etc/x.jpg", False), ("..", False)])
def test_a_dataset_path_escapes_only_if_it_leaves_the_folder(tmp_path, path, ok):
    from taglens.data.posts import resolve_media_path
    from taglens.exceptions import PathEscapeError

    if ok:
        assert resolve_media_path(tmp_path, path) == tmp_path / "images" / "x.jpg"
    else:
        with pytest.raises(PathEscapeError, match="escapes"):
            resolve_media_path(tmp_path, path)


def test_batch_answers_a_chunk_while_the_pipe_still_waits(tmp_path):
    """The next chunk is read ahead in another thread: answers to a full chunk come out while the writer still
    holds the pipe open (a writer that waits for them before it sends more is not stuck)."""
    from taglens.commands.suggest import BATCH_CHUNK

    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.Popen([sys.executable, "-m", "taglens", "suggest", "--batch", "-", "--json", *MODEL],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
                            cwd=tmp_path)
    timer = threading.Timer(240, proc.kill)
    timer.start()
    try:
        for i in range(BATCH_CHUNK):
            proc.stdin.write(json.dumps({"id": str(i), "text": "sunset at the beach"}).encode() + b"\n")
        proc.stdin.flush()
        first = [json.loads(proc.stdout.readline()) for _ in range(BATCH_CHUNK)]  # the pipe is still open
        assert [r["id"] for r in first] == [str(i) for i in range(BATCH_CHUNK)]
        assert all(r["suggestions"] for r in first)
        proc.stdin.write(json.dumps({"id": "last", "text": "coffee time"}).encode() + b"\n")
        proc.stdin.close()
        assert json.loads(proc.stdout.readline())["id"] == "last"
        assert proc.wait() == 0
    finally:
        timer.cancel()
        proc.kill()


def test_a_broken_photo_in_a_later_chunk_is_that_posts_error(tmp_path, food_images, capsys):
    """Photos are decoded ahead of the chunk being answered: an unreadable one is still its own post's error, the
    other posts of its chunk are answered, and every answer comes in input order."""
    from taglens.cli import main
    from taglens.commands.suggest import BATCH_CHUNK

    for i, photo in enumerate(food_images[:3]):
        shutil.copy(photo, tmp_path / f"{i}.jpg")
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff nope")
    n = 2 * BATCH_CHUNK + 5
    bad = BATCH_CHUNK + 3
    lines = [{"id": str(i), "images": ["broken.jpg" if i == bad else f"{i % 3}.jpg"], "text": "dinner"}
             for i in range(n)]
    (tmp_path / "q.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    code = main(["suggest", "--batch", str(tmp_path / "q.jsonl"), "--json", "-k", "3"])
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == ExitCode.PARTIAL
    assert [r["id"] for r in rows] == [str(i) for i in range(n)]
    assert [i for i, r in enumerate(rows) if "error" in r] == [bad] and "broken.jpg" in rows[bad]["error"]
    # one photo, one answer: the chunk holding the bad photo is answered post by post (``suggest``), whose scores
    # may differ from ``suggest_batch``'s batched products in the sixth decimal, so scores are compared to 1e-5
    same = [rows[i]["suggestions"] for i in (0, 3, BATCH_CHUNK + 4)]
    assert all([(s["tag"], s["source"], s["reason"]) for s in a] == [(s["tag"], s["source"], s["reason"]) for s in b]
               and all(abs(x["score"] - y["score"]) <= 1e-5 for x, y in zip(a, b)) for a, b in zip(same, same[1:]))


def test_batch_prepares_up_to_two_chunks_ahead_and_hands_over_errors_in_order():
    """`suggest --batch` prepares chunks in one thread up to two ahead of the one being answered (one waiting, one
    being made), never more, so neither the ranking nor the encoding waits where one chunk takes longer; an
    error of the preparer comes to the caller after the chunks made before it."""
    import time

    from taglens.commands.suggest import _Ahead

    made: list[int] = []
    values = iter(range(10))

    def make():
        value = next(values, None)
        made.append(value)
        return value

    def made_reaches(n: int) -> None:
        deadline = time.monotonic() + 30
        while len(made) < n and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.2)  # time for one more, were the thread to make it
        assert len(made) == n, made

    ahead = iter(_Ahead(make))
    assert next(ahead) == 0
    made_reaches(3)  # 1 waiting, 2 made and waiting for room
    assert next(ahead) == 1
    made_reaches(4)
    assert list(ahead) == [2, 3, 4, 5, 6, 7, 8, 9]

    def failing():
        value = next(values, None)
        if value is None:
            raise ValueError("the preparer failed")
        return value

    values = iter(range(2))
    ahead = iter(_Ahead(failing))
    assert [next(ahead), next(ahead)] == [0, 1]
    with pytest.raises(ValueError, match="the preparer failed"):
        next(ahead)


def test_batch_warms_the_model_up_while_its_first_chunk_is_prepared(capsys, tmp_path, monkeypatch, food_images):
    """`suggest --batch` loads what a first ranking reads (``warm_up``: the topic rows, the segmenter, the junk
    filter's word lists) in the calling thread while the read-ahead thread decodes and encodes the first chunk, not
    one after the other once the chunk is ready (issue 21); the answers are the same as without it."""
    import threading

    import taglens.model_folder

    model = taglens.model_folder.load_suggester("taglens-base")
    warming = threading.Event()
    seen: dict[str, list] = {"warm_up": [], "overlapped": []}

    class Spy:
        def warm_up(self):
            seen["warm_up"].append(threading.current_thread() is threading.main_thread())
            warming.set()
            model.warm_up()

        def batch_features(self, posts):
            seen["overlapped"].append(warming.wait(10))  # the first chunk is still being prepared
            return model.batch_features(posts)

        def suggest_batch(self, posts, k=10, **kw):
            return model.suggest_batch(posts, k=k, **kw)

        def suggest(self, post, k=10):
            return model.suggest(post, k=k)

    shutil.copy(food_images[0], tmp_path / "a.jpg")
    posts = [{"id": "photo", "images": ["a.jpg"], "text": "dinner"}, {"id": "caption", "text": "sunset at the beach"}]
    (tmp_path / "q.jsonl").write_text("".join(json.dumps(p) + "\n" for p in posts), encoding="utf-8")
    code, plain, _ = run(capsys, "suggest", "--batch", str(tmp_path / "q.jsonl"), "--json", "-k", "5")
    assert code == 0
    monkeypatch.setattr(taglens.model_folder, "load_suggester", lambda name: Spy())
    code, out, _ = run(capsys, "suggest", "--batch", str(tmp_path / "q.jsonl"), "--json", "-k", "5")
    assert code == 0 and seen == {"warm_up": [True], "overlapped": [True]}
    assert out == plain
    assert model.__dict__.get("_prepared")  # the topic rows, the ImageNet tag map and the agreement table


def test_a_failing_warm_up_leaves_the_batch_to_its_posts(capsys, tmp_path, monkeypatch):
    """A warm-up that meets an error (a resource that cannot be loaded) does not end `suggest --batch`: the posts are
    ranked as before it existed, and any of them that needs the resource says so in its own line."""
    import taglens.model_folder
    from taglens.exceptions import ModelError

    model = taglens.model_folder.load_suggester("taglens-base")

    class Spy:
        def warm_up(self):
            raise ModelError("a resource cannot be loaded")

        def batch_features(self, posts):
            return model.batch_features(posts)

        def suggest_batch(self, posts, k=10, **kw):
            return model.suggest_batch(posts, k=k, **kw)

        def suggest(self, post, k=10):
            return model.suggest(post, k=k)

    (tmp_path / "q.jsonl").write_text('{"id": "a", "text": "sunset at the beach"}\n', encoding="utf-8")
    monkeypatch.setattr(taglens.model_folder, "load_suggester", lambda name: Spy())
    code, out, err = run(capsys, "suggest", "--batch", str(tmp_path / "q.jsonl"), "--json", "-k", "3")
    assert code == 0 and json.loads(out)["suggestions"] and "cannot be loaded" not in err
