"""The simulator's own errors; the HTTP layer maps each to its status code."""

from __future__ import annotations


class SimulatorError(Exception):
    """Base class of the simulator's errors; `code` is a short machine-readable name."""

    code = "simulator_error"


class NotFound(SimulatorError, LookupError):
    """No such resource for this client (another client's resource is not found either)."""

    code = "not_found"


PARAMETER_CODES = {
    "q": "invalid_q",
    "sort_by": "invalid_sort_by",
    "limit": "invalid_limit",
    "cursor": "invalid_cursor",
    "filter": "invalid_filter",
}
"""The code of a 400 about a list parameter, by parameter (`filter` for every `filter[...]`)."""


def parameter_code(field: str | None) -> str:
    """The `errorCode` of a 400 about `field`: its parameter's own code, else `bad_request`."""
    name = (field or "").partition("[")[0]
    return PARAMETER_CODES.get(name, BadRequest.code)


class BadRequest(SimulatorError, ValueError):
    """A malformed request: a bad filter, date, cursor or argument.

    `code` names the parameter's rule (`PARAMETER_CODES`), so a client can tell an unreadable
    `q` from a cursor the server did not issue without parsing the sentence.
    """

    code = "bad_request"

    def __init__(self, message: str, field: str | None = None, code: str | None = None) -> None:
        """Name the problem and, where there is one, the parameter.

        Args:
            message: a sentence a person can act on.
            field: the parameter or field concerned.
            code: the rule's own code, for a request refused whatever its parameters' values
                (the parameter's code otherwise).
        """
        super().__init__(message)
        self.field = field
        self.code = code or parameter_code(field)


class Unauthorized(SimulatorError):
    """Missing, unknown or expired credentials."""

    code = "unauthorized"


class ClockRefused(SimulatorError, ValueError):
    """A clock change the simulator refuses, such as moving time backwards."""

    code = "clock_refused"
