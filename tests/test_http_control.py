"""Tests for the control API under /_sim: clock, reset, operator events, journal, lock."""

from __future__ import annotations

import pytest
from test_http_support import JSON_TYPE, START, UNKNOWN_UUID, Api

from simulator import Simulator
from simulator.http import create_app

pytestmark = pytest.mark.anyio

ADMIN = "s3cret-admin"


class TestClock:
    """GET/POST /_sim/clock and POST /_sim/clock/advance."""

    async def test_read(self, api: Api) -> None:
        """The clock reports now, mode, speed, zone and the next batch."""
        assert (await api.get("/_sim/clock")).json() == {
            "now": START,
            "mode": "frozen",
            "speed": 1.0,
            "timezone": "America/Los_Angeles",
            "next_batch_at": "2026-03-03T08:00:00Z",
        }

    async def test_advance_by_seconds_runs_due_work(self, api: Api) -> None:
        """Advancing past the batch returns the new now and counts the status changes."""
        await api.create_order()
        await api.create_order()
        response = await api.post("/_sim/clock/advance", json={"seconds": 86400})
        assert response.json() == {"now": "2026-03-03T12:00:00Z", "events_applied": 2}

    async def test_advance_to_an_instant(self, api: Api) -> None:
        """`to` with an offset moves the clock to that instant, reported in UTC."""
        response = await api.post("/_sim/clock/advance", json={"to": "2026-03-02T05:00:00-08:00"})
        assert response.json() == {"now": "2026-03-02T13:00:00Z", "events_applied": 0}

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"seconds": -1}, "seconds"),
            ({"to": "2026-03-01T00:00:00Z"}, "to"),
            ({"seconds": "10"}, "seconds"),
            ({"seconds": True}, "seconds"),
            ({"seconds": 1e12}, "seconds"),
            ({"to": "2026-03-03T00:00:00"}, "to"),
            ({"to": "tomorrow"}, "to"),
            ({"to": "9999-12-31T23:59:59Z"}, "to"),
            ({"to": 5}, "to"),
            ({}, ""),
            ({"seconds": 1, "to": START}, ""),
            ({"minutes": 5}, "minutes"),
        ],
    )
    async def test_refused_advances(self, api: Api, body: dict[str, object], field: str) -> None:
        """Backwards, malformed or ambiguous advances are a 422 naming the field."""
        response = await api.post("/_sim/clock/advance", json=body)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == field
        assert (await api.get("/_sim/clock")).json()["now"] == START

    async def test_backwards_says_so(self, api: Api) -> None:
        """Moving time backwards is refused with a message saying time never moves backwards."""
        response = await api.post("/_sim/clock/advance", json={"to": "2026-03-01T00:00:00Z"})
        assert "never moves backwards" in response.json()["message"]

    async def test_run_and_freeze(self, api: Api) -> None:
        """POST /_sim/clock switches mode and speed and reports the clock."""
        running = await api.post("/_sim/clock", json={"mode": "running", "speed": 60})
        assert running.status_code == 200
        assert running.json()["mode"] == "running"
        assert running.json()["speed"] == 60
        frozen = await api.post("/_sim/clock", json={"mode": "frozen"})
        assert frozen.json()["mode"] == "frozen"

    @pytest.mark.parametrize(
        "body",
        [{}, {"mode": "paused"}, {"speed": 0}, {"speed": -2}, {"speed": "fast"}, {"tz": "UTC"}],
    )
    async def test_bad_clock_settings(self, api: Api, body: dict[str, object]) -> None:
        """Unknown modes, non-positive speeds and unknown fields are a 422."""
        response = await api.post("/_sim/clock", json=body)
        assert response.status_code == 422


class TestReset:
    """POST /_sim/reset."""

    async def test_empties_the_world_and_keeps_the_time(self, api: Api) -> None:
        """Orders are gone, the clock keeps its time, and a new login works."""
        order = await api.create_order()
        await api.advance(seconds=60)
        assert (await api.post("/_sim/reset", headers=JSON_TYPE)).status_code == 204
        assert (await api.get("/_sim/clock")).json()["now"] == "2026-03-02T12:01:00Z"
        await api.login()
        assert (await api.get(f"/v2/orders/{order['id']}")).status_code == 404
        assert (await api.get("/v2/orders/count")).json() == {"count": 0}


class TestOperatorEvents:
    """POST /_sim/orders/{id}/events and GET /_sim/orders/{id}/history."""

    async def test_force_and_history(self, api: Api) -> None:
        """An allowed event moves the order; the history records actor and reason."""
        order = await api.create_order()
        response = await api.post(
            f"/_sim/orders/{order['id']}/events", json={"event": "accept", "reason": "rush"}
        )
        assert response.status_code == 200
        assert response.json()["order"]["status"] == "Accepted"
        history = (await api.get(f"/_sim/orders/{order['id']}/history")).json()["history"]
        assert [(h["from"], h["to"]) for h in history] == [
            (None, "Pending"),
            ("Pending", "Accepted"),
        ]
        assert history[-1]["event"] == "accept"
        assert history[-1]["actor"] == "batch"  # the table's actor of `accept`, even forced
        assert history[-1]["reason"] == "rush"

    async def test_forbidden_event_is_a_409(self, api: Api) -> None:
        """An event the machine forbids is a 409 naming the status and the event."""
        order = await api.create_order()
        response = await api.post(f"/_sim/orders/{order['id']}/events", json={"event": "ship"})
        assert response.status_code == 409
        message = response.json()["message"]
        assert "'ship'" in message
        assert "'Pending'" in message
        assert response.json()["error"]["errorCode"] == "illegal_transition"
        assert await api.status(order["id"]) == "Pending"

    @pytest.mark.parametrize("event", ["teleport", "update", "cancel", "create"])
    async def test_unknown_or_client_event_is_a_422(self, api: Api, event: str) -> None:
        """A name that is not an operator event is a 422 on `event`."""
        order = await api.create_order()
        response = await api.post(f"/_sim/orders/{order['id']}/events", json={"event": event})
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "event"

    @pytest.mark.parametrize(
        "body", [{}, {"event": 3}, {"event": "ship", "reason": 4}, {"event": "ship", "why": "x"}]
    )
    async def test_malformed_event_request(self, api: Api, body: dict[str, object]) -> None:
        """A missing or mistyped event or reason, or an unknown field, is a 422."""
        order = await api.create_order()
        response = await api.post(f"/_sim/orders/{order['id']}/events", json=body)
        assert response.status_code == 422

    async def test_unknown_order(self, api: Api) -> None:
        """Events and history of an unknown order are a 404."""
        response = await api.post(f"/_sim/orders/{UNKNOWN_UUID}/events", json={"event": "ship"})
        assert response.status_code == 404
        assert (await api.get(f"/_sim/orders/{UNKNOWN_UUID}/history")).status_code == 404


class TestJournal:
    """GET /_sim/requests."""

    async def test_records_requests_newest_last(self, api: Api, sim: Simulator) -> None:
        """Each answered request is recorded with sim time, status and client."""
        await api.get("/v2/orders", params={"limit": "5"})
        await api.advance(seconds=30)
        await api.get(f"/v2/orders/{UNKNOWN_UUID}")
        entries = (await api.get("/_sim/requests")).json()["requests"]
        listing = entries[1]
        assert listing["method"] == "GET"
        assert listing["path"] == "/v2/orders"
        assert listing["query"] == "limit=5"
        assert listing["status"] == 200
        assert listing["client_id"] == sim.client_id()
        assert listing["at"] == START
        assert listing["duration_ms"] >= 0
        last = entries[-1]
        assert (last["path"], last["status"], last["at"]) == (
            f"/v2/orders/{UNKNOWN_UUID}",
            404,
            "2026-03-02T12:00:30Z",
        )
        assert entries[0]["path"] == "/v2/authentication/token"
        assert entries[0]["client_id"] == sim.client_id(), "a token request names who logged in"
        assert entries[0]["observed"] == []
        assert listing["id"] == entries[0]["id"] + 1

    async def test_limit(self, api: Api) -> None:
        """`limit` keeps only the newest entries."""
        await api.get("/v2/products")
        entries = (await api.get("/_sim/requests", params={"limit": "1"})).json()["requests"]
        assert [e["path"] for e in entries] == ["/v2/products"]

    @pytest.mark.parametrize("limit", ["0", "x", "1001"])
    async def test_bad_limit(self, api: Api, limit: str) -> None:
        """A limit outside 1..journal size is a 400."""
        response = await api.get("/_sim/requests", params={"limit": limit})
        assert response.status_code == 400

    async def test_bounded(self, sim: Simulator) -> None:
        """Only the last `journal_size` requests are kept."""
        api = Api(create_app(sim, journal_size=3))
        for _ in range(5):
            await api.get("/_sim/clock")
        entries = (await api.get("/_sim/requests")).json()["requests"]
        assert len(entries) == 3

    async def test_reset_clears_it(self, api: Api) -> None:
        """After a reset the journal holds only the reset itself."""
        await api.get("/v2/products")
        await api.post("/_sim/reset", headers=JSON_TYPE)
        entries = (await api.get("/_sim/requests")).json()["requests"]
        assert [(e["method"], e["path"]) for e in entries] == [("POST", "/_sim/reset")]


class TestLock:
    """The control API behind the admin token (servers beyond loopback)."""

    async def test_open_on_loopback(self, sim: Simulator) -> None:
        """Without control_requires_token the control API needs no token, even with one set."""
        api = Api(create_app(sim, admin_token=ADMIN))
        assert (await api.get("/_sim/clock")).status_code == 200

    async def test_missing_token_is_a_401(self, sim: Simulator) -> None:
        """Locked, a request without a token is a 401 saying how to send it."""
        api = Api(create_app(sim, admin_token=ADMIN, control_requires_token=True))
        for response in (
            await api.get("/_sim/clock"),
            await api.post("/_sim/reset", headers=JSON_TYPE),
            await api.get("/_sim/openapi.json"),
        ):
            assert response.status_code == 401
            assert "X-Admin-Token" in response.json()["message"]

    async def test_wrong_token_is_a_403(self, sim: Simulator) -> None:
        """Locked, a wrong token (or a client's access token) is a 403."""
        api = Api(create_app(sim, admin_token=ADMIN, control_requires_token=True))
        tokens = await api.login()
        assert "Authorization" in api.client.headers
        assert (await api.get("/_sim/clock")).status_code == 403
        response = await api.get("/_sim/clock", headers={"X-Admin-Token": "guess"})
        assert response.status_code == 403
        assert tokens["access_token"] not in response.text

    @pytest.mark.parametrize(
        "headers", [{"Authorization": f"Bearer {ADMIN}"}, {"X-Admin-Token": ADMIN}]
    )
    async def test_admin_token_unlocks(self, sim: Simulator, headers: dict[str, str]) -> None:
        """Locked, the admin token as a bearer or in X-Admin-Token is let through."""
        api = Api(create_app(sim, admin_token=ADMIN, control_requires_token=True))
        assert (await api.get("/_sim/clock", headers=headers)).status_code == 200
        assert (await api.post("/_sim/reset", headers=headers | JSON_TYPE)).status_code == 204

    async def test_locked_without_an_admin_token(self, sim: Simulator) -> None:
        """Locked with no admin token configured, nothing unlocks it."""
        api = Api(create_app(sim, control_requires_token=True))
        response = await api.get("/_sim/clock", headers={"X-Admin-Token": "anything"})
        assert response.status_code == 403

    async def test_lock_leaves_v2_alone(self, sim: Simulator) -> None:
        """The provider API still authenticates clients as usual."""
        api = Api(create_app(sim, admin_token=ADMIN, control_requires_token=True))
        await api.login()
        assert (await api.get("/v2/products")).status_code == 200
