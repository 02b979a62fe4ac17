"""The SQLite store: a file store's log is copied into the database in the background."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from payloads import order_payload

from simulator import Simulator, _store
from simulator._store import Store

WAIT = 30.0
"""Real seconds to wait for the background checkpoint (it needs well under one)."""


def _frames(path: Path) -> tuple[int, int]:
    """`(frames in the log, frames copied into the database)`, asked from a new connection."""
    with sqlite3.connect(str(path)) as conn:
        _busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return frames, copied


class TestCheckpointer:
    """The file store's background checkpoint."""

    def test_commits_reach_the_database_file_without_a_checkpoint_in_the_commit(
        self, tmp_path: Path
    ) -> None:
        """After a commit the log is copied in the background, and the data reads back."""
        store = Store(tmp_path / "world.db")
        try:
            assert store.checkpointer is not None
            (setting,) = store.conn.execute("PRAGMA wal_autocheckpoint").fetchone()
            assert setting == 0  # no commit pays for a checkpoint
            with store.transaction() as conn:
                conn.executemany(
                    "INSERT INTO meta (key, value) VALUES (?, ?)",
                    [(f"k{n}", "x" * 500) for n in range(2000)],
                )
            assert store.checkpointer.wait_idle(WAIT)
            frames, copied = _frames(tmp_path / "world.db")
            assert frames == copied
        finally:
            store.close()
        with sqlite3.connect(str(tmp_path / "world.db")) as conn:
            (count,) = conn.execute("SELECT COUNT(*) FROM meta WHERE key LIKE 'k%'").fetchone()
        assert count == 2000

    def test_close_leaves_no_log_behind(self, tmp_path: Path) -> None:
        """Closing a file store copies the log in and truncates it."""
        path = tmp_path / "world.db"
        sim = Simulator(start="2026-03-02T17:00:00Z", db=path)
        order = sim.create_order(order_payload(sim.list_products()[0]["id"]))
        sim.close()
        wal = path.with_name(path.name + "-wal")
        assert not wal.exists() or wal.stat().st_size == 0
        reopened = Simulator(start="2026-03-02T17:00:00Z", db=path)
        try:
            assert reopened.get_order(order["id"])["id"] == order["id"]
        finally:
            reopened.close()

    def test_a_memory_store_has_no_checkpointer(self) -> None:
        """Only a file has a log to copy."""
        store = Store()
        try:
            assert store.checkpointer is None
        finally:
            store.close()


class TestSnapshotAcrossStores:
    """A snapshot restores into a world of the other kind, whatever their page sizes."""

    def test_file_world_into_memory_and_back(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Orders, history and clock survive file -> snapshot -> memory -> snapshot -> file.

        The in-memory world gets 16 KB pages (as before 0.2), so the restores copy rows.
        """
        monkeypatch.setattr(_store, "MEMORY_PAGE_SIZE", 16384)
        start = "2026-03-02T17:00:00Z"
        durable = Simulator(start=start, db=tmp_path / "world.db")
        product = durable.list_products()[0]["id"]
        order = durable.create_order(order_payload(product))
        durable.advance(seconds=3 * 86_400)
        durable.snapshot(tmp_path / "from-file.db")
        expected = (durable.get_order(order["id"]), durable.history(order["id"]), durable.now)
        durable.close()

        memory = Simulator(start=start)
        assert memory.store.query("PRAGMA page_size") == [(16384,)]
        memory.restore(tmp_path / "from-file.db")
        assert (memory.get_order(order["id"]), memory.history(order["id"]), memory.now) == expected
        memory.snapshot(tmp_path / "from-memory.db")
        memory.close()

        back = Simulator(start=start, db=tmp_path / "other.db")
        try:
            back.restore(tmp_path / "from-memory.db")
            assert back.get_order(order["id"]) == expected[0]
            assert back.history(order["id"]) == expected[1]
        finally:
            back.close()


class TestTransaction:
    """`Store.transaction`: all of the block or none of it, and the lock is always let go."""

    @staticmethod
    def _free_elsewhere(store: Store) -> bool:
        """Whether another thread can take the store's lock (it is reentrant in this one)."""
        taken: list[bool] = []

        def take() -> None:
            got = store.lock.acquire(timeout=WAIT)
            taken.append(got)
            if got:
                store.lock.release()

        worker = threading.Thread(target=take)
        worker.start()
        worker.join(WAIT)
        return taken == [True]

    @staticmethod
    def _half_write(store: Store) -> None:
        with store.transaction() as conn:
            conn.execute("INSERT INTO meta (key, value) VALUES ('half', 'written')")
            raise RuntimeError("midway")

    def test_a_block_that_raises_writes_nothing_and_frees_the_store(self) -> None:
        """The rows written before the error are rolled back; another thread can then write."""
        store = Store()
        try:
            before = store.generation
            with pytest.raises(RuntimeError, match="midway"):
                self._half_write(store)
            assert store.get_meta("half") is None
            assert store.generation == before
            assert self._free_elsewhere(store)
            with store.transaction() as conn:
                conn.execute("INSERT INTO meta (key, value) VALUES ('whole', 'written')")
            assert store.get_meta("whole") == "written"
            assert store.generation == before + 1
        finally:
            store.close()

    def test_a_failed_begin_lets_go_of_the_lock(self) -> None:
        """If BEGIN itself fails (a transaction already open), the lock is not kept."""
        store = Store()
        try:
            store.conn.execute("BEGIN")
            with pytest.raises(sqlite3.OperationalError), store.transaction():
                pass
            store.conn.execute("ROLLBACK")
            assert self._free_elsewhere(store)
        finally:
            store.close()
