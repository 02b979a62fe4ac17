"""The provider's paths okc-sim does not simulate answer 501, on a real socket; others stay 404/405.

The provider's (method, path template) pairs come from the vendored list in tests/data, which
`simulator/http/_provider_paths.py` must hold exactly (both are written by
scripts/openapi-subset.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_http_support import EMAIL, PASSWORD, new_sim

import simulator.http._provider_paths as provider_paths
from simulator._server import LiveServer
from simulator.http._app import OPERATIONS
from simulator.http._provider_paths import PROVIDER_OPERATIONS

LISTED: dict[str, Any] = json.loads(
    (Path(__file__).parent / "data" / "okc-core-api-v2.operations.json").read_text("utf-8")
)
VENDORED = [(method, path) for method, path in LISTED["operations"]]
SOME_ID = "00000000-0000-4000-8000-00000000abcd"
JSON_TYPE = {"Content-Type": "application/json"}


def shape(template: str) -> str:
    """A path template without its parameters' names."""
    return re.sub(r"\{[^/}]+\}", "{}", template)


SERVED = {(op.method, shape(op.path)) for op in OPERATIONS if op.path.startswith("/v2/")}
UNSERVED = [(method, path) for method, path in VENDORED if (method, shape(path)) not in SERVED]


def concrete(template: str) -> str:
    """The template with a UUID in place of each parameter."""
    return re.sub(r"\{[^/}]+\}", SOME_ID, template)


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    """A client of one frozen simulator served on a real socket, for the whole module."""
    world = new_sim()
    try:
        with LiveServer(world) as server, httpx.Client(base_url=server.url, timeout=30) as client:
            yield client
    finally:
        world.close()


def token_for(http: httpx.Client) -> str:
    """A valid access token of the default client."""
    response = http.post("/v2/authentication/token", json={"email": EMAIL, "password": PASSWORD})
    token: str = response.json()["access_token"]
    return token


def send(
    http: httpx.Client, method: str, path: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    """One request, with the JSON Content-Type every state-changing request declares."""
    sent = {**(JSON_TYPE if method in {"POST", "PUT", "PATCH"} else {}), **(headers or {})}
    return http.request(method, path, headers=sent)


def assert_not_simulated(response: httpx.Response, method: str, template: str) -> None:
    """A 501 in the provider's error shape, naming the method and the path template."""
    assert response.status_code == 501, (method, template, response.text)
    body = response.json()
    sentence = f"{method} {template} is part of the OK Capsule API but not simulated by okc-sim."
    assert body == {
        "message": sentence,
        "error": {"errorCode": "not_simulated", "message": sentence},
    }


class TestProviderOperationList:
    """The runtime's list of the provider's operations is the vendored one."""

    def test_module_holds_the_vendored_list(self) -> None:
        """`PROVIDER_OPERATIONS` equals tests/data/okc-core-api-v2.operations.json, in order."""
        assert list(PROVIDER_OPERATIONS) == VENDORED

    def test_list_is_sorted_and_unique(self) -> None:
        """The list is sorted with no pair twice, so a regeneration shows as a clean diff."""
        assert sorted(set(VENDORED)) == VENDORED

    def test_module_names_its_source(self) -> None:
        """The module's header names the document, its version and the script that wrote it."""
        header = Path(provider_paths.__file__).read_text("utf-8")[:400]
        assert LISTED["title"] in header
        assert LISTED["version"] in header
        assert "scripts/openapi-subset.py" in header

    def test_every_served_v2_operation_is_the_providers(self) -> None:
        """okc-sim invents no `/v2` operation: each one it serves is in the provider's list."""
        provider = {(method, shape(path)) for method, path in VENDORED}
        assert provider >= SERVED, SERVED - provider


class TestNotSimulated:
    """Every other operation of the provider's document answers 501."""

    def test_every_unserved_operation_is_a_501(self, http: httpx.Client) -> None:
        """Each (method, template) not served answers 501 naming it, without a token."""
        assert len(UNSERVED) > 100
        for method, template in UNSERVED:
            assert_not_simulated(send(http, method, concrete(template)), method, template)

    def test_a_token_changes_nothing(self, http: httpx.Client) -> None:
        """With a valid access token the answer is the same 501."""
        token = token_for(http)
        response = send(http, "POST", "/v2/batches", {"Authorization": f"Bearer {token}"})
        assert_not_simulated(response, "POST", "/v2/batches")

    def test_an_invalid_token_changes_nothing(self, http: httpx.Client) -> None:
        """A malformed token gets the 501 too: the gap is the simulator's, whoever asks."""
        response = send(http, "GET", "/v2/billings", {"Authorization": "Bearer nonsense"})
        assert_not_simulated(response, "GET", "/v2/billings")

    def test_a_literal_path_under_a_served_template(self, http: httpx.Client) -> None:
        """`GET /v2/orders/carts` is the provider's carts route, not an order with id "carts"."""
        response = send(http, "GET", "/v2/orders/carts")
        assert_not_simulated(response, "GET", "/v2/orders/carts")

    def test_a_documented_method_on_a_served_path(self, http: httpx.Client) -> None:
        """DELETE on a consumer, which okc-sim serves for GET and PUT, is a 501, not a 405."""
        response = send(http, "DELETE", f"/v2/consumers/{SOME_ID}")
        assert_not_simulated(response, "DELETE", "/v2/consumers/{id}")

    def test_head_of_an_unserved_read(self, http: httpx.Client) -> None:
        """HEAD, which okc-sim serves as a GET, answers 501 for an unserved GET, with no body."""
        response = send(http, "HEAD", "/v2/billings")
        assert response.status_code == 501
        assert response.content == b""

    def test_is_rate_limited_like_any_v2_request(self, http: httpx.Client) -> None:
        """A 501 carries the rate-limit headers: it counts as a request to the provider's API."""
        response = send(http, "GET", "/v2/billings")
        assert response.status_code == 501
        assert "x-ratelimit-remaining" in response.headers


class TestStillNotFoundOrNotAllowed:
    """What is no provider operation keeps its 404 or 405."""

    @pytest.mark.parametrize("path", ["/v2/nothing", "/v2/orders/carts/extra", "/v3/orders"])
    def test_a_path_in_no_provider_document(self, http: httpx.Client, path: str) -> None:
        """A path the provider does not document is a 404."""
        response = send(http, "GET", path)
        assert response.status_code == 404, response.text
        assert response.json()["error"]["errorCode"] == "not_found"

    def test_an_undocumented_method_on_a_served_path(self, http: httpx.Client) -> None:
        """PATCH on an order, which the provider does not document, stays a 405."""
        response = send(http, "PATCH", f"/v2/orders/{SOME_ID}")
        assert response.status_code == 405
        assert response.json()["error"]["errorCode"] == "method_not_allowed"

    def test_an_undocumented_method_on_an_unserved_path(self, http: httpx.Client) -> None:
        """PATCH on the provider's billings is a 405 listing the methods it documents there."""
        response = send(http, "PATCH", "/v2/billings")
        assert response.status_code == 405
        assert response.headers["allow"] == "GET, POST"
        assert "GET, POST on /v2/billings" in response.json()["message"]

    def test_a_malformed_id_on_a_served_path(self, http: httpx.Client) -> None:
        """A served read with an id that is no UUID is still the 404 of no such order."""
        token = token_for(http)
        response = send(http, "GET", "/v2/orders/nope", {"Authorization": f"Bearer {token}"})
        assert response.status_code == 404
        assert response.json()["message"] == "No order with id 'nope'."

    def test_a_served_path_still_asks_for_a_token(self, http: httpx.Client) -> None:
        """A served read without a token is still a 401, not a 501."""
        response = send(http, "GET", f"/v2/orders/{SOME_ID}")
        assert response.status_code == 401
