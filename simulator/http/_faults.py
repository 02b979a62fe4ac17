"""Faults in ASGI terms: an error or rate-limit answer, an added delay, a dropped connection."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import anyio
import anyio.lowlevel
from starlette.responses import JSONResponse

from simulator.http._context import iso_utc
from simulator.http._errors import error_body
from simulator.http._fault_rules import DEFAULT_STATUS, ERROR_STATUSES

if TYPE_CHECKING:
    from datetime import datetime

    from starlette.types import Scope, Send

    from simulator.http._fault_rules import Fault

_DROP_KEY = "okc_sim.drop"


async def delay(fault: Fault) -> None:
    """Wait out a rule's added latency, in real time."""
    if fault.latency_ms:
        await anyio.sleep(fault.latency_ms / 1000)


def fault_response(fault: Fault, now: datetime, rate_limit: int | None) -> JSONResponse:
    """The answer of an error or rate-limit fault, in the API's error shape.

    Args:
        fault: the rule that struck (kind "error" or "rate_limit").
        now: the simulated now, for the rate-limit reset instant.
        rate_limit: the server's requests per hour, for `X-RateLimit-Limit`; None when off.

    Returns:
        The response, marked with `X-Sim-Fault` and `X-Sim-Fault-Id`.
    """
    headers = fault.headers()
    if fault.kind == "rate_limit":
        seconds = fault.retry_after or 0
        message = (
            f"Rate limit reached; retry after {seconds} seconds. (Injected fault {fault.id} "
            "from POST /_sim/faults, not a real limit.)"
        )
        headers["Retry-After"] = str(seconds)
        if rate_limit is not None:
            headers["X-RateLimit-Limit"] = str(rate_limit)
            headers["X-RateLimit-Remaining"] = "0"
            headers["X-RateLimit-Reset"] = iso_utc(now + timedelta(seconds=seconds))
        return JSONResponse(error_body("rate_limited", message), 429, headers)
    status = fault.status or DEFAULT_STATUS
    message = (
        f"Injected fault {fault.id}: the simulator answers {status} because a rule from "
        "POST /_sim/faults says so; nothing went wrong. Retry as your client would."
    )
    return JSONResponse(error_body(ERROR_STATUSES[status], message), status, headers)


def mark_dropped(scope: Scope) -> None:
    """Ask the app (see `drop_connection`) to drop this request's connection unanswered."""
    scope[_DROP_KEY] = True


def is_dropped(scope: Scope) -> bool:
    """Whether the middleware asked for this request's connection to be dropped."""
    return bool(scope.get(_DROP_KEY))


async def drop_connection(send: Send) -> None:
    """Close a request's connection without a response.

    ASGI has no message for that: an app that sends nothing gets a 500 from its server. So
    when `send` is uvicorn's own (it belongs to a request cycle that holds the connection's
    asyncio transport), the transport is aborted, and the server, seeing the connection gone,
    sends nothing either: the client reads end of stream where a response should be. Any
    other server, and an in-process transport such as `httpx.ASGITransport`, gets a
    `ConnectionResetError` from the app instead.

    Args:
        send: the ASGI server's own `send` callable for the request.

    Raises:
        ConnectionResetError: the connection's transport is out of reach.
    """
    owner = getattr(send, "__self__", None)
    # Duck-typed: uvloop's transports abort like asyncio's but do not subclass them.
    abort = getattr(getattr(owner, "transport", None), "abort", None)
    if not callable(abort):
        raise ConnectionResetError("The simulator dropped the connection (an injected fault).")
    abort()
    # One turn of the loop runs the server's connection_lost, so it knows not to answer.
    await anyio.lowlevel.checkpoint()
