"""`fire()` per call, side by side: this tree against another checkout, runs alternated.

Run: `.venv/bin/python bench/fire_side_by_side.py BASE_CHECKOUT [--rounds R]`. Each round
times every case in a fresh interpreter for each tree (base, then this one), on CPU time
(`time.process_time`), which a busy shared machine disturbs far less than the wall clock;
the best of all rounds is printed per tree and case, with the ratio new/base.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from _bench import machine_line

HERE = Path(__file__).resolve().parent.parent

# Runs inside the child interpreter, with the tree under test first on sys.path.
CHILD = """
import json, sys, time, timeit
sys.path.insert(0, sys.argv[1])
import lifecycle as lc
from lifecycle import Event, OrderStatus as S, fire

class Record:
    __slots__ = ("status",)
    def __init__(self, status):
        self.status = status

def refused(order, event, **context):
    try:
        fire(order, event, **context)
    except lc.IllegalTransition:
        pass

CASES = {
    "accept (Pending)": lambda: fire(Record(S.PENDING), Event.ACCEPT),
    "update (Pending)": lambda: fire(Record(S.PENDING), Event.UPDATE),
    "release, guard holds": lambda: fire(Record(S.ON_HOLD), Event.RELEASE, address_ok=True),
    "ship from Pending (illegal)": lambda: refused(Record(S.PENDING), Event.SHIP),
    "release, guard fails": lambda: refused(Record(S.ON_HOLD), Event.RELEASE, address_ok=False),
}
N = 20_000
print(json.dumps({
    name: min(timeit.repeat(case, number=N, repeat=5, timer=time.process_time)) / N
    for name, case in CASES.items()
}))
"""


def _measure(tree: Path) -> dict[str, float]:
    """Seconds per call of each case, in a fresh interpreter importing `tree`'s lifecycle."""
    out = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", CHILD, str(tree)], check=True, capture_output=True, text=True
    ).stdout
    return {name: float(seconds) for name, seconds in json.loads(out).items()}


def main() -> None:
    """Alternate the two trees for a few rounds and print the best figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("base", type=Path, help="a checkout of the base commit")
    parser.add_argument("--rounds", type=int, default=3, help="alternated rounds (best kept)")
    args = parser.parse_args()
    print(machine_line())
    best: dict[str, dict[str, float]] = {"base": {}, "new": {}}
    for _ in range(args.rounds):
        for label, tree in (("base", args.base.resolve()), ("new", HERE)):
            for name, seconds in _measure(tree).items():
                best[label][name] = min(seconds, best[label].get(name, float("inf")))
    print(f"{'case':<30} {'base us':>9} {'new us':>9} {'new/base':>9}")
    for name, base in best["base"].items():
        new = best["new"][name]
        print(f"{name:<30} {base * 1e6:9.2f} {new * 1e6:9.2f} {new / base:9.2f}")


if __name__ == "__main__":
    main()
