"""One error body satisfies every error shape of the provider's document, from every layer.

On a real socket: the router's 404 and 405, the 501 of a path not simulated, the middleware's
401, 413, 415, 421 and 429, a handler's 400, 404 and 422, injected faults and uvicorn's own
400 for bytes that are not HTTP. Each body must validate against the provider's `ErrorModel`
(and its `UnauthorizedError` for a 401, both 422 shapes for a 422).
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conformance_support import documented_parameter_refusals, shape_problems
from test_http_support import EMAIL, PASSWORD, new_sim

from lifecycle._instant import FIRST_YEAR, LAST_YEAR
from simulator._errors import PARAMETER_CODES, parameter_code
from simulator._server import LiveServer
from simulator.http._query import CURSOR, INSTANT_SCHEMA

ERROR_MODEL = "#/components/responses/UnknownError"
UNAUTHORIZED = "#/components/responses/UnauthorizedError"
VALIDATION = "#/components/responses/422ValidationError"
AUTH_VALIDATION = "#/components/responses/422AuthValidationError"
JSON_TYPE = {"Content-Type": "application/json"}
SOME_ID = "00000000-0000-4000-8000-0000000000ff"


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    """One frozen world on a real socket, with a small body limit and a rate limit of 50."""
    world = new_sim()
    try:
        with LiveServer(world, max_body_bytes=1024, rate_limit=50) as live:
            yield live
    finally:
        world.close()


@pytest.fixture(scope="module")
def http(server: LiveServer) -> Iterator[httpx.Client]:
    """A client of `server` carrying a valid access token."""
    with httpx.Client(base_url=server.url, timeout=30) as client:
        body = {"email": EMAIL, "password": PASSWORD}
        token = client.post("/v2/authentication/token", json=body).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


def assert_one_body(response: httpx.Response, status: int, *shapes: str) -> dict[str, Any]:
    """The status, and a body valid against `ErrorModel` and every other shape given."""
    assert response.status_code == status, response.text
    for shape in (ERROR_MODEL, *shapes):
        assert shape_problems(shape, response.content) == [], (shape, response.text)
    body: dict[str, Any] = response.json()
    assert body["message"] == body["error"]["message"]
    assert isinstance(body["error"]["errorCode"], str)
    return body


class TestEveryLayerAnswersInOneShape:
    """Each layer of the server that can refuse a request answers in the one error body."""

    def test_router_404(self, http: httpx.Client) -> None:
        """A path in no document: the router's 404."""
        assert_one_body(http.get("/v2/nothing"), 404)

    def test_router_405(self, http: httpx.Client) -> None:
        """A method no document has on a served path: the router's 405."""
        assert_one_body(http.patch(f"/v2/orders/{SOME_ID}", headers=JSON_TYPE), 405)

    def test_not_simulated_501(self, http: httpx.Client) -> None:
        """A provider path not simulated: 501."""
        assert_one_body(http.post("/v2/billings", headers=JSON_TYPE), 501)

    def test_missing_token_401(self, server: LiveServer) -> None:
        """No token: the 401 also fits the provider's `UnauthorizedError`."""
        response = httpx.get(f"{server.url}/v2/orders", timeout=30)
        assert_one_body(response, 401, UNAUTHORIZED)

    def test_wrong_password_401(self, server: LiveServer) -> None:
        """Wrong credentials: 401 from the engine."""
        body = {"email": EMAIL, "password": "wrong"}
        response = httpx.post(f"{server.url}/v2/authentication/token", json=body, timeout=30)
        assert_one_body(response, 401, UNAUTHORIZED)

    def test_body_too_large_413(self, http: httpx.Client) -> None:
        """A body over the limit: the middleware's 413."""
        response = http.post("/v2/orders", content=b" " * 2048, headers=JSON_TYPE)
        assert_one_body(response, 413)

    def test_not_json_415(self, http: httpx.Client) -> None:
        """A write that is not JSON: the gate's 415."""
        response = http.post("/v2/orders", content=b"x", headers={"Content-Type": "text/plain"})
        assert_one_body(response, 415)

    def test_other_host_421(self, http: httpx.Client) -> None:
        """Another host name: the gate's 421."""
        assert_one_body(http.get("/v2/orders", headers={"Host": "evil.example"}), 421)

    def test_malformed_json_400(self, http: httpx.Client) -> None:
        """Broken JSON: the body reader's 400."""
        response = http.post("/v2/orders", content=b"{", headers=JSON_TYPE)
        assert_one_body(response, 400)

    def test_unknown_order_404(self, http: httpx.Client) -> None:
        """An unknown id: the engine's 404."""
        assert_one_body(http.get(f"/v2/orders/{SOME_ID}"), 404)

    def test_rule_violation_422(self, http: httpx.Client) -> None:
        """A broken rule: the 422 fits both validation shapes, `errors` at the top and inside."""
        response = http.post("/v2/orders", json={"total": 3})
        body = assert_one_body(response, 422, VALIDATION, AUTH_VALIDATION)
        assert body["errors"] == body["error"]["errors"]

    def test_token_request_422(self, server: LiveServer) -> None:
        """A token request without a password: the authentication 422 shape too."""
        body = {"email": EMAIL}
        response = httpx.post(f"{server.url}/v2/authentication/token", json=body, timeout=30)
        assert_one_body(response, 422, VALIDATION, AUTH_VALIDATION)

    @pytest.mark.parametrize(("kind", "status"), [("error", 503), ("rate_limit", 429)])
    def test_injected_faults(
        self, server: LiveServer, http: httpx.Client, kind: str, status: int
    ) -> None:
        """An injected error or rate-limit fault answers in the same shape."""
        rule = {"kind": kind, "route": "/v2/products", "count": 1}
        added = httpx.post(f"{server.url}/_sim/faults", json=rule, timeout=30)
        assert added.status_code == 201, added.text
        assert_one_body(http.get("/v2/products"), status)

    def test_rate_limit_429(self, server: LiveServer) -> None:
        """The real rate limiter's 429 (counted per address without a token)."""
        statuses = []
        with httpx.Client(base_url=server.url, timeout=30) as anonymous:
            for _ in range(60):
                response = anonymous.get("/v2/orders")
                statuses.append(response.status_code)
                if response.status_code == 429:
                    assert_one_body(response, 429)
                    return
        pytest.fail(f"No 429 after 60 requests: {statuses}")

    def test_uvicorn_400(self, server: LiveServer) -> None:
        """Bytes that are not HTTP: uvicorn's own 400, in the provider's shape."""
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as raw:
            raw.sendall(b"NOT HTTP AT ALL\r\n\r\n")
            answer = b""
            for _ in range(100):
                chunk = raw.recv(65536)
                if not chunk:
                    break
                answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 400 ")
        assert b"content-type: application/json" in head.lower()
        assert shape_problems(ERROR_MODEL, body) == []
        assert json.loads(body)["error"]["errorCode"] == "malformed_http"


# A request each parameter rule refuses: path, query, the code the refusal must carry.
PARAMETER_REFUSALS = [
    ("/v2/orders", {"q": "status:"}, "invalid_q"),
    ("/v2/products", {"q": "colour:red"}, "invalid_q"),
    ("/v2/products", {"sort_by": "colour"}, "invalid_sort_by"),
    ("/v2/orders", {"sort_by": "colour"}, "invalid_sort_by"),
    ("/v2/consumers", {"cursor": "garbage"}, "invalid_cursor"),
    ("/v2/orders", {"cursor": "garbage"}, "invalid_cursor"),
    ("/v2/orders", {"limit": "0"}, "invalid_limit"),
    ("/v2/fulfillments", {"limit": "251"}, "invalid_limit"),
    ("/v2/orders", {"filter[status]": "Lost"}, "invalid_filter"),
    ("/v2/consumers", {"filter[email]": ""}, "invalid_filter"),
]


class TestParameterCodes:
    """A 400 about a query parameter carries that parameter's own `errorCode`."""

    @pytest.mark.parametrize(("path", "query", "code"), PARAMETER_REFUSALS)
    def test_refusal_names_the_parameter_rule(
        self, http: httpx.Client, path: str, query: dict[str, str], code: str
    ) -> None:
        """The refusal is a 400 in the one error body, with the parameter's code."""
        body = assert_one_body(http.get(path, params=query), 400)
        assert body["error"]["errorCode"] == code

    def test_every_parameter_code_is_met(self) -> None:
        """Each code of the mapping is one a request above meets."""
        assert {code for *_, code in PARAMETER_REFUSALS} == set(PARAMETER_CODES.values())

    def test_transaction_logs_need_an_order(self, http: httpx.Client) -> None:
        """Listing transaction logs without naming the order is the rule's own code."""
        body = assert_one_body(http.get("/v2/order-transaction-logs"), 400)
        assert body["error"]["errorCode"] == "order_not_named"

    def test_the_guide_names_every_code(self) -> None:
        """docs/http-api.md's Errors section names every parameter's code."""
        guide = (Path(__file__).parent.parent / "docs" / "http-api.md").read_text(encoding="utf-8")
        errors = guide.split("\n## Errors\n", 1)[1].split("\n## ", 1)[0]
        assert {code for code in PARAMETER_CODES.values() if f"`{code}`" not in errors} == set()

    def test_documented_rules_follow_the_mapping(self) -> None:
        """docs/conformance.md names each parameter's rule by the code the server sends."""
        rules = documented_parameter_refusals()
        assert rules
        for rule in rules:
            assert (rule.status, rule.code) == (400, parameter_code(rule.parameter)), rule


def _declared(server: LiveServer, path: str, name: str) -> dict[str, Any]:
    """The schema the server's own document gives a query parameter of `GET path`."""
    document = httpx.get(f"{server.url}/_sim/openapi.json", timeout=30).json()
    (found,) = [p for p in document["paths"][path]["get"]["parameters"] if p["name"] == name]
    schema: dict[str, Any] = found["schema"]
    return schema


class TestOwnSchemasAgreeWithTheServer:
    """Where a refusal can be a schema, the server's own document says it (issue 12, item 8)."""

    @pytest.mark.parametrize(
        ("year", "read"),
        [(FIRST_YEAR - 1, False), (FIRST_YEAR, True), (LAST_YEAR, True), (LAST_YEAR + 1, False)],
    )
    def test_range_pattern_is_the_years_read(
        self, http: httpx.Client, year: int, read: bool
    ) -> None:
        """A bound's pattern takes exactly the years the server reads."""
        bound = f"{year:04d}-06-01T00:00:00Z"
        assert bool(re.search(INSTANT_SCHEMA["pattern"], bound)) is read
        response = http.get("/v2/orders", params={"filter[created_at][gte]": bound})
        assert response.status_code == (200 if read else 400), response.text

    @pytest.mark.parametrize(
        ("name", "value", "read"),
        [
            ("filter[name]", "", False),
            ("filter[name]", " ,a", False),
            ("filter[name]", "a, b", True),
            ("filter[name]", "a,\x1c\x85", False),
            ("filter[status]", "On Hold, Pending", True),
            ("filter[status]", "Lost", False),
            ("filter[status]", "pending", False),
            ("filter[state]", "Canceled,New", True),
            ("filter[state]", "Cancelled", False),
        ],
    )
    def test_order_filter_pattern_is_the_values_read(
        self, server: LiveServer, http: httpx.Client, name: str, value: str, read: bool
    ) -> None:
        """An order filter's pattern takes exactly the value lists the server reads."""
        pattern = _declared(server, "/v2/orders", name)["pattern"]
        assert bool(re.search(pattern, value)) is read
        response = http.get("/v2/orders", params={name: value})
        assert response.status_code == (200 if read else 400), response.text

    def test_cursor_schema_is_the_issued_shape(
        self, server: LiveServer, http: httpx.Client
    ) -> None:
        """Every paged list declares the one cursor schema, which an issued cursor matches."""
        for path in ("/v2/orders", "/v2/batches", "/v2/products", "/v2/consumers"):
            assert _declared(server, path, "cursor") == CURSOR.schema
        issued = http.get("/v2/products", params={"limit": 1}).json()["next_cursor"]
        assert re.search(CURSOR.schema["pattern"], issued)
        assert len(issued) <= CURSOR.schema["maxLength"]
        assert http.get("/v2/products", params={"cursor": issued}).status_code == 200
