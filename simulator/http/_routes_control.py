"""The simulator's own control API under `/_sim`: clock, reset, operator events, journal, faults."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from lifecycle._instant import MalformedInstant, parse_instant
from simulator import ClockError, ClockRefused, SimulatorError
from simulator.http._advice import advise
from simulator.http._context import iso_utc
from simulator.http._endpoints import Auth, Call, Operation, Reply
from simulator.http._errors import ApiError, Invalid, Problem, invalid
from simulator.http._fault_rules import FaultSpecError
from simulator.http._query import Param, single, whole_number

MAX_ADVANCE = timedelta(days=3653)
"""The furthest one advance may move the clock (ten years), so a typo cannot hang the server."""
CLOCK_MODES = ("frozen", "running")


def clock(call: Call) -> Reply:
    """GET /_sim/clock."""
    return Reply(200, call.sim.clock_state())


def set_clock(call: Call) -> Reply:
    """POST /_sim/clock: freeze or run the clock, or change its speed, without moving time."""
    body = _fields(call.body, allowed=("mode", "speed"))
    if not body:
        raise invalid("", "required", "Send 'mode' (frozen or running), 'speed', or both.")
    mode, speed = body.get("mode"), body.get("speed")
    if "mode" in body and mode not in CLOCK_MODES:
        raise invalid("mode", "malformed", f"'mode' must be 'frozen' or 'running', not {mode!r}.")
    if "speed" in body and not _positive_finite(speed):
        raise invalid("speed", "malformed", "'speed' must be a finite number greater than 0.")
    try:
        call.sim.set_clock(mode=mode, speed=speed)
    except ClockError as error:
        raise invalid("speed", "malformed", str(error)) from None
    return Reply(200, call.sim.clock_state())


def advance_clock(call: Call) -> Reply:
    """POST /_sim/clock/advance: move time on, running all work that falls due, in order."""
    body = _fields(call.body, allowed=("seconds", "to"))
    if ("seconds" in body) == ("to" in body):
        raise invalid("", "required", "Send exactly one of 'seconds' or 'to'.")
    if "seconds" in body:
        seconds = body["seconds"]
        field = "seconds"
        if not (_is_number(seconds) and math.isfinite(seconds)):
            raise invalid(field, "malformed", "'seconds' must be a finite number.")
        if seconds > MAX_ADVANCE.total_seconds():
            raise invalid(field, "malformed", f"'seconds' may be at most {_max_words()}.")
        target: dict[str, Any] = {"seconds": seconds}
    else:
        field = "to"
        target = {"to": _instant(body["to"], call.sim.now)}
    try:
        result = call.sim.advance(**target)
    except ClockRefused as error:
        raise invalid(field, error.code, str(error)) from None
    return Reply(200, {"now": iso_utc(result.now), "events_applied": result.events_applied})


def reset(call: Call) -> Reply:
    """POST /_sim/reset: an empty world with the same settings; journal, counts, faults too."""
    call.sim.reset()
    if call.server.limiter is not None:
        call.server.limiter.clear()
    call.server.journal.clear()
    call.server.faults.clear()
    return Reply(204)


def order_history(call: Call) -> Reply:
    """GET /_sim/orders/{id}/history: every status change, with event, actor and reason."""
    return Reply(200, {"history": call.sim.history(call.path["id"])})


def force_event(call: Call) -> Reply:
    """POST /_sim/orders/{id}/events: an operator event, as OK Capsule's staff would fire it."""
    body = _fields(call.body, allowed=("event", "reason"))
    event, reason = body.get("event"), body.get("reason")
    problems = []
    if not isinstance(event, str) or not event:
        problems.append(
            Problem("event", "required", "'event' (an operator event name) is required.")
        )
    if reason is not None and not isinstance(reason, str):
        problems.append(Problem("reason", "malformed", "'reason' must be text."))
    if problems:
        raise Invalid(problems)
    assert isinstance(event, str)  # noqa: S101 - checked above
    try:
        order = call.sim.force(call.path["id"], event, reason)
    except ValueError as error:
        if isinstance(error, SimulatorError):
            raise
        # A plain ValueError is the engine's word for an unknown or client-only event.
        raise invalid("event", "unknown_event", str(error)) from None
    return Reply(200, {"order": order})


def requests(call: Call) -> Reply:
    """GET /_sim/requests: the journal, newest last."""
    text = single(call.query, "limit")
    most = max(call.server.journal.size, 1)
    limit = None if text is None else whole_number(text, "limit", 1, most)
    entries = call.server.journal.recent(limit)
    return Reply(200, {"requests": [entry.to_json() for entry in entries]})


def advice(call: Call) -> Reply:
    """GET /_sim/advice: what the journal shows about each client's integration."""
    found = advise(call.server.journal.recent(), call.sim)
    return Reply(200, {"advice": [item.to_json() for item in found]})


def add_faults(call: Call) -> Reply:
    """POST /_sim/faults: add one fault rule, or `{"faults": [...]}`; all or none."""
    try:
        added = call.server.faults.add_json(call.body)
    except FaultSpecError as error:
        raise Invalid(error.problems) from None
    return Reply(201, {"faults": [fault.to_json() for fault in added]})


def list_faults(call: Call) -> Reply:
    """GET /_sim/faults: the rules in force, with their remaining counts, oldest first."""
    return Reply(200, {"faults": [fault.to_json() for fault in call.server.faults.active()]})


def clear_faults(call: Call) -> Reply:
    """DELETE /_sim/faults: remove every rule."""
    call.server.faults.clear()
    return Reply(204)


def remove_fault(call: Call) -> Reply:
    """DELETE /_sim/faults/{id}: remove one rule."""
    fault_id = call.path["id"]
    try:
        call.server.faults.remove(fault_id)
    except KeyError:
        message = f"No fault rule '{fault_id}' in force; GET /_sim/faults lists them."
        raise ApiError(404, "not_found", message) from None
    return Reply(204)


def openapi(call: Call) -> Reply:
    """GET /_sim/openapi.json: this server's OpenAPI document."""
    return Reply(200, call.server.document)


# --- request checks ---------------------------------------------------------------------------


def _fields(body: object, allowed: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise invalid("", "malformed", "The request body must be a JSON object.")
    unknown = [key for key in body if key not in allowed]
    if unknown:
        raise Invalid(
            Problem(
                key,
                "not_updatable",
                f"'{key}' is not a field of this request; it takes: {', '.join(allowed)}.",
            )
            for key in unknown
        )
    return body


def _positive_finite(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _instant(value: object, now: datetime) -> datetime:
    if not isinstance(value, str):  # JSON has no datetimes
        raise invalid("to", "malformed", "'to' must be an ISO 8601 date-time text.")
    try:
        at = parse_instant(value, "to")
    except MalformedInstant as error:
        raise invalid(error.field, error.code, error.message) from None
    if at - now > MAX_ADVANCE:
        raise invalid("to", "malformed", f"'to' may be at most {_max_words()} ahead.")
    return at


def _max_words() -> str:
    return f"{MAX_ADVANCE.days} days ({int(MAX_ADVANCE.total_seconds())} seconds)"


# --- the route table --------------------------------------------------------------------------

OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        "/_sim/clock",
        clock,
        "Read the simulated clock",
        "Control",
        200,
        "ClockState",
        Auth.ADMIN,
    ),
    Operation(
        "POST",
        "/_sim/clock",
        set_clock,
        "Freeze or run the clock, or set its speed",
        "Control",
        200,
        "ClockState",
        Auth.ADMIN,
        body="ClockSettings",
    ),
    Operation(
        "POST",
        "/_sim/clock/advance",
        advance_clock,
        "Move the clock forward",
        "Control",
        200,
        "Advance",
        Auth.ADMIN,
        body="AdvanceRequest",
        description="Returns after every piece of work due up to the new time has run, in "
        "time order. Time never moves backwards (422).",
    ),
    Operation(
        "POST",
        "/_sim/reset",
        reset,
        "Empty the world",
        "Control",
        204,
        None,
        Auth.ADMIN,
        description="Orders, consumers, fulfillments, tokens, rate-limit counts, fault rules "
        "and the request journal go; the settings and the clock's time stay.",
    ),
    Operation(
        "GET",
        "/_sim/orders/{id}/history",
        order_history,
        "An order's status history",
        "Control",
        200,
        "History",
        Auth.ADMIN,
        ids={"id": "order"},
    ),
    Operation(
        "POST",
        "/_sim/orders/{id}/events",
        force_event,
        "Force an operator event",
        "Control",
        200,
        "OrderEnvelope",
        Auth.ADMIN,
        body="OperatorEvent",
        ids={"id": "order"},
        errors=(409,),
        description="409 when the state machine does not allow the event from the order's "
        "status; 422 for an unknown event name.",
    ),
    Operation(
        "GET",
        "/_sim/advice",
        advice,
        "Advice on the integration",
        "Control",
        200,
        "AdviceList",
        Auth.ADMIN,
        description="What the request journal shows about each client's polling, tokens "
        "and rate limits: `polling_too_often`, `missed_status`, `watermark_gap`, "
        "`token_churn`, `rate_limited`. Empty when the integration looks right.",
    ),
    Operation(
        "GET",
        "/_sim/requests",
        requests,
        "The request journal",
        "Control",
        200,
        "RequestList",
        Auth.ADMIN,
        query=(
            Param(
                "limit",
                "Only the newest this many entries.",
                {"type": "integer", "minimum": 1},
            ),
        ),
    ),
    Operation(
        "POST",
        "/_sim/faults",
        add_faults,
        "Inject faults",
        "Control",
        201,
        "FaultList",
        Auth.ADMIN,
        body="FaultRequest",
        description="Make matching routes (never `/_sim`) answer 500, 502, 503 or 504, wait "
        "(real time), drop the connection, or answer 429 with `Retry-After`, for a share of "
        "requests, a number of times, or until a simulated instant. Draws are seeded: the same "
        "requests in the same order meet the same faults. A bad rule is a 422 naming the "
        "field, and then no rule is added.",
    ),
    Operation(
        "GET",
        "/_sim/faults",
        list_faults,
        "The fault rules in force",
        "Control",
        200,
        "FaultList",
        Auth.ADMIN,
        description="Used-up and expired rules are gone; `remaining` counts what is left.",
    ),
    Operation(
        "DELETE",
        "/_sim/faults",
        clear_faults,
        "Remove every fault rule",
        "Control",
        204,
        None,
        Auth.ADMIN,
    ),
    Operation(
        "DELETE",
        "/_sim/faults/{id}",
        remove_fault,
        "Remove one fault rule",
        "Control",
        204,
        None,
        Auth.ADMIN,
        errors=(404,),
    ),
    Operation(
        "GET",
        "/_sim/openapi.json",
        openapi,
        "This OpenAPI document",
        "Control",
        200,
        "OpenAPI",
        Auth.ADMIN,
    ),
)
