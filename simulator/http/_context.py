"""What the app's parts share: the server's settings and state, and each request's visit."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from starlette.types import Scope

    from simulator import Simulator
    from simulator.http._fault_injector import FaultInjector
    from simulator.http._gate import Gate
    from simulator.http._journal import Journal
    from simulator.http._ratelimit import RateLimiter

_VISIT_KEY = "okc_sim.visit"


@attrs.define(eq=False)
class Server:
    """One app's simulator, journal, rate limiter and settings."""

    sim: Simulator
    journal: Journal
    limiter: RateLimiter | None
    """None when rate limiting is off."""
    admin_token: str | None
    control_requires_token: bool
    max_body_bytes: int
    document: dict[str, Any]
    """The OpenAPI document, served at `/_sim/openapi.json`."""
    faults: FaultInjector
    """The fault rules of `POST /_sim/faults`."""
    gate: Gate
    """The host names served, and the JSON-only rule for writes."""


@attrs.define(eq=False)
class Visit:
    """What the middleware learnt about a request before routing it."""

    at: datetime
    """The simulated instant the request arrived."""
    client_id: str | None = None
    """The client of a valid access token, if the request carried one."""
    auth_problem: str | None = None
    """Why there is no client: a missing, malformed, unknown or expired token."""
    answered_at: datetime | None = None
    """The simulated instant just after the handler ran, read in the same engine call."""
    observed: list[str] | None = None
    """The ids of the orders the response shows, noted by the route for the journal."""
    logged_in: str | None = None
    """The client a token request logged in, noted by the route for the journal."""

    def observe(self, order_ids: list[str]) -> None:
        """Note orders the response shows the client (the advisor reads them)."""
        if self.observed is None:
            self.observed = order_ids
        else:
            self.observed.extend(order_ids)


# Every response's X-Sim-Time and journal entry write an instant, often the same one (a
# frozen clock): formatting costs about a microsecond, a cache hit a tenth of that.
@functools.lru_cache(maxsize=1024)
def iso_utc(at: datetime) -> str:
    """ISO 8601 in UTC with a `Z`, as every instant the API writes."""
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


@functools.lru_cache(maxsize=1024)
def http_date(at: datetime) -> str:
    """HTTP's own date format (RFC 9110 IMF-fixdate), e.g. "Mon, 02 Mar 2026 17:00:00 GMT"."""
    return format_datetime(at.astimezone(UTC).replace(microsecond=0), usegmt=True)


def attach_visit(scope: Scope, visit: Visit) -> None:
    """Keep a request's visit in its ASGI scope for the route to read."""
    scope[_VISIT_KEY] = visit


def visit_of(scope: Scope) -> Visit:
    """The visit the middleware attached to this request's scope."""
    visit = scope[_VISIT_KEY]
    assert isinstance(visit, Visit)  # noqa: S101 - the middleware always attaches one
    return visit
