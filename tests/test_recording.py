"""Recorded sessions: `okc-sim record` writes a HAR, `okc-sim check-recording` judges it.

A real session through the recording proxy (a subprocess on a real socket) in front of a
real simulator is legal; each kind of divergence is that HAR with one response changed.
"""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from payloads import order_payload

from simulator import Simulator
from simulator._server import LiveServer
from simulator.cli import main
from simulator.recording import DIVERGENCE_KINDS, check_recording, load_har

START = "2026-03-02T12:00:00Z"
"""A Monday, 04:00 in Los Angeles: the next nightly batch is 2026-03-03T08:00:00Z."""
EMAIL, PASSWORD = "integrator@example.com", "sandbox"
STARTUP_SECONDS = 30

Har = dict[str, Any]


@pytest.fixture(scope="module")
def upstream() -> Iterator[LiveServer]:
    """A frozen simulator on a real socket: what the proxy records."""
    sim = Simulator(start=START)
    try:
        with LiveServer(sim, rate_limit=None) as server:
            yield server
    finally:
        sim.close()


def _start_proxy(upstream: str, har: Path, *extra: str) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "simulator.cli", "record", "--upstream", upstream]
    process = subprocess.Popen(
        [*command, "--har", str(har), "--port", "0", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:"), url
    return process, url


def _stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=STARTUP_SECONDS)
    assert process.returncode == 0, out
    return out


def _session(http: httpx.Client) -> None:
    """An integrator's week: create an order, read it every 6 hours, try to edit it late."""
    token = http.post("/v2/authentication/token", json={"email": EMAIL, "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    product = http.get("/v2/products", headers=headers).json()["products"][0]["id"]
    binary = {**headers, "Content-Type": "application/json"}
    assert http.post("/v2/orders", content=b"\xff\xfe", headers=binary).status_code == 400
    created = http.post("/v2/orders", json=order_payload(product), headers=headers)
    order_id = created.json()["order"]["id"]
    tried_edit = False
    for _ in range(4 * 6):
        assert http.post("/_sim/clock/advance", json={"seconds": 6 * 3600}).status_code == 200
        if http.get(f"/v2/orders/{order_id}", headers=headers).status_code == 401:
            token = http.post(
                "/v2/authentication/refresh-token",
                json={"refresh_token": token.json()["refresh_token"]},
            )
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        status = http.get(f"/v2/orders/{order_id}", headers=headers).json()["order"]["status"]
        if status == "Accepted" and not tried_edit:
            refused = http.put(f"/v2/orders/{order_id}", json={"note": "late"}, headers=headers)
            assert refused.status_code == 422
            tried_edit = True
        if status in {"Shipped", "Delivered"}:
            http.get(f"/v2/orders/{order_id}/fulfillments", headers=headers)


@pytest.fixture(scope="module")
def recording(upstream: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Har:
    """A week recorded through `okc-sim record`, and what it printed."""
    har = tmp_path_factory.mktemp("har") / "session.har"
    process, url = _start_proxy(upstream.url, har)
    try:
        with httpx.Client(base_url=url) as http:
            _session(http)
    finally:
        out = _stop(process)
    assert "exchanges recorded in" in out
    document: Har = json.loads(har.read_text(encoding="utf-8"))
    return document


def _write(tmp_path: Path, har: Har) -> Path:
    path = tmp_path / "session.har"
    path.write_text(json.dumps(har), encoding="utf-8")
    return path


def _first(har: Har, status: str) -> dict[str, Any]:
    """The body of the first entry whose response shows the order in `status`."""
    for entry in har["log"]["entries"]:
        body = json.loads(entry["response"]["content"]["text"] or "null")
        if isinstance(body, dict) and (body.get("order") or {}).get("status") == status:
            found: dict[str, Any] = entry
            return found
    raise AssertionError(f"no response shows {status}")


def _set_order(entry: dict[str, Any], **fields: object) -> None:
    content = entry["response"]["content"]
    body = json.loads(content["text"])
    body["order"].update(fields)
    content["text"] = json.dumps(body)


def _untrack(har: Har) -> None:
    for entry in har["log"]["entries"]:
        if entry["request"]["url"].endswith("/fulfillments"):
            content = entry["response"]["content"]
            body = json.loads(content["text"])
            body["fulfillments"][0]["tracking_info"]["tracking_number"] = ""
            content["text"] = json.dumps(body)
            return


def _allow_edit(har: Har) -> None:
    for entry in har["log"]["entries"]:
        if entry["request"]["method"] == "PUT":
            entry["response"]["status"] = 200
            return


MUTATIONS: dict[str, Callable[[Har], None]] = {
    "illegal_transition": lambda har: _set_order(_first(har, "Delivered"), status="Pending"),
    "acceptance_off_batch": lambda har: _set_order(
        _first(har, "Accepted"), updated_at="2026-03-03T09:30:00Z"
    ),
    "move_off_tick": lambda har: _set_order(
        _first(har, "In Production"), updated_at="2026-03-04T14:30:00Z"
    ),
    "move_off_business_day": lambda har: _set_order(
        _first(har, "In Production"),
        updated_at="2026-03-07T14:00:00Z",  # Saturday 06:00
    ),
    "shipped_without_tracking": _untrack,
    "edit_allowed": _allow_edit,
}


class TestRecord:
    """`okc-sim record`: a proxy that keeps the session as a HAR."""

    def test_the_session_is_in_the_file(self, recording: Har) -> None:
        """Every exchange is an entry with its request, response and real start time."""
        entries = recording["log"]["entries"]
        assert recording["log"]["version"] == "1.2"
        assert entries[0]["request"]["url"].endswith("/v2/authentication/token")
        assert {e["response"]["status"] for e in entries} >= {200, 201, 400, 422}
        assert all(e["startedDateTime"].endswith("Z") for e in entries)
        advances = [e for e in entries if e["request"]["url"].endswith("/_sim/clock/advance")]
        assert len(advances) == 24

    def test_a_body_that_is_not_utf8_is_kept_in_base64(self, recording: Har) -> None:
        """HAR keeps a binary body as base64, byte for byte."""
        (entry,) = [e for e in recording["log"]["entries"] if e["response"]["status"] == 400]
        post = entry["request"]["postData"]
        assert post["encoding"] == "base64"
        assert post["text"] == "//4="

    def test_secrets_are_redacted(self, recording: Har) -> None:
        """No password, token or Authorization header reaches the file."""
        text = json.dumps(recording)
        assert "sandbox" not in text
        assert "eyJ" not in text
        headers = [h for e in recording["log"]["entries"] for h in e["request"]["headers"]]
        assert {h["value"] for h in headers if h["name"].lower() == "authorization"} == {
            "[redacted]"
        }

    def test_an_unreachable_upstream_is_a_502(self, tmp_path: Path) -> None:
        """With nothing upstream, the client gets a 502 in the provider's error shape."""
        har = tmp_path / "down.har"
        process, url = _start_proxy("http://127.0.0.1:9", har)
        try:
            answer = httpx.get(f"{url}/v2/products")
        finally:
            _stop(process)
        assert answer.status_code == 502
        assert "could not reach" in answer.json()["error"]["message"]
        assert len(json.loads(har.read_text(encoding="utf-8"))["log"]["entries"]) == 1

    def test_a_bad_upstream_is_a_usage_error(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--upstream must be an http(s) URL: exit 2 with the reason."""
        with pytest.raises(SystemExit) as stopped:
            main(["record", "--upstream", "ftp://x", "--har", "x.har"])
        assert stopped.value.code == 2
        assert "--upstream must be an http(s) URL" in capsys.readouterr().err


class TestCheckRecording:
    """`okc-sim check-recording` on the recorded week and on its broken copies."""

    def test_a_real_session_is_legal(
        self, recording: Har, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The simulator's own week shows no divergence: exit 0."""
        status = main(["check-recording", str(_write(tmp_path, recording))])
        out = capsys.readouterr().out
        assert status == 0, out
        assert "no divergence from the model" in out

    @pytest.mark.parametrize("kind", DIVERGENCE_KINDS)
    def test_each_divergence_is_found(self, recording: Har, tmp_path: Path, kind: str) -> None:
        """Changing one response shows exactly that kind of divergence, at that entry."""
        broken = copy.deepcopy(recording)
        MUTATIONS[kind](broken)
        found = check_recording(load_har(_write(tmp_path, broken)))
        assert [d.kind for d in found] == [kind]
        assert found[0].entry >= 1

    def test_divergences_exit_1_with_the_entry(
        self, recording: Har, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The report names the entry and the request; --json lists the same."""
        broken = copy.deepcopy(recording)
        _allow_edit(broken)
        path = _write(tmp_path, broken)
        assert main(["check-recording", str(path)]) == 1
        out = capsys.readouterr().out
        assert "PUT /v2/orders/" in out
        assert "edit_allowed: the server took an edit" in out
        assert main(["check-recording", str(path), "--json"]) == 1
        report = json.loads(capsys.readouterr().out)
        assert [d["kind"] for d in report["divergences"]] == ["edit_allowed"]

    @pytest.mark.parametrize(
        ("content", "reason"),
        [("{", "is not JSON"), ('{"log": {}}', "no log.entries"), ("[]", "no log.entries")],
    )
    def test_an_unreadable_file_exits_2(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, reason: str
    ) -> None:
        """A file that is not a HAR: one line naming the problem, exit 2."""
        path = tmp_path / "bad.har"
        path.write_text(content, encoding="utf-8")
        assert main(["check-recording", str(path)]) == 2
        err = capsys.readouterr().err
        assert reason in err
        assert err.count("\n") == 1

    def test_help_lists_every_kind(self, capsys: pytest.CaptureFixture[str]) -> None:
        """The command's help names the checker's kinds, exactly."""
        with pytest.raises(SystemExit):
            main(["check-recording", "--help"])
        kinds = capsys.readouterr().out.split("kinds: ")[1]
        assert tuple(k.strip() for k in kinds.split(",")) == DIVERGENCE_KINDS
