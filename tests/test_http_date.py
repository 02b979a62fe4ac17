"""Tests that HTTP's own `Date` header follows the simulated clock, over a real socket."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx

from simulator import Simulator
from simulator._server import LiveServer

START = "2026-03-02T17:00:00Z"
CREDENTIALS = {"email": "integrator@example.com", "password": "sandbox"}


def sim_date(response: httpx.Response) -> datetime:
    """The response's one `Date` header, checked to be RFC 9110's IMF-fixdate, as a datetime."""
    (date,) = response.headers.get_list("date")
    assert date.endswith(" GMT")
    assert len(date) == len("Mon, 02 Mar 2026 17:00:00 GMT")
    return parsedate_to_datetime(date)


def sim_time(response: httpx.Response) -> datetime:
    """The response's X-Sim-Time, to the second (HTTP dates have no fractions)."""
    return datetime.fromisoformat(response.headers["X-Sim-Time"]).replace(microsecond=0)


class TestDateHeader:
    """`Date` is the simulated now, the same instant as X-Sim-Time, on every response."""

    def test_every_kind_of_response(self, live: LiveServer) -> None:
        """A 200, 401, 404, 422, an injected 503 and the control API all carry one Date."""
        with httpx.Client(base_url=live.url) as client:
            httpx.post(f"{live.url}/_sim/faults", json={"kind": "error", "route": "/v2/products"})
            responses = [
                client.post("/v2/authentication/token", json=CREDENTIALS),
                client.get("/v2/orders"),
                client.get("/no/such/route"),
                client.post("/_sim/clock/advance", json={"seconds": -1}),
                client.get("/v2/products"),
                client.get("/_sim/clock"),
            ]
        assert [r.status_code for r in responses] == [200, 401, 404, 422, 503, 200]
        expected = datetime.fromisoformat(START)
        assert [sim_date(r) for r in responses] == [expected] * len(responses)
        assert all(sim_time(r) == expected for r in responses)

    def test_follows_an_advance(self, live: LiveServer) -> None:
        """After advancing 3 days, Date has moved 3 days and equals X-Sim-Time."""
        before = httpx.get(f"{live.url}/_sim/clock")
        advanced = httpx.post(f"{live.url}/_sim/clock/advance", json={"seconds": 3 * 86_400})
        after = httpx.get(f"{live.url}/_sim/clock")
        assert advanced.status_code == 200
        assert sim_date(after) - sim_date(before) == timedelta(days=3)
        assert sim_date(after) == sim_time(after)
        assert sim_date(advanced) == sim_time(advanced)

    def test_running_clock_to_the_second(self) -> None:
        """On a running clock, Date is X-Sim-Time without its fraction of a second."""
        sim = Simulator(start=START, mode="running", speed=1000)
        try:
            with LiveServer(sim) as server:
                responses = [httpx.get(f"{server.url}/_sim/clock") for _ in range(3)]
        finally:
            sim.close()
        assert all(sim_date(r) == sim_time(r) for r in responses)
        assert sim_date(responses[-1]) > datetime.fromisoformat(START)
        assert sim_date(responses[0]).tzinfo == UTC
