"""`taglens serve` as a user starts it: refusals before anything loads, and several worker processes."""
from __future__ import annotations

import socket

import httpx

from taglens.cli import main
from taglens.exceptions import ExitCode


def test_help_lists_serve(capsys):
    # that --help imports no web framework is checked with the other heavy modules in test_cli_suggest.py
    try:
        main(["--help"])
    except SystemExit:
        pass
    assert "web page and an HTTP API" in capsys.readouterr().out


def test_an_unknown_or_untrained_model_is_refused_before_serving(capsys):
    assert main(["serve", "--model", "taglens-bas", "--port", "1"]) == ExitCode.MODEL
    assert "did you mean taglens-base" in capsys.readouterr().err
    assert main(["serve", "--model", "effnet-mlp", "--port", "1"]) == ExitCode.MODEL
    assert "not trained" in capsys.readouterr().err


def test_a_port_in_use_is_named(capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == ExitCode.ERROR
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


def test_bad_flags_are_usage_errors(capsys):
    for argv in (["serve", "--workers", "0"], ["serve", "--port", "70000"], ["serve", "--timeout", "0"]):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code
        assert code == ExitCode.USAGE, argv
    capsys.readouterr()


def _workers(pid: int) -> list[int]:
    """Process ids of the multiprocessing children of ``pid`` (uvicorn's worker processes)."""
    from pathlib import Path

    found = []
    for proc in Path("/proc").iterdir():
        try:
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmd = (proc / "cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid and b"spawn_main" in cmd:
            found.append(int(proc.name))
    return found


def test_two_workers_each_load_the_model_and_answer(serve, tmp_path):
    import time

    server = serve(tmp_path / "two", "--workers", "2")
    try:
        assert len(_workers(server.proc.pid)) == 2
        answered = 0
        deadline = time.monotonic() + 300
        with httpx.Client(base_url=server.url, timeout=120) as c:
            while answered < 12 and time.monotonic() < deadline:
                r = c.post("/v1/suggest", data={"text": f"beach sunset number {answered}", "k": "3", "min_score": "0"},
                           headers={"connection": "close"})
                if r.status_code == 503 and "loading" in r.json()["error"]:  # the other worker is not ready yet
                    time.sleep(0.5)
                    continue
                assert r.status_code == 200 and len(r.json()["suggestions"]) == 3
                answered += 1
        assert answered == 12
    finally:
        server.stop()
