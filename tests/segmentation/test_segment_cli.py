"""``taglens segment``: arguments, stdin, --json and top-k output."""
from __future__ import annotations

import io
import json

from taglens.cli import main


def test_segment_arguments_plain(capsys):
    assert main(["segment", "sunsetbeachvibes", "#SanDiegoZoo"]) == 0
    assert capsys.readouterr().out.splitlines() == ["sunset beach vibes", "san diego zoo"]


def test_segment_reads_stdin_when_no_arguments(capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("nowplaying\n\n#\ninmyopinion\r\n"))
    assert main(["segment"]) == 0
    assert capsys.readouterr().out.split("\n") == ["now playing", "", "", "in my opinion", ""]


def test_segment_json_lines(capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("sunsetbeachvibes\n"))
    assert main(["segment", "--json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec == {"hashtag": "sunsetbeachvibes", "words": ["sunset", "beach", "vibes"]}


def test_segment_json_topk(capsys):
    assert main(["segment", "--json", "-k", "3", "thegrandmaster"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["words"] == rec["candidates"][0]["words"]
    assert 1 <= len(rec["candidates"]) <= 3
    probs = [c["prob"] for c in rec["candidates"]]
    assert probs == sorted(probs, reverse=True)


def test_segment_large_stdin_keeps_order_and_count(capsys, monkeypatch):
    tags = ["beach", "sunsetbeachvibes", "2019", "", "nowplaying"] * 300
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(tags) + "\n"))
    assert main(["segment"]) == 0
    out = capsys.readouterr().out.split("\n")[:-1]
    assert len(out) == len(tags)
    assert out[:5] == ["beach", "sunset beach vibes", "2019", "", "now playing"]
    assert out[-5:] == out[:5]


def test_segment_no_rerank_option(capsys):
    assert main(["segment", "--no-rerank", "sunsetbeachvibes"]) == 0
    assert capsys.readouterr().out.strip() == "sunset beach vibes"
