"""What the fuzz test (tests/test_fuzz.py) found, each kept as a small test of its own."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from taglens.data.posts import iter_records
from taglens.exceptions import DataError, InputError, VideoError
from taglens.media import check_media_file, load_visuals

FIXTURES = Path(__file__).parent / "fixtures" / "fuzz"


def test_a_video_stream_of_an_unknown_codec_is_a_video_error():
    """It was AttributeError: 'NoneType' object has no attribute 'width', ending a whole --batch run."""
    with pytest.raises(VideoError, match="unknown_codec.mp4: the video's codec is unknown or not supported"):
        load_visuals([FIXTURES / "unknown_codec.mp4"])


def test_a_file_name_too_long_is_an_input_error(tmp_path):
    """It was an OSError out of Path.exists(): 'I/O error ... File name too long', exit 1, ending a --batch run."""
    with pytest.raises(InputError, match="File name too long"):
        check_media_file(tmp_path / ("é" * 300 + ".jpg"))


@pytest.mark.parametrize("line, why", [("[" * 100_000 + "]" * 100_000, "nested too deeply"),
                                       ('{"id": ' + "9" * 5000 + "}", "invalid JSON"),
                                       (b'{"id": "x", "a": ' + b"[" * 100_000 + b"\xff", "not UTF-8")])
def test_json_lines_that_broke_the_reader_are_that_lines_error(tmp_path, line, why):
    """A deep array was a RecursionError traceback, a 5,000-digit integer a ValueError."""
    path = tmp_path / "posts.jsonl"
    data = line if isinstance(line, bytes) else line.encode()
    path.write_bytes(data + b"\n" + json.dumps({"id": "next"}).encode() + b"\n")
    items = list(iter_records(path, strict=False))
    assert isinstance(items[0], DataError) and why in str(items[0])
    assert items[1].id == "next"
