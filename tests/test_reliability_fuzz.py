"""Schemathesis fuzzes every operation of the server's own OpenAPI document, in process.

Each operation gets schema-valid and schema-invalid requests (seeded, bounded), sent with a
fresh access token. Every answer must be below 500, documented (status, content type,
headers, body schema), invalid input must be refused with a 4xx, and a route that needs a
token must refuse a request without one. Path ids are sometimes real ones from a seeded
world, so the fuzzer reaches past the 404s.

`positive_data_acceptance` is left out on purpose: the document describes shapes, not the
rules (a create body is "an object with consumer, shipping_address, order_lines"), so
schema-valid requests are often, and rightly, refused with a 422.
"""

from __future__ import annotations

import collections
import itertools
import os
import re
from typing import TYPE_CHECKING, Any, cast

import pytest
import schemathesis
import schemathesis.python.asgi
from conformance_support import not_simulated
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from reliability_support import record_figures, seed_world
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)
from test_http_support import EMAIL, JSON_TYPE, PASSWORD, new_sim

from simulator.http import create_app
from simulator.http._gate import STATE_CHANGING

pytestmark = pytest.mark.slow  # fuzzes every operation with Schemathesis

if TYPE_CHECKING:
    from collections.abc import Iterator, MutableMapping

    from starlette.types import Receive, Scope, Send

SEED = 20260302
MAX_EXAMPLES = 25 if os.environ.get("CI") else 15
"""Generated requests per operation and mode, on top of Schemathesis' boundary cases."""

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    ignored_auth,
    unsupported_method,
]

_REAL_TIME = itertools.count(0.0, 0.001)
# The simulator's "real time" is a counter that moves a millisecond at each reading: a
# running clock set by a fuzzed request moves as on a fast machine, and every run moves it
# the same way, so a failure found once is found again.
SIM = new_sim(monotonic=lambda: next(_REAL_TIME))
IDS = seed_world(SIM)
# Schemathesis sends in-process requests with Starlette's test client, as "Host: testserver".
APP = create_app(SIM, rate_limit=None, allowed_hosts=["testserver"])

# Real ids per path template, so some requests find a resource instead of a 404.
_REAL_IDS: dict[str, list[str]] = {
    "/v2/orders/{id}": [IDS["pending"], IDS["shipped"], IDS["other_pending"]],
    "/v2/orders/{id}/fulfillments": [IDS["shipped"], IDS["other_shipped"]],
    "/v2/fulfillments/{id}": [IDS["fulfillment"], IDS["other_fulfillment"]],
    "/v2/fulfillments/{id}/label": [IDS["fulfillment"], IDS["other_fulfillment"]],
    "/v2/products/{id}": [IDS["product"], IDS["other_product"]],
    "/v2/consumers/{id}": [IDS["consumer"], IDS["other_consumer"]],
    "/_sim/orders/{id}/history": [IDS["pending"], IDS["shipped"]],
    "/_sim/orders/{id}/events": [IDS["pending"], IDS["shipped"]],
}
_REAL_CUSTOM_IDS = [IDS["custom"], IDS["other_custom"]]
_REAL_CONSUMER_IDS = [IDS["consumer"], IDS["other_consumer"]]

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")

_SHADOWED = {
    "/v2/orders/count",
    "/v2/consumers/count",
    "/v2/consumers/{consumerId}/addresses/count",
}
"""Paths that a `.../{id}` path also matches (as the provider lays them out): `PUT
/v2/orders/count` is a PUT of the order with id "count", a 404, not a 405."""


class Tally:
    """Counts every request the app answers while the fuzzer runs, by status class."""

    def __init__(self) -> None:
        """Start at zero."""
        self.requests = 0
        self.statuses: collections.Counter[str] = collections.Counter()
        self.operations: set[str] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request through the app, counting it."""
        if scope["type"] != "http":
            await APP(scope, receive, send)
            return
        self.requests += 1

        async def counting_send(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                self.statuses[f"{message['status'] // 100}xx"] += 1
            await send(message)

        await APP(scope, receive, counting_send)


TALLY = Tally()
schema = schemathesis.openapi.from_asgi("/_sim/openapi.json", TALLY)
TALLY.requests = 0  # the document's own download is not fuzzing
TALLY.statuses.clear()
# The token is the test's to send (a fresh one each time). Left on, Schemathesis would also
# generate the header, and "negative" cases without it that the test's token then fills in.
schema.config.generation.update(with_security_parameters=False)
# Seeded explicitly: Schemathesis otherwise seeds Hypothesis itself, differently each run,
# whenever the session's default settings are not derandomized.
schema.config.seed = SEED


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> Any:
    """Sometimes put a real id (either client's) in the path in place of a random one.

    Only in place of a well-formed one: a malformed id is the point of a negative case.
    """
    path = context.operation.path
    name, real = ("id", _REAL_IDS.get(path)) if path in _REAL_IDS else ("", None)
    if "{client_custom_order_id}" in path:
        name, real = "client_custom_order_id", _REAL_CUSTOM_IDS
    if "{consumerId}" in path:
        name, real = "consumerId", _REAL_CONSUMER_IDS
    value = (path_parameters or {}).get(name)
    if real is None or not isinstance(value, str) or not _well_formed(name, value):
        return st.just(path_parameters)
    return st.one_of(
        st.just(path_parameters),
        st.sampled_from(real).map(lambda chosen: {**(path_parameters or {}), name: chosen}),
    )


def _well_formed(name: str, value: str) -> bool:
    if name in {"id", "consumerId"}:
        return _UUID.fullmatch(value) is not None
    return bool(value)


@pytest.fixture(scope="module", autouse=True)
def figures(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """After the module, record how many requests were fuzzed."""
    yield
    record_figures(
        tmp_path_factory,
        "fuzz",
        {
            "operations_fuzzed": len(TALLY.operations),
            "operations_in_document": len(list(schema.get_all_operations())),
            "requests_fuzzed": TALLY.requests,
            "responses_by_class": dict(TALLY.statuses),
            "max_examples_per_operation": MAX_EXAMPLES,
        },
    )


def _tidy() -> None:
    """Undo what one request may leave that would make the next ones unfair or slow.

    A fault rule (say, five minutes of latency on every route) or a running clock set by one
    fuzzed control request would otherwise shape every later answer.
    """
    APP.state.faults.clear()
    SIM.set_clock(mode="frozen")


class TestFuzz:
    """Property: whatever the document allows or forbids, the server answers as documented."""

    @schema.parametrize()
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def test_operation(self, case: schemathesis.Case[Any]) -> None:
        """The operation answers below 500, as documented, refusing invalid input with a 4xx."""
        TALLY.operations.add(case.operation.label)
        token = SIM.authenticate(EMAIL, PASSWORD)["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        if case.method.upper() in STATE_CHANGING:
            headers |= JSON_TYPE  # as every client sends, so a bodyless write is no 415
        response = case.call(headers=headers)
        _tidy()
        if not_simulated(case.method, case.operation.path, response.status_code, response.content):
            return  # a method the provider documents there and okc-sim does not serve: 501
        checks = CHECKS
        if case.operation.path in _SHADOWED:
            checks = [check for check in CHECKS if check is not unsupported_method]
        case.validate_response(response, checks=checks, headers=headers)


class TestTally:
    """The request counter the figures come from."""

    def test_counts_requests_by_class(self) -> None:
        """A request through the tally is counted once, under its status class."""
        tally = Tally()
        # Schemathesis types an ASGI app with plain dicts where Starlette has mappings.
        app = cast("Any", tally)
        response = schemathesis.python.asgi.get_client(app).get("/_sim/clock")
        assert response.status_code == 200
        assert (tally.requests, dict(tally.statuses)) == (1, {"2xx": 1})
