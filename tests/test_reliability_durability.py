"""Durability over HTTP: `okc-sim serve --db` killed with SIGKILL under a write load, restarted.

Two writer threads create orders, change notes, cancel and advance the clock through the
HTTP API of a real `okc-sim serve --db PATH` subprocess, recording every answer. The server
is killed (SIGKILL, no chance to flush or close) at a seeded, random point, three times, and
restarted on the same file each time. After every restart each write that got a 2xx must be
there with the acknowledged values, the clock must not be behind an acknowledged advance,
every history must be legal, and SQLite must find the file intact. A request in flight at the
kill may or may not have happened; it must be one or the other, never half.

`test_durability.py` does the same for the Python API in one process; this one adds the HTTP
layer: a 2xx is sent only after the commit it reports.
"""

from __future__ import annotations

import collections
import random
import signal
import sqlite3
import threading
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import httpx
import pytest
from reliability_support import drain, order_body, record_figures, start_serve, stop
from test_http_support import EMAIL, PASSWORD

from lifecycle import check_history

pytestmark = pytest.mark.slow  # SIGKILLs an `okc-sim serve` subprocess under load

if TYPE_CHECKING:
    from collections.abc import Callable

KILLS = 3
START = "2026-03-02T12:00:00Z"
WRITERS = 2
WAIT_SECONDS = 60.0
"""The most a writer waits for one answer, or the test for the writers (not a sleep)."""


@attrs.define
class Write:
    """One write request and what came of it."""

    op: str
    order_id: str | None
    note: str | None = None
    status: int | None = None
    """None: the server died before answering (the write may or may not have happened)."""
    body: dict[str, Any] = attrs.field(factory=dict)


@attrs.define
class Ledger:
    """Every write of every cycle, and each writer's orders."""

    writes: list[Write] = attrs.field(factory=list)
    lock: threading.Lock = attrs.field(factory=threading.Lock)
    acked: int = 0
    progress: threading.Condition = attrs.field(factory=threading.Condition)

    def add(self, write: Write) -> None:
        """Keep a write, before it is sent."""
        with self.lock:
            self.writes.append(write)

    def acknowledge(self) -> None:
        """Count one more acknowledged write and wake whoever waits for the count."""
        with self.progress:
            self.acked += 1
            self.progress.notify_all()


def writer(url: str, ledger: Ledger, seed: int, mine: list[str]) -> None:
    """Write until the server dies: creates, note changes, cancels, clock advances."""
    rng = random.Random(seed)
    with httpx.Client(base_url=url, timeout=WAIT_SECONDS) as client:
        try:
            _login(client)
            product = client.get("/v2/products").json()["products"][0]["id"]
            for number in range(100_000):
                write = _next_write(rng, mine, f"w{seed}-{number}", product)
                ledger.add(write)  # recorded before it is sent: a kill leaves it unanswered
                method, url_path, body = write.body.pop("request")
                response = client.request(method, url_path, json=body)
                write.body = response.json() if response.content else {}
                write.status = response.status_code
                if write.op == "create" and response.status_code == 201:
                    mine.append(write.body["order"]["id"])
                if write.status == 401:
                    _login(client)  # the other writer's advances expired the token
                if write.status < 300:
                    ledger.acknowledge()
        except httpx.TransportError:
            return  # the server was killed: the last write stays unanswered


def _login(client: httpx.Client) -> None:
    answer = client.post("/v2/authentication/token", json={"email": EMAIL, "password": PASSWORD})
    client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"


def _next_write(rng: random.Random, mine: list[str], name: str, product: str) -> Write:
    choice = rng.random()
    if not mine or choice < 0.4:
        body = order_body(product, note=name)
        write = Write("create", None, name)
        write.body["request"] = ("POST", "/v2/orders", body)
    elif choice < 0.85:
        order_id = rng.choice(mine)
        write = Write("update", order_id, name)
        write.body["request"] = ("PUT", f"/v2/orders/{order_id}", {"note": name})
    elif choice < 0.95:
        order_id = rng.choice(mine)
        write = Write("cancel", order_id)
        write.body["request"] = ("DELETE", f"/v2/orders/{order_id}", None)
    else:
        write = Write("advance", None)
        write.body["request"] = ("POST", "/_sim/clock/advance", {"seconds": 3 * 3600})
    return write


def serve(db: Path) -> tuple[Any, str]:
    """Start `okc-sim serve` on the durable world in `db`; return the process and its URL."""
    process, url = start_serve(
        "--db", str(db), "--port", "0", "--clock", "frozen", "--start", START,
        "--rate-limit", "off", "--log-level", "warning",
    )  # fmt: skip
    drain(process)
    return process, url


@attrs.define
class Verdict:
    """What one restart found."""

    checked: int = 0
    lost: list[str] = attrs.field(factory=list)
    in_flight_applied: int = 0
    in_flight_not_applied: int = 0


@attrs.frozen
class Expected:
    """What the acknowledged writes promise about each order."""

    created: dict[str, Write]
    """Acknowledged creates, by order id."""
    notes: dict[str, str | None]
    """The last acknowledged note of each order."""
    maybe_notes: dict[str, list[str]]
    """Notes of unanswered updates after it: each may or may not have happened."""
    cancelled: set[str]

    @classmethod
    def of(cls, ledger: Ledger) -> Expected:
        """Read the ledger, oldest write first (each order has one writer, one at a time)."""
        created = {
            w.body["order"]["id"]: w for w in ledger.writes if w.op == "create" and w.status == 201
        }
        notes = {order_id: write.note for order_id, write in created.items()}
        maybe: dict[str, list[str]] = collections.defaultdict(list)
        cancelled = set()
        for write in ledger.writes:
            order_id = str(write.order_id)
            if write.op == "update" and write.status == 200:
                notes[order_id], maybe[order_id] = write.note, []
            elif write.op == "update" and write.status is None:
                maybe[order_id].append(str(write.note))
            elif write.op == "cancel" and write.status == 204:
                cancelled.add(order_id)
        return cls(created, notes, maybe, cancelled)


def verify(url: str, ledger: Ledger) -> Verdict:
    """Check every acknowledged write against the restarted server (see the module doc)."""
    verdict = Verdict()
    expected = Expected.of(ledger)
    with httpx.Client(base_url=url, timeout=WAIT_SECONDS) as client:
        _login(client)
        for order_id in expected.created:
            verdict.checked += 1
            _check_order(client, order_id, expected, verdict)
        advanced = [w.body["now"] for w in ledger.writes if w.op == "advance" and w.status == 200]
        now = client.get("/_sim/clock").json()["now"]
        if advanced and datetime.fromisoformat(now) < datetime.fromisoformat(max(advanced)):
            verdict.lost.append(f"clock {now} is behind an acknowledged advance to {max(advanced)}")
        orphans = [w for w in ledger.writes if w.op == "create" and w.status is None]
        count = client.get("/v2/orders/count").json()["count"]
        # An unanswered create may have happened; nothing else may appear from nowhere.
        assert len(expected.created) <= count <= len(expected.created) + len(orphans)
        verdict.in_flight_applied += count - len(expected.created)
        verdict.in_flight_not_applied += len(orphans) - (count - len(expected.created))
    return verdict


def _check_order(client: httpx.Client, order_id: str, expected: Expected, verdict: Verdict) -> None:
    response = client.get(f"/v2/orders/{order_id}")
    if response.status_code != 200:
        verdict.lost.append(f"create {order_id}: {response.status_code}")
        return
    order = response.json()["order"]
    if order["note"] in expected.maybe_notes[order_id]:
        verdict.in_flight_applied += 1
    elif order["note"] != expected.notes[order_id]:
        acked = expected.notes[order_id]
        verdict.lost.append(f"note of {order_id}: {order['note']!r}, acked {acked!r}")
    if order_id in expected.cancelled and order["status"] != "Canceled by Client":
        verdict.lost.append(f"cancel of {order_id}: {order['status']}")
    history = client.get(f"/_sim/orders/{order_id}/history").json()["history"]
    entries = [(datetime.fromisoformat(e["at"]), e["to"]) for e in history]
    assert check_history(entries) == [], history
    assert history[-1]["to"] == order["status"]


def integrity(db: Path) -> str:
    """SQLite's own verdict on the file (it replays the WAL first)."""
    conn = sqlite3.connect(db)
    try:
        (verdict,) = conn.execute("PRAGMA integrity_check").fetchone()
    finally:
        conn.close()
    return str(verdict)


def _acked(ledger: Ledger, count: int) -> Callable[[], bool]:
    """Whether the ledger holds at least `count` acknowledged writes, asked when called."""
    return lambda: ledger.acked >= count


@pytest.fixture(scope="module")
def killed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Ledger, list[Verdict]]:
    """Run the write load, SIGKILL the server KILLS times, verifying after every restart."""
    db = tmp_path_factory.mktemp("durability") / "world.sqlite"
    ledger = Ledger()
    verdicts: list[Verdict] = []
    rng = random.Random(2026)
    orders: list[list[str]] = [[] for _ in range(WRITERS)]
    for cycle in range(KILLS):
        process, url = serve(db)
        try:
            if cycle:
                verdicts.append(verify(url, ledger))
            threads = [
                threading.Thread(target=writer, args=(url, ledger, 100 * cycle + n, orders[n]))
                for n in range(WRITERS)
            ]
            for thread in threads:
                thread.start()
            target = ledger.acked + rng.randint(30, 90)
            with ledger.progress:
                assert ledger.progress.wait_for(_acked(ledger, target), WAIT_SECONDS)
            process.send_signal(signal.SIGKILL)
            process.wait(WAIT_SECONDS)
            for thread in threads:
                thread.join(WAIT_SECONDS)
            assert not any(thread.is_alive() for thread in threads)
            assert process.returncode == -signal.SIGKILL
        finally:
            stop(process)
    assert integrity(db) == "ok"
    process, url = serve(db)
    try:
        verdicts.append(verify(url, ledger))
    finally:
        process.send_signal(signal.SIGTERM)
        stop(process)
    acked = collections.Counter(
        w.op for w in ledger.writes if w.status is not None and w.status < 300
    )
    record_figures(
        tmp_path_factory,
        "durability",
        {
            "kills_survived": len(verdicts),
            "writes_acknowledged": sum(acked.values()),
            "writes_acknowledged_by_kind": dict(acked),
            "writes_lost": sum(len(v.lost) for v in verdicts),
            "unanswered_writes_at_kills": sum(1 for w in ledger.writes if w.status is None),
            "unanswered_that_happened": verdicts[-1].in_flight_applied,
            "orders_checked_after_restarts": sum(v.checked for v in verdicts),
        },
    )
    return ledger, verdicts


class TestSigkill:
    """Killing `okc-sim serve --db` mid-write, three times."""

    def test_every_kill_was_survived(self, killed: tuple[Ledger, list[Verdict]]) -> None:
        """The server restarted on the file after each kill, and every check ran."""
        ledger, verdicts = killed
        assert len(verdicts) == KILLS
        assert all(verdict.checked for verdict in verdicts)
        assert sum(1 for w in ledger.writes if w.status is not None and w.status < 300) >= 90

    def test_no_acknowledged_write_is_lost(self, killed: tuple[Ledger, list[Verdict]]) -> None:
        """Every 2xx create, note change, cancel and advance is there after every restart."""
        _ledger, verdicts = killed
        assert [verdict.lost for verdict in verdicts] == [[]] * KILLS
