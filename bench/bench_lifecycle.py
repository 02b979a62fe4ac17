"""Per-order cost of `fire`, of the bulk path and of a bare dict table; `validate_update` cost.

Run: `.venv/bin/python bench/bench_lifecycle.py [--orders N]`. Prints each figure and its
ratio to the dict baseline measured in the same run (machines here are noisy).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import timeit
from typing import TYPE_CHECKING

import attrs

from lifecycle import Event, OrderStatus, apply_bulk, fire, validate_update
from lifecycle._table import DEST

if TYPE_CHECKING:
    from collections.abc import Callable


@attrs.define(eq=False)
class Record:
    """The smallest order: the machine needs only `status`."""

    status: OrderStatus


def _pending(count: int) -> list[Record]:
    return [Record(OrderStatus.PENDING) for _ in range(count)]


def _best_of(runs: int, count: int, work: Callable[[list[Record]], object]) -> float:
    """Best wall time of `runs` runs over fresh Pending orders, in seconds."""
    best = float("inf")
    for _ in range(runs):
        orders = _pending(count)
        started = time.perf_counter()
        work(orders)
        best = min(best, time.perf_counter() - started)
    return best


def dict_baseline(orders: list[Record]) -> None:
    """The floor: one dict lookup and one attribute store per order."""
    table = DEST
    accept = Event.ACCEPT
    for order in orders:
        order.status = table[order.status, accept]


def bulk_path(orders: list[Record]) -> None:
    """The library's bulk path."""
    apply_bulk(orders, Event.ACCEPT)


def through_transitions(orders: list[Record]) -> None:
    """One `fire` per order, through the shared `transitions` machine."""
    for order in orders:
        fire(order, Event.ACCEPT)


ADDRESS_CHANGE = {
    "shipping_address": {
        "address1": "742 Evergreen Terrace",
        "address2": "Apt. 23",
        "city": "Springfield",
        "province_name": "Oregon",
        "province_code": "OR",
        "postal_code": "97477",
        "country_name": "United States",
        "country_code": "US",
    }
}


def main() -> None:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=1_000_000, help="orders per run")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (best kept)")
    args = parser.parse_args()
    count: int = args.orders

    cpu = platform.processor() or platform.machine()
    print(f"machine: {cpu}, {os.cpu_count()} cores, python {sys.version.split()[0]}")
    print(f"orders per run: {count:,}, best of {args.runs}")
    base = _best_of(args.runs, count, dict_baseline)
    bulk = _best_of(args.runs, count, bulk_path)
    machine = _best_of(1, count, through_transitions)
    for name, seconds in (("dict baseline", base), ("bulk path", bulk), ("fire()", machine)):
        per = seconds / count * 1e9
        ratio = seconds / base
        print(f"{name:>14}: {seconds:8.3f} s total, {per:9.1f} ns/order, {ratio:6.2f}x baseline")
    print(f"target: bulk path within 3x of the dict baseline -> {bulk / base:.2f}x")

    loops = 50_000
    per_call = (
        min(
            timeit.repeat(
                lambda: validate_update(OrderStatus.PENDING, ADDRESS_CHANGE), number=loops, repeat=5
            )
        )
        / loops
    )
    print(f"validate_update (address change): {per_call * 1e6:.2f} us/call (target < 20 us)")


if __name__ == "__main__":
    main()
