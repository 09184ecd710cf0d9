"""`taglens collect / export / stats` end to end against the local Mastodon server."""
from __future__ import annotations

import json

from mastodon_server import MastodonTestServer

from taglens.cli import main
from taglens.data.posts import read_records
from taglens.exceptions import ExitCode


def test_collect_export_stats(server, tmp_path, capsys):
    store, out = tmp_path / "store", tmp_path / "out"
    rc = main(["collect", "--seeds", "#Dog,puppy", "--source", f"mastodon:{server.url}", "--store", str(store),
               "--rounds", "2", "--max-new", "2", "--embedder", "lexical", "--no-synonyms", "--json"])
    assert rc == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out.strip().splitlines()[-1])
    assert report["rounds"] == 2 and report["store"]["posts"] == report["new_posts"] > 60
    assert "posts" in captured.err and "images" in captured.err  # the progress bars (stderr)

    assert main(["export", "--store", str(store), "--out", str(out), "--split", "user", "--json"]) == 0
    counts = json.loads(capsys.readouterr().out)
    recs = read_records(out / "posts.jsonl")
    assert len(recs) == report["store"]["posts"] == counts["files"]["posts.jsonl"]
    assert all(r.source.startswith("mastodon:127.0.0.1") and r.topic for r in recs)
    assert sum(len(r.images) for r in recs) >= len(recs)
    sides = {}
    for part in ("train", "dev", "test"):
        for r in read_records(out / f"{part}.jsonl"):
            sides.setdefault(r.user, set()).add(part)
    assert sides and all(len(s) == 1 for s in sides.values())

    assert main(["stats", "--store", str(store), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["seeds"] == ["dog", "puppy"] and stats["round"] == 1
    assert {h["tag"] for h in stats["hashtags"] if h["origin"] != "seed"}


def test_every_source_failing_is_exit_code_source(world, tmp_path, capsys):
    with MastodonTestServer(world, always_fail={"dog", "puppy", "cat"}) as srv:
        rc = main(["collect", "--seeds", "dog,puppy,cat", "--source", f"mastodon:{srv.url}", "--store",
                   str(tmp_path / "s"), "--no-progress", "--max-retries", "0", "--rounds", "1"])
    assert rc == ExitCode.SOURCE
    err = capsys.readouterr().err
    assert "every source kept failing" in err and "3 hashtags in a row failed" in err
