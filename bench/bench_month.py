"""A simulated month: D days of N new orders a day through `create_order`, then to delivery.

Run: `.venv/bin/python bench/bench_month.py [--days D] [--per-day N] [--profile]`.

Each simulated day is 24 one-hour chunks: advance the clock one hour (the timeline runs the
batch and every due production, shipping and delivery step), then create that hour's share
of the day's orders through `Simulator.create_order` with realistic requests (a consumer, a
US address, one line of two pouches). After the last day the clock moves on a day at a time
until no order is Pending, Accepted, In Production or Shipped. Creating and advancing are
timed separately.

Baseline, measured in the same run: the same number of bare SQLite INSERTs (each its own
transaction, as a create is) of the very documents the run stored, under the store's pragmas.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sqlite3
import time
from datetime import UTC, datetime

from _bench import SQLITE_PRAGMAS, Stopwatch, create_request, machine_line

from simulator import Simulator

# Monday 2026-11-02, 00:00 Pacific (daylight saving has just ended).
START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
OPEN = ("Pending", "Accepted", "In Production", "Shipped")
TARGET_SECONDS = 60.0
TARGET_DAYS, TARGET_PER_DAY = 30, 10_000
HOUR = 3600.0
DAY = 24 * HOUR
MAX_EXTRA_DAYS = 60


class Month:
    """One simulated month and its timings."""

    def __init__(self, days: int, per_day: int) -> None:
        """Set up an empty world (not timed)."""
        self.days = days
        self.per_day = per_day
        self.sim = Simulator(start=START, seed=1)
        self.products = [product["id"] for product in self.sim.list_products()]
        self.created = 0
        self.events = 0
        self.extra_days = 0
        self.create_time = Stopwatch()
        self.advance_time = Stopwatch()

    def run(self) -> None:
        """Create every order, then advance until none is still on its way."""
        for _day in range(self.days):
            for hour in range(24):
                self._advance(HOUR)
                share = self.per_day * (hour + 1) // 24 - self.per_day * hour // 24
                self._create(share)
        while self.sim.count_orders({"status": list(OPEN)}) and self.extra_days < MAX_EXTRA_DAYS:
            self._advance(DAY)
            self.extra_days += 1

    def _advance(self, seconds: float) -> None:
        with self.advance_time:
            self.events += self.sim.advance(seconds=seconds).events_applied

    def _create(self, count: int) -> None:
        requests = [create_request(self.created + k, self.products) for k in range(count)]
        with self.create_time:
            for request in requests:
                self.sim.create_order(request)
        self.created += count

    def statuses(self) -> dict[str, int]:
        """How many orders ended in each status."""
        rows = self.sim.store.query("SELECT status, COUNT(*) FROM orders GROUP BY status")
        return dict(rows)

    def documents(self) -> list[str]:
        """The stored order documents, oldest first."""
        return [doc for (doc,) in self.sim.store.query("SELECT doc FROM order_docs ORDER BY seq")]


def bare_inserts(documents: list[str]) -> Stopwatch:
    """The floor: one INSERT per document, each committed, into a plain in-memory table."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    for pragma in SQLITE_PRAGMAS["memory"]:
        conn.execute(pragma)
    conn.execute("CREATE TABLE t (seq INTEGER PRIMARY KEY, doc TEXT NOT NULL)")
    with Stopwatch() as watch:
        for doc in documents:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO t (doc) VALUES (?)", (doc,))
            conn.execute("COMMIT")
    conn.close()
    return watch


def main() -> None:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=TARGET_DAYS, help="days of new orders")
    parser.add_argument("--per-day", type=int, default=TARGET_PER_DAY, help="new orders a day")
    parser.add_argument("--profile", action="store_true", help="print a CPU-time profile")
    args = parser.parse_args()

    print(machine_line())
    print(f"{args.days} days x {args.per_day:,} orders/day via create_order, one-hour chunks")
    month = Month(args.days, args.per_day)
    profiler = cProfile.Profile(time.process_time) if args.profile else None
    if profiler is not None:
        profiler.enable()
    month.run()
    if profiler is not None:
        profiler.disable()
    documents = month.documents()
    bare = bare_inserts(documents)
    count = month.created
    create, advance = month.create_time, month.advance_time
    total, total_cpu = create.total + advance.total, create.cpu_total + advance.cpu_total
    print(f"orders: {count:,}; status changes by the timeline: {month.events:,}")
    print(f"clock moved {args.days} days + {month.extra_days} more until none was on its way")
    print(f"final statuses: {month.statuses()}")
    print(f"{'':>22}  {'wall':>8}  {'CPU':>8}  {'orders/s':>9}  {'us/order':>8}  {'x bare':>6}")
    for name, seconds, cpu in (
        ("create_order", create.total, create.cpu_total),
        ("timeline (advance)", advance.total, advance.cpu_total),
        ("total", total, total_cpu),
        ("bare INSERT baseline", bare.total, bare.cpu_total),
    ):
        print(
            f"{name:>22}: {seconds:7.2f}s  {cpu:7.2f}s  {count / seconds:9,.0f}  "
            f"{seconds / count * 1e6:8.1f}  {seconds / bare.total:6.2f}"
        )
    size = sum(map(len, documents)) / len(documents)
    print(
        f"(baseline: {len(documents):,} documents of {size:,.0f} characters, one transaction each)"
    )
    scaled = total * (TARGET_DAYS * TARGET_PER_DAY) / count
    verdict = "PASS" if scaled < TARGET_SECONDS else "FAIL"
    note = "" if count == TARGET_DAYS * TARGET_PER_DAY else f" (scaled linearly from {count:,})"
    print(
        f"target: 30 days x 10,000 orders/day to delivery < {TARGET_SECONDS:.0f} s -> "
        f"{scaled:.1f} s wall{note} ({total_cpu / total:.0%} of it on CPU), "
        f"{total / bare.total:.1f}x bare INSERT: {verdict}"
    )
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)


if __name__ == "__main__":
    main()
