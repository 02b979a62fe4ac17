"""The simulator's SQLite store: schema, transactions, snapshots. No domain decisions here.

Times are integers (microseconds since the Unix epoch, UTC) so that indexes and range
filters are cheap; documents (consumer, address, lines) are JSON text.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from pathlib import Path
from typing import Any, NoReturn, Protocol

from lifecycle._status import OrderStatus
from simulator import _storefile
from simulator._errors import SimulatorError

SCHEMA_VERSION = 5

_PENDING = OrderStatus.PENDING.value
"""The status of the orders the partial index `orders_pending` holds (the batch's source)."""

# An f-string only for the index predicate, which cannot be a bound parameter.
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS clients (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    password TEXT NOT NULL,
    name TEXT NOT NULL
) WITHOUT ROWID;

-- `seq` is the number the order's id reads back to (`_idcodec`): orders are found by it,
-- and no index of id text is kept (each insert into one lands on a random page).
CREATE TABLE IF NOT EXISTS orders (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    status TEXT NOT NULL,
    name TEXT,
    client_custom_order_id TEXT,
    source TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    pending_since INTEGER,
    next_event TEXT,
    next_event_at INTEGER,
    trigger TEXT,
    accepted_at INTEGER,
    requeued INTEGER
);
-- `accepted_at`: when a batch last accepted the order (NULL if none has). The batch sets it
-- as it clears `pending_since`, so the row keeps its size; an order without one is read by
-- splicing its stored document, an order with one has its lifecycle fields laid over it.
-- `requeued`: 1 once an accepted order went back to Pending (an OKC hold, released), so more
-- than one batch may have accepted it: its batches are then read from its log, and those of
-- any other accepted order from `batches` alone (NULL costs the batch's rows one byte).
-- `status` and `updated_at` are deliberately not indexed: the nightly batch changes both on
-- every Pending order, and each such index costs it about 1.5 s per 1,000,000 orders
-- (bench/bench_batch.py). List filters on them read the client's orders in `seq` order.
CREATE INDEX IF NOT EXISTS orders_client_created ON orders (client_id, created_at);
CREATE INDEX IF NOT EXISTS orders_client_custom ON orders (client_id, client_custom_order_id);
CREATE INDEX IF NOT EXISTS orders_pending ON orders (pending_since) WHERE status = '{_PENDING}';
CREATE INDEX IF NOT EXISTS orders_due ON orders (next_event_at) WHERE next_event_at IS NOT NULL;

-- An order's document, apart from the columns that change as time passes: SQLite rewrites
-- a whole row on UPDATE, and the nightly batch should rewrite 1,000,000 rows of ~150 bytes
-- rather than of ~4 KB. `seq` is the order's.
CREATE TABLE IF NOT EXISTS order_docs (
    seq INTEGER PRIMARY KEY,
    doc TEXT NOT NULL
);

-- No client column: a row's client is its order's, and the nightly batch writes one row per
-- Pending order, so every byte here is a megabyte there.
CREATE TABLE IF NOT EXISTS order_log (
    seq INTEGER PRIMARY KEY,
    order_seq INTEGER NOT NULL,
    at INTEGER NOT NULL,
    column_name TEXT NOT NULL,
    old_data TEXT,
    new_data TEXT,
    event TEXT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT,
    prev_updated_at INTEGER
);
-- By the order's integer key, not its uuid: the nightly batch adds a row for every Pending
-- order, and in uuid order those inserts would land all over the index.
CREATE INDEX IF NOT EXISTS order_log_order ON order_log (order_seq, seq);
-- Paging reads the log from a `seq` (its rowid) onwards, so no index by client either.

-- Like orders, consumers and fulfillments are found by the number their id reads back to.
CREATE TABLE IF NOT EXISTS consumers (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS consumers_client ON consumers (client_id, seq);

-- A consumer's saved addresses (`_consumer_addresses`); ids are hashes, found by `id`.
CREATE TABLE IF NOT EXISTS consumer_addresses (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    consumer_seq INTEGER NOT NULL,
    client_id TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS consumer_addresses_consumer
    ON consumer_addresses (consumer_seq, seq);

-- A consumer's or address's document as it was before a change, so a listing judges each
-- as of its first page (`_collections`).
CREATE TABLE IF NOT EXISTS doc_versions (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    item_seq INTEGER NOT NULL,
    doc TEXT NOT NULL
);

-- A parcel's facts; its provider-shaped document is rendered on read (`_fulfillments`).
-- A fulfillment's `seq` is its number (shown as `shipment_order_id` and `_number`).
CREATE TABLE IF NOT EXISTS fulfillments (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    order_seq INTEGER NOT NULL,
    order_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    carrier TEXT NOT NULL,
    service TEXT NOT NULL,
    tracking_number TEXT NOT NULL,
    tracking_url TEXT NOT NULL,
    weight REAL NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    delivery_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS fulfillments_order ON fulfillments (order_seq);
CREATE INDEX IF NOT EXISTS fulfillments_client ON fulfillments (client_id, seq);

-- A batch: the night's acceptances (or an operator's forced one), kept as the provider's Batch.
-- Its log rows are one run of `order_log.seq`, from `first_log` to `last_log`: the orders it
-- accepted are found through them, so the batch neither schedules nor indexes each one.
-- `plan_at` is when their first step (`plan`) is due, NULL once done. One row a night.
CREATE TABLE IF NOT EXISTS batches (
    at INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    number INTEGER NOT NULL,
    first_log INTEGER NOT NULL,
    last_log INTEGER NOT NULL,
    plan_at INTEGER,
    updated_at INTEGER NOT NULL
);

-- An order's production run worked out ahead (`_operations.Plan`), with its parcel's facts
-- and fulfillment id: the timeline ships and delivers planned orders in bulk SQL.
CREATE TABLE IF NOT EXISTS plans (
    order_seq INTEGER PRIMARY KEY,
    ship_at INTEGER NOT NULL,
    after_ship TEXT NOT NULL,
    fulfillment_id TEXT NOT NULL,
    number INTEGER NOT NULL,
    carrier TEXT NOT NULL,
    service TEXT NOT NULL,
    tracking_number TEXT NOT NULL,
    tracking_url TEXT NOT NULL,
    weight REAL NOT NULL,
    delivery_at INTEGER NOT NULL
);
"""

_DATA_TABLES = (
    "orders",
    "order_docs",
    "order_log",
    "consumers",
    "consumer_addresses",
    "doc_versions",
    "fulfillments",
    "plans",
    "batches",
)

# What SQLite's planner is told about a store's shape (`sqlite_stat1` rows: table, index,
# rows then rows per distinct key prefix). Without statistics it reads `client_id = ?`
# through a client index and sorts all of the client's orders to show one page; a client
# has many orders, so a page is better read straight from the table in `seq` order.
_PLANNER_HINTS = (
    ("orders", "orders_client_created", "1000000 1000000 1"),
    ("orders", "orders_client_custom", "1000000 1000000 1"),
)

_FILE_CACHE_KIB = 1024 * 1024
"""Most page cache a file store may use (it grows as pages are read). The batch over
1,000,000 orders works through several hundred MB of rows and indexes; with SQLite's
default 2 MB it writes them out and reads them back mid-batch, taking twice as long."""


MEMORY_PAGE_SIZE = 4096
"""Page size of an in-memory store (SQLite's default). An in-memory store's rollback journal
copies every page a transaction touches, into memory it allocates for the purpose: a create
touches about ten pages, and with 16 KB pages that copying cost about 110,000 instructions a
create more than with 4 KB ones (callgrind, `bench/bench_month.py` at 6,000 orders). 16 KB
pages were chosen while orders, consumers and fulfillments had indexes of random UUID text,
whose inserts made 4 KB commits grow with the store; those indexes are gone (`_idcodec`)."""

_CHECKPOINT_INTERVAL = 1.0
"""Real seconds between background checkpoints of a file store, at most one per interval."""


class Checkpointer:
    """Copies a file store's write-ahead log into the database file, off the writer's path.

    SQLite's automatic checkpoint runs inside the commit that crosses its threshold, so the
    nightly batch's commit would also copy its ~400 MB of changed pages into the database
    before `advance` could return. A commit is durable once its WAL frames are synced
    (`synchronous=FULL`); copying them on is maintenance, done here in a thread with its own
    connection (SQLite runs it without the GIL) while the engine goes on. PASSIVE mode never
    blocks the engine's writes, and a crash mid-copy loses nothing: the WAL still holds it.
    """

    def __init__(self, path: Path) -> None:
        """Start the thread for the store file at `path`."""
        self._path = path
        self._wake = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="okc-sim-checkpoint", daemon=True)
        self._thread.start()

    def nudge(self) -> None:
        """Say that a commit added to the log."""
        self._idle.clear()
        self._wake.set()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every commit so far has been copied into the database file.

        Returns:
            Whether it was, within `timeout` real seconds.
        """
        return self._idle.wait(timeout)

    def close(self) -> None:
        """Stop the thread (an unfinished copy is left to the next checkpoint)."""
        self._stopping.set()
        self._wake.set()
        self._thread.join()

    def _run(self) -> None:
        conn = sqlite3.connect(str(self._path), isolation_level=None, check_same_thread=False)
        failing = False
        try:
            while not self._stopping.is_set():
                self._wake.wait()
                if self._stopping.is_set():
                    break
                self._wake.clear()
                try:
                    busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                except sqlite3.OperationalError as error:
                    # A full disk: the log keeps every commit, and the copy is tried again
                    # at the next interval, so the log shrinks back once space returns.
                    if not failing:
                        logging.getLogger(__name__).warning(
                            "background checkpoint of %s failed, will retry: %s", self._path, error
                        )
                    failing, busy, frames, copied = True, 1, 0, 0
                else:
                    failing = False
                if not busy and frames == copied and not self._wake.is_set():
                    self._idle.set()
                # At most one copy per interval: a busy server's commits share it.
                self._stopping.wait(_CHECKPOINT_INTERVAL)
                if not self._idle.is_set():
                    self._wake.set()
        except sqlite3.Error:
            logging.getLogger(__name__).exception("background checkpoint of %s failed", self._path)
        finally:
            conn.close()


class StoreError(Exception):
    """The store file cannot be used (wrong schema version, not a simulator database)."""


class StoreFull(SimulatorError):
    """A write the store had no room for; it was rolled back and nothing else changed."""

    code = "store_full"


class StoreLost(SimulatorError):
    """The store file was deleted, replaced or truncated under the running server."""

    code = "store_lost"


class Keeper(Protocol):
    """Memory that must follow the store: marked at `BEGIN`, put back when a write rolls back."""

    def mark(self) -> object:
        """What to put back if the transaction that begins now rolls back."""
        ...  # pragma: no cover - a protocol

    def undo_to(self, mark: object) -> None:
        """Put back what `mark` returned."""
        ...  # pragma: no cover - a protocol


class _Transaction:
    """`Store.transaction`'s context manager.

    A class rather than a generator: a create runs one per order, and a generator-based
    context manager costs about a microsecond more.
    """

    __slots__ = ("_marks", "_store")

    def __init__(self, store: Store) -> None:
        self._store = store
        self._marks: list[tuple[Keeper, object]] = []

    def __enter__(self) -> sqlite3.Connection:
        store = self._store
        store.lock.acquire()
        try:
            # A lost store's connection refuses this with `StoreLost` (`Store._lose`).
            store.conn.execute("BEGIN IMMEDIATE")
        except BaseException:
            store.lock.release()
            raise
        self._marks = [(keeper, keeper.mark()) for keeper in store.keepers.values()]
        return store.conn

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, _traceback: object
    ) -> None:
        store = self._store
        try:
            if kind is None:
                try:
                    store.conn.execute("COMMIT")
                except sqlite3.Error as failure:
                    self._roll_back()
                    store.explain(failure)
                    raise
                store._committed()  # noqa: SLF001 - the store's own helper
                return
            self._roll_back()
            if isinstance(error, sqlite3.Error):
                store.explain(error)
        finally:
            store.lock.release()

    def _roll_back(self) -> None:
        """Undo the transaction in SQLite (unless SQLite already did) and in memory."""
        conn = self._store.conn
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        for keeper, mark in self._marks:
            keeper.undo_to(mark)


class _LostConnection:
    """Stands in for a lost store's connection: every use is refused with `StoreLost`."""

    def __init__(self, reason: str) -> None:
        self._reason = reason

    def __getattr__(self, name: str) -> NoReturn:
        raise StoreLost(self._reason)


def _lost_connection(reason: str) -> sqlite3.Connection:
    """A stand-in for a lost store's connection (typed as one: it is used in its place)."""
    return _LostConnection(reason)  # type: ignore[return-value]


class Store:
    """One SQLite connection, serialised by a lock; in memory unless given a path."""

    def __init__(self, path: str | Path | None = None) -> None:
        """Open (creating if needed) the store; a file that exists is checked first.

        Args:
            path: a database file for a durable simulator, or None for memory only.

        Raises:
            StoreError: the file cannot hold a world (a sentence naming the file, what is
                wrong and what to do): missing folder, read-only, not SQLite, damaged,
                another program's database, another schema version, full disk.
        """
        self.path = None if path is None else Path(path)
        self.lock = threading.RLock()
        self.generation = 0
        """Counts the writes committed: a reader's cached answer holds while it is unchanged."""
        self.keepers: dict[str, Keeper] = {}
        """Memory that follows the store, by name (`keep`)."""
        self.lost: str | None = None
        """Why the store file can no longer be trusted, once it cannot (`StoreLost`)."""
        self.new = self.path is None or _storefile.is_new(self.path)
        """Whether this store started a new world (no file, or an empty one)."""
        self._held: int | None = None
        self.conn = self._connect()
        self.checkpointer = None if self.path is None else Checkpointer(self.path)
        self._watch = None if self.path is None else _storefile.FileWatch(self.path)
        self._abandoned: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        if self.path is None:
            conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
            conn.execute(f"PRAGMA page_size={MEMORY_PAGE_SIZE}")
            conn.execute("PRAGMA journal_mode=MEMORY")
            conn.execute("PRAGMA synchronous=OFF")
            self._set_up(conn)
            return conn
        problem = _storefile.preflight(self.path)
        if problem is not None:
            raise StoreError(problem)
        try:
            self._held = _storefile.hold(self.path)
        except BlockingIOError:
            raise StoreError(_storefile.in_use(self.path)) from None
        try:
            conn = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
        except sqlite3.Error as error:
            _storefile.release(self._held)
            raise StoreError(_storefile.open_problem(self.path, error)) from None
        try:
            self._check_file(conn, self.path)
            # WAL + FULL: a commit that returned is on disk before the caller hears of it.
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA wal_autocheckpoint=0")  # the Checkpointer's job
            conn.execute(f"PRAGMA cache_size=-{_FILE_CACHE_KIB}")
            self._set_up(conn)
        except sqlite3.Error as error:
            conn.close()
            _storefile.release(self._held)
            raise StoreError(_storefile.open_problem(self.path, error)) from None
        except StoreError:
            conn.close()
            _storefile.release(self._held)
            raise
        return conn

    def _check_file(self, conn: sqlite3.Connection, path: Path) -> None:
        """Refuse a file that exists but is damaged or not this simulator's, before writing.

        Raises:
            StoreError: SQLite's quick check complains, or the file is another program's
                database or another schema version's.
        """
        if self.new:
            return
        complaint = _storefile.quick_check(conn)
        if complaint is not None:
            raise StoreError(
                f"{path} is damaged (SQLite's quick check: {complaint}); restore it from a "
                "copy, or start a new world with a new --db path"
            )
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_schema")}
        if tables and "meta" not in tables:
            raise StoreError(
                f"{path} is a SQLite database of another program, not an okc-sim store; "
                "give --db a new path"
            )
        if tables:
            self._check_version(conn, path)

    @staticmethod
    def _set_up(conn: sqlite3.Connection) -> None:
        conn.execute("PRAGMA foreign_keys=OFF")
        # The batch's UPDATE lists the rowids it will change before changing them; with
        # a million of them that list must not spill to a temporary file.
        conn.execute("PRAGMA temp_store=MEMORY")
        conn.executescript(_SCHEMA)
        Store._check_version(conn)
        Store._hint_planner(conn)

    @staticmethod
    def _check_version(conn: sqlite3.Connection, path: str | Path = "the database") -> None:
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is None:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )
        elif row[0] != str(SCHEMA_VERSION):
            raise StoreError(
                f"{path} has schema version {row[0]}; this simulator reads version "
                f"{SCHEMA_VERSION}: start with a new --db file (or the okc-sim that made it)"
            )

    @staticmethod
    def _hint_planner(conn: sqlite3.Connection) -> None:
        """Give a new store the planner statistics it would otherwise lack."""
        conn.execute("ANALYZE sqlite_schema")  # creates sqlite_stat1 if missing; loads it
        if conn.execute("SELECT 1 FROM sqlite_stat1 LIMIT 1").fetchone() is None:
            conn.executemany(
                "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)", _PLANNER_HINTS
            )
            conn.execute("ANALYZE sqlite_schema")

    def keep(self, name: str, keeper: Keeper) -> None:
        """Have `keeper`'s memory follow the store: put back whenever a write rolls back."""
        self.keepers[name] = keeper

    def explain(self, error: sqlite3.Error) -> None:
        """Raise the simulator's error for a failed write, when it has one.

        Raises:
            StoreFull: the store had no room for the write.
            StoreLost: the store file is gone, replaced or truncated.
        """
        if _storefile.is_full(error):
            where = (
                "in memory (it reached SQLite's max_page_count)"
                if self.path is None
                else f"in {self.path}: its disk has no room (or it reached max_page_count)"
            )
            raise StoreFull(
                f"The simulator's store is full {where}. This write was not made; reads go "
                "on. Free some space and retry: writes resume by themselves."
            ) from error
        if self._watch is not None and self.lost is None:
            problem = self._watch.problem()
            if problem is not None:
                self._lose(problem)

    def transaction(self) -> _Transaction:
        """One write transaction for a `with` block, which gets the connection.

        Committed before the block's caller goes on; rolled back if the block raises.
        """
        return _Transaction(self)

    def _committed(self) -> None:
        """Count a commit; for a file store, make sure it went to the file, then log it.

        Raises:
            StoreLost: the file was deleted, replaced or truncated under the server, so the
                commit went where the next start will not find it: it is not acknowledged.
        """
        self.generation += 1
        if self.checkpointer is not None:
            problem = self._watch.problem() if self._watch is not None else None
            if problem is not None:
                self._lose(problem)
            self.checkpointer.nudge()

    def _lose(self, problem: str) -> NoReturn:
        """Stop trusting the file: refuse every later use of the store, keep the file as it is.

        The connection is left open and unused rather than closed: closing the last one
        would checkpoint its log into the damaged file and delete the log.

        Raises:
            StoreLost: always, saying what happened and what to do.
        """
        self.lost = (
            f"The simulator's store file {self.path} {problem} while the server ran, so the "
            "server cannot keep any more writes and refuses requests. Stop it, keep a copy of "
            "the file and its -wal, and start it again (on a new --db path if the file is gone)."
        )
        logging.getLogger(__name__).error("%s", self.lost)
        if self.checkpointer is not None:
            self.checkpointer.close()
            self.checkpointer = None
        self._abandoned, self.conn = self.conn, _lost_connection(self.lost)
        raise StoreLost(self.lost)

    def get_meta(self, key: str) -> str | None:
        """Read one setting the simulator keeps with its data."""
        with self.lock:
            row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    @staticmethod
    def put_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
        """Write one setting inside the caller's transaction."""
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def clear(self) -> None:
        """Delete every order, log row, consumer, fulfillment and token; keep clients."""
        with self.transaction() as conn:
            for table in _DATA_TABLES:
                conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names

    def snapshot(self, path: str | Path) -> None:
        """Write a consistent copy of the whole store to a file (SQLite online backup)."""
        with self.lock:
            target = sqlite3.connect(str(path))
            try:
                self.conn.backup(target)
            finally:
                target.close()

    def restore(self, path: str | Path) -> None:
        """Replace the store's contents with a snapshot file's.

        Raises:
            StoreError: the file is not a snapshot of this schema version.
        """
        with self.lock:
            source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                self._check_version(source, path)
                (theirs,) = source.execute("PRAGMA page_size").fetchone()
                (ours,) = self.conn.execute("PRAGMA page_size").fetchone()
                if theirs == ours:
                    source.backup(self.conn)
                else:
                    # SQLite's backup cannot change the page size of an in-memory or WAL
                    # database (a file world's snapshot into a world in memory, or back).
                    self._copy_rows(path)
            except sqlite3.DatabaseError as error:
                self.explain(error)
                raise StoreError(f"{path} is not a simulator snapshot: {error}") from error
            finally:
                source.close()
            if self._watch is not None:
                # A smaller world's pages: the checkpoint may shrink the file to its size.
                (pages,) = self.conn.execute("PRAGMA page_count").fetchone()
                self._watch.accept_shrink(pages * ours)
            self._committed()

    def _copy_rows(self, path: str | Path) -> None:
        """Replace every row with a snapshot's, table by table (same schema version)."""
        self.conn.execute("ATTACH DATABASE ? AS snapshot", (str(path),))
        try:
            with self.transaction() as conn:
                for table in ("meta", "clients", *_DATA_TABLES):
                    conn.execute(f"DELETE FROM main.{table}")  # noqa: S608 - fixed names
                    conn.execute(f"INSERT INTO main.{table} SELECT * FROM snapshot.{table}")  # noqa: S608
        finally:
            self.conn.execute("DETACH DATABASE snapshot")

    def query(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[Any]:
        """Run a read and return all rows."""
        with self.lock:
            return self.conn.execute(sql, params).fetchall()

    def close(self) -> None:
        """Close the connection; a file store's log is copied into the database file first.

        A lost store (`StoreLost`) is left as it is, log included, for whoever looks at it.
        """
        with self.lock:
            if self.lost is not None:
                return
            if self.checkpointer is not None:
                self.checkpointer.close()
                with contextlib.suppress(sqlite3.Error):
                    self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self.conn.close()
            _storefile.release(self._held)
            self._held = None
