"""A throwaway Ray cluster of several nodes on this machine, for tests and benchmarks: a head and workers, each a
``ray start --block`` process of our own (its own temp dir, ports and CPU count), stopped by process group.

    with LocalCluster(nodes=2, cpus_per_node=1) as cluster:
        subprocess.run(["taglens", "suggest", "--batch", ..., "--engine", "ray", "--address", cluster.address],
                       env=cluster.env)

The nodes share a fresh authentication token (``RAY_AUTH_MODE=token``, ``RAY_AUTH_TOKEN``); nothing is read from
or written to ``~/.ray``. Drivers run in a subprocess with ``cluster.env`` (which holds the token): Ray keeps the
token it first loaded for the life of a process, so a driver in this process would no longer reach an embedded
Ray started later.
"""
from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("", 0))
        return s.getsockname()[1]


class LocalCluster:
    def __init__(self, nodes: int = 2, cpus_per_node: int = 1, object_store_mb: int = 256,
                 env: dict[str, str] | None = None, start_timeout: float = 120.0) -> None:
        self.nodes, self.cpus, self.store = nodes, cpus_per_node, object_store_mb << 20
        self.timeout = start_timeout
        self.root = Path(tempfile.mkdtemp(prefix="taglens-ray-"))
        self.token = secrets.token_hex(32)
        self.env = {**os.environ, **(env or {}), "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": self.token,
                    "RAY_USAGE_STATS_ENABLED": "0"}
        self.env.pop("RAY_AUTH_TOKEN_PATH", None)
        self.procs: list[subprocess.Popen] = []
        self.address = ""

    def _start(self, name: str, extra: list[str]) -> None:
        ray_cli = shutil.which("ray", path=str(Path(sys.executable).parent)) or shutil.which("ray") or "ray"
        ports = ["--node-manager-port", "--object-manager-port", "--runtime-env-agent-port",
                 "--dashboard-agent-grpc-port", "--dashboard-agent-listen-port", "--metrics-export-port"]
        args = [ray_cli, "start", "--block", "--num-cpus", str(self.cpus), "--temp-dir", str(self.root / name),
                "--object-store-memory", str(self.store), "--disable-usage-stats"]
        for flag in ports:
            args += [flag, str(_free_port())]
        log = open(self.root / f"{name}.log", "wb")
        self.procs.append(subprocess.Popen([*args, *extra], env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                           start_new_session=True))

    def start(self) -> "LocalCluster":
        port = _free_port()
        self._start("head", ["--head", "--port", str(port), "--include-dashboard", "false"])
        self.address = f"127.0.0.1:{port}"
        self._wait_for_port(port)
        for i in range(1, self.nodes):
            self._start(f"node{i}", ["--address", self.address])
        self._wait_for_nodes()
        return self

    def _wait_for_port(self, port: int) -> None:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.procs[0].poll() is not None:
                raise RuntimeError(f"ray head exited: {self.log('head')[-2000:]}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    return
            time.sleep(0.5)
        raise RuntimeError(f"ray head did not listen on {port} in {self.timeout:.0f} s")

    def _wait_for_nodes(self) -> None:
        """Wait until every node has registered (read from a short-lived driver in a subprocess)."""
        code = ("import ray, sys; ray.init(address=sys.argv[1], log_to_driver=False); "
                "print(sum(1 for n in ray.nodes() if n['Alive']))")
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            for i, p in enumerate(self.procs):
                if p.poll() is not None:
                    name = f"node{i}" if i else "head"
                    raise RuntimeError(f"ray node {name} exited early: {self.log(name)[-1500:]}")
            out = subprocess.run([sys.executable, "-c", code, self.address], env=self.env, capture_output=True,
                                 text=True, timeout=self.timeout)
            if out.returncode == 0 and out.stdout.strip().splitlines()[-1:] == [str(self.nodes)]:
                return
            time.sleep(1)
        raise RuntimeError(f"the {self.nodes} ray nodes did not all join in {self.timeout:.0f} s")

    def log(self, name: str) -> str:
        try:
            return (self.root / f"{name}.log").read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM to every node's process group (raylet, GCS, workers), SIGKILL to what is left after 15 s."""
        for p in reversed(self.procs):
            _signal_group(p, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for p in reversed(self.procs):
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            _signal_group(p, signal.SIGKILL)  # the group's other processes, even when `ray start` itself exited
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                pass
        self.procs.clear()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "LocalCluster":
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def _signal_group(p: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(p.pid, sig)  # the group this Popen created (start_new_session): only our own processes
    except (ProcessLookupError, PermissionError):
        pass

