"""The server's OpenAPI 3.1 document, generated from the route table and the component schemas.

Statuses common to a kind of route (401, 413, 429...) are added here, not declared per route.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from simulator.http._endpoints import Auth, Operation
from simulator.http._gate import STATE_CHANGING
from simulator.http._schemas import SCHEMAS, ref

if TYPE_CHECKING:
    from collections.abc import Iterable

_DESCRIPTION = (
    "An offline fake of the OK Capsule v2 API (`/v2`), driven by a simulated clock, plus the "
    "simulator's own control API (`/_sim`). Every response carries `X-Sim-Time`; every `/v2` "
    "response carries the rate-limit headers while a rate limit is set."
)

_REASONS = {
    200: "OK.",
    201: "Created.",
    204: "No content.",
    400: "Malformed request: JSON, query parameter, filter, date, limit or cursor.",
    401: "Missing, malformed, unknown or expired token.",
    403: "Not the admin token.",
    404: "No such resource for this client.",
    409: "The state machine does not allow this event from the order's status.",
    413: "Request body too large.",
    415: "A state-changing request without 'Content-Type: application/json'.",
    421: "The Host header names a host this server does not answer to (--allow-host).",
    422: "The request breaks a rule; `errors` lists every problem.",
    429: "Rate limit reached; retry after `Retry-After` simulated seconds.",
}

HEADERS: dict[str, dict[str, Any]] = {
    "X-Sim-Time": {
        "description": "The simulated now when the response was made (ISO 8601, UTC).",
        "schema": {"type": "string", "format": "date-time"},
    },
    "X-RateLimit-Limit": {
        "description": "Requests allowed per client per simulated clock hour.",
        "schema": {"type": "integer"},
    },
    "X-RateLimit-Remaining": {
        "description": "Requests left in the current window.",
        "schema": {"type": "integer"},
    },
    "X-RateLimit-Reset": {
        "description": "When the current window ends and the count restarts (ISO 8601, UTC, "
        "simulated time): the start of the next clock hour.",
        "schema": {"type": "string", "format": "date-time"},
    },
    "Retry-After": {
        "description": "Simulated seconds until the rate-limit window ends.",
        "schema": {"type": "integer"},
    },
    "X-Sim-Fault": {
        "description": "The kind of injected fault (POST /_sim/faults) that shaped this "
        "response: error, latency or rate_limit. `X-Sim-Fault-Id` names the rule.",
        "schema": {"type": "string", "enum": ["error", "latency", "rate_limit"]},
    },
}


def build_document(operations: Iterable[Operation]) -> dict[str, Any]:
    """The OpenAPI document of these operations."""
    paths: dict[str, dict[str, Any]] = {}
    responses: dict[str, Any] = {}
    for operation in operations:
        spec = _operation(operation, responses)
        paths.setdefault(operation.path, {})[operation.method.lower()] = spec
    return {
        "openapi": "3.1.0",
        "info": {"title": "OK Capsule simulator", "version": "2.0.0", "description": _DESCRIPTION},
        "tags": [
            {"name": name}
            for name in ("Authentication", "Orders", "Fulfillments", "Products", "Consumers")
        ]
        + [{"name": "Control", "description": "The simulator's own API."}],
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "responses": dict(sorted(responses.items())),
            "headers": HEADERS,
            "securitySchemes": {
                "accessToken": {"type": "http", "scheme": "bearer"},
                "adminToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Needed only when the server listens beyond loopback; "
                    "`X-Admin-Token` works too.",
                },
            },
        },
    }


def error_statuses(operation: Operation) -> list[int]:
    """Every error status the operation can answer, besides 405 and 500."""
    # Any route refuses a query parameter it does not declare, or another Host.
    statuses = {400, 421, *operation.errors}
    if operation.method in STATE_CHANGING:
        statuses.add(415)
    if operation.auth is Auth.CLIENT:
        statuses.add(401)
    if operation.auth is Auth.ADMIN:
        statuses |= {401, 403}
    if operation.ids:
        statuses.add(404)
    if operation.body is not None:
        statuses |= {413, 422}
    if _provider(operation):
        statuses.add(429)
    return sorted(statuses)


def _operation(operation: Operation, shared: dict[str, Any]) -> dict[str, Any]:
    """The operation's entry; its error responses are added to `shared` and referenced."""
    spec: dict[str, Any] = {
        "operationId": operation.operation_id,
        "summary": operation.summary,
        "tags": [operation.tag],
    }
    if operation.description:
        spec["description"] = operation.description
    spec["security"] = {
        Auth.NONE: [],
        Auth.CLIENT: [{"accessToken": []}],
        Auth.ADMIN: [{}, {"adminToken": []}],
    }[operation.auth]
    parameters = _parameters(operation)
    if parameters:
        spec["parameters"] = parameters
    if operation.body is not None:
        spec["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": ref(operation.body)}},
        }
    responses = {str(operation.status): _response(operation, operation.status)}
    family = "Provider" if _provider(operation) else "Control"
    for status in [*error_statuses(operation), None]:
        # Errors look the same on every route of a family, so each is written once.
        name = f"{family}Error{status or 'Default'}"
        shared.setdefault(name, _response(operation, status))
        responses[str(status or "default")] = {"$ref": f"#/components/responses/{name}"}
    spec["responses"] = responses
    return spec


def _provider(operation: Operation) -> bool:
    return operation.path.startswith("/v2/")


def _parameters(operation: Operation) -> list[dict[str, Any]]:
    found = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "string", "format": "uuid"}
            if name in operation.ids
            else {"type": "string"},
        }
        for name in re.findall(r"{(\w+)}", operation.path)
    ]
    found += [
        {
            "name": param.name,
            "in": "query",
            "required": param.required,
            "description": param.description,
            "schema": param.schema,
        }
        for param in operation.query
    ]
    return found


def _response(operation: Operation, status: int | None) -> dict[str, Any]:
    if status is None:
        response: dict[str, Any] = {
            "description": "Any other error: 405, 500, and the 502, 503 and 504 that only an "
            "injected fault (POST /_sim/faults) answers."
        }
        schema: str | None = "Error"
    elif status < 400:
        response = {"description": _REASONS[status]}
        schema = operation.response
    else:
        response = {"description": _REASONS[status]}
        schema = "ValidationError" if status == 422 else "Error"
    if schema is not None:
        response["content"] = {"application/json": {"schema": ref(schema)}}
    names = ["X-Sim-Time"]
    if _provider(operation):
        names += ["X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"]
    if status == 429:
        names.append("Retry-After")
    if _provider(operation) and status in {None, 429}:
        names.append("X-Sim-Fault")
    response["headers"] = {name: {"$ref": f"#/components/headers/{name}"} for name in names}
    return response
