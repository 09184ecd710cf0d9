"""Arguments that do not go together are usage errors (exit 2); odd inputs get the exit code of their kind."""
from __future__ import annotations

import json
import subprocess
import sys

from taglens.cli import main
from taglens.exceptions import ExitCode


def test_batch_with_a_caption_is_a_usage_error(tmp_path, capsys):
    queries = tmp_path / "q.jsonl"
    queries.write_text(json.dumps({"id": "1", "text": "hello"}) + "\n")
    assert main(["suggest", "--batch", str(queries), "--text", "hi"]) == ExitCode.USAGE
    assert "--batch takes its posts from the file" in capsys.readouterr().err
    assert main(["suggest", "--text", "a", "--text-file", str(queries), "--model", "popularity"]) == ExitCode.USAGE


def test_caption_from_a_file_or_stdin(tmp_path, capsys):
    caption = tmp_path / "caption.txt"
    caption.write_text("sunset at the beach #travel " * 6000)  # 168 KB: over Linux's 128 KiB for one argument
    assert main(["suggest", "--text-file", str(caption), "--json", "-k", "3"]) == 0
    tags = [s["tag"] for s in json.loads(capsys.readouterr().out)["suggestions"]]
    assert len(tags) == 3 and "travel" not in tags
    proc = subprocess.run([sys.executable, "-m", "taglens", "suggest", "--text-file", "-", "--json", "-k", "3"],
                          input="Slow Sunday morning, first cup of the day #coffee", capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    tags = [s["tag"] for s in json.loads(proc.stdout)["suggestions"]]
    assert len(tags) == 3 and "coffee" not in tags
    assert main(["suggest", "--text-file", str(tmp_path / "missing.txt")]) == ExitCode.INPUT
    assert "missing.txt: cannot read the caption" in capsys.readouterr().err


def test_bad_set_and_inputs_are_usage_errors(tmp_path, capsys):
    data = tmp_path / "p.jsonl"
    data.write_text(json.dumps({"id": "1", "hashtags": ["a", "b"]}) + "\n")
    assert main(["train", "--model", "popularity", "--data", str(data), "--out", str(tmp_path / "m"),
                 "--set", "epochs"]) == ExitCode.USAGE
    assert main(["evaluate", str(data), "--model", "popularity", "--inputs", "pixels"]) == ExitCode.USAGE
    assert "--inputs" in capsys.readouterr().err


def test_an_empty_video_file_is_a_video_error(tmp_path, capsys):
    (tmp_path / "clip.mp4").write_bytes(b"")
    assert main(["suggest", str(tmp_path / "clip.mp4"), "--model", "popularity"]) == ExitCode.VIDEO
    assert "clip.mp4: empty file, not a video" in capsys.readouterr().err


def test_an_escaping_image_path_names_the_file_and_line(tmp_path, capsys):
    data = tmp_path / "p.jsonl"
    data.write_text(json.dumps({"id": "1", "hashtags": ["a"]}) + "\n"
                    + json.dumps({"id": "2", "hashtags": ["a"], "images": ["../x.jpg"]}) + "\n")
    assert main(["evaluate", str(data), "--model", "popularity"]) == ExitCode.DATA
    err = capsys.readouterr().err
    assert f"{data}:2: image path '../x.jpg' escapes the folder" in err


def test_collect_without_a_seed_or_with_every_request_failing(tmp_path, capsys):
    assert main(["collect", "--seeds", "#,##", "--source", "mastodon:http://127.0.0.1:9",
                 "--store", str(tmp_path / "s1")]) == ExitCode.USAGE
    # port 9 (discard) is closed here: every request is refused at once, a real network failure
    code = main(["collect", "--seeds", "food", "--source", "mastodon:http://127.0.0.1:9", "--store",
                 str(tmp_path / "s2"), "--rounds", "1", "--max-retries", "0", "--no-progress"])
    assert code == ExitCode.SOURCE
    assert "nothing collected: the request for every hashtag failed (#food)" in capsys.readouterr().err


def test_a_tag_cut_short_is_noted(capsys):
    from taglens.types import parse_tag_list

    assert parse_tag_list("#new-york #pizza. food") == (["new", "pizza", "food"], ["-york"])
    assert main(["suggest", "--tags", "#new-york", "-k", "3"]) == 0
    assert "ignored '-york' in --tags" in capsys.readouterr().err


def test_ctrl_c_while_the_commands_load_is_interrupted_without_a_traceback(monkeypatch, capsys):
    """Ctrl+C during start-up (the commands' modules take seconds to import on a busy machine) answers as during a
    command: 'interrupted' and exit code 130, not a KeyboardInterrupt traceback."""
    import taglens.cli as cli

    def interrupted():
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "build_parser", interrupted)
    assert main(["segment", "sunsetbeach"]) == ExitCode.INTERRUPTED == 130
    err = capsys.readouterr().err
    assert "interrupted" in err and "Traceback" not in err
