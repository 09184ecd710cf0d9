"""The fuzz test (tests/test_fuzz.py) at a larger size, over several seeds: ``python bench/bench_fuzz.py [SCALE]
[SEEDS]`` (default 4 and 3). Each run is pytest on tests/test_fuzz.py with TAGLENS_FUZZ_SCALE and
TAGLENS_FUZZ_SEED set; the inputs each test tried are printed, with the time taken."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    scale = int(sys.argv[1]) if len(sys.argv) > 1 else 4
    seeds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    failed = 0
    for seed in range(seeds):
        env = {**os.environ, "TAGLENS_FUZZ_SCALE": str(scale), "TAGLENS_FUZZ_SEED": str(seed),
               "PYTHONPATH": str(REPO / "src")}
        start = time.monotonic()
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider",
                               str(REPO / "tests" / "test_fuzz.py")], env=env, capture_output=True, text=True)
        lines = [line for line in proc.stdout.splitlines() if line.startswith("fuzz ")]
        print(f"seed {seed}, scale {scale}: exit {proc.returncode} in {time.monotonic() - start:.0f}s")
        for line in lines:
            print("  " + line)
        if proc.returncode:
            failed += 1
            print(proc.stdout[-4000:])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
