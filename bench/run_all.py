"""Run every benchmark in `bench/` in turn, at modest sizes, and print what each prints.

Run: `.venv/bin/python bench/run_all.py [--full]` (`make bench` runs it without `--full`).
The modest sizes take a few minutes on a 2-core machine and print the same figures,
ratios and target lines as the full runs; a target line then says it was scaled from the
smaller size. `--full` runs each script at its own defaults, the sizes the targets name
(about half an hour). A new `bench_*.py` is picked up with its defaults.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODEST: dict[str, list[str]] = {
    "bench_lifecycle.py": ["--orders", "100000"],
    "bench_batch.py": ["--orders", "100000"],
    "bench_month.py": ["--days", "3", "--per-day", "2000"],
    "bench_memory.py": ["--orders", "10000"],
    "bench_http.py": ["--seconds", "2", "--orders", "50"],
}
"""Arguments for a quick run; a script not listed runs with its defaults."""


def main() -> int:
    """Run the scripts; return non-zero if any of them failed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--full", action="store_true", help="each script's own default sizes")
    args = parser.parse_args()
    failed: list[str] = []
    for script in sorted(HERE.glob("bench_*.py")):
        extra = [] if args.full else MODEST.get(script.name, [])
        print(f"=== {script.name} {' '.join(extra)}".rstrip(), flush=True)
        started = time.perf_counter()
        done = subprocess.run([sys.executable, str(script), *extra], check=False)  # noqa: S603
        print(f"=== {script.name}: exit {done.returncode}, {time.perf_counter() - started:.0f} s\n")
        if done.returncode:
            failed.append(script.name)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
