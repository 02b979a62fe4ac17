"""Schemathesis fuzzes the simulator with the provider's own document, on a real socket.

The document is the vendored cut of the provider's (tests/data), restricted to the operations
the simulator serves. Requests go over HTTP to a live server (the `requests` transport
Schemathesis uses for a base URL), seeded and bounded. Checks: no 5xx; every response valid
against the provider's schema, but for the deviations docs/conformance.md lists; every
schema-valid request accepted, unless a business rule that docs/conformance.md lists refuses
it with the `errorCode` or 422 `type` named there.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from conformance_support import (
    PROVIDER_DOCUMENT,
    Refusal,
    documented_deviations,
    documented_parameter_refusals,
    documented_refusals,
    dotted,
    not_simulated,
)
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from reliability_support import seed_world
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.openapi.checks import JsonSchemaError
from schemathesis.specs.openapi.checks import (
    positive_data_acceptance,
    response_schema_conformance,
)
from test_http_support import EMAIL, JSON_TYPE, PASSWORD, new_sim

from simulator._server import LiveServer
from simulator.http._app import OPERATIONS

pytestmark = pytest.mark.slow  # fuzzes every served operation of the provider's document

SEED = 20261206
MAX_EXAMPLES = 20 if os.environ.get("CI") else 8
"""Generated requests per operation, on top of Schemathesis' boundary cases."""

_PARAMETER = re.compile(r"\{[^/}]+\}")
SERVED = {(op.method, _PARAMETER.sub("{}", op.path)) for op in OPERATIONS}
WORLD = new_sim()
IDS = seed_world(WORLD)
# Real path parameters per templated path (each client's), so some requests find a resource
# instead of a 404 and its answer is checked against the document too.
_REAL_IDS: dict[str, list[dict[str, str]]] = {
    "/v2/orders/{id}": [{"id": IDS[n]} for n in ("pending", "shipped", "other_pending")],
    "/v2/orders/{id}/fulfillments": [{"id": IDS[n]} for n in ("shipped", "other_shipped")],
    "/v2/orders/by-client-order-id/{clientCustomOrderId}": [
        {"clientCustomOrderId": IDS[n]} for n in ("custom", "other_custom")
    ],
    "/v2/order-lines/{id}": [{"id": IDS[n]} for n in ("line", "other_line")],
    "/v2/order-transaction-logs/{id}": [{"id": IDS[n]} for n in ("log", "other_log")],
    "/v2/batches/{id}": [{"id": IDS[n]} for n in ("batch", "other_batch")],
    "/v2/fulfillments/{id}": [{"id": IDS[n]} for n in ("fulfillment", "other_fulfillment")],
    "/v2/fulfillments/{id}/label": [{"id": IDS[n]} for n in ("fulfillment", "other_fulfillment")],
    "/v2/products/{id}": [{"id": IDS[n]} for n in ("product", "other_product")],
    "/v2/consumers/{id}": [{"id": IDS[n]} for n in ("consumer", "other_consumer")],
    "/v2/consumers/{consumerId}/addresses": [{"consumerId": IDS["consumer"]}],
    "/v2/consumers/{consumerId}/addresses/count": [{"consumerId": IDS["consumer"]}],
    "/v2/consumers/{consumerId}/addresses/{id}": [
        {"consumerId": IDS[f"{n}consumer"], "id": IDS[f"{n}address"]} for n in ("", "other_")
    ],
}
DEVIATIONS = documented_deviations()
REFUSALS = documented_refusals()
PARAMETER_REFUSALS = documented_parameter_refusals()


def served(context: Any) -> bool:
    """Whether the simulator serves this operation of the provider's document."""
    operation = context.operation
    return (operation.method.upper(), _PARAMETER.sub("{}", operation.path)) in SERVED


schema = schemathesis.openapi.from_dict(PROVIDER_DOCUMENT).include(served)
# The token is the test's to send; left on, Schemathesis would also generate the header.
schema.config.generation.update(with_security_parameters=False)
schema.config.seed = SEED


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> Any:
    """Sometimes put a real id (either client's) in the path in place of a generated one."""
    real = _REAL_IDS.get(context.operation.path)
    if not real:
        return st.just(path_parameters)
    given = path_parameters or {}
    return st.one_of(st.just(path_parameters), st.sampled_from([given | ids for ids in real]))


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    """The live server's URL: the seeded world, frozen, without a rate limit."""
    try:
        with LiveServer(WORLD, rate_limit=None) as server:
            yield server.url
    finally:
        WORLD.close()


def schema_beyond_deviations(ctx: Any, response: Any, case: schemathesis.Case[Any]) -> bool | None:
    """`response_schema_conformance`, less the failures docs/conformance.md lists as deviations."""
    try:
        return response_schema_conformance(ctx, response, case)
    except (Failure, FailureGroup) as raised:
        failures = list(raised.exceptions) if isinstance(raised, FailureGroup) else [raised]
        left = [f for f in failures if not _is_deviation(case, response.status_code, f)]
        if not left:
            return None
        raise FailureGroup(left) from None


def _is_deviation(case: schemathesis.Case[Any], status: int, failure: Failure) -> bool:
    if not isinstance(failure, JsonSchemaError) or not failure.schema_path:
        return False
    operation = f"{case.method.upper()} {case.operation.path}"
    keyword = str(failure.schema_path[-1])
    at = dotted(failure.instance_path)
    for deviation in DEVIATIONS:
        if (deviation.operation, deviation.status, deviation.problem) != (
            operation,
            status,
            keyword,
        ):
            continue
        if keyword != "required":
            if deviation.field == at:
                return True
            continue
        parent, _, name = deviation.field.rpartition(".")
        parent = parent.removesuffix(".")
        if parent == at and isinstance(failure.instance, dict) and name not in failure.instance:
            return True
    return False


def accepted_unless_a_rule_refuses(
    ctx: Any, response: Any, case: schemathesis.Case[Any]
) -> bool | None:
    """`positive_data_acceptance`, less refusals by a business rule docs/conformance.md lists."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except (Failure, FailureGroup):
        if _refused_by_a_rule(case, response.status_code, response.content):
            return None
        raise


def _refused_by_a_rule(case: schemathesis.Case[Any], status: int, content: bytes) -> bool:
    """Whether every reason the refusal gives is a rule listed for this operation and status.

    A rule of a query parameter counts only when the request sends that parameter.
    """
    operation = f"{case.method.upper()} {case.operation.path}"
    sent = case.query or {}
    codes = _error_codes(content)
    return bool(codes) and all(
        Refusal(operation, status, code) in REFUSALS
        or any(
            (rule.status, rule.code) == (status, code) and rule.sent_in(sent)
            for rule in PARAMETER_REFUSALS
        )
        for code in codes
    )


def _error_codes(content: bytes) -> set[str]:
    """A refusal's reasons: a 422's `errors[].type`, else its `error.errorCode`."""
    try:
        body = json.loads(content)
        problems = body.get("errors")
        return {e["type"] for e in problems} if problems else {body["error"]["errorCode"]}
    except (ValueError, KeyError, TypeError, AttributeError):
        return set()


CHECKS: list[Any] = [not_a_server_error, schema_beyond_deviations, accepted_unless_a_rule_refuses]


class TestRealIds:
    """The fuzzer can reach a real resource on every served path with parameters."""

    def test_every_templated_path_has_real_ids(self) -> None:
        """Each served operation's path with a parameter has real ids to put in it."""
        templated = {
            path
            for path, item in PROVIDER_DOCUMENT["paths"].items()
            for method in item
            if "{" in path and (method.upper(), _PARAMETER.sub("{}", path)) in SERVED
        }
        assert templated == set(_REAL_IDS)


class TestProviderDocument:
    """Property: whatever the provider's document allows, the simulator answers as it says."""

    @schema.parametrize()
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def test_operation(self, case: schemathesis.Case[Any], base_url: str) -> None:
        """The operation answers below 500, in its documented shape, accepting valid data."""
        token = WORLD.authenticate(EMAIL, PASSWORD)["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        if case.method.upper() in {"POST", "PUT", "PATCH", "DELETE"}:
            headers |= JSON_TYPE
        response = case.call(base_url=base_url, headers=headers)
        if not_simulated(case.method, case.operation.path, response.status_code, response.content):
            return  # another method on a served path, which the provider documents: 501
        case.validate_response(response, checks=CHECKS, headers=headers)
