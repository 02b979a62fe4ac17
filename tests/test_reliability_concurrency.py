"""Many clients at once over a real socket while the clock crosses a nightly batch.

Sixteen threads, each with its own HTTP connection and both tenants represented, create,
update, hold, release and cancel a shared pool of orders while another thread advances the
simulated clock in half-hour steps across the nightly batch. Every request is recorded with
when it was sent and when its answer came back; afterwards each order's transaction log and
history must tell a story consistent with the answers:

- no lost update: every acknowledged note is in the log exactly once, each change starts
  from the previous one's value, and an update that started after another was acknowledged
  comes after it;
- a refused update left no trace;
- every acknowledged cancel is final, and no order is both cancelled and accepted;
- every history is legal (`lifecycle.check_history`).
"""

from __future__ import annotations

import collections
import itertools
import os
import random
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import attrs
import httpx
import pytest
from reliability_support import order_body, record_figures
from test_http_support import EMAIL, OTHER_EMAIL, OTHER_PASSWORD, PASSWORD, new_sim

from lifecycle import check_history
from simulator import Simulator
from simulator._server import LiveServer

pytestmark = pytest.mark.slow  # a load of clients over a real socket

THREADS = 16
ITERATIONS = 90 if os.environ.get("CI") else 60
"""Operations per client thread."""
ADVANCES = 44
"""Half-hour steps: 22 simulated hours from 12:00Z, past the batch at 08:00Z next day."""
STEP_SECONDS = 1800
WAIT_SECONDS = 120.0
"""The most any thread waits for a request or for its turn (a stuck server, not a sleep)."""
EDITABLE = {"Pending", "On Hold"}


@attrs.define
class Call:
    """One request and its answer, with the order in which they happened."""

    thread: int
    op: str
    order_id: str | None
    sent: int
    acked: int = -1
    status: int = 0
    body: dict[str, Any] = attrs.field(factory=dict)
    note: str | None = None


@attrs.define
class Run:
    """The shared state of one run: the calls, the orders per tenant, the logical clock."""

    calls: list[Call] = attrs.field(factory=list)
    pools: dict[str, list[str]] = attrs.field(factory=lambda: {EMAIL: [], OTHER_EMAIL: []})
    lock: threading.Lock = attrs.field(factory=threading.Lock)
    ticks: Iterator[int] = attrs.field(factory=itertools.count)
    done: int = 0
    progress: threading.Condition = attrs.field(factory=threading.Condition)
    errors: list[str] = attrs.field(factory=list)

    def tick(self) -> int:
        """The next instant of the run's logical clock (a total order of sends and acks)."""
        with self.lock:
            return next(self.ticks)

    def record(self, call: Call) -> None:
        """Keep a finished call and tell the advancer one more operation is done."""
        with self.lock:
            self.calls.append(call)
        with self.progress:
            self.done += 1
            self.progress.notify_all()


@attrs.define
class Worker:
    """One thread's connection to the server; every request it sends is recorded."""

    client: httpx.Client
    run: Run
    thread: int

    def send(
        self,
        op: str,
        method: str,
        url: str,
        order_id: str | None = None,
        note: str | None = None,
        **kwargs: Any,
    ) -> Call:
        """Send a request and record it with its send and answer instants."""
        call = Call(self.thread, op, order_id, self.run.tick(), note=note)
        response = self.client.request(method, url, **kwargs)
        call.acked = self.run.tick()
        call.status = response.status_code
        call.body = response.json() if response.content else {}
        if response.status_code >= 500:
            self.run.errors.append(f"{method} {url}: {response.status_code} {response.text}")
        self.run.record(call)
        return call


def client_thread(url: str, run: Run, thread: int, credentials: tuple[str, str]) -> None:
    """Create, update, hold, release, cancel and read orders of one tenant's shared pool."""
    rng = random.Random(thread)
    email, password = credentials
    pool = run.pools[email]
    with httpx.Client(base_url=url, timeout=WAIT_SECONDS) as client:
        login = client.post("/v2/authentication/token", json={"email": email, "password": password})
        client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        product = client.get("/v2/products").json()["products"][0]["id"]
        worker = Worker(client, run, thread)
        for number in range(ITERATIONS):
            with run.lock:
                order_id = rng.choice(pool) if pool else None
            choice = rng.random()
            if order_id is None or choice < 0.2:
                body = order_body(product, note=f"t{thread}-{number}-created")
                created = worker.send("create", "POST", "/v2/orders", json=body)
                if created.status == 201:
                    with run.lock:
                        pool.append(created.body["order"]["id"])
                continue
            url = f"/v2/orders/{order_id}"
            if choice < 0.6:
                note = f"t{thread}-{number}"
                worker.send("update", "PUT", url, order_id, note, json={"note": note})
            elif choice < 0.7:
                status = rng.choice(["On Hold", "Pending"])
                op = "hold" if status == "On Hold" else "release"
                worker.send(op, "PUT", url, order_id, json={"status": status})
            elif choice < 0.75:
                worker.send("cancel", "DELETE", url, order_id)
            elif choice < 0.8:
                body = {"status": "Canceled by Client"}
                worker.send("cancel", "PUT", url, order_id, json=body)
            elif choice < 0.9:
                worker.send("get", "GET", url, order_id)
            else:
                worker.send("list", "GET", "/v2/orders", params={"limit": "250"})


def _done(run: Run, count: int) -> Callable[[], bool]:
    """Whether the clients have made at least `count` calls, asked when called."""
    return lambda: run.done >= count


def advancer_thread(url: str, run: Run) -> None:
    """Advance the clock half an hour at a time, spread evenly over the clients' work."""
    total = THREADS * ITERATIONS
    with httpx.Client(base_url=url, timeout=WAIT_SECONDS) as client:
        worker = Worker(client, run, -1)
        for step in range(ADVANCES):
            with run.progress:
                # Waits for the clients' progress, not for real time to pass.
                run.progress.wait_for(_done(run, step * total // ADVANCES), WAIT_SECONDS)
            worker.send("advance", "POST", "/_sim/clock/advance", json={"seconds": STEP_SECONDS})


def _run(world: Simulator) -> Run:
    run = Run()
    tenants = [(EMAIL, PASSWORD), (OTHER_EMAIL, OTHER_PASSWORD)]
    with LiveServer(world, rate_limit=None) as server:
        workers = [
            threading.Thread(target=client_thread, args=(server.url, run, n, tenants[n % 2]))
            for n in range(THREADS)
        ]
        workers.append(threading.Thread(target=advancer_thread, args=(server.url, run)))
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(10 * WAIT_SECONDS)
        assert not any(worker.is_alive() for worker in workers), "a client thread is stuck"
    return run


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Simulator, Run]]:
    """One concurrent run against a frozen world, then the world to inspect."""
    world = new_sim()
    run = _run(world)
    statuses = collections.Counter(str(call.status) for call in run.calls)
    record_figures(
        tmp_path_factory,
        "concurrency",
        {
            "client_threads": THREADS,
            "requests": len(run.calls) + 3 * THREADS,  # with each thread's login and catalogue
            "operations_by_kind": dict(collections.Counter(call.op for call in run.calls)),
            "answers_by_status": dict(sorted(statuses.items())),
            "orders": sum(len(pool) for pool in run.pools.values()),
            "orders_accepted_by_the_batch": world.count_orders({"status": "Accepted"}, EMAIL)
            + world.count_orders({"status": "Accepted"}, OTHER_EMAIL),
            "simulated_hours_advanced": ADVANCES * STEP_SECONDS // 3600,
        },
    )
    yield world, run
    world.close()


def _owner(run: Run, order_id: str) -> str:
    return next(email for email, pool in run.pools.items() if order_id in pool)


def _by_order(run: Run) -> dict[str, list[Call]]:
    found: dict[str, list[Call]] = collections.defaultdict(list)
    for call in run.calls:
        if call.order_id is not None:
            found[call.order_id].append(call)
    return found


class TestConcurrentClients:
    """What many clients and a moving clock must never break."""

    def test_no_server_errors(self, outcome: tuple[Simulator, Run]) -> None:
        """Every request got an answer below 500, every advance a 200."""
        _world, run = outcome
        assert run.errors == []
        advances = [call for call in run.calls if call.op == "advance"]
        assert [call.status for call in advances] == [200] * ADVANCES

    def test_the_batch_ran_during_the_run(self, outcome: tuple[Simulator, Run]) -> None:
        """The clock crossed the batch, and it accepted orders while clients were editing."""
        world, run = outcome
        assert world.now.isoformat().startswith("2026-03-03T10:00")
        refused = [call for call in run.calls if call.op == "update" and call.status == 422]
        assert refused, "no update met an Accepted order: the batch did not race the clients"
        assert sum(world.count_orders({"status": "Accepted"}, who) for who in (EMAIL, OTHER_EMAIL))

    def test_every_acknowledged_create_exists_once(self, outcome: tuple[Simulator, Run]) -> None:
        """Each tenant has exactly the orders it was told were created."""
        world, run = outcome
        for email, pool in run.pools.items():
            assert len(set(pool)) == len(pool)
            assert world.count_orders(None, email) == len(pool)

    def test_no_lost_update(self, outcome: tuple[Simulator, Run]) -> None:
        """Acknowledged notes form one chain per order, in an order the answers allow."""
        world, run = outcome
        for order_id, calls in _by_order(run).items():
            owner = _owner(run, order_id)
            rows = world.transaction_logs(order_id, owner)
            log = [row for row in rows if row["column_name"] == "note"]
            chain = [row["new_data"] for row in log]
            for previous, row in itertools.pairwise(log):
                assert row["old_data"] == previous["new_data"], (order_id, log)
            updates = [call for call in calls if call.op == "update"]
            for call in updates:
                if call.status == 200:
                    assert chain.count(call.note) == 1, (order_id, call.note, chain)
                    assert call.body["order"]["note"] == call.note
                    assert call.body["order"]["status"] in EDITABLE
                else:
                    assert call.status == 422, call
                    assert call.note not in chain
            acked = [call for call in updates if call.status == 200]
            for first, later in itertools.permutations(acked, 2):
                if first.acked < later.sent:
                    assert chain.index(first.note) < chain.index(later.note), (first, later)
            final = world.get_order(order_id, owner)["note"]
            assert final == (chain[-1] if chain else final)

    def test_acknowledged_cancels_are_final(self, outcome: tuple[Simulator, Run]) -> None:
        """An order whose cancel was acknowledged is Canceled by Client and stays so."""
        world, run = outcome
        for order_id, calls in _by_order(run).items():
            if any(call.op == "cancel" and call.status in {200, 204} for call in calls):
                assert world.get_order(order_id, _owner(run, order_id))["status"] == (
                    "Canceled by Client"
                )
                assert world.history(order_id)[-1]["to"] == "Canceled by Client"
                later = [c for c in calls if c.op in {"update", "hold", "release"}]
                cancel_ack = min(
                    c.acked for c in calls if c.op == "cancel" and c.status in {200, 204}
                )
                assert all(c.status == 422 for c in later if c.sent > cancel_ack)

    def test_never_both_cancelled_and_accepted(self, outcome: tuple[Simulator, Run]) -> None:
        """No order's history holds both Canceled by Client and Accepted."""
        world, run = outcome
        for order_id in _by_order(run):
            statuses = {entry["to"] for entry in world.history(order_id)}
            assert not {"Canceled by Client", "Accepted"} <= statuses, (order_id, statuses)

    def test_every_history_is_legal(self, outcome: tuple[Simulator, Run]) -> None:
        """Every order's status history passes `lifecycle.check_history`."""
        world, run = outcome
        for email, pool in run.pools.items():
            for order_id in pool:
                history = world.history(order_id)
                entries = [(datetime.fromisoformat(e["at"]), e["to"]) for e in history]
                assert check_history(entries, calendar=world.calendar) == [], history
                assert history[-1]["to"] == world.get_order(order_id, email)["status"]
