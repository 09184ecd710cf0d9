"""Request counts and latency histograms of one server process, in Prometheus' text exposition format (0.0.4).

With ``--workers N`` each worker process counts its own requests: a scrape of /metrics reads the worker that
answered it (``worker`` label: its process id).
"""
from __future__ import annotations

import os
import threading
from bisect import bisect_left
from collections import defaultdict

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64)


class _Histogram:
    def __init__(self, buckets: tuple[float, ...]):
        self.buckets = buckets
        self.counts = [0] * (len(buckets) + 1)  # the last one is +Inf
        self.total = 0.0
        self.n = 0

    def observe(self, value: float) -> None:
        self.counts[bisect_left(self.buckets, value)] += 1
        self.total += value
        self.n += 1

    def lines(self, name: str, labels: str) -> list[str]:
        out, running = [], 0
        sep = "," if labels else ""
        for bound, count in zip([*map(_num, self.buckets), "+Inf"], self.counts):
            running += count
            out.append(f'{name}_bucket{{{labels}{sep}le="{bound}"}} {running}')
        out.append(f"{name}_sum{{{labels}}} {self.total:.6f}")
        out.append(f"{name}_count{{{labels}}} {self.n}")
        return out


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[tuple[str, str, int], int] = defaultdict(int)
        self.latency: dict[str, _Histogram] = {}
        self.batches = _Histogram(BATCH_BUCKETS)

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        with self._lock:
            self.requests[(method, route, status)] += 1
            self.latency.setdefault(route, _Histogram(LATENCY_BUCKETS)).observe(seconds)

    def observe_batches(self, sizes: list[int]) -> None:
        with self._lock:
            for size in sizes:
                self.batches.observe(size)

    def render(self, model: str, state: str, queued: int, running: int) -> str:
        worker = f'worker="{os.getpid()}"'
        lines = [
            "# HELP taglens_requests_total HTTP requests answered, by method, route and status.",
            "# TYPE taglens_requests_total counter",
        ]
        with self._lock:
            for (method, route, status), n in sorted(self.requests.items()):
                lines.append(f'taglens_requests_total{{{worker},method="{method}",route="{_esc(route)}",'
                             f'status="{status}"}} {n}')
            lines += ["# HELP taglens_request_duration_seconds Time from request to response, by route.",
                      "# TYPE taglens_request_duration_seconds histogram"]
            for route, hist in sorted(self.latency.items()):
                lines += hist.lines("taglens_request_duration_seconds", f'{worker},route="{_esc(route)}"')
            lines += ["# HELP taglens_model_batch_posts Posts run through the model in one call.",
                      "# TYPE taglens_model_batch_posts histogram"]
            lines += self.batches.lines("taglens_model_batch_posts", worker)
        lines += [
            "# HELP taglens_model_ready 1 once the model is loaded and answering.",
            "# TYPE taglens_model_ready gauge",
            f'taglens_model_ready{{{worker},model="{_esc(model)}",state="{state}"}} {int(state == "ready")}',
            "# HELP taglens_model_queue_jobs Requests waiting for the model.",
            "# TYPE taglens_model_queue_jobs gauge",
            f"taglens_model_queue_jobs{{{worker}}} {queued}",
            "# HELP taglens_model_running_posts Posts in the model call under way (0: idle).",
            "# TYPE taglens_model_running_posts gauge",
            f"taglens_model_running_posts{{{worker}}} {running}",
            "# HELP process_resident_memory_bytes Resident memory of this worker process.",
            "# TYPE process_resident_memory_bytes gauge",
            f"process_resident_memory_bytes{{{worker}}} {rss_bytes()}",
        ]
        return "\n".join(lines) + "\n"


def rss_bytes(pid: int | str = "self") -> int:
    """Resident memory of a process (Linux /proc; 0 where it cannot be read)."""
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _num(x: float) -> str:
    return repr(float(x)) if not float(x).is_integer() else f"{float(x):.1f}"


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
