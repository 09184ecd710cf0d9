"""`taglens report`: models side by side under the protocol, Markdown + HTML + plots."""
from __future__ import annotations

import json

import pytest

from taglens.cli import main
from taglens.eval.report import SETTINGS, parse_settings
from taglens.exceptions import ExitCode, TaglensError


def test_parse_settings():
    assert len(SETTINGS) == 8 and parse_settings(None) == list(SETTINGS)
    assert parse_settings("images:0,all:1") == [("images r0", ("images",), 0),
                                                ("all r1", ("images", "text", "tags"), 1)]
    with pytest.raises(TaglensError, match="NAME"):
        parse_settings("pixels:0")


def test_report_writes_table_plots_and_json(tmp_path, capsys, synthetic_posts, write_jsonl):
    data = write_jsonl(tmp_path / "posts.jsonl", synthetic_posts(tmp_path / "images", n_per_theme=12))
    out = tmp_path / "report"
    assert main(["report", "--data", str(data), "--models", "popularity,tfidf-linear",
                 "--settings", "text:0,all:1", "--out", str(out)]) == 0
    md = (out / "report.md").read_text()
    assert "| popularity | text r0 |" in md and "| tfidf-linear | all r1 |" in md
    assert (out / "curves.png").stat().st_size > 1000 and (out / "topics.png").is_file()
    from PIL import Image

    assert Image.open(out / "curves.png").size == (1000, 2 * 320)  # a row of P@k and R@k per setting
    html = (out / "report.html").read_text()
    assert html.count("<table>") == 3 and "curves.png" in html and "topics.png" in html  # as the Markdown
    assert "<th>text r0</th>" in html and "<td>tfidf-linear</td>" in html and "<th>topic</th>" in html
    rows = [row for row in md.splitlines() if row.startswith("| tfidf-linear | ") and " / " in row]
    assert rows  # every summary and per-topic figure of the Markdown is in the HTML too
    for row in rows:
        assert all(f"<td>{c.strip()}</td>" in html for c in row.strip("|").split("|")[2:])
    results = json.loads((out / "results.json").read_text())
    assert results["meta"]["split"] == "by user"
    text = next(r for r in results["results"] if r["model"] == "tfidf-linear")
    assert text["settings"]["text r0"]["n"] > 0 and text["train_seconds"] > 0
    assert set(text["per_topic"]) <= {"red", "blue"}
    assert "report written" in capsys.readouterr().err


def test_report_of_unknown_models_only_fails(tmp_path, synthetic_posts, write_jsonl):
    data = write_jsonl(tmp_path / "posts.jsonl", synthetic_posts(tmp_path / "images", n_per_theme=12))
    assert main(["report", "--data", str(data), "--models", "nope", "--settings", "text:0",
                 "--out", str(tmp_path / "r")]) == ExitCode.MODEL


def test_a_split_without_users_is_called_by_post(tmp_path, synthetic_posts, write_jsonl):
    import dataclasses

    posts = [dataclasses.replace(p, user=None) for p in synthetic_posts(tmp_path / "images", n_per_theme=12)]
    data = write_jsonl(tmp_path / "posts.jsonl", posts)
    out = tmp_path / "report"
    assert main(["report", "--data", str(data), "--models", "popularity", "--settings", "tags:1",
                 "--out", str(out)]) == 0
    assert json.loads((out / "results.json").read_text())["meta"]["split"] == "by post"
