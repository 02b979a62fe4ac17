"""The ASGI application: the route table, the framing middleware and the error handlers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.responses import JSONResponse

from simulator.http import _routes_control, _routes_lifecycle, _routes_v2
from simulator.http._context import Server
from simulator.http._endpoints import Operation, ProviderPaths, build_routes
from simulator.http._errors import error_body, error_response
from simulator.http._fault_injector import FaultInjector
from simulator.http._faults import drop_connection, is_dropped
from simulator.http._gate import Gate
from simulator.http._journal import Journal
from simulator.http._middleware import SimMiddleware
from simulator.http._openapi import build_document
from simulator.http._ratelimit import RateLimiter

if TYPE_CHECKING:
    from collections.abc import Iterable

    from starlette.requests import Request
    from starlette.types import Receive, Scope, Send

    from simulator import Simulator

OPERATIONS: tuple[Operation, ...] = (
    _routes_v2.OPERATIONS + _routes_lifecycle.OPERATIONS + _routes_control.OPERATIONS
)
"""Every operation the app serves, in routing order."""
PROVIDER_PATHS = ProviderPaths(OPERATIONS)
"""The provider's paths, served or not: the others answer 501."""


def openapi_document() -> dict[str, Any]:
    """The server's OpenAPI 3.1 document: every route, its parameters, bodies and responses."""
    return build_document(OPERATIONS)


def create_app(  # noqa: PLR0913 - the server's settings, all keyword-only
    sim: Simulator,
    *,
    admin_token: str | None = None,
    control_requires_token: bool = False,
    rate_limit: int | None = 3600,
    journal_size: int = 1000,
    max_body_bytes: int = 1_048_576,
    allowed_hosts: Iterable[str] = (),
) -> Starlette:
    """Build the fake OK Capsule server around a simulator.

    Args:
        sim: the world the server serves; the app never closes it.
        admin_token: a token that unlocks the control API (`/_sim`).
        control_requires_token: whether `/_sim` needs `admin_token` (set when the server
            listens beyond loopback).
        rate_limit: requests per client per simulated hour; None turns limiting off.
        journal_size: how many recent requests `GET /_sim/requests` keeps.
        max_body_bytes: the largest request body accepted (413 beyond).
        allowed_hosts: host names to answer to besides localhost, 127.0.0.1 and ::1 (the
            address the server is bound to, container or compose service names); a request
            whose Host header names another gets a 421 (DNS rebinding, see docs/reliability.md).

    Returns:
        The Starlette application; its fault rules (a `FaultInjector`) are `app.state.faults`.

    Raises:
        ValueError: a limit below 1, a negative journal size, or an allowed host that is not
            a host name.
    """
    if max_body_bytes < 1:
        raise ValueError(f"max_body_bytes must be at least 1, not {max_body_bytes}.")
    server = Server(
        sim=sim,
        journal=Journal(journal_size),
        limiter=None if rate_limit is None else RateLimiter(rate_limit),
        admin_token=admin_token,
        control_requires_token=control_requires_token,
        max_body_bytes=max_body_bytes,
        document=openapi_document(),
        faults=FaultInjector(sim.seed, lambda: sim.now),
        gate=Gate(allowed_hosts),
    )
    app = _SimApp(
        routes=build_routes(OPERATIONS, server, PROVIDER_PATHS),
        middleware=[Middleware(SimMiddleware, server=server)],
        exception_handlers={HTTPException: _http_error},
    )
    # No redirect to a URL built from the Host header: a path with a trailing slash is a
    # 404 that names the path without it.
    app.router.redirect_slashes = False
    app.state.faults = server.faults
    return app


class _SimApp(Starlette):
    """The Starlette app, plus what only the outermost layer can do: drop a connection."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request; if a drop fault struck it, drop the connection unanswered."""
        await super().__call__(scope, receive, send)
        # Here, outside Starlette's error layer, `send` is the server's own, and nothing has
        # answered in the app's place (the error layer would have sent a 500).
        if scope["type"] == "http" and is_dropped(scope):
            await drop_connection(send)


_ROUTER_ERRORS = {
    404: ("not_found", "No such route: {method} {path}. See GET /_sim/openapi.json."),
    405: ("method_not_allowed", "{path} does not take {method}."),
}


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    """The router's own refusals (unknown route, wrong method), in the API's error shape.

    A path or method of the provider's API that no route serves is not the client's
    mistake: it answers 501 (see `ProviderPaths`), before any token is asked for.
    """
    assert isinstance(error, HTTPException)  # noqa: S101 - registered for HTTPException only
    path = request.url.path
    if error.status_code in _ROUTER_ERRORS:
        unserved = PROVIDER_PATHS.refusal(request.method, path)
        if unserved is not None:
            response = error_response(unserved)
            assert response is not None  # noqa: S101 - an ApiError always maps
            return response
    code, template = _ROUTER_ERRORS.get(error.status_code, ("http_error", "{detail}"))
    message = template.format(method=request.method, path=path, detail=error.detail)
    if error.status_code == 404 and len(path) > 1 and path.endswith("/"):
        message += f" Paths take no trailing slash: {path.rstrip('/') or '/'}."
    return JSONResponse(error_body(code, message), error.status_code, error.headers)
