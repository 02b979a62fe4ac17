"""Error bodies of the HTTP API, and how engine errors map to them.

One body fits every error shape the provider documents: `message` and `error: {errorCode,
message}` always; a 422 adds its `errors` list, at the top and under `error`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs
from starlette.responses import JSONResponse

from lifecycle import IllegalTransition, UpdateRejected
from simulator import (
    BadRequest,
    ClockRefused,
    NotFound,
    SimulatorError,
    StoreFull,
    StoreLost,
    Unauthorized,
)
from simulator._storefile import damage

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="okc-sim"'}
"""Sent with every 401 so HTTP clients know which scheme to retry with."""


class ApiError(Exception):
    """A request answered with an error status other than 422: status, stable code, sentence."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Describe the failure.

        Args:
            status: the HTTP status code.
            code: a short machine-readable name, sent as `error.errorCode`.
            message: a sentence a person can act on, sent as `message`.
            headers: extra response headers (`Retry-After`, `WWW-Authenticate`).
        """
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


@attrs.frozen
class Problem:
    """One broken rule of a 422: the field, a stable type and a sentence."""

    field: str
    type: str
    message: str


class Invalid(Exception):
    """A request the HTTP layer itself rejects with 422 (a control body, a token request)."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        """Collect the problems.

        Args:
            problems: every problem found, at least one, in the order found.
        """
        self.problems = tuple(problems)
        super().__init__("; ".join(p.message for p in self.problems))


def invalid(field: str, type_: str, message: str) -> Invalid:
    """A 422 for a single problem."""
    return Invalid([Problem(field, type_, message)])


def error_body(code: str, message: str) -> dict[str, Any]:
    """The body of every error but a 422."""
    return {"message": message, "error": {"errorCode": code, "message": message}}


VALIDATION_ERROR_CODE = "validation_error"
"""The `error.errorCode` of every 422."""


def validation_body(problems: Iterable[Problem]) -> dict[str, Any]:
    """The body of a 422: the first problem in `message`, every problem in `errors`."""
    found = list(problems)
    first = found[0]
    headline = f"{first.field}: {first.message}" if first.field else first.message
    if len(found) > 1:
        headline += f" (and {len(found) - 1} more; see errors)"
    message = f"Validation failed: {headline}"
    errors = [{"message": p.message, "type": p.type, "field": p.field} for p in found]
    # One body for every documented shape: `ValidationError` reads `message` and `errors` at
    # the top; `ErrorModel` requires `error`; authentication's 422 nests `errors` under it.
    return {
        "message": message,
        "errors": errors,
        "error": {"errorCode": VALIDATION_ERROR_CODE, "message": message, "errors": errors},
    }


def error_response(error: Exception) -> JSONResponse | None:
    """The response for an error the API knows, or None for a bug (the caller makes it a 500)."""
    problems = _problems(error)
    if problems:
        return JSONResponse(validation_body(problems), 422)
    if isinstance(error, ApiError):
        return JSONResponse(error_body(error.code, error.message), error.status, error.headers)
    if isinstance(error, IllegalTransition):
        return JSONResponse(error_body("illegal_transition", str(error)), 409)
    for kind, (status, headers) in _SIMULATOR_STATUS.items():
        if isinstance(error, kind):
            return JSONResponse(error_body(error.code, str(error)), status, headers)
    damaged = damage(error)
    if damaged is not None:
        return JSONResponse(error_body("store_damaged", damaged), 503)
    return None


def _problems(error: Exception) -> list[Problem]:
    if isinstance(error, Invalid):
        return list(error.problems)
    if isinstance(error, UpdateRejected):
        return [Problem(v.field, str(v.code), v.message) for v in error.violations]
    if isinstance(error, ClockRefused):
        return [Problem("", error.code, str(error))]
    return []


_SIMULATOR_STATUS: dict[type[SimulatorError], tuple[int, dict[str, str]]] = {
    NotFound: (404, {}),
    BadRequest: (400, {}),
    Unauthorized: (401, BEARER_CHALLENGE),
    # WebDAV's "Insufficient Storage": the server, not the request, has no room for it.
    StoreFull: (507, {}),
    StoreLost: (503, {}),
}
