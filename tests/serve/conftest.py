"""Real `taglens serve` processes on free local ports, for the API and page tests (httpx is the client)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytest.importorskip("fastapi", reason="taglens serve needs FastAPI (pip install -e '.[serve]')")
pytest.importorskip("uvicorn", reason="taglens serve needs uvicorn (pip install -e '.[serve]')")
httpx = pytest.importorskip("httpx")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    port: int
    proc: subprocess.Popen
    tmpdir: Path  # the server's TMPDIR: uploads may pass through it, and must not stay
    log: Path
    # what a client saw while the model loaded: [(method path, status, body)]
    during_load: list[tuple[str, int, dict]] = field(default_factory=list)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_server(root: Path, *args: str, env: dict | None = None, host: str = "127.0.0.1") -> Server:
    """`python -m taglens serve` on a free port; returns once /healthz says ready (probing while it loads)."""
    root.mkdir(parents=True, exist_ok=True)
    tmpdir = root / "tmp"
    tmpdir.mkdir(exist_ok=True)
    port = free_port()
    log = root / "server.log"
    full_env = {**os.environ, "TMPDIR": str(tmpdir), "PYTHONPATH": os.pathsep.join(
        [str(REPO / "src"), os.environ.get("PYTHONPATH", "")]), **(env or {})}
    proc = subprocess.Popen([sys.executable, "-m", "taglens", "serve", "--host", host, "--port", str(port), *args],
                            env=full_env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}", port, proc, tmpdir, log)
    deadline = time.monotonic() + 300
    with httpx.Client(base_url=server.url, timeout=30) as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"taglens serve exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
            try:
                r = client.get("/healthz")
            except httpx.TransportError:
                time.sleep(0.05)
                continue
            if not server.during_load:  # the first answer: the model cannot have loaded yet
                server.during_load.append(("GET /healthz", r.status_code, r.json()))
                s = client.post("/v1/suggest", data={"text": "first request, too early"})
                server.during_load.append(("POST /v1/suggest", s.status_code, s.json()))
            if r.status_code == 200:
                return server
            time.sleep(0.2)
    server.stop()
    pytest.fail(f"taglens serve was not ready within 300 s:\n{log.read_text(errors='replace')}")


@pytest.fixture(scope="session")
def serve():
    """start_server, for tests that need a server of their own."""
    return start_server


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """A server of the default model with default limits."""
    s = start_server(tmp_path_factory.mktemp("serve"))
    yield s
    s.stop()


@pytest.fixture
def client(server):
    with httpx.Client(base_url=server.url, timeout=120) as c:
        yield c


@pytest.fixture(scope="session")
def photo() -> Path:
    return REPO / "examples" / "coffee.jpg"
