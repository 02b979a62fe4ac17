"""`bench_http.py` in this tree and in another checkout, runs alternated, with the ratios.

Run: `.venv/bin/python bench/http_side_by_side.py BASE_CHECKOUT [--pairs P] [--tolerance 0.10]
[-- bench_http options]`. Each pair runs the base checkout's `bench/bench_http.py` with its own
`.venv`, then this tree's, so a change in the machine's load weighs on both alike. Compared:
each scenario's rate against the bare app of the same run (the steady figure on a shared
machine) and its absolute rate, as medians over the pairs, new/base.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
from pathlib import Path

from _bench import machine_line

HERE = Path(__file__).resolve().parent.parent
SCENARIOS = ("okc-sim GET /v2/orders/{id}", "okc-sim 50-order filtered page")
NEWER = ("okc-sim GET /v2/orders/{id} (accepted)", "okc-sim 50-order accepted page")
"""Scenarios a base checkout's `bench_http.py` may not have: compared when both trees print
them, otherwise shown for this tree alone."""
BARE = "bare Starlette GET /orders/{id}"
_ROW = re.compile(r"^\s*(?P<name>.+?)\s+(?P<rps>[0-9]+)\s+[0-9.]+\s+[0-9.]+\s+(?P<ratio>[0-9.]+)\s")


def run(tree: Path, extra: list[str]) -> dict[str, tuple[float, float]]:
    """One `bench_http.py` run in a tree: each scenario's (req/s, x bare)."""
    python = tree / ".venv" / "bin" / "python"
    result = subprocess.run(  # noqa: S603 - a checkout's own interpreter and script
        [str(python), "bench/bench_http.py", *extra],
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
    )
    found: dict[str, tuple[float, float]] = {}
    for line in result.stdout.splitlines():
        match = _ROW.match(line)
        if match and match["name"] in (BARE, *SCENARIOS, *NEWER):
            found[match["name"]] = (float(match["rps"]), float(match["ratio"]))
    missing = {BARE, *SCENARIOS} - set(found)
    if missing:
        raise SystemExit(f"{tree}: no figures for {sorted(missing)} in:\n{result.stdout}")
    return found


def main() -> None:
    """Alternate the two trees, print every pair, the medians and the target lines."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("base", type=Path, help="a checkout of the base commit, with its .venv")
    parser.add_argument("--pairs", type=int, default=3, help="base-then-new runs")
    parser.add_argument("--tolerance", type=float, default=0.10, help="allowed slowdown")
    parser.add_argument("extra", nargs="*", help="options for bench_http.py (after --)")
    args = parser.parse_args()
    extra = args.extra or ["--seconds", "4", "--rounds", "3"]
    print(machine_line())
    print(f"bench_http.py {' '.join(extra)}; base {args.base}, new {HERE}")
    trees = {"base": args.base.resolve(), "new": HERE}
    results: dict[str, list[dict[str, tuple[float, float]]]] = {"base": [], "new": []}
    for pair in range(1, args.pairs + 1):
        for label, tree in trees.items():
            figures = run(tree, extra)
            results[label].append(figures)
            shown = " / ".join(
                f"{figures[name][0]:,.0f} ({figures[name][1]:.2f}x)" for name in SCENARIOS
            )
            print(f"pair {pair} {label:>4}: bare {figures[BARE][0]:,.0f}; GET / page: {shown}")
            sys.stdout.flush()
    for name in NEWER:
        if any(name not in run for runs in results.values() for run in runs):
            rates = [f"{run[name][0]:,.0f} ({run[name][1]:.2f}x)" for run in results["new"]]
            print(f"{name}: new only (the base has no such scenario): {', '.join(rates)}")
    both = [n for n in NEWER if all(n in run for runs in results.values() for run in runs)]
    for name in (*SCENARIOS, *both):
        medians = {
            label: (
                statistics.median(run[name][0] for run in runs),
                statistics.median(run[name][1] for run in runs),
            )
            for label, runs in results.items()
        }
        by_ratio = medians["new"][1] / medians["base"][1]
        by_rate = medians["new"][0] / medians["base"][0]
        print(
            f"{name}: base {medians['base'][0]:,.0f} req/s ({medians['base'][1]:.2f}x bare), "
            f"new {medians['new'][0]:,.0f} req/s ({medians['new'][1]:.2f}x bare); "
            f"new/base {by_ratio:.2f} by the bare ratio, {by_rate:.2f} by rate"
        )
        verdict = "PASS" if by_ratio >= 1 - args.tolerance else "FAIL"
        print(
            f"target: {name} within {args.tolerance:.0%} of the base -> {by_ratio:.2f}: {verdict}"
        )


if __name__ == "__main__":
    main()
