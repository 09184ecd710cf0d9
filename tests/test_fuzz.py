"""Fuzz: ``suggest`` (one post and --batch), ``segment`` and the posts reader on random and mutated inputs (bytes,
JSON lines, images, GIFs, clips; see fuzz_inputs.py), each run in a child process under an address-space limit
(resource.setrlimit) and a time limit. Nothing may end in a traceback, a hang, a MemoryError, or an exit code
outside the README's table (and not 1, the unexpected error); every batch line gets one answer, and every
suggested tag is a hashtag.

The inputs come from a seed (TAGLENS_FUZZ_SEED, default 0) and their number scales with TAGLENS_FUZZ_SCALE
(default 1, a CI-sized run); ``python bench/bench_fuzz.py`` runs a larger one over several seeds. Each test prints
how many inputs it tried (``pytest -s``)."""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from fuzz_inputs import hashtag_line, media_file, post_line, posts_file

SRC = Path(__file__).resolve().parents[1] / "src"
SCALE = max(1, int(os.environ.get("TAGLENS_FUZZ_SCALE", "1")))
SEED = int(os.environ.get("TAGLENS_FUZZ_SEED", "0"))
MEMORY_LIMIT = 3 << 30  # address space of each child: the default model needs about 2 GiB of it
ALLOWED_EXIT = {0, 2, 3, 4, 5, 6, 7, 9}  # the README's table, less 1 (unexpected error), 8 and 10 (no source/output)


def _limit() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def child(argv: list[str], *, stdin: bytes | None = None, timeout: float, cwd: Path | None = None):
    env = {**os.environ, "PYTHONPATH": str(SRC), "TAGLENS_PROGRESS": "0"}
    try:
        proc = subprocess.run(argv, input=stdin, capture_output=True, env=env, cwd=cwd, timeout=timeout,
                              preexec_fn=_limit, stdin=None if stdin is not None else subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pytest.fail(f"hang: {' '.join(map(str, argv))[:300]} ran over {timeout:.0f}s")
    return proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")


def taglens(*args: str, **kw):
    return child([sys.executable, "-m", "taglens", *args], **kw)


def _check_clean(code: int, err: str, what: str) -> None:
    assert "Traceback" not in err and "MemoryError" not in err, f"{what}: {err[-3000:]}"
    assert code in ALLOWED_EXIT, f"{what}: exit {code}: {err[-3000:]}"


def _media(tmp_path: Path, rng: random.Random, n: int) -> list[Path]:
    folder = tmp_path / "media"
    folder.mkdir()
    return [media_file(rng, folder, i) for i in range(n)]


def test_fuzz_suggest_batch(tmp_path):
    from taglens.types import valid_tag

    rng = random.Random(f"batch-{SEED}")
    media = _media(tmp_path, rng, 24 * SCALE)
    names = [f"media/{p.name}" for p in media] + [str(p) for p in media[:3]]  # relative and absolute
    # no NUL byte: a file with one in its first 4 KB is refused whole as binary (exit 3), tested elsewhere
    lines = [post_line(rng, names, i).replace(b"\0", b"\1") for i in range(60 * SCALE)]
    q = tmp_path / "q.jsonl"
    q.write_bytes(b"\n".join(lines) + b"\n")
    code, out, err = taglens("suggest", "--batch", str(q), "--json", "-k", "5", timeout=300 * SCALE)
    _check_clean(code, err, "suggest --batch")
    assert code in (0, 9), err[-2000:]
    rows = [json.loads(line) for line in out.split("\n") if line]  # not splitlines(): U+2028 may be in a line
    expected = sum(1 for line in (b"\n".join(lines)).split(b"\n") if line.strip())
    assert len(rows) == expected, (len(rows), expected)
    for row in rows:
        assert "id" in row and (("suggestions" in row) != ("error" in row)), row
        assert "MemoryError" not in row.get("error", "") and "Traceback" not in row.get("error", "")
        for s in row.get("suggestions", []):
            assert valid_tag(s["tag"]) == s["tag"], s
    answered = sum("suggestions" in r for r in rows)
    print(f"\nfuzz suggest --batch: {len(media)} media files, {len(lines)} lines -> {answered} answered, "
          f"{len(rows) - answered} errors")


def test_fuzz_suggest_one_post(tmp_path):
    rng = random.Random(f"one-{SEED}")
    media = _media(tmp_path, rng, 3 * SCALE)
    caption = tmp_path / "caption.txt"
    caption.write_bytes(rng.randbytes(rng.randint(0, 3000)))
    tried = 0
    for i in range(0, len(media), 3):
        code, out, err = taglens("suggest", *map(str, media[i:i + 3]), "--text-file", str(caption), "--json",
                                 timeout=180)
        _check_clean(code, err, "suggest")
        if code == 0:
            assert json.loads(out)["suggestions"] is not None
        else:
            assert out == "" and "error:" in err
        tried += len(media[i:i + 3]) + 1
    print(f"\nfuzz suggest: {tried} inputs (media files and a caption of random bytes)")


READER = r"""
import sys, traceback
from pathlib import Path
from taglens.data.posts import iter_records, read_records
from taglens.exceptions import TaglensError
records = errors = 0
for name in sys.argv[1:]:
    for kw in ({}, {"confined": False}):
        try:
            for item in iter_records(name, strict=False, **kw):
                if isinstance(item, Exception):
                    errors += 1
                else:
                    records += 1
                    item.to_post()
        except TaglensError:
            errors += 1
    try:
        read_records(name)
    except TaglensError:
        pass
print(records, errors)
"""


def test_fuzz_posts_reader(tmp_path):
    rng = random.Random(f"reader-{SEED}")
    media = [p.name for p in _media(tmp_path, rng, 4)]
    files = [posts_file(rng, tmp_path, i, media) for i in range(150 * SCALE)]
    code, out, err = child([sys.executable, "-c", READER, *map(str, files)], timeout=120 * SCALE)
    assert code == 0 and "Traceback" not in err, err[-3000:]
    records, errors = map(int, out.split())
    print(f"\nfuzz posts reader: {len(files)} files -> {records} records, {errors} errors")


def test_fuzz_segment(tmp_path):
    rng = random.Random(f"segment-{SEED}")
    lines = [hashtag_line(rng) for _ in range(300 * SCALE)]
    data = b"\n".join(lines) + b"\n"
    for extra in ([], ["--json", "-k", "3"]):
        code, out, err = taglens("segment", *extra, stdin=data, timeout=120 * SCALE)
        _check_clean(code, err, "segment")
        assert code == 0
        assert out.count("\n") == len(lines)
    code, out, err = taglens("segment", *(line.decode("utf-8", "replace").replace("\0", "") or "x"
                                          for line in lines[:50]), timeout=120)
    _check_clean(code, err, "segment ARGS")
    print(f"\nfuzz segment: {len(lines)} stdin lines (twice), 50 arguments")
