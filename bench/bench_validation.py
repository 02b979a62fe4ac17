"""Per-call cost of `validate_create`, side by side with a base version of the module.

Run: `.venv/bin/python bench/bench_validation.py [--base REV_OR_PATH] [--rounds R] [--calls N]`;
`--only base|new --calls N` makes N calls of one side and times nothing, for an instruction
count: run it under `valgrind --tool=callgrind` with N and with 0, and divide the difference by N.
The base `lifecycle/_validation.py` (by default commit a962b6e's, the "check twins" fast path,
read with `git show`; or a file or a tree given by path) is loaded beside the working tree's.
Both validate the same requests (realistic ones from `_bench.create_request`, the
required-only one, and an invalid one) in rounds, base and new alternated, so drift on this
noisy machine hits both alike. Prints microseconds per call and the ratio new/base.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from _bench import create_request, machine_line

from lifecycle import UpdateRejected, _validation

if TYPE_CHECKING:
    import types
    from collections.abc import Callable

ROOT = Path(__file__).resolve().parent.parent
BASE_REV = "a962b6e"
"""The last commit before the declarative spec: validate_create's fast path of check twins."""

TARGET = 1.25
"""validate_create may take at most this many times the base's time per call."""

PRODUCTS = 40
"""Distinct product ids in the requests, about a seeded catalogue's size."""


def load_base(where: str) -> types.ModuleType:
    """Load a base `_validation` module from a file, a tree, or a git revision of this one."""
    path = Path(where)
    if path.is_dir():
        path = path / "lifecycle" / "_validation.py"
    if not path.is_file():
        source = subprocess.run(  # noqa: S603 - a fixed git command on a revision name
            ["git", "-C", str(ROOT), "show", f"{where}:lifecycle/_validation.py"],  # noqa: S607
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        path = Path(tempfile.mkdtemp()) / "base_validation.py"
        path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("_base_validation", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def requests(count: int) -> dict[str, list[dict[str, Any]]]:
    """The requests each kind of call validates, `count` of them (fewer for the small kinds)."""
    products = [
        str(uuid.UUID(int=(n + 1) * 0x9E3779B97F4A7C15, version=4)) for n in range(PRODUCTS)
    ]
    realistic = [create_request(n, products) for n in range(count)]
    minimal = {
        "consumer": {"first_name": "Ada", "last_name": "Lovelace"},
        "shipping_address": {
            "address1": "1 Main St",
            "city": "Austin",
            "country_name": "United States",
        },
        "order_lines": [{"pouches": [{"contents": [{"client_product_id": products[0]}]}]}],
    }
    invalid = create_request(0, products)
    invalid["consumer"]["email"] = "nobody"
    invalid["order_lines"][0]["duration"] = 0
    return {"realistic": realistic, "required-only": [minimal], "invalid": [invalid]}


def per_call(
    validate: Callable[[object], object], batch: list[dict[str, Any]], calls: int
) -> float:
    """Microseconds per call of `validate` over `calls` calls cycling through `batch`."""
    rounds, rest = divmod(calls, len(batch))
    work = batch * rounds + batch[:rest]
    started = time.perf_counter()
    for payload in work:
        try:  # noqa: SIM105 - contextlib.suppress would be timed too
            validate(payload)
        except UpdateRejected:
            pass
    return (time.perf_counter() - started) / len(work) * 1e6


def only_calls(
    validate: Callable[[object], object], batch: list[dict[str, Any]], calls: int
) -> None:
    """Make `calls` calls of `validate` cycling through `batch`, for an instruction count."""
    for number in range(calls):
        validate(batch[number % len(batch)])


def main() -> None:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", default=BASE_REV, help="git revision, file or tree")
    parser.add_argument("--rounds", type=int, default=15, help="rounds, base and new alternated")
    parser.add_argument("--calls", type=int, default=5000, help="calls per round and kind")
    parser.add_argument(
        "--only", choices=("base", "new"), help="only make --calls calls of one side, untimed"
    )
    args = parser.parse_args()
    base = load_base(args.base)
    implementations = {"base": base.validate_create, "new": _validation.validate_create}
    if args.only:
        only_calls(implementations[args.only], requests(200)["realistic"], args.calls)
        return
    print(machine_line())
    print(f"base: {args.base}; {args.rounds} rounds of {args.calls:,} calls per kind")
    target = 0.0
    for kind, batch in requests(1000).items():
        times: dict[str, list[float]] = {"base": [], "new": []}
        ratios: list[float] = []
        for number in range(args.rounds):
            order = ("base", "new") if number % 2 == 0 else ("new", "base")
            for name in order:
                times[name].append(per_call(implementations[name], batch, args.calls))
            ratios.append(times["new"][-1] / times["base"][-1])
        best = {name: min(values) for name, values in times.items()}
        middle = {name: statistics.median(values) for name, values in times.items()}
        ratio = statistics.median(ratios)
        print(
            f"{kind:>13}: base {best['base']:6.2f} us best, {middle['base']:6.2f} median;"
            f" new {best['new']:6.2f} us best, {middle['new']:6.2f} median;"
            f" new/base {best['new'] / best['base']:.2f} (best), {ratio:.2f} (median of rounds,"
            f" {min(ratios):.2f} to {max(ratios):.2f})"
        )
        if kind == "realistic":
            target = ratio
    verdict = "PASS" if target <= TARGET else "FAIL"
    print(f"target: validate_create within {TARGET}x of the base -> {target:.2f}x: {verdict}")


if __name__ == "__main__":
    main()
