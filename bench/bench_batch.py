"""The nightly batch over N Pending orders, against a bare SQLite UPDATE of the same rows.

Run: `.venv/bin/python bench/bench_batch.py [--orders N] [--runs R] [--store memory|file|both]`.

With a file store (`--db`), the commit that ends the batch makes it durable (WAL,
`synchronous=FULL`); copying the log into the database file is left to the store's
background checkpointer, whose time after `advance` returns is printed separately.

Setup (not timed): a real order is created through `Simulator.create_order`; its stored
document (the provider's full order shape) is the template of N orders inserted straight
into the store with `executemany`, each with its own id, name and `created_at` spread over
the day before the batch, Pending since then, and its "create" transaction-log row.
Calling `create_order` N times would take minutes at 1,000,000 (see bench_month.py for
that path). Timed: `sim.advance(to=<the batch instant>)` from a clock already caught up to
one second before it, so only the batch (one INSERT..SELECT of log rows, one UPDATE, one
commit) and the engine's bookkeeping around it run; the batch SQL alone is shown too.

Baseline, measured in the same run under the same pragmas: a plain table holding the same
rows (id, status, the same documents; no secondary indexes) and one
`UPDATE t SET status = 'Accepted' WHERE status = 'Pending'`, committed.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from _bench import SQLITE_PRAGMAS, Stopwatch, create_request, machine_line

from simulator import Simulator

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

# Monday 2026-11-23, 08:00 Pacific; the batch runs at Tuesday 00:00 Pacific.
START = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
BATCH = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
MICROS = 1_000_000
CHUNK = 20_000
TARGET_SECONDS = 5.0
TARGET_ORDERS = 1_000_000


class Template:
    """A stored order document and the parts of it each synthetic order changes."""

    def __init__(self, sim: Simulator) -> None:
        """Create one real order and keep its stored row as the template; then delete it."""
        products = [product["id"] for product in sim.list_products()]
        created = sim.create_order(create_request(1, products))
        self.client_id: str = created["client_id"]
        self.order_id: str = created["id"]
        self.name: str = created["name"]
        self.stamp: str = created["created_at"]
        ((self.doc,),) = sim.store.query(
            "SELECT doc FROM order_docs JOIN orders USING (seq) WHERE id = ?", (self.order_id,)
        )
        with sim.store.transaction() as conn:
            for table in ("orders", "order_docs", "order_log", "consumers"):
                conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names

    def rows(self, count: int, seed: int) -> Iterator[tuple[str, str, int, str]]:
        """`(id, name, created_at, document)` of `count` orders spread over the day."""
        rng = random.Random(seed)
        start = int(START.timestamp()) * MICROS
        span = int((BATCH - START).total_seconds()) * MICROS - MICROS
        for number in range(count):
            order_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            name = f"OR-{10001 + number}"
            created = start + span * number // count
            stamp = (START + timedelta(microseconds=created - start)).isoformat()
            doc = (
                self.doc.replace(self.order_id, order_id)
                .replace(f'"{self.name}"', f'"{name}"')
                .replace(self.stamp, stamp.replace("+00:00", "Z"))
            )
            yield order_id, name, created, doc


def _chunks(rows: Iterator[tuple[str, str, int, str]]) -> Iterator[list[tuple[str, str, int, str]]]:
    chunk: list[tuple[str, str, int, str]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def fill_store(sim: Simulator, template: Template, count: int) -> None:
    """Insert `count` Pending orders and their "create" log rows straight into the store."""
    client = template.client_id
    seq = 0
    for chunk in _chunks(template.rows(count, seed=count)):
        numbered = [(seq + k + 1, *row) for k, row in enumerate(chunk)]
        seq += len(chunk)
        with sim.store.transaction() as conn:
            conn.executemany(
                "INSERT INTO orders (seq, id, client_id, status, name, client_custom_order_id, "
                "source, created_at, updated_at, pending_since, trigger) "
                "VALUES (?, ?, ?, 'Pending', ?, ?, 'v2 API', ?, ?, ?, NULL)",
                [
                    (n, oid, client, name, f"shop-{name}", at, at, at)
                    for n, oid, name, at, _doc in numbered
                ],
            )
            conn.executemany(
                "INSERT INTO order_docs (seq, doc) VALUES (?, ?)",
                [(n, doc) for n, _oid, _name, _at, doc in numbered],
            )
            conn.executemany(
                "INSERT INTO order_log (order_seq, at, column_name, old_data, "
                "new_data, event, actor, reason, prev_updated_at) "
                "VALUES (?, ?, 'status', NULL, 'Pending', 'create', 'client', 'created', NULL)",
                [(n, at) for n, _oid, _name, at, _doc in numbered],
            )


class BatchRun:
    """One run's timings: the advance, the batch SQL inside it, and the two baselines."""

    def __init__(self) -> None:
        """Nothing timed yet."""
        self.advance = Stopwatch()
        self.batch_sql = Stopwatch()
        self.bare_docs = Stopwatch()
        self.bare_plain = Stopwatch()
        self.checkpoint = Stopwatch()
        """A file store: from `advance` returning to the background checkpoint's end."""
        self.doc_bytes = 0
        self.reads: dict[str, float] = {}


def time_batch(run: BatchRun, count: int, db: Path | None) -> None:
    """Build a world of `count` Pending orders and time the batch."""
    sim = Simulator(start=START, seed=1, db=db)
    try:
        template = Template(sim)
        run.doc_bytes = len(template.doc.encode())
        fill_store(sim, template, count)
        sim.advance(to=BATCH - timedelta(seconds=1))
        if sim.store.checkpointer is not None:
            # The setup's own log copied in first, so it does not share the timed batch's CPU.
            sim.store.checkpointer.wait_idle(timeout=600)
        original = sim.timeline._batch  # noqa: SLF001 - timing the batch inside advance

        def timed_batch(conn: sqlite3.Connection, at: int) -> int:
            with run.batch_sql:
                return original(conn, at)

        sim.timeline._batch = timed_batch  # type: ignore[method-assign] # noqa: SLF001
        with run.advance:
            result = sim.advance(to=BATCH)
        if sim.store.checkpointer is not None:
            with run.checkpoint:
                sim.store.checkpointer.wait_idle(timeout=600)
        if result.events_applied != count:
            raise RuntimeError(f"the batch accepted {result.events_applied} of {count} orders")
        run.reads = time_reads(sim, count)
    finally:
        sim.close()


def time_reads(sim: Simulator, count: int) -> dict[str, float]:
    """Seconds for the API's reads over the world after the batch (one call each)."""
    since = {"gte": BATCH.isoformat()}
    reads: dict[str, Callable[[], object]] = {
        "list_orders page (50), no filter": lambda: sim.list_orders(limit=50),
        "list_orders page, status=Accepted": lambda: sim.list_orders({"status": "Accepted"}, 50),
        "list_orders page, updated_at>=batch": lambda: sim.list_orders({"updated_at": since}, 50),
        "count_orders, status=Accepted": lambda: sim.count_orders({"status": "Accepted"}),
    }
    seconds: dict[str, float] = {}
    for name, read in reads.items():
        with Stopwatch() as watch:
            result = read()
        seconds[name] = watch.seconds
        if name.startswith("count") and result != count:
            raise RuntimeError(f"{result} orders are Accepted, not {count}")
    return seconds


def time_bare_update(
    watch: Stopwatch, count: int, db: Path | None, kind: str, *, with_docs: bool
) -> None:
    """The floor: the rows in a plain table, one UPDATE of every Pending row, committed.

    Args:
        watch: where the time goes.
        count: how many rows.
        db: the file, or None for memory.
        kind: "memory" or "file", for the store's pragmas.
        with_docs: each row carries the same document as the world's orders.
    """
    conn = sqlite3.connect(":memory:" if db is None else str(db), isolation_level=None)
    try:
        for pragma in SQLITE_PRAGMAS[kind]:
            conn.execute(pragma)
        conn.execute(
            "CREATE TABLE t (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, status TEXT NOT NULL, "
            "doc TEXT)"
        )
        sim = Simulator(start=START, seed=1)
        template = Template(sim)
        sim.close()
        for chunk in _chunks(template.rows(count, seed=count)):
            conn.execute("BEGIN")
            conn.executemany(
                "INSERT INTO t (id, status, doc) VALUES (?, 'Pending', ?)",
                [(oid, doc if with_docs else None) for oid, _name, _at, doc in chunk],
            )
            conn.execute("COMMIT")
        with watch:
            conn.execute("BEGIN IMMEDIATE")
            cursor = conn.execute("UPDATE t SET status = 'Accepted' WHERE status = 'Pending'")
            conn.execute("COMMIT")
        if cursor.rowcount != count:
            raise RuntimeError(f"the bare UPDATE changed {cursor.rowcount} of {count} rows")
    finally:
        conn.close()


def run_once(count: int, kind: str, where: Path | None) -> BatchRun:
    """Time the batch and both baselines once, each on a fresh database."""
    run = BatchRun()
    with tempfile.TemporaryDirectory(dir=where) as tmp:
        memory = kind == "memory"
        time_batch(run, count, None if memory else Path(tmp) / "world.db")
        time_bare_update(
            run.bare_docs, count, None if memory else Path(tmp) / "docs.db", kind, with_docs=True
        )
        time_bare_update(
            run.bare_plain, count, None if memory else Path(tmp) / "plain.db", kind, with_docs=False
        )
    return run


def report(kind: str, count: int, runs: list[BatchRun]) -> str:
    """Print the best of the runs for one kind of store; return its target line."""
    best = {
        name: min(runs, key=lambda run: getattr(run, name).seconds)
        for name in ("advance", "batch_sql", "bare_docs", "bare_plain")
    }
    store = "in memory" if kind == "memory" else "file (WAL, synchronous=FULL)"
    print(f"{kind}: store {store}; documents {runs[0].doc_bytes:,} bytes; best of {len(runs)}")
    docs = best["bare_docs"].bare_docs.seconds
    plain = best["bare_plain"].bare_plain.seconds
    print(f"{'':>34}  {'wall':>8}  {'CPU':>8}  {'us/order':>8}  {'x bare+docs':>11}  {'x bare':>7}")
    for label, name in (
        ("sim.advance(to=batch)", "advance"),
        ("  of which the batch SQL", "batch_sql"),
        ("bare UPDATE, rows with documents", "bare_docs"),
        ("bare UPDATE, rows (id, status)", "bare_plain"),
    ):
        watch: Stopwatch = getattr(best[name], name)
        print(
            f"{label:>34}: {watch.seconds:7.3f}s  {watch.cpu:7.3f}s  "
            f"{watch.seconds / count * 1e6:8.2f}  {watch.seconds / docs:11.2f}  "
            f"{watch.seconds / plain:7.2f}"
        )
    if kind == "file":
        print(
            f"{'then the background checkpoint':>34}: {runs[0].checkpoint.seconds:7.3f}s  "
            "(the batch was durable when advance returned; this copies its WAL frames into "
            "the database file, first run)"
        )
    print(f"reads after the batch ({count:,} Accepted orders), first run:")
    for name, seconds in runs[0].reads.items():
        print(f"{name:>40}: {seconds * 1e3:9.1f} ms")
    advance = best["advance"].advance.seconds
    scaled = advance * TARGET_ORDERS / count
    verdict = "PASS" if scaled < TARGET_SECONDS else "FAIL"
    note = "" if count == TARGET_ORDERS else f" (scaled linearly from {count:,})"
    return (
        f"target: batch over 1,000,000 Pending orders < {TARGET_SECONDS:.0f} s ({kind}) -> "
        f"{scaled:.2f} s{note}; {advance / docs:.2f}x the bare UPDATE of the same rows, "
        f"{advance / plain:.2f}x of (id, status) rows: {verdict}"
    )


def main() -> None:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=TARGET_ORDERS, help="Pending orders")
    parser.add_argument("--runs", type=int, default=1, help="runs per store kind (best kept)")
    parser.add_argument("--store", choices=("memory", "file", "both"), default="both")
    parser.add_argument("--dir", type=Path, default=None, help="where file stores go (a temp dir)")
    args = parser.parse_args()
    count: int = args.orders
    kinds = ("memory", "file") if args.store == "both" else (args.store,)

    print(machine_line())
    print(f"sqlite {sqlite3.sqlite_version}; {count:,} Pending orders, each with its create log")
    print("row, inserted with executemany (not create_order); CPU is this process's time")
    verdicts: list[str] = []
    for kind in kinds:
        runs: list[BatchRun] = []
        for number in range(args.runs):
            run = run_once(count, kind, args.dir)
            print(
                f"{kind} run {number + 1}: advance {run.advance.seconds:.3f} s wall "
                f"({run.advance.cpu:.3f} s CPU), bare UPDATE with documents "
                f"{run.bare_docs.seconds:.3f} s, of (id, status) {run.bare_plain.seconds:.3f} s"
            )
            runs.append(run)
        verdicts.append(report(kind, count, runs))
    for line in verdicts:
        print(line)


if __name__ == "__main__":
    main()
