"""Tests for the control API's commands: reset, faults, requests, history, event, openapi.

Each runs in process against a simulator served on a real socket, as a shell would reach it.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from payloads import order_payload

from lifecycle import TRANSITIONS, Actor
from simulator import Simulator
from simulator._server import LiveServer
from simulator.cli import main

if TYPE_CHECKING:
    from collections.abc import Iterator

START = "2026-03-02T17:00:00Z"
NEXT_BATCH = "2026-03-03T08:00:00Z"


@pytest.fixture
def guarded() -> Iterator[LiveServer]:
    """A frozen simulator whose control API needs the admin token `s3cret`."""
    sim = Simulator(start=START)
    try:
        token = "s3cret"
        with LiveServer(sim, admin_token=token, control_requires_token=True) as server:
            yield server
    finally:
        sim.close()


def okc_sim(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run `okc-sim ARGS` in process; its exit status, stdout and stderr."""
    status = main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def table(out: str) -> list[list[str]]:
    """A table's lines split into cells on runs of two or more spaces."""
    return [re.split(r"\s{2,}", line.strip()) for line in out.splitlines()]


def create_order(url: str) -> str:
    """Create an order for the default client over HTTP; its id."""
    with httpx.Client(base_url=url) as client:
        credentials = {"email": "integrator@example.com", "password": "sandbox"}
        token = client.post("/v2/authentication/token", json=credentials).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        product = client.get("/v2/products").json()["products"][0]["id"]
        created = client.post("/v2/orders", json=order_payload(product))
    assert created.status_code == 201
    order_id: str = created.json()["order"]["id"]
    return order_id


class TestReset:
    """`okc-sim reset`."""

    def test_empties_the_world(self, live: LiveServer, capsys: pytest.CaptureFixture[str]) -> None:
        """The orders are gone and the command says so; the clock's time stays."""
        create_order(live.url)
        status, out, _ = okc_sim(capsys, "reset", "--url", live.url)
        assert status == 0
        assert "The world is empty" in out
        assert live.sim.count_orders() == 0
        assert live.sim.clock_state()["now"] == START

    def test_json_prints_nothing(
        self, live: LiveServer, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """With --json the command prints nothing: the server's answer has no body."""
        create_order(live.url)
        assert okc_sim(capsys, "reset", "--url", live.url, "--json") == (0, "", "")
        assert live.sim.count_orders() == 0

    def test_admin_token_from_the_environment(
        self,
        guarded: LiveServer,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """OKC_SIM_URL and OKC_SIM_ADMIN_TOKEN stand for --url and --admin-token."""
        monkeypatch.setenv("OKC_SIM_URL", guarded.url)
        monkeypatch.setenv("OKC_SIM_ADMIN_TOKEN", "s3cret")
        assert okc_sim(capsys, "reset")[0] == 0

    def test_refused_without_the_admin_token(
        self, guarded: LiveServer, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The server's refusal is one line with its status and message, and exit status 1."""
        status, out, err = okc_sim(capsys, "reset", "--url", guarded.url)
        assert (status, out) == (1, "")
        assert err.startswith("okc-sim reset: 401 ")
        assert err.count("\n") == 1


class TestFaults:
    """`okc-sim faults add|list|clear`."""

    def test_add_shows_the_stored_rule(
        self, live: LiveServer, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """`faults add` sends the rule's fields and shows the rule as stored, with its id."""
        status, out, _ = okc_sim(
            capsys,
            *("faults", "add", "error", "--url", live.url, "--route", "/v2/orders"),
            *("--method", "POST", "--method", "PUT", "--status", "502", "--count", "2"),
        )
        assert status == 0
        header, row = table(out)
        assert header[:5] == ["ID", "KIND", "ROUTE", "METHODS", "EFFECT"]
        assert row[:5] == ["fault-1", "error", "/v2/orders", "POST,PUT", "502"]
        (rule,) = live_rules(live)
        assert (rule["methods"], rule["remaining"], rule["stage"]) == (
            ["POST", "PUT"],
            2,
            "request",
        )

    def test_add_json(self, live: LiveServer, capsys: pytest.CaptureFixture[str]) -> None:
        """With --json, `faults add` prints the server's answer as it came."""
        status, out, _ = okc_sim(
            capsys,
            *("faults", "add", "rate_limit", "--url", live.url, "--json"),
            *("--retry-after", "30", "--for-seconds", "600", "--probability", "0.5"),
        )
        assert status == 0
        answer = json.loads(out)
        assert answer == {"faults": live_rules(live)}
        assert answer["faults"][0]["until"] == "2026-03-02T17:10:00Z"
        assert answer["faults"][0]["probability"] == 0.5

    def test_add_refused_names_the_field(
        self, live: LiveServer, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A bad rule is the server's 422 message on one line, exit status 1, and no rule."""
        status, out, err = okc_sim(
            capsys, "faults", "add", "error", "--status", "418", "--url", live.url
        )
        assert (status, out) == (1, "")
        assert err.startswith("okc-sim faults: 422 ")
        assert "status" in err
        assert err.count("\n") == 1
        assert live_rules(live) == []

    def test_list(self, live: LiveServer, capsys: pytest.CaptureFixture[str]) -> None:
        """`faults list` shows each rule in force, and --json the server's answer."""
        live_add(live, {"kind": "latency", "latency_ms": 5, "route": "/v2/orders/{id}"})
        live_add(live, {"kind": "drop", "stage": "response", "until": NEXT_BATCH})
        status, out, _ = okc_sim(capsys, "faults", "list", "--url", live.url)
        assert status == 0
        rows = table(out)[1:]
        assert [row[:5] for row in rows] == [
            ["fault-1", "latency", "/v2/orders/{id}", "*", "latency +5ms"],
            ["fault-2", "drop", "/v2/*", "*", "drop"],
        ]
        assert NEXT_BATCH in rows[1]
        assert json.loads(okc_sim(capsys, "faults", "list", "--url", live.url, "--json")[1]) == {
            "faults": live_rules(live)
        }

    def test_list_when_none(self, live: LiveServer, capsys: pytest.CaptureFixture[str]) -> None:
        """With no rule in force, `faults list` says so in a sentence."""
        assert okc_sim(capsys, "faults", "list", "--url", live.url) == (
            0,
            "No fault rules in force.\n",
            "",
        )

    def test_clear_all_and_one(self, live: LiveServer, capsys: pytest.CaptureFixture[str]) -> None:
        """`faults clear ID` removes that rule; `faults clear` removes every rule."""
        for _ in range(3):
            live_add(live, {"kind": "error"})
        assert okc_sim(capsys, "faults", "clear", "fault-2", "--url", live.url)[0] == 0
        assert [rule["id"] for rule in live_rules(live)] == ["fault-1", "fault-3"]
        status, out, _ = okc_sim(capsys, "faults", "clear", "--url", live.url)
        assert (status, out) == (0, "Every fault rule is gone.\n")
        assert live_rules(live) == []

    def test_clear_unknown_id(self, live: LiveServer, capsys: pytest.CaptureFixture[str]) -> None:
        """Clearing a rule that is not in force is the server's 404, exit status 1."""
        status, _, err = okc_sim(capsys, "faults", "clear", "fault-9", "--url", live.url)
        assert status == 1
        assert "404" in err
        assert "fault-9" in err


def live_rules(server: LiveServer) -> list[dict[str, Any]]:
    """The fault rules in force, as `GET /_sim/faults` lists them."""
    rules: list[dict[str, Any]] = httpx.get(f"{server.url}/_sim/faults").json()["faults"]
    return rules


def live_add(server: LiveServer, rule: dict[str, Any]) -> None:
    """Add a fault rule over HTTP."""
    assert httpx.post(f"{server.url}/_sim/faults", json=rule).status_code == 201


class TestRequests:
    """`okc-sim requests`."""

    def test_table(self, live: LiveServer, capsys: pytest.CaptureFixture[str]) -> None:
        """The journal shows each request: sim time, method, path with query, status."""
        httpx.get(f"{live.url}/v2/orders?limit=5")
        status, out, _ = okc_sim(capsys, "requests", "--url", live.url)
        assert status == 0
        header, row = table(out)
        assert header == ["AT", "METHOD", "PATH", "STATUS", "CLIENT", "MS", "FAULT"]
        assert row[:5] == [START, "GET", "/v2/orders?limit=5", "401", "-"]

    def test_limit_and_json(self, live: LiveServer, capsys: pytest.CaptureFixture[str]) -> None:
        """--limit keeps the newest entries; --json prints the server's answer."""
        for path in ("/v2/products", "/v2/orders", "/_sim/clock"):
            httpx.get(live.url + path)
        status, out, _ = okc_sim(capsys, "requests", "--url", live.url, "--limit", "2", "--json")
        assert status == 0
        assert [entry["path"] for entry in json.loads(out)["requests"]] == [
            "/v2/orders",
            "/_sim/clock",
        ]

    def test_bad_limit_is_usage(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A --limit below 1 is bad usage: exit status 2, naming the flag."""
        with pytest.raises(SystemExit) as exited:
            main(["requests", "--limit", "0"])
        assert exited.value.code == 2
        assert "--limit" in capsys.readouterr().err


class TestHistoryAndEvent:
    """`okc-sim history ORDER_ID` and `okc-sim event ORDER_ID EVENT`."""

    def test_event_then_history(self, live: LiveServer, capsys: pytest.CaptureFixture[str]) -> None:
        """An operator event moves the order; its history shows both changes with the reason."""
        order_id = create_order(live.url)
        status, out, _ = okc_sim(
            capsys,
            "event",
            order_id,
            "cancel_by_okc",
            "--reason",
            "out of stock",
            "--url",
            live.url,
        )
        assert status == 0
        assert table(out) == [["ORDER", "STATUS", "UPDATED"], [order_id, "Canceled by OKC", START]]
        status, out, _ = okc_sim(capsys, "history", order_id, "--url", live.url)
        assert status == 0
        header, created, canceled = table(out)
        assert header == ["AT", "FROM", "TO", "EVENT", "ACTOR", "REASON"]
        assert created[:4] == [START, "-", "Pending", "create"]
        moved = ["Pending", "Canceled by OKC", "cancel_by_okc", "operations", "out of stock"]
        assert canceled == [START, *moved]

    def test_json(self, live: LiveServer, capsys: pytest.CaptureFixture[str]) -> None:
        """With --json, both print the server's answers as they came."""
        order_id = create_order(live.url)
        out = okc_sim(capsys, "event", order_id, "hold", "--url", live.url, "--json")[1]
        assert json.loads(out)["order"]["status"] == "On Hold"
        out = okc_sim(capsys, "history", order_id, "--url", live.url, "--json")[1]
        assert json.loads(out) == {"history": live.sim.history(order_id)}

    def test_forbidden_event(self, live: LiveServer, capsys: pytest.CaptureFixture[str]) -> None:
        """An event the machine forbids is the server's 409 on one line, exit status 1."""
        order_id = create_order(live.url)
        status, out, err = okc_sim(capsys, "event", order_id, "deliver", "--url", live.url)
        assert (status, out) == (1, "")
        assert err.startswith("okc-sim event: 409 ")
        assert "deliver" in err
        assert err.count("\n") == 1

    def test_unknown_order(self, live: LiveServer, capsys: pytest.CaptureFixture[str]) -> None:
        """The history of an order that does not exist is the server's 404, exit status 1."""
        status, _, err = okc_sim(capsys, "history", "no-such-order", "--url", live.url)
        assert status == 1
        assert "404" in err
        assert "no-such-order" in err


class TestOpenapi:
    """`okc-sim openapi`."""

    def test_routes(self, live: LiveServer, capsys: pytest.CaptureFixture[str]) -> None:
        """By default, one line per route: method, path, summary."""
        status, out, _ = okc_sim(capsys, "openapi", "--url", live.url)
        assert status == 0
        rows = table(out)
        assert rows[1] == ["METHOD", "PATH", "SUMMARY"]
        assert ["POST", "/_sim/reset", "Empty the world"] in rows

    def test_json(self, live: LiveServer, capsys: pytest.CaptureFixture[str]) -> None:
        """With --json, the whole document the server serves."""
        status, out, _ = okc_sim(capsys, "openapi", "--url", live.url, "--json")
        assert status == 0
        assert json.loads(out) == httpx.get(f"{live.url}/_sim/openapi.json").json()


class TestHelp:
    """Every control command explains itself: options with help, and examples."""

    @pytest.mark.parametrize(
        "command",
        [
            ["reset"],
            ["faults"],
            ["faults", "add"],
            ["faults", "list"],
            ["faults", "clear"],
            ["requests"],
            ["history"],
            ["event"],
            ["openapi"],
        ],
    )
    def test_help(self, command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
        """--help shows examples, the environment variables and the exit statuses."""
        with pytest.raises(SystemExit) as exited:
            main([*command, "--help"])
        assert exited.value.code == 0
        out = capsys.readouterr().out
        assert f"okc-sim {' '.join(command)}" in out.split("examples:")[1]
        assert "OKC_SIM_URL" in out
        assert "OKC_SIM_ADMIN_TOKEN" in out
        assert "2 bad usage" in out

    def test_event_help_lists_the_operator_events(self, capsys: pytest.CaptureFixture[str]) -> None:
        """`event --help` lists the events from the transition table, none of the client's."""
        with pytest.raises(SystemExit):
            main(["event", "--help"])
        listed = capsys.readouterr().out.split("okc_release):")[1].split("An event")[0]
        names = {name.strip() for name in listed.replace("\n", " ").split(",")}
        operators = {row.event.value for row in TRANSITIONS if row.actor is not Actor.CLIENT}
        assert names == {"hold", "release"} | operators
        assert "cancel" not in names
