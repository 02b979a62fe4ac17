"""The polling advisor over a real server: a naive poller earns every kind, a careful one none."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from payloads import order_payload

from simulator import Simulator
from simulator._server import LiveServer
from simulator.cli import main
from simulator.http._advice import KINDS

pytest_plugins = ["pytester"]

START = "2026-03-02T12:00:00Z"
"""A Monday, 04:00 in Los Angeles: the next nightly batch is 2026-03-03T08:00:00Z."""
NAIVE, CAREFUL = ("naive@example.com", "naive"), ("careful@example.com", "careful")


@pytest.fixture
def server() -> Iterator[LiveServer]:
    """A frozen world with two clients, served on a real socket, 20 requests an hour each."""
    sim = Simulator(start=START, clients=[NAIVE, CAREFUL])
    try:
        with LiveServer(sim, rate_limit=20) as live:
            yield live
    finally:
        sim.close()


def _token(http: httpx.Client, login: tuple[str, str]) -> dict[str, Any]:
    response = http.post("/v2/authentication/token", json={"email": login[0], "password": login[1]})
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def _advance(http: httpx.Client, seconds: float) -> None:
    assert http.post("/_sim/clock/advance", json={"seconds": seconds}).status_code == 200


def _create_orders(http: httpx.Client, login: tuple[str, str], count: int) -> list[str]:
    headers = {"Authorization": f"Bearer {_token(http, login)['access_token']}"}
    products = http.get("/v2/products", headers=headers).json()["products"]
    ids = []
    for _ in range(count):
        response = http.post("/v2/orders", json=order_payload(products[0]["id"]), headers=headers)
        assert response.status_code == 201
        ids.append(response.json()["order"]["id"])
    return ids


def _naive_poller(http: httpx.Client, order_ids: list[str]) -> None:
    """Every simulated minute: a new token, a sweep from its own clock, a GET per order.

    It ignores 429s and, after ten minutes, sleeps through three simulated days.
    """

    def poll() -> None:
        token = _token(http, NAIVE)["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        watermark = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
        http.get("/v2/orders", params={"filter[updated_at][gte]": watermark}, headers=headers)
        for order_id in order_ids:
            http.get(f"/v2/orders/{order_id}", headers=headers)

    for _ in range(10):
        poll()
        _advance(http, 60)
    _advance(http, 3 * 86_400)
    poll()


def _careful_poller(http: httpx.Client, days: int) -> None:
    """Every 3 simulated hours: one sweep from the last answer's X-Sim-Time, every page read.

    One token, refreshed when it is about to expire.
    """
    tokens = _token(http, CAREFUL)
    issued = datetime.fromisoformat(http.get("/_sim/clock").json()["now"])
    watermark = issued.isoformat()
    for _ in range(days * 8):
        now = datetime.fromisoformat(http.get("/_sim/clock").json()["now"])
        if now - issued >= timedelta(hours=23):
            refreshed = http.post(
                "/v2/authentication/refresh-token", json={"refresh_token": tokens["refresh_token"]}
            )
            assert refreshed.status_code == 200
            tokens = {**tokens, **refreshed.json()}
            issued = now
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        params: dict[str, str] = {"filter[updated_at][gte]": watermark}
        answer = http.get("/v2/orders", params=params, headers=headers)
        assert answer.status_code == 200
        watermark = answer.headers["X-Sim-Time"]
        while answer.json()["next_cursor"] is not None:
            params["cursor"] = answer.json()["next_cursor"]
            answer = http.get("/v2/orders", params=params, headers=headers)
            assert answer.status_code == 200
        _advance(http, 3 * 3_600)


def _advice(http: httpx.Client) -> list[dict[str, Any]]:
    response = http.get("/_sim/advice")
    assert response.status_code == 200
    found: list[dict[str, Any]] = response.json()["advice"]
    return found


class TestNaiveAndCareful:
    """The advice a naive and a careful poller earn from the same world."""

    def test_naive_poller_earns_every_kind(self, server: LiveServer) -> None:
        """Polling each minute, a token per call, its own clock: all five kinds, with evidence."""
        with httpx.Client(base_url=server.url) as http:
            order_ids = _create_orders(http, NAIVE, 2)
            _naive_poller(http, order_ids)
            advice = _advice(http)
        naive_id = server.sim.client_id(NAIVE[0])
        assert {item["kind"] for item in advice} == set(KINDS)
        assert {item["client"] for item in advice} == {naive_id}
        by_kind = {item["kind"]: item for item in advice}
        assert by_kind["polling_too_often"]["evidence"]["median_interval_seconds"] == 60
        missed = by_kind["missed_status"]["evidence"]
        assert missed["order_id"] in order_ids
        assert missed["missed"] == ["Accepted", "In Production"]
        assert missed["seen"] == "Shipped"
        gap = by_kind["watermark_gap"]["evidence"]
        assert set(gap["order_ids"]) == set(order_ids)
        assert by_kind["token_churn"]["evidence"]["token_requests"] == 12
        assert by_kind["token_churn"]["evidence"]["early_token_requests"] == 10
        assert by_kind["rate_limited"]["evidence"]["honoured_retry_after"] is False
        for item in advice:
            assert item["evidence"]["request_ids"], item["kind"]
            assert len(item["message"]) > 40

    def test_careful_poller_earns_none(self, server: LiveServer) -> None:
        """Sweeps every 3 hours from the last answer, one token: no advice at all."""
        with httpx.Client(base_url=server.url) as http:
            _create_orders(http, CAREFUL, 3)
            _careful_poller(http, days=3)
            advice = _advice(http)
        assert advice == []


class TestJournal:
    """What the journal keeps for the advisor."""

    def test_entries_name_the_orders_shown(self, server: LiveServer) -> None:
        """A GET, a page and a create note the ids of the orders they showed."""
        with httpx.Client(base_url=server.url) as http:
            (order_id,) = _create_orders(http, NAIVE, 1)
            headers = {"Authorization": f"Bearer {_token(http, NAIVE)['access_token']}"}
            http.get(f"/v2/orders/{order_id}", headers=headers)
            http.get("/v2/orders", headers=headers)
            entries = http.get("/_sim/requests").json()["requests"]
        shown = [e["observed"] for e in entries if e["path"].startswith("/v2/orders")]
        assert shown == [[order_id]] * 3
        assert [e["id"] for e in entries] == sorted(e["id"] for e in entries)

    def test_token_requests_name_their_client(self, server: LiveServer) -> None:
        """A token request is journaled under the client who logged in."""
        with httpx.Client(base_url=server.url) as http:
            _token(http, CAREFUL)
            (entry,) = http.get("/_sim/requests").json()["requests"]
        assert entry["client_id"] == server.sim.client_id(CAREFUL[0])

    def test_a_429_keeps_its_retry_after(self, server: LiveServer) -> None:
        """A refused request's journal entry keeps the Retry-After it was given."""
        with httpx.Client(base_url=server.url) as http:
            headers = {"Authorization": f"Bearer {_token(http, NAIVE)['access_token']}"}
            statuses = [http.get("/v2/products", headers=headers).status_code for _ in range(21)]
            entries = http.get("/_sim/requests").json()["requests"]
        assert statuses[-1] == 429
        assert entries[-1]["status"] == 429
        assert entries[-1]["retry_after"] == 3_600


class TestCommand:
    """`okc-sim advice`."""

    def test_readable_and_json(
        self, server: LiveServer, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The table names each kind and its client; --json prints the server's answer."""
        with httpx.Client(base_url=server.url) as http:
            _naive_poller(http, _create_orders(http, NAIVE, 1))
        assert main(["advice", "--url", server.url]) == 0
        out = capsys.readouterr().out
        client = server.sim.client_id(NAIVE[0])
        for kind in KINDS:
            assert f"{kind}  (client {client})" in out
        assert "evidence: " in out
        assert main(["advice", "--url", server.url, "--json"]) == 0
        assert {item["kind"] for item in json.loads(capsys.readouterr().out)["advice"]} == set(
            KINDS
        )

    def test_fail_exits_3_only_with_advice(
        self, server: LiveServer, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--fail is 0 on a clean journal and 3 once there is advice."""
        assert main(["advice", "--url", server.url, "--fail"]) == 0
        assert "No advice" in capsys.readouterr().out
        with httpx.Client(base_url=server.url) as http:
            _naive_poller(http, _create_orders(http, NAIVE, 1))
        assert main(["advice", "--url", server.url, "--fail"]) == 3

    def test_help_lists_every_kind(self, capsys: pytest.CaptureFixture[str]) -> None:
        """The command's help names the advisor's kinds, exactly."""
        with pytest.raises(SystemExit):
            main(["advice", "--help"])
        kinds = capsys.readouterr().out.split("kinds: ")[1].strip()
        assert tuple(kinds.split(", ")) == KINDS


PLUGIN_TEST = """
import httpx

def test_polls_every_minute(okc_live):
    headers = okc_live.auth_headers()
    with httpx.Client(base_url=okc_live.url, headers=headers) as http:
        for _ in range(8):
            assert http.get("/v2/products").status_code == 200
            okc_live.advance(60)

def test_reads_once(okc_client):
    assert okc_client.get("/v2/products", headers=okc_client.auth_headers()).status_code == 200
"""


class TestPluginOption:
    """`pytest --okc-advice`."""

    def test_prints_each_tests_advice(self, pytester: pytest.Pytester) -> None:
        """The summary names the test that polled too often, and only that one."""
        pytester.makeini("[pytest]\nfilterwarnings = error\naddopts = -p no:cacheprovider\n")
        pytester.makepyfile(PLUGIN_TEST)
        result = pytester.runpytest("--okc-advice")
        result.assert_outcomes(passed=2)
        result.stdout.fnmatch_lines(
            ["*okc-sim advice*", "*::test_polls_every_minute", "  polling_too_often: GET*"]
        )
        assert "test_reads_once" not in result.stdout.str().split("okc-sim advice")[1]

    def test_silent_without_the_option(self, pytester: pytest.Pytester) -> None:
        """Without --okc-advice nothing is added to the summary."""
        pytester.makepyfile(PLUGIN_TEST)
        result = pytester.runpytest("-p", "no:cacheprovider")
        result.assert_outcomes(passed=2)
        assert "okc-sim advice" not in result.stdout.str()
