"""Issue 18.3: servers that trickle, bodies that never end, and images that were 404 — against a real HTTP server
on 127.0.0.1 in a thread, through the real ``taglens collect`` in a child process with a time limit (a crawl that
never gives up fails the test by its timeout instead of hanging the suite)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from mastodon_server import jpeg_bytes

from taglens.collect.store import Store

SRC = Path(__file__).resolve().parents[2] / "src"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # quiet
        pass

    def _send(self, code: int, body: bytes, ctype: str = "application/json") -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _trickle(self, first: bytes, forever: bytes, pause: float, ctype: str) -> None:
        """``first``, then ``forever`` repeated, one byte every ``pause`` seconds (0: as fast as possible), with no
        length: the body never ends."""
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Connection", "close")
        self.end_headers()
        try:
            self.wfile.write(first)
            self.wfile.flush()
            stop = time.monotonic() + 120
            while time.monotonic() < stop and not self.server.closing:  # type: ignore[attr-defined]
                if pause:
                    self.wfile.write(forever[:1])
                    self.wfile.flush()
                    time.sleep(pause)
                else:
                    self.wfile.write(forever)
        except OSError:
            pass  # the client gave up, as it should
        self.close_connection = True

    def do_GET(self) -> None:  # noqa: N802 - the http.server hook
        server = self.server
        path = self.path.split("?")[0]
        server.hits.append(path)  # type: ignore[attr-defined]
        if path == "/api/v1/timelines/tag/slowpage":
            return self._trickle(b"[", b" ", 0.05, "application/json")
        if path == "/api/v1/timelines/tag/cat":
            return self._send(200, json.dumps(server.statuses).encode())  # type: ignore[attr-defined]
        if path.startswith("/api/v1/timelines/tag/"):
            return self._send(200, b"[]")
        if path == "/media/good.jpg":
            return self._send(200, jpeg_bytes("good"), "image/jpeg")
        if path == "/media/trickle.jpg":
            return self._trickle(jpeg_bytes("trickle")[:20], b"\0", 0.05, "image/jpeg")
        if path == "/media/endless.jpg":
            return self._trickle(jpeg_bytes("endless")[:20], b"\0" * 65536, 0, "image/jpeg")
        if path == "/media/gone.jpg":
            if server.fixed:  # type: ignore[attr-defined]
                return self._send(200, jpeg_bytes("back again"), "image/jpeg")
            return self._send(404, b"not found", "text/plain")
        return self._send(404, b"not found", "text/plain")


def _status(i: int, names: list[str]) -> dict:
    return {"id": str(1000 + i), "content": f"<p>cat {i} #cat</p>", "tags": [{"name": "cat"}],
            "account": {"id": f"u{i}", "acct": f"user{i}"},
            "media_attachments": [{"type": "image", "url": f"/media/{n}.jpg"} for n in names]}


class SlowServer:
    def __enter__(self) -> "SlowServer":
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.closing = False
        self.httpd.fixed = False
        self.httpd.hits = []
        self.httpd.statuses = [_status(0, ["good"]), _status(1, ["trickle", "good"]), _status(2, ["endless"]),
                               _status(3, ["gone", "good"])]
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.closing = True
        self.httpd.shutdown()
        self.httpd.server_close()


def collect(*argv: str, timeout: float = 90) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.run([sys.executable, "-m", "taglens", "collect", *argv], capture_output=True, text=True,
                          env=env, timeout=timeout, stdin=subprocess.DEVNULL)


def test_a_trickling_page_fails_its_hashtag_after_the_deadline_and_the_crawl_goes_on(tmp_path):
    with SlowServer() as srv:
        start = time.monotonic()
        proc = collect("--seeds", "slowpage,cat", "--source", f"mastodon:{srv.url}", "--store", str(tmp_path / "s"),
                       "--rounds", "1", "--max-retries", "0", "--request-deadline", "1", "--max-image-mb", "0.5",
                       "--no-progress", "--embedder", "lexical", "--no-synonyms", "--json")
        elapsed = time.monotonic() - start
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["failed_tags"] == ["slowpage"] and report["new_posts"] == 4
    assert "not complete after 1s" in proc.stderr or "slowpage" in proc.stderr
    # the trickling image gave up at its deadline, the endless one at the size cap, the 404 was counted
    assert report["missing_images"] == 3 and report["store"]["images_missing"] == 3
    assert "3 image(s) of stored posts could not be fetched" in proc.stderr
    assert elapsed < 60  # each slow request took about its deadline, not forever


def test_an_image_that_was_404_is_counted_and_fetched_again_by_the_next_run(tmp_path, capsys):
    store = tmp_path / "s"
    args = ["--seeds", "cat", "--store", str(store), "--rounds", "1", "--max-retries", "0",
            "--request-deadline", "1", "--max-image-mb", "0.5", "--no-progress", "--embedder", "lexical",
            "--no-synonyms"]
    with SlowServer() as srv:
        first = collect(*args, "--source", f"mastodon:{srv.url}")
        assert first.returncode == 0, first.stderr
        from taglens.cli import main

        capsys.readouterr()
        assert main(["stats", "--store", str(store)]) == 0
        assert "images not fetched: 3" in capsys.readouterr().out
        srv.httpd.fixed = True  # the server is back
        srv.httpd.hits.clear()
        second = collect(*args, "--source", f"mastodon:{srv.url}", "--json")
    assert second.returncode == 0, second.stderr
    report = json.loads(second.stdout)
    assert report["retried_images"] == 3 and report["recovered_images"] == 1
    assert report["store"]["images_missing"] == 2
    assert srv.httpd.hits.count("/media/gone.jpg") == 1
    with Store(store, read_only=True) as s:
        post = next(p for p in s.iter_posts() if p["source_id"] == "1003")
        assert len(post["media"]) == 2  # the image that came back, and the good one
