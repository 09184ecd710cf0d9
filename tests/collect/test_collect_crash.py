"""kill -9 a real `python -m taglens collect` mid-crawl (against the local Mastodon server), run the same command
again, and check that nothing was lost or duplicated: the result equals an uninterrupted crawl."""
from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from mastodon_server import MastodonTestServer, World

from taglens.collect.store import Store

SRC = Path(__file__).resolve().parents[2] / "src"


def _command(url: str, store: Path) -> list[str]:
    return [sys.executable, "-m", "taglens", "collect", "--seeds", "dog,puppy", "--source", f"mastodon:{url}",
            "--store", str(store), "--rounds", "2", "--target", "100000", "--max-new", "3", "--no-progress",
            "--embedder", "lexical", "--no-synonyms"]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")])
    return env


def _posts_in(store: Path) -> int:
    db = store / "taglens.sqlite"
    if not db.is_file():
        return 0
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return con.execute("SELECT count(*) FROM posts").fetchone()[0]
        finally:
            con.close()
    except sqlite3.OperationalError:
        return 0


def _run_and_kill(cmd: list[str], store: Path, at_posts: int, timeout: float = 60) -> bool:
    """Start the command, SIGKILL it once the store holds ``at_posts`` posts; False if it finished first."""
    proc = subprocess.Popen(cmd, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + timeout
    try:
        while time.time() < deadline:
            if proc.poll() is not None:
                return False
            if _posts_in(store) >= at_posts:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
                return True
            time.sleep(0.02)
        raise AssertionError("collect neither progressed nor finished")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _snapshot(path: Path) -> dict:
    store = Store(path, create=False)
    db = store.db
    posts = {r[0]: r[1] for r in db.execute("SELECT source_id, round FROM posts")}
    media = sorted(tuple(r) for r in db.execute(
        "SELECT p.source_id, m.position, m.status, m.sha256 FROM post_media m JOIN posts p ON p.id = m.post_id"))
    tags = sorted(tuple(r) for r in db.execute(
        "SELECT p.source_id, t.position, t.tag FROM post_tags t JOIN posts p ON p.id = t.post_id"))
    topics = sorted(tuple(r) for r in db.execute(
        "SELECT p.source_id, t.tag FROM post_topics t JOIN posts p ON p.id = t.post_id"))
    hashtags = sorted((r.tag, r.status.value, r.round) for r in store.hashtags())
    for sha, ext in db.execute("SELECT sha256, ext FROM images"):
        assert hashlib.sha256(store.image_path(sha, ext).read_bytes()).hexdigest() == sha
    n_decisions = db.execute("SELECT count(*) FROM decisions").fetchone()[0]
    store.close()
    return {"posts": posts, "media": media, "tags": tags, "topics": topics, "hashtags": hashtags,
            "decisions": n_decisions}


def test_kill_9_and_resume_loses_and_duplicates_nothing(tmp_path):
    world = World(posts_per_tag=45)
    with MastodonTestServer(world, delay=0.01) as srv:
        reference = tmp_path / "reference"
        done = subprocess.run(_command(srv.url, reference), env=_env(), capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        ref = _snapshot(reference)
        n_round0 = sum(1 for r in ref["posts"].values() if r == 0)
        assert len(ref["posts"]) > n_round0 > 0  # the crawl really expanded

        crashed = tmp_path / "crashed"
        cmd = _command(srv.url, crashed)
        kills = 0
        for at in (15, n_round0 // 2, n_round0 + 10):  # in round 0, later in round 0, in round 1
            kills += _run_and_kill(cmd, crashed, at)
        assert kills >= 2
        final = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=120)
        assert final.returncode == 0, final.stderr
        got = _snapshot(crashed)

    assert got["posts"] == ref["posts"]
    assert got["media"] == ref["media"] and got["tags"] == ref["tags"] and got["topics"] == ref["topics"]
    assert got["hashtags"] == ref["hashtags"]
    assert got["decisions"] == ref["decisions"]  # each expansion round was decided (and logged) once
    expected_media = {s["id"]: len(s["media_attachments"]) for t in ("dog", "puppy") for s in world.statuses[t]}
    per_post: dict[str, int] = {}
    for sid, *_ in got["media"]:
        per_post[sid] = per_post.get(sid, 0) + 1
    assert all(per_post[sid] == n for sid, n in expected_media.items())
