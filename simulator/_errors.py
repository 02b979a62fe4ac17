"""The simulator's own errors; the HTTP layer maps each to its status code."""

from __future__ import annotations


class SimulatorError(Exception):
    """Base class of the simulator's errors; `code` is a short machine-readable name."""

    code = "simulator_error"


class NotFound(SimulatorError, LookupError):
    """No such resource for this client (another client's resource is not found either)."""

    code = "not_found"


class BadRequest(SimulatorError, ValueError):
    """A malformed request: a bad filter, date, cursor or argument."""

    code = "bad_request"

    def __init__(self, message: str, field: str | None = None) -> None:
        """Name the problem and, where there is one, the parameter.

        Args:
            message: a sentence a person can act on.
            field: the parameter or field concerned.
        """
        super().__init__(message)
        self.field = field


class Unauthorized(SimulatorError):
    """Missing, unknown or expired credentials."""

    code = "unauthorized"


class ClockRefused(SimulatorError, ValueError):
    """A clock change the simulator refuses, such as moving time backwards."""

    code = "clock_refused"
