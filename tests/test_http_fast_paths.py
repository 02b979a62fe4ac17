"""Tests for the server's fast paths: spliced order JSON, token memory, one engine hop at most.

Orders go out as bytes spliced from the stored text; access tokens are remembered once the
store vouched for them; cheap reads run on the event loop while the engine is idle.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import starlette.concurrency
from test_http_support import EMAIL, JSON_TYPE, OTHER_EMAIL, START, Api, address, new_sim

from simulator import Simulator, Unauthorized, _orders
from simulator import _world as engine
from simulator.http import _endpoints, _middleware, create_app

pytestmark = pytest.mark.anyio


def payload(
    sim: Simulator, number: int, client: str | None = None, **fields: Any
) -> dict[str, Any]:
    """A valid create-order request, made different by `number`."""
    products = [p["id"] for p in sim.list_products(client)]
    return {
        "consumer": {"first_name": "Ada", "last_name": f"Lovelace {number}"},
        "shipping_address": address(address2=f"Apt {number}"),
        "client_custom_order_id": f"shop-{number}",
        "order_lines": [
            {
                "pouches": [
                    {
                        "time_of_administration": "Morning",
                        "contents": [
                            {"client_product_id": products[number % len(products)]},
                            {"client_product_id": products[0], "serving_size": 2},
                        ],
                    }
                ]
            }
        ],
        **fields,
    }


@pytest.fixture
def world() -> Iterator[Simulator]:
    """A frozen simulator with orders in many statuses, at several `updated_at`s."""
    sim = new_sim()
    ids = [sim.create_order(payload(sim, n))["id"] for n in range(8)]
    sim.create_order(payload(sim, 99, OTHER_EMAIL), OTHER_EMAIL)
    sim.advance(seconds=90)
    sim.update_order(ids[1], {"note": "Tür 3, 2. Stock 🚪 — merci"})
    sim.force(ids[2], "hold", "checking")
    sim.cancel_order(ids[3])
    for event in ("accept", "start_production", "ship"):
        sim.advance(seconds=60)
        sim.force(ids[4], event)
    sim.force(ids[5], "cancel_by_okc")
    yield sim
    sim.close()


def stored_text(sim: Simulator, order_id: str) -> str:
    """The document text the store keeps for an order."""
    rows = sim.store.query(
        "SELECT d.doc FROM order_docs d JOIN orders o ON o.seq = d.seq WHERE o.id = ?",
        (order_id,),
    )
    text: str = rows[0][0]
    return text


class TestJsonPaths:
    """The bytes the server sends are the documents the Python API returns."""

    def test_each_order_in_every_status(self, world: Simulator) -> None:
        """`get_order_json` decodes to `get_order`, whatever the status or the text in it."""
        orders = world.list_orders(limit=250)["orders"]
        assert len({o["status"] for o in orders}) >= 5
        for order in orders:
            data = world.get_order_json(order["id"])
            assert json.loads(data) == world.get_order(order["id"]) == order
            custom = order["client_custom_order_id"]
            by_custom = world.get_order_by_client_order_id_json(custom)
            assert json.loads(by_custom) == world.get_order_by_client_order_id(custom)

    def test_bytes_are_the_engines_own_splice(self, world: Simulator) -> None:
        """A never-accepted order's bytes are `_orders.document_text` of the stored text."""
        never_accepted = [o for o in world.list_orders(limit=250)["orders"] if "batch_id" not in o]
        assert never_accepted
        for order in never_accepted:
            spliced = _orders.document_text(
                stored_text(world, order["id"]), order["status"], order["updated_at"]
            )
            assert world.get_order_json(order["id"]) == spliced.encode()

    def test_text_outside_ascii_is_utf8(self, world: Simulator) -> None:
        """A note with accents and an emoji arrives as UTF-8, not as escapes."""
        order = next(o for o in world.list_orders()["orders"] if o.get("note"))
        data = world.get_order_json(order["id"])
        assert "Tür 3, 2. Stock 🚪 — merci".encode() in data
        assert json.loads(data.decode("utf-8"))["note"] == "Tür 3, 2. Stock 🚪 — merci"

    @pytest.mark.parametrize(
        "filters",
        [
            None,
            {"status": ["Pending"]},
            {"status": ["Pending", "On Hold", "Shipped"]},
            {"updated_at": {"gt": "2026-03-02T12:00:00Z"}},
            {"status": ["Delivered"]},
        ],
    )
    def test_every_page(self, world: Simulator, filters: dict[str, Any] | None) -> None:
        """Page by page, with cursors, `list_orders_json` decodes to `list_orders`."""
        cursor = None
        pages = 0
        while True:
            page = world.list_orders(filters, 3, cursor)
            assert json.loads(world.list_orders_json(filters, 3, cursor)) == page
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert pages >= 1

    def test_pages_of_orders_that_changed_meanwhile(self, world: Simulator) -> None:
        """Orders judged by their past values (changed after the first page) splice alike."""
        first = world.list_orders({"status": ["Pending"]}, 1)
        for order in world.list_orders({"status": ["Pending"]}, 250)["orders"][1:]:
            world.cancel_order(order["id"])
        cursor = first["next_cursor"]
        later = world.list_orders({"status": ["Pending"]}, 250, cursor)
        assert later["orders"]
        assert {o["status"] for o in later["orders"]} == {"Canceled by Client"}
        assert json.loads(world.list_orders_json({"status": ["Pending"]}, 250, cursor)) == later

    def test_empty_page(self, world: Simulator) -> None:
        """No match: an empty list and a null cursor."""
        data = world.list_orders_json({"name": ["nobody"]})
        assert json.loads(data) == {"orders": [], "next_cursor": None}

    async def test_http_answers_are_the_same_json(self, world: Simulator) -> None:
        """Over HTTP, an order and a page are the dict path's JSON, as application/json."""
        api = Api(create_app(world))
        await api.login()
        order_id = world.list_orders()["orders"][1]["id"]
        response = await api.get(f"/v2/orders/{order_id}")
        assert response.headers["content-type"] == "application/json"
        assert int(response.headers["content-length"]) == len(response.content)
        assert response.json() == {"order": world.get_order(order_id)}
        custom = world.get_order(order_id)["client_custom_order_id"]
        response = await api.get(f"/v2/orders/by-client-order-id/{custom}")
        assert response.json() == {"order": world.get_order(order_id)}
        response = await api.get("/v2/orders", params={"limit": "2"})
        assert response.json() == world.list_orders(limit=2)

    async def test_head_keeps_the_length_of_the_body(self, world: Simulator) -> None:
        """HEAD of an order: the GET's Content-Length, no body."""
        api = Api(create_app(world))
        await api.login()
        order_id = world.list_orders()["orders"][0]["id"]
        got = await api.get(f"/v2/orders/{order_id}")
        head = await api.request("HEAD", f"/v2/orders/{order_id}")
        assert head.status_code == 200
        assert head.content == b""
        assert head.headers["content-length"] == got.headers["content-length"]


class TestTokenMemory:
    """Access tokens are remembered after the store vouches for them, for one world only."""

    def test_known_after_authorize(self) -> None:
        """Memory knows a token only once `authorize` has checked it."""
        sim = new_sim()
        token = sim.authenticate(EMAIL, "sandbox")["access_token"]
        assert sim.known_client(token, sim.now) is None
        client = sim.authorize(token)
        assert sim.known_client(token, sim.now) == client == sim.client_id(EMAIL)
        assert sim.known_client("sim_at_forged", sim.now) is None

    def test_reset_forgets(self) -> None:
        """After a reset a remembered token is refused, from memory and from the store."""
        sim = new_sim()
        token = sim.authenticate(EMAIL, "sandbox")["access_token"]
        sim.authorize(token)
        sim.reset()
        assert sim.known_client(token, sim.now) is None
        with pytest.raises(Unauthorized, match="not valid"):
            sim.authorize(token)

    def test_restore_forgets(self, tmp_path: Path) -> None:
        """A token issued after a snapshot is refused once the snapshot is restored."""
        sim = new_sim()
        path = tmp_path / "before.sqlite"
        sim.snapshot(path)
        token = sim.authenticate(EMAIL, "sandbox")["access_token"]
        sim.authorize(token)
        sim.restore(path)
        assert sim.known_client(token, sim.now) is None
        with pytest.raises(Unauthorized, match="not valid"):
            sim.authorize(token)

    def test_expiry_still_counts(self) -> None:
        """A remembered token expires 24 simulated hours after it was issued, as stored."""
        sim = new_sim()
        token = sim.authenticate(EMAIL, "sandbox")["access_token"]
        sim.authorize(token)
        sim.advance(seconds=86_399)
        assert sim.known_client(token, sim.now) is not None
        sim.advance(seconds=1)
        assert sim.known_client(token, sim.now) is None
        with pytest.raises(Unauthorized, match="expired"):
            sim.authorize(token)

    async def test_reset_over_http(self) -> None:
        """Over HTTP, the token used just before a reset is a 401 just after it."""
        api = Api(create_app(new_sim()))
        await api.login()
        assert (await api.get("/v2/products")).status_code == 200
        assert (await api.post("/_sim/reset", headers=JSON_TYPE)).status_code == 204
        response = await api.get("/v2/products")
        assert response.status_code == 401
        assert "not valid" in response.json()["message"]


class TestCallIfIdle:
    """What may run on the event loop: reads, with the engine idle and the world caught up."""

    def test_runs_when_idle(self) -> None:
        """Frozen, idle, caught up: the work runs here and its result comes back."""
        sim = new_sim()
        assert sim.call_if_idle(lambda: sim.now) == (sim.now,)

    def test_refused_while_another_thread_holds_the_engine(self) -> None:
        """Another call in progress: nothing runs, nothing waits."""
        sim = new_sim()
        held, release = threading.Event(), threading.Event()

        def hold() -> None:
            with sim.store.lock:
                held.set()
                release.wait(10)

        thread = threading.Thread(target=hold)
        thread.start()
        held.wait(10)
        try:
            ran: list[bool] = []
            assert sim.call_if_idle(lambda: ran.append(True)) is None
            assert ran == []
        finally:
            release.set()
            thread.join()

    def test_runs_on_a_running_clock_with_nothing_due(self) -> None:
        """Between ticks, a running clock's catch-up is only the clock moving: it runs."""
        real = [0.0]
        sim = new_sim(mode="running", monotonic=lambda: real[0])
        order = sim.create_order(payload(sim, 1))
        real[0] = 3_600.0
        now = sim.call_if_idle(lambda: sim.now.isoformat())  # noqa: PLW0108 - read inside
        assert now == ("2026-03-02T13:00:00+00:00",)
        assert sim.call_if_idle(lambda: sim.get_order(order["id"])["status"]) == ("Pending",)

    def test_refused_when_due_work_must_run_first(self) -> None:
        """Past the nightly batch, the catch-up is work: refused, and nothing of it done."""
        real = [0.0]
        sim = new_sim(mode="running", monotonic=lambda: real[0])
        order = sim.create_order(payload(sim, 1))
        real[0] = 24 * 3_600.0  # past 2026-03-03T08:00Z
        assert sim.call_if_idle(lambda: sim.get_order(order["id"])) is None
        (status,) = sim.store.query("SELECT status FROM orders")[0]
        assert status == "Pending"  # the batch waits for a call that may run it
        assert sim.get_order(order["id"])["status"] == "Accepted"
        assert sim.call_if_idle(lambda: sim.get_order(order["id"])["status"]) == ("Accepted",)

    def test_refused_when_catching_up_writes(self, tmp_path: Path) -> None:
        """A file store saves its clock at each catch-up: a write, so not on the loop."""
        real = [0.0]
        sim = new_sim(mode="running", monotonic=lambda: real[0], db=tmp_path / "world.db")
        try:
            real[0] = 60.0
            assert sim.call_if_idle(lambda: sim.now) is None
            assert sim.now.isoformat() == "2026-03-02T12:01:00+00:00"
        finally:
            sim.close()

    def test_long_sql_is_interrupted(self) -> None:
        """A read past its SQL budget stops and counts as not run; the store still works."""
        sim = new_sim()
        order = sim.create_order(payload(sim, 1))
        count = (
            "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 10000000) "
            "SELECT COUNT(*) FROM n"
        )
        assert sim.call_if_idle(lambda: sim.store.query(count)) is None
        assert sim.get_order(order["id"]) == order
        assert sim.call_if_idle(lambda: sim.get_order(order["id"])) == (order,)

    def test_errors_pass_through(self) -> None:
        """An error of the work itself is raised, not taken for a refusal."""
        sim = new_sim()

        def broken() -> None:
            raise ValueError("boom")

        with pytest.raises(ValueError, match="boom"):
            sim.call_if_idle(broken)
        assert sim.call_if_idle(lambda: 1) == (1,)


class Hops:
    """Counts the HTTP layer's trips to a worker thread."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Wrap `run_in_threadpool` where the middleware and the dispatcher call it."""
        self.count = 0
        real = starlette.concurrency.run_in_threadpool

        async def counted(func: Callable[..., Any], *args: Any) -> Any:
            self.count += 1
            return await real(func, *args)

        monkeypatch.setattr(_endpoints, "run_in_threadpool", counted)
        monkeypatch.setattr(_middleware, "run_in_threadpool", counted)

    def take(self) -> int:
        """The count since the last take."""
        count, self.count = self.count, 0
        return count


class TestOneHop:
    """A request takes at most one trip to a worker thread, and X-Sim-Time stays exact."""

    async def test_frozen_reads_take_none(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """On a frozen clock, reads by key and pages run on the loop once the token is known."""
        sim = new_sim()
        order = sim.create_order(payload(sim, 1))
        hops = Hops(monkeypatch)
        api = Api(create_app(sim))
        await api.login()
        assert (await api.get("/v2/products")).status_code == 200
        hops.take()  # the login, and the store vouching for the new token
        for path in (f"/v2/orders/{order['id']}", "/v2/orders", "/v2/products"):
            response = await api.get(path)
            assert response.status_code == 200
            assert response.headers["X-Sim-Time"] == START
            assert hops.take() == 0, path

    async def test_running_clock_reads_hop_only_when_work_fell_due(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """On a running clock a read takes no hop between ticks, one past the batch; a write one."""
        real = [0.0]
        sim = new_sim(mode="running", monotonic=lambda: real[0])
        hops = Hops(monkeypatch)
        api = Api(create_app(sim))
        await api.login()
        order = await api.create_order()
        hops.take()
        real[0] = 30.0
        response = await api.get(f"/v2/orders/{order['id']}")
        assert response.headers["X-Sim-Time"] == "2026-03-02T12:00:30Z"
        assert response.json()["order"]["status"] == "Pending"
        assert hops.take() == 0
        response = await api.put(f"/v2/orders/{order['id']}", json={"note": "hi"})
        assert response.status_code == 200
        assert hops.take() == 1
        real[0] = 20 * 3_600.0  # 2026-03-03T08:00Z: the nightly batch falls due
        response = await api.get(f"/v2/orders/{order['id']}")
        assert response.json()["order"]["status"] == "Accepted"
        assert response.headers["X-Sim-Time"] == "2026-03-03T08:00:00Z"
        assert hops.take() == 1

    async def test_advance_reports_the_time_it_moved_to(self) -> None:
        """On a running clock too, the advance's own X-Sim-Time is its new now."""
        sim = new_sim(mode="running", monotonic=lambda: 0.0)
        api = Api(create_app(sim))
        response = await api.post("/_sim/clock/advance", json={"seconds": 3600})
        assert response.json()["now"] == "2026-03-02T13:00:00Z"
        assert response.headers["X-Sim-Time"] == "2026-03-02T13:00:00Z"

    async def test_a_read_past_its_budget_moves_to_a_thread(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """An interrupted read is redone in a worker thread, with the same answer."""
        sim = new_sim()
        for number in range(3):
            sim.create_order(payload(sim, number))
        api = Api(create_app(sim))
        await api.login()
        inline = await api.get("/v2/orders")
        hops = Hops(monkeypatch)
        monkeypatch.setattr(engine, "_STEPS_PER_CHECK", 1)
        monkeypatch.setattr(engine, "_IDLE_SQL_STEPS", 0)
        redone = await api.get("/v2/orders")
        assert hops.take() == 1
        assert redone.content == inline.content
        assert redone.headers["X-Sim-Time"] == inline.headers["X-Sim-Time"]


@pytest.fixture
def accepted_world() -> Iterator[tuple[Simulator, dict[str, str]]]:
    """A frozen simulator whose orders the lifecycle has moved on, by how they got there."""
    sim = new_sim()
    products = [p["id"] for p in sim.list_products()]
    sent = {
        "fulfillment_id": "00000000-0000-4000-8000-000000000001",
        "pouches": [{"contents": [{"client_product_id": products[0]}]}],
    }
    names = (
        "accepted",
        "in production",
        "shipped",
        "delivered",
        "sent fulfillment",
        "requeued by OKC",
        "requeued by the client",
        "two lines",
    )
    plain = {key: value for key, value in sent.items() if key != "fulfillment_id"}
    lines = {"sent fulfillment": [sent], "two lines": [plain, plain]}
    ids: dict[str, str] = {}
    for number, name in enumerate(names):
        request = payload(sim, number)
        request["order_lines"] = lines.get(name, request["order_lines"])
        ids[name] = sim.create_order(request)["id"]
    sim.advance(to=sim.clock_state()["next_batch_at"])
    for name, events in {
        "shipped": ("start_production", "ship"),
        "delivered": ("start_production", "ship", "deliver"),
        "sent fulfillment": ("start_production", "ship"),
        "two lines": ("start_production", "ship"),
        "requeued by OKC": ("okc_hold", "okc_release"),
        "requeued by the client": ("okc_hold",),
    }.items():
        for event in events:
            sim.force(ids[name], event)
    sim.update_order(ids["requeued by the client"], {"status": "Pending"})
    sim.advance(to=sim.clock_state()["next_batch_at"])
    sim.force(ids["in production"], "start_production")  # after the night: it would ship by then
    yield sim, ids
    sim.close()


class TestAcceptedOrders:
    """An accepted order's spliced bytes are its document, whatever its events have set."""

    def test_each_order_reads_the_same_both_ways(
        self, accepted_world: tuple[Simulator, dict[str, str]]
    ) -> None:
        """`get_order_json` decodes to `get_order` for every lifecycle an order went through."""
        sim, ids = accepted_world
        statuses = set()
        for order_id in ids.values():
            order = sim.get_order(order_id)
            assert json.loads(sim.get_order_json(order_id)) == order
            custom = order["client_custom_order_id"]
            assert json.loads(sim.get_order_by_client_order_id_json(custom)) == order
            statuses.add(order["status"])
        assert statuses == {"Accepted", "In Production", "Shipped", "Delivered"}

    def test_pages_read_the_same_both_ways(
        self, accepted_world: tuple[Simulator, dict[str, str]]
    ) -> None:
        """`list_orders_json` decodes to `list_orders`, page by page."""
        sim, _ids = accepted_world
        cursor = None
        for _ in range(10):
            page = sim.list_orders(None, 3, cursor)
            assert json.loads(sim.list_orders_json(None, 3, cursor)) == page
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert cursor is None

    def test_a_requeued_order_lists_both_batches(
        self, accepted_world: tuple[Simulator, dict[str, str]]
    ) -> None:
        """Requeued by OKC or by its client, an order accepted twice names both nights."""
        sim, ids = accepted_world
        once = sim.get_order(ids["accepted"])
        for name in ("requeued by OKC", "requeued by the client"):
            twice = sim.get_order(ids[name])
            first, second = twice["batch_ids"].split(",")
            assert first == once["batch_id"] != second == twice["batch_id"]
            assert {line["batch_id"] for line in twice["order_lines"]} == {second}

    def test_shipped_lines_name_their_fulfillment(
        self, accepted_world: tuple[Simulator, dict[str, str]]
    ) -> None:
        """Every line of a shipped order names its fulfillment, in place of one the client sent."""
        sim, ids = accepted_world
        for name in ("shipped", "delivered", "sent fulfillment", "two lines"):
            order = sim.get_order(ids[name])
            (fulfillment,) = sim.list_fulfillments(ids[name])
            assert {line["fulfillment_id"] for line in order["order_lines"]} == {fulfillment["id"]}
            assert len(json.loads(sim.get_order_json(ids[name]))["order_lines"]) == len(
                order["order_lines"]
            )
        assert len(sim.get_order(ids["two lines"])["order_lines"]) == 2
        in_production = sim.get_order(ids["in production"])
        assert "fulfillment_id" not in in_production["order_lines"][0]
