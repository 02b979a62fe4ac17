"""Memory per stored order: an in-memory store of N orders against the bare JSON documents.

Run: `.venv/bin/python bench/bench_memory.py [--orders N] [--traced T] [--accept]`.

N orders are created through `Simulator.create_order` with realistic requests (a consumer,
a US address, one line of two pouches), so every row an order really costs is there: the
order, its consumer, its transaction-log row and their indexes. With `--accept` the clock
then moves past the nightly batch, adding each order's acceptance log row.

Figures per order: the SQLite database size (`page_count * page_size`, and per table and
index where SQLite has the `dbstat` table), the process's resident set growth (RSS, which
includes SQLite's page cache and the allocator's slack) and what Python itself still holds
(tracemalloc; SQLite's own memory is not traced). Tracing makes every allocation several
times slower, so it covers only the first T orders. Baseline: the bare JSON documents, as
`create_order` returns them, serialised (`json.dumps`, UTF-8 bytes).
"""

from __future__ import annotations

import argparse
import gc
import json
import sqlite3
import tracemalloc
from datetime import UTC, datetime, timedelta

from _bench import Stopwatch, create_request, machine_line, rss_bytes

from simulator import Simulator

START = datetime(2026, 11, 2, 16, 0, tzinfo=UTC)
TARGET_RATIO = 2.0
TARGET_ORDERS = 100_000


def database_bytes(conn: sqlite3.Connection) -> int:
    """The database's size: pages in use times the page size."""
    (pages,) = conn.execute("PRAGMA page_count").fetchone()
    (size,) = conn.execute("PRAGMA page_size").fetchone()
    return int(pages) * int(size)


def bytes_by_object(conn: sqlite3.Connection) -> list[tuple[str, int]]:
    """Bytes per table and index, largest first (empty where SQLite lacks `dbstat`)."""
    try:
        rows = conn.execute(
            "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC"
        ).fetchall()
    except sqlite3.OperationalError:
        return []
    return [(str(name), int(size)) for name, size in rows]


def main() -> None:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=TARGET_ORDERS, help="orders to store")
    parser.add_argument("--traced", type=int, default=2_000, help="orders under tracemalloc")
    parser.add_argument("--accept", action="store_true", help="run the batch after creating")
    args = parser.parse_args()
    count: int = args.orders

    print(machine_line())
    print(f"sqlite {sqlite3.sqlite_version}; {count:,} orders via create_order, store in memory")
    sim = Simulator(start=START, seed=1)
    products = [product["id"] for product in sim.list_products()]
    conn = sim.store.conn
    gc.collect()
    rss_before = rss_bytes()
    db_before = database_bytes(conn)
    traced = min(count, args.traced)
    tracemalloc.start()
    doc_bytes = 0
    with Stopwatch() as watch:
        for number in range(count):
            if number == traced:
                gc.collect()
                traced_bytes, _peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
            order = sim.create_order(create_request(number, products))
            doc_bytes += len(json.dumps(order).encode())
        if tracemalloc.is_tracing():
            gc.collect()
            traced_bytes, _peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        if args.accept:
            sim.advance(to=START + timedelta(days=1))
    gc.collect()
    rss_after = rss_bytes()
    db_after = database_bytes(conn)
    print(f"created in {watch.seconds:.1f} s ({watch.cpu:.1f} s CPU); accepted: {args.accept}")

    doc_per = doc_bytes / count
    sqlite_per = (db_after - db_before) / count
    rss_per = (rss_after - rss_before) / count
    traced_per = traced_bytes / traced
    for name, per in (
        ("bare JSON document", doc_per),
        ("SQLite pages", sqlite_per),
        ("RSS growth", rss_per),
        (f"Python heap ({traced:,} traced)", traced_per),
    ):
        print(f"{name:>28}: {per:9,.0f} bytes/order, {per / doc_per:5.2f}x the bare document")
    objects = bytes_by_object(conn)
    if objects:
        print("SQLite bytes per order by table and index:")
        for name, size in objects:
            print(f"{name:>28}: {size / count:9,.0f}")
    verdict = "PASS" if sqlite_per <= TARGET_RATIO * doc_per else "FAIL"
    print(
        f"target: SQLite bytes per stored order <= {TARGET_RATIO:.0f}x its bare JSON document "
        f"-> {sqlite_per / doc_per:.2f}x ({sqlite_per:,.0f} vs {doc_per:,.0f} bytes): {verdict}"
    )
    sim.close()


if __name__ == "__main__":
    main()
