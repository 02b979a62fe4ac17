"""Durability of a `--db` world: an order acknowledged before a SIGKILL survives it."""

from __future__ import annotations

import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
from datetime import datetime
from pathlib import Path
from typing import IO

import pytest

from lifecycle import check_history
from simulator import Simulator

pytestmark = pytest.mark.slow  # SIGKILLs writer subprocesses

TESTS = Path(__file__).parent
WRITER = TESTS / "durability_writer.py"
ROOT = TESTS.parent
START = "2026-03-02T12:00:00Z"  # the writer's start and seed
SEED = 0
ACKS_BEFORE_KILL = 25
WAIT_SECONDS = 60.0
"""How long to wait for the writer's output before giving up (it needs well under a second)."""


class Writer:
    """The writer child process and the order ids it has acknowledged."""

    def __init__(self, db: Path) -> None:
        """Start a writer on `db`, bounded to 5,000 orders and 60 seconds."""
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(TESTS)])}
        self.process = subprocess.Popen(
            [sys.executable, str(WRITER), str(db), "5000", "60"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=env,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        assert self.process.stdout is not None
        self.reader = threading.Thread(target=self._read, args=(self.process.stdout,))
        self.reader.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.put(line.strip())
        self.lines.put(None)

    def acknowledged(self, count: int) -> list[str]:
        """Wait (with a timeout) until the writer has acknowledged `count` orders."""
        ids: list[str] = []
        while len(ids) < count:
            try:
                line = self.lines.get(timeout=WAIT_SECONDS)
            except queue.Empty:
                pytest.fail(f"the writer acknowledged only {len(ids)} orders in time")
            if line is None:
                stderr = self.process.stderr.read() if self.process.stderr else ""
                pytest.fail(f"the writer stopped early: {stderr}")
            ids.append(line)
        return ids

    def kill(self) -> list[str]:
        """SIGKILL the writer mid-write; return the ids it acknowledged but we had not read."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=WAIT_SECONDS)
        self.reader.join(timeout=WAIT_SECONDS)
        rest: list[str] = []
        while (line := self.lines.get_nowait()) is not None:
            rest.append(line)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
        return rest


def integrity(db: Path) -> str:
    """SQLite's own verdict on the file (it replays the WAL first)."""
    with sqlite3.connect(db) as conn:
        (verdict,) = conn.execute("PRAGMA integrity_check").fetchone()
    conn.close()
    return str(verdict)


class TestSigkill:
    """Killing the process that writes a durable world."""

    def test_acknowledged_orders_survive_sigkill(self, tmp_path: Path) -> None:
        """Every order acknowledged before a SIGKILL is there on reopen, with a legal history."""
        db = tmp_path / "world.db"
        acknowledged: list[str] = []
        for _ in range(2):  # the second writer reopens the file the first one left
            writer = Writer(db)
            try:
                acknowledged += writer.acknowledged(ACKS_BEFORE_KILL)
            finally:
                acknowledged += writer.kill()
            assert writer.process.returncode == -signal.SIGKILL

        assert integrity(db) == "ok"
        world = Simulator(start=START, seed=SEED, db=db)
        try:
            seen: dict[str, list[str]] = {}
            for order_id in acknowledged:
                order = world.get_order(order_id)
                history = world.history(order_id)
                seen[order_id] = [entry["to"] for entry in history]
                entries = [(datetime.fromisoformat(e["at"]), e["to"]) for e in history]
                assert check_history(entries, calendar=world.calendar) == [], history
                assert history[-1]["to"] == order["status"]
            assert world.count_orders() >= len(acknowledged) >= 2 * ACKS_BEFORE_KILL
            assert len(set(acknowledged)) == len(acknowledged)
            # The writers' clock crossed a batch, so batch writes were among those killed.
            assert any("Accepted" in statuses for statuses in seen.values())
        finally:
            world.close()
