"""Tests for injected faults: `POST /_sim/faults`, `app.state.faults`, and what a client meets."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from test_http_support import EMAIL, JSON_TYPE, PASSWORD, START, UNKNOWN_UUID, Api, address, new_sim

from simulator import Simulator
from simulator._server import LiveServer
from simulator.http import Fault, FaultInjector, create_app

pytestmark = pytest.mark.anyio

T0 = dt.datetime.fromisoformat(START)
RETRYABLE = {429, 500, 502, 503, 504}


@pytest.fixture
def sim() -> Iterator[Simulator]:
    """A fresh frozen simulator at `START`."""
    sim = new_sim()
    yield sim
    sim.close()


@pytest.fixture
async def api(sim: Simulator) -> Api:
    """A logged-in client of an app around `sim`."""
    client = Api(create_app(sim))
    await client.login()
    return client


def faults_of(api: Api) -> FaultInjector:
    """The fault rules of the app behind a client."""
    injector = api.app.state.faults
    assert isinstance(injector, FaultInjector)
    return injector


async def add(api: Api, **rule: Any) -> dict[str, Any]:
    """Add one rule over HTTP and return it as stored."""
    response = await api.post("/_sim/faults", json=rule)
    assert response.status_code == 201, response.text
    stored: dict[str, Any] = response.json()["faults"][0]
    return stored


async def statuses(api: Api, count: int, url: str = "/v2/products") -> list[int]:
    """The statuses of `count` GETs of one URL, in order."""
    return [(await api.get(url)).status_code for _ in range(count)]


def injector(sim: Simulator) -> FaultInjector:
    """A fault injector on the simulator's seed and clock, as `create_app` makes one."""
    return FaultInjector(sim.seed, lambda: sim.now)


class TestInjector:
    """`FaultInjector` on its own, as `app.state.faults` offers it to Python tests."""

    def test_add_fills_in_defaults(self, sim: Simulator) -> None:
        """A rule gets an id, every route under /v2, status 503, certainty and the request stage."""
        fault = injector(sim).add("error")
        assert fault == Fault(
            id="fault-1",
            kind="error",
            route="/v2/*",
            methods=None,
            status=503,
            latency_ms=None,
            retry_after=None,
            probability=1.0,
            count=None,
            remaining=None,
            until=None,
            stage="request",
            applied=0,
        )

    def test_ids_count_again_after_clear(self, sim: Simulator) -> None:
        """Ids go fault-1, fault-2, and start over once the rules are cleared."""
        faults = injector(sim)
        assert [faults.add("drop").id, faults.add("drop").id] == ["fault-1", "fault-2"]
        faults.clear()
        assert faults.active() == []
        assert faults.add("drop").id == "fault-1"

    def test_methods_and_until(self, sim: Simulator) -> None:
        """A single method name is a list of one, upper-cased; `for_seconds` becomes `until`."""
        fault = injector(sim).add("drop", methods="post", for_seconds=90)
        assert fault.methods == ("POST",)
        assert fault.until == T0 + dt.timedelta(seconds=90)

    def test_bad_rule_is_a_value_error_naming_the_field(self, sim: Simulator) -> None:
        """A status an error fault cannot answer is refused, naming `status`."""
        with pytest.raises(ValueError, match=r"^status: "):
            injector(sim).add("error", status=404)

    def test_remove_by_rule_or_id(self, sim: Simulator) -> None:
        """A rule can be removed by itself or by its id; an unknown id is a KeyError."""
        faults = injector(sim)
        first, second = faults.add("drop"), faults.add("drop")
        faults.remove(first)
        faults.remove(second.id)
        assert faults.active() == []
        with pytest.raises(KeyError):
            faults.remove("fault-1")

    def test_count_runs_out(self, sim: Simulator) -> None:
        """A rule with a count strikes that many times, then is gone."""
        faults = injector(sim)
        faults.add("error", count=2)
        hits = [faults.pick("GET", "/v2/orders", T0) for _ in range(3)]
        assert [hit is not None and hit.remaining for hit in hits] == [1, 0, False]
        assert faults.active() == []

    def test_until_ends_a_rule(self, sim: Simulator) -> None:
        """A rule strikes before `until` (simulated) and never from that instant on."""
        faults = injector(sim)
        faults.add("error", until="2026-03-02T13:00:00Z")
        assert faults.pick("GET", "/v2/orders", T0 + dt.timedelta(minutes=59)) is not None
        assert faults.pick("GET", "/v2/orders", T0 + dt.timedelta(hours=1)) is None
        assert faults.pick("GET", "/v2/orders", T0) is None

    def test_control_routes_are_never_struck(self, sim: Simulator) -> None:
        """Even a rule for every route leaves /_sim alone."""
        faults = injector(sim)
        faults.add("error", route="*")
        assert faults.pick("GET", "/_sim/clock", T0) is None
        assert faults.pick("GET", "/_sim", T0) is None
        assert faults.pick("GET", "/", T0) is not None

    @pytest.mark.parametrize(
        ("route", "path", "struck"),
        [
            ("*", "/v2/orders", True),
            ("/v2/*", "/v2/orders", True),
            ("/v2/*", "/v2/orders/x/fulfillments", True),
            ("/v2/*", "/v2", False),
            ("/v2/orders", "/v2/orders", True),
            ("/v2/orders", "/v2/orders/count", False),
            ("/v2/orders/{id}", f"/v2/orders/{UNKNOWN_UUID}", True),
            ("/v2/orders/{id}", f"/v2/orders/{UNKNOWN_UUID}/fulfillments", False),
            ("/v2/orders/{id}", "/v2/orders", False),
            ("/v2/*/{id}", "/v2/fulfillments/abc", True),
            ("/v2/orders/*", "/v2/orders", False),
            ("/v2/orders/*", "/v2/orders/a/b", True),
            ("/v2/orders.json", "/v2/ordersXjson", False),
        ],
    )
    def test_route_patterns(self, sim: Simulator, route: str, path: str, struck: bool) -> None:
        """`{name}` and an inner `*` match one segment, a final `*` everything below."""
        faults = injector(sim)
        faults.add("error", route=route)
        assert (faults.pick("GET", path, T0) is not None) is struck

    def test_methods_filter(self, sim: Simulator) -> None:
        """A rule for POST leaves GET alone."""
        faults = injector(sim)
        faults.add("error", methods=["POST"])
        assert faults.pick("GET", "/v2/orders", T0) is None
        assert faults.pick("POST", "/v2/orders", T0) is not None

    def test_first_rule_that_strikes_applies(self, sim: Simulator) -> None:
        """Of two rules that both strike, the older one answers and counts the strike."""
        faults = injector(sim)
        faults.add("error", status=502)
        faults.add("error", status=504)
        hit = faults.pick("GET", "/v2/orders", T0)
        assert hit is not None
        assert (hit.status, hit.applied) == (502, 1)
        assert [fault.applied for fault in faults.active()] == [1, 0]

    def test_same_seed_same_draws(self) -> None:
        """Two simulators with one seed strike the same requests of the same sequence."""

        def pattern(seed: int) -> list[bool]:
            sim = Simulator(start=START, seed=seed)
            try:
                faults = injector(sim)
                faults.add("error", probability=0.5)
                return [faults.pick("GET", "/v2/orders", T0) is not None for _ in range(64)]
            finally:
                sim.close()

        first = pattern(7)
        assert first == pattern(7)
        assert first != pattern(8)
        assert 16 < sum(first) < 48

    def test_a_rule_draws_whatever_the_rules_before_it_do(self, sim: Simulator) -> None:
        """Every matching rule draws once per request, so a rule's draws depend on its id only."""
        alone, behind = injector(sim), injector(sim)
        alone.add("error", route="/v2/products")  # fault-1 here matches none of the requests
        alone.add("error", status=502, probability=0.5)
        behind.add("error", status=500, probability=0.5)  # fault-1 here sometimes goes first
        behind.add("error", status=502, probability=0.5)
        pairs = [
            (alone.pick("GET", "/v2/orders", T0), behind.pick("GET", "/v2/orders", T0))
            for _ in range(64)
        ]
        assert any(hit is not None and hit.status == 500 for _, hit in pairs)
        for by_itself, after_another in pairs:
            if after_another is None or after_another.status == 502:
                # The earlier rule did not strike, so fault-2 decided, as it did by itself.
                assert (by_itself is not None) is (after_another is not None)


class TestControlApi:
    """POST, GET and DELETE /_sim/faults, and reset."""

    async def test_add_and_list(self, api: Api) -> None:
        """A posted rule is stored with an id, and listed with its remaining count."""
        stored = await add(api, kind="error", route="/v2/orders", status=502, count=3)
        assert (stored["id"], stored["remaining"], stored["applied"]) == ("fault-1", 3, 0)
        listed = (await api.get("/_sim/faults")).json()["faults"]
        assert listed == [stored]

    async def test_add_several(self, api: Api) -> None:
        """`{"faults": [...]}` adds every rule, in order."""
        response = await api.post(
            "/_sim/faults",
            json={"faults": [{"kind": "drop"}, {"kind": "latency", "latency_ms": 1}]},
        )
        assert response.status_code == 201
        assert [f["id"] for f in response.json()["faults"]] == ["fault-1", "fault-2"]

    async def test_python_and_http_share_the_rules(self, api: Api) -> None:
        """A rule added through `app.state.faults` is listed by GET /_sim/faults."""
        faults_of(api).add("rate_limit", retry_after=5)
        listed = (await api.get("/_sim/faults")).json()["faults"]
        assert [(f["kind"], f["retry_after"]) for f in listed] == [("rate_limit", 5)]

    @pytest.mark.parametrize(
        ("rule", "field"),
        [
            ({}, "kind"),
            ({"kind": "boom"}, "kind"),
            ({"kind": "error", "status": 404}, "status"),
            ({"kind": "error", "status": 503.0}, "status"),
            ({"kind": "drop", "status": 503}, "status"),
            ({"kind": "latency"}, "latency_ms"),
            ({"kind": "latency", "latency_ms": 10_000_000}, "latency_ms"),
            ({"kind": "error", "retry_after": 5}, "retry_after"),
            ({"kind": "rate_limit", "retry_after": -1}, "retry_after"),
            ({"kind": "drop", "probability": 2}, "probability"),
            ({"kind": "drop", "probability": True}, "probability"),
            ({"kind": "drop", "count": 0}, "count"),
            ({"kind": "drop", "until": "2026-03-02T11:00:00Z"}, "until"),
            ({"kind": "drop", "until": "2026-03-03T00:00:00"}, "until"),
            ({"kind": "drop", "until": "2026-03-03T00:00:00Z", "for_seconds": 5}, "until"),
            ({"kind": "drop", "for_seconds": 0}, "for_seconds"),
            ({"kind": "drop", "route": "/_sim/clock"}, "route"),
            ({"kind": "drop", "route": "v2/orders"}, "route"),
            ({"kind": "drop", "route": "/v2/ord*"}, "route"),
            ({"kind": "drop", "methods": ["FETCH"]}, "methods"),
            ({"kind": "drop", "methods": []}, "methods"),
            ({"kind": "drop", "stage": "later"}, "stage"),
            ({"kind": "rate_limit", "stage": "response"}, "stage"),
            ({"kind": "drop", "colour": "red"}, "colour"),
            ({"faults": []}, "faults"),
            ({"faults": [{"kind": "drop"}], "kind": "drop"}, "faults"),
        ],
    )
    async def test_bad_rule_is_a_422_naming_the_field(
        self, api: Api, rule: dict[str, Any], field: str
    ) -> None:
        """A missing, unknown or out-of-range field is a 422 whose errors name it."""
        response = await api.post("/_sim/faults", json=rule)
        assert response.status_code == 422
        assert field in [error["field"] for error in response.json()["errors"]]

    async def test_one_bad_rule_adds_none(self, api: Api) -> None:
        """A list with one bad rule is refused whole, naming the rule by its index."""
        response = await api.post(
            "/_sim/faults", json={"faults": [{"kind": "drop"}, {"kind": "error", "status": 418}]}
        )
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["faults[1].status"]
        assert (await api.get("/_sim/faults")).json() == {"faults": []}

    async def test_not_an_object(self, api: Api) -> None:
        """A body that is not an object is a 422."""
        response = await api.post("/_sim/faults", json=["drop"])
        assert response.status_code == 422

    async def test_delete_one(self, api: Api) -> None:
        """DELETE /_sim/faults/{id} removes that rule; a second time it is a 404."""
        first = await add(api, kind="drop")
        second = await add(api, kind="drop")
        assert (await api.delete(f"/_sim/faults/{first['id']}")).status_code == 204
        assert (await api.get("/_sim/faults")).json()["faults"] == [second]
        assert (await api.delete(f"/_sim/faults/{first['id']}")).status_code == 404

    async def test_delete_all(self, api: Api) -> None:
        """DELETE /_sim/faults removes every rule, and requests are answered again."""
        await add(api, kind="error")
        assert (await api.delete("/_sim/faults")).status_code == 204
        assert (await api.get("/_sim/faults")).json() == {"faults": []}
        assert (await api.get("/v2/products")).status_code == 200

    async def test_reset_clears_faults(self, api: Api) -> None:
        """POST /_sim/reset removes every rule."""
        await add(api, kind="error")
        assert (await api.post("/_sim/reset", headers=JSON_TYPE)).status_code == 204
        assert (await api.get("/_sim/faults")).json() == {"faults": []}
        await api.login()
        assert (await api.get("/v2/products")).status_code == 200

    async def test_control_api_is_never_faulted(self, api: Api) -> None:
        """A rule for every route fails /v2 but not /_sim."""
        await add(api, kind="error", route="*")
        assert (await api.get("/_sim/clock")).status_code == 200
        assert (await api.get("/_sim/faults")).status_code == 200
        assert (await api.get("/v2/products")).status_code == 503


class TestKinds:
    """What a client meets for each kind of fault."""

    @pytest.mark.parametrize(
        ("status", "code"),
        [
            (500, "internal_error"),
            (502, "bad_gateway"),
            (503, "service_unavailable"),
            (504, "gateway_timeout"),
        ],
    )
    async def test_error(self, sim: Simulator, status: int, code: str) -> None:
        """An error fault answers its status in the API's error shape, saying it is injected."""
        api = Api(create_app(sim), allow_500=True)
        await api.login()
        await add(api, kind="error", status=status)
        response = await api.get("/v2/products")
        assert response.status_code == status
        body = response.json()
        assert body["error"]["errorCode"] == code
        assert "Injected fault fault-1" in body["message"]
        assert response.headers["X-Sim-Fault"] == "error"
        assert response.headers["X-Sim-Fault-Id"] == "fault-1"

    async def test_latency(self, api: Api) -> None:
        """A latency fault delays a normal answer and marks it."""
        await add(api, kind="latency", latency_ms=5)
        response = await api.get("/v2/products")
        assert response.status_code == 200
        assert response.json()["products"]
        assert response.headers["X-Sim-Fault"] == "latency"

    async def test_rate_limit(self, api: Api) -> None:
        """A rate-limit fault is a 429 with Retry-After that uses none of the real allowance."""
        before = await api.get("/v2/products")
        await add(api, kind="rate_limit", retry_after=30, count=1)
        storm = await api.get("/v2/products")
        after = await api.get("/v2/products")
        assert storm.status_code == 429
        assert storm.headers["Retry-After"] == "30"
        assert storm.headers["X-RateLimit-Remaining"] == "0"
        assert storm.headers["X-RateLimit-Reset"] == "2026-03-02T12:00:30Z"
        assert storm.headers["X-Sim-Fault"] == "rate_limit"
        assert storm.json()["error"]["errorCode"] == "rate_limited"
        remaining = int(before.headers["X-RateLimit-Remaining"])
        assert int(after.headers["X-RateLimit-Remaining"]) == remaining - 1

    async def test_rate_limit_without_a_limiter(self, sim: Simulator) -> None:
        """With rate limiting off, the injected 429 carries Retry-After alone."""
        api = Api(create_app(sim, rate_limit=None))
        await api.login()
        await add(api, kind="rate_limit")
        response = await api.get("/v2/products")
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "60"
        assert "X-RateLimit-Limit" not in response.headers

    async def test_drop_in_process(self, api: Api) -> None:
        """In process, a dropped connection is a ConnectionResetError from the client call."""
        await add(api, kind="drop", count=1)
        with pytest.raises(ConnectionResetError):
            await api.get("/v2/products")
        assert (await api.get("/v2/products")).status_code == 200

    async def test_request_stage_leaves_the_world_alone(self, api: Api) -> None:
        """A request-stage error answers before the engine runs: no order is created."""
        payload = await api.order_payload()
        await add(api, kind="error", methods=["POST"], route="/v2/orders")
        assert (await api.post("/v2/orders", json=payload)).status_code == 503
        assert (await api.get("/v2/orders/count")).json() == {"count": 0}

    async def test_response_stage_error_after_the_work(self, api: Api) -> None:
        """A response-stage error replaces the answer of a request that did its work."""
        payload = await api.order_payload(client_custom_order_id="po-1")
        await add(api, kind="error", status=504, route="/v2/orders", stage="response", count=1)
        response = await api.post("/v2/orders", json=payload)
        assert response.status_code == 504
        found = await api.get("/v2/orders/by-client-order-id/po-1")
        assert found.status_code == 200

    async def test_response_stage_drop_after_the_work(self, api: Api) -> None:
        """A response-stage drop loses the answer of a request that created an order."""
        payload = await api.order_payload(client_custom_order_id="po-2")
        await add(api, kind="drop", route="/v2/orders", stage="response", count=1)
        with pytest.raises(ConnectionResetError):
            await api.post("/v2/orders", json=payload)
        assert (await api.get("/v2/orders/count")).json() == {"count": 1}

    async def test_response_stage_latency(self, api: Api) -> None:
        """A response-stage latency fault delays the handler's own answer."""
        await add(api, kind="latency", latency_ms=1, stage="response")
        response = await api.post("/v2/orders", json=await api.order_payload())
        assert response.status_code == 201
        assert response.headers["X-Sim-Fault"] == "latency"

    async def test_error_with_latency(self, api: Api) -> None:
        """Any kind may wait before striking: a slow 504 reaches the client as a 504."""
        await add(api, kind="error", status=504, latency_ms=1)
        response = await api.get("/v2/products")
        assert response.status_code == 504

    async def test_unstruck_requests_are_unmarked(self, api: Api) -> None:
        """A route the rule does not match answers normally, without X-Sim-Fault."""
        await add(api, kind="error", route="/v2/orders")
        response = await api.get("/v2/products")
        assert response.status_code == 200
        assert "X-Sim-Fault" not in response.headers


class TestMatchingOverHttp:
    """Routes and methods as a client sees them."""

    async def test_route_with_a_parameter(self, api: Api) -> None:
        """`/v2/orders/{id}` fails one order's reads but not the list."""
        order = await api.create_order()
        await add(api, kind="error", route="/v2/orders/{id}")
        assert (await api.get(f"/v2/orders/{order['id']}")).status_code == 503
        assert (await api.get("/v2/orders")).status_code == 200

    async def test_method(self, api: Api) -> None:
        """A rule for PUT fails updates but not reads of the same order."""
        order = await api.create_order()
        await add(api, kind="error", route="/v2/orders/{id}", methods=["PUT"])
        assert (await api.get(f"/v2/orders/{order['id']}")).status_code == 200
        update = await api.put(f"/v2/orders/{order['id']}", json={"note": "hi"})
        assert update.status_code == 503


class TestTime:
    """Rules that last for a while on the simulated clock, or a number of times."""

    async def test_until(self, api: Api) -> None:
        """A rule stops once the clock passes `until`, and leaves the list."""
        await add(api, kind="error", route="/v2/products", until="2026-03-02T12:10:00Z")
        assert (await api.get("/v2/products")).status_code == 503
        await api.advance(seconds=600)
        assert (await api.get("/v2/products")).status_code == 200
        assert (await api.get("/_sim/faults")).json() == {"faults": []}

    async def test_for_seconds(self, api: Api) -> None:
        """`for_seconds` lasts that many simulated seconds from when the rule was added."""
        stored = await add(api, kind="error", route="/v2/products", for_seconds=60)
        assert stored["until"] == "2026-03-02T12:01:00Z"
        await api.advance(seconds=59)
        assert (await api.get("/v2/products")).status_code == 503
        await api.advance(seconds=1)
        assert (await api.get("/v2/products")).status_code == 200

    async def test_count(self, api: Api) -> None:
        """A rule with count 2 fails two requests, then is gone."""
        await add(api, kind="error", count=2)
        assert await statuses(api, 1) == [503]
        listed = (await api.get("/_sim/faults")).json()["faults"]
        assert (listed[0]["remaining"], listed[0]["applied"]) == (1, 1)
        assert await statuses(api, 2) == [503, 200]
        assert (await api.get("/_sim/faults")).json() == {"faults": []}


class TestDeterminism:
    """Seeded draws: the same requests in the same order meet the same faults."""

    async def test_same_seed_same_sequence(self) -> None:
        """Two servers with one seed fail the same requests; another seed differs."""

        async def run(seed: int) -> list[int]:
            sim = new_sim(seed=seed)
            try:
                api = Api(create_app(sim))
                await api.login()
                await add(api, kind="error", probability=0.5)
                return await statuses(api, 24)
            finally:
                sim.close()

        first = await run(3)
        assert first == await run(3)
        assert first != await run(4)
        assert {200, 503} == set(first)

    async def test_reset_replays(self, api: Api) -> None:
        """After a reset, the same rule over the same requests strikes the same ones again."""
        await add(api, kind="error", probability=0.5)
        before = await statuses(api, 16)
        await api.post("/_sim/reset", headers=JSON_TYPE)
        await api.login()
        await add(api, kind="error", probability=0.5)
        assert await statuses(api, 16) == before


class TestJournal:
    """Struck requests in GET /_sim/requests."""

    async def test_fault_field(self, api: Api) -> None:
        """A struck request names its rule and kind; a dropped one has no status."""
        await add(api, kind="error", count=1)
        await add(api, kind="drop", count=1)
        await api.get("/v2/products")
        with pytest.raises(ConnectionResetError):
            await api.get("/v2/products")
        await api.get("/v2/products")
        entries = (await api.get("/_sim/requests", params={"limit": "3"})).json()["requests"]
        assert [(e["status"], e["fault"]) for e in entries] == [
            (503, {"id": "fault-1", "kind": "error", "stage": "request"}),
            (None, {"id": "fault-2", "kind": "drop", "stage": "request"}),
            (200, None),
        ]


class TestRetries:
    """A client's retry loop, as an integrator would write one, against injected faults."""

    async def test_retry_loop_gets_through(self, api: Api) -> None:
        """Two 503s, then a success: a loop that retries 5xx creates the order exactly once."""
        payload = await api.order_payload()
        await add(api, kind="error", route="/v2/orders", methods=["POST"], count=2)
        seen = []
        for _attempt in range(5):
            response = await api.post("/v2/orders", json=payload)
            seen.append(response.status_code)
            if response.status_code not in RETRYABLE:
                break
        assert seen == [503, 503, 201]
        assert (await api.get("/v2/orders/count")).json() == {"count": 1}


@pytest.fixture
def live(sim: Simulator) -> Iterator[LiveServer]:
    """`sim` served over a real socket on 127.0.0.1 by uvicorn."""
    with LiveServer(sim) as server:
        yield server


@pytest.fixture
def client(live: LiveServer) -> Iterator[httpx.Client]:
    """A logged-in synchronous client of the live server."""
    with httpx.Client(base_url=live.url, timeout=30) as client:
        tokens = client.post(
            "/v2/authentication/token", json={"email": EMAIL, "password": PASSWORD}
        ).json()
        client.headers["Authorization"] = f"Bearer {tokens['access_token']}"
        yield client


class TestOverASocket:
    """Faults as a client sees them over TCP, served by uvicorn."""

    @pytest.mark.parametrize(
        ("path", "body", "field"),
        [
            # Year 1 at +01:00 is year 0 in UTC: this answered 500 before the one parser.
            ("/_sim/faults", {"kind": "error", "until": "0001-01-01T00:00:00+01:00"}, "until"),
            ("/_sim/faults", {"kind": "error", "until": "9999-12-31T23:59:59-01:00"}, "until"),
            ("/_sim/faults", {"kind": "error", "until": "2026-03-03"}, "until"),
            ("/_sim/clock/advance", {"to": "0001-01-01T00:00:00+01:00"}, "to"),
            ("/_sim/clock/advance", {"to": "2026-03-03T00:00:00"}, "to"),
        ],
    )
    def test_bad_instant_is_a_422_naming_the_field(
        self, client: httpx.Client, path: str, body: dict[str, Any], field: str
    ) -> None:
        """An instant out of range, without a zone or without a time is a 422 naming it."""
        response = client.post(path, json=body)
        assert response.status_code == 422, response.text
        assert [error["field"] for error in response.json()["errors"]] == [field]
        assert client.get("/_sim/faults").json()["faults"] == []

    def test_drop_closes_the_connection_unanswered(
        self, client: httpx.Client, caplog: pytest.LogCaptureFixture
    ) -> None:
        """The client reads end of stream instead of a response; the server logs no error."""
        client.post("/_sim/faults", json={"kind": "drop", "count": 1})
        with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
            client.get("/v2/products")
        assert client.get("/v2/products").status_code == 200
        assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []

    def test_drop_after_the_work(self, client: httpx.Client) -> None:
        """A response-stage drop loses the answer, yet the order exists to be looked up."""
        products = client.get("/v2/products").json()["products"]
        client.post(
            "/_sim/faults",
            json={"kind": "drop", "route": "/v2/orders", "stage": "response", "count": 1},
        )
        payload = {
            "client_custom_order_id": "po-9",
            "consumer": {"first_name": "Ada", "last_name": "Lovelace"},
            "shipping_address": address(),
            "order_lines": [
                {
                    "pouches": [
                        {
                            "time_of_administration": "Morning",
                            "contents": [{"client_product_id": products[0]["id"], "quantity": 1}],
                        }
                    ]
                }
            ],
        }
        with pytest.raises(httpx.RemoteProtocolError):
            client.post("/v2/orders", json=payload)
        assert client.get("/v2/orders/by-client-order-id/po-9").status_code == 200

    def test_latency_and_error(self, client: httpx.Client) -> None:
        """A delayed answer and an injected 502 both arrive, marked, over the socket."""
        client.post(
            "/_sim/faults",
            json={
                "faults": [
                    {"kind": "latency", "latency_ms": 20, "count": 1},
                    {"kind": "error", "status": 502, "count": 1},
                ]
            },
        )
        slow = client.get("/v2/products")
        failed = client.get("/v2/products")
        assert (slow.status_code, slow.headers["X-Sim-Fault"]) == (200, "latency")
        assert (failed.status_code, failed.headers["X-Sim-Fault"]) == (502, "error")
