"""How fast the CLI answers before any model work: `taglens --help` and `taglens models` as new processes.

    python bench/bench_cli.py [--runs 10]
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time


def time_command(argv: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    cli = [sys.executable, "-m", "taglens"]
    for label, argv in (("taglens --help", cli + ["--help"]), ("taglens models", cli + ["models"])):
        t = time_command(argv, args.runs)
        print(f"{label:<16} median {statistics.median(t) * 1000:7.1f} ms   max {max(t) * 1000:7.1f} ms  "
              f"({args.runs} runs)")


if __name__ == "__main__":
    main()
