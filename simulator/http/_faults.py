"""Faults on purpose: rules that make routes fail, slow down or drop, to test a client's retries.

Every draw is seeded by the simulator's seed and the rule's id, so the same requests in the same
order meet the same faults. A rule lasts for a number of hits or until a simulated instant.
"""

from __future__ import annotations

import asyncio
import math
import random
import re
import threading
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, TypeGuard, cast

import anyio
import anyio.lowlevel
import attrs
from starlette.responses import JSONResponse

from lifecycle._instant import MalformedInstant, parse_instant
from simulator.http._context import iso_utc
from simulator.http._errors import Problem, error_body

if TYPE_CHECKING:
    from collections.abc import Iterable

    from starlette.types import Scope, Send

    from simulator import Simulator

FaultKind = Literal["error", "latency", "drop", "rate_limit"]
"""What a fault does: answer an error, add latency, drop the connection, or answer a 429."""
FaultStage = Literal["request", "response"]
"""When a fault strikes: before the request is handled, or after (the work is done)."""

KINDS: tuple[FaultKind, ...] = ("error", "latency", "drop", "rate_limit")
STAGES: tuple[FaultStage, ...] = ("request", "response")
ERROR_STATUSES = {
    500: "internal_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}
"""The statuses an error fault may answer, and the `errorCode` each carries."""
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
DEFAULT_ROUTE = "/v2/*"
DEFAULT_STATUS = 503
DEFAULT_RETRY_AFTER = 60
MAX_LATENCY_MS = 300_000
"""The longest added latency (five minutes, real time): a typo cannot hold a request for hours."""
MAX_RETRY_AFTER = 86_400
MAX_DURATION = timedelta(days=3653)
FIELDS = (
    "kind",
    "route",
    "methods",
    "status",
    "latency_ms",
    "retry_after",
    "probability",
    "count",
    "until",
    "for_seconds",
    "stage",
)
"""The fields of a fault rule, as `POST /_sim/faults` takes them."""

_CONTROL_PREFIX = "/_sim"
_DROP_KEY = "okc_sim.drop"
_PARAMETER = re.compile(r"\{\w+\}")


class FaultSpecError(ValueError):
    """A fault rule that cannot be added; `problems` names each bad field."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        """Collect the problems.

        Args:
            problems: every problem found, at least one.
        """
        self.problems = tuple(problems)
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in self.problems))


@attrs.frozen
class Fault:
    """A fault rule as stored: what it does, where, for how long, and how often it struck."""

    id: str
    """Assigned when the rule is added: "fault-1", "fault-2"... (counting again after a clear)."""
    kind: FaultKind
    route: str
    """A path pattern: "*" (every route but `/_sim`), "/v2/orders", "/v2/orders/{id}", "/v2/*"."""
    methods: tuple[str, ...] | None
    """The methods it applies to; None for all."""
    status: int | None
    """The status of an error fault (500, 502, 503 or 504); None for the other kinds."""
    latency_ms: float | None
    """Real milliseconds added before the answer (any kind may have some); None for none."""
    retry_after: int | None
    """The `Retry-After` seconds of a rate-limit fault; None for the other kinds."""
    probability: float
    """The share of matching requests it strikes, drawn from the seeded generator."""
    count: int | None
    """How many times it strikes at most; None for no limit."""
    remaining: int | None
    """How many strikes are left; None for no limit."""
    until: datetime | None
    """The simulated instant it stops; None for never."""
    stage: FaultStage
    applied: int
    """How many requests it has struck so far."""

    def to_json(self) -> dict[str, Any]:
        """The rule as `GET /_sim/faults` lists it."""
        return {
            "id": self.id,
            "kind": self.kind,
            "route": self.route,
            "methods": None if self.methods is None else list(self.methods),
            "status": self.status,
            "latency_ms": self.latency_ms,
            "retry_after": self.retry_after,
            "probability": self.probability,
            "count": self.count,
            "remaining": self.remaining,
            "until": None if self.until is None else iso_utc(self.until),
            "stage": self.stage,
            "applied": self.applied,
        }

    def journal_json(self) -> dict[str, str]:
        """What the request journal says about a request this rule struck."""
        return {"id": self.id, "kind": self.kind, "stage": self.stage}

    def headers(self) -> dict[str, str]:
        """The headers that mark a response this rule touched."""
        return {"X-Sim-Fault": self.kind, "X-Sim-Fault-Id": self.id}

    async def delay(self) -> None:
        """Wait out the rule's added latency, in real time."""
        if self.latency_ms:
            await anyio.sleep(self.latency_ms / 1000)


@attrs.define(eq=False)
class _Rule:
    """A stored rule with its own generator and counters (guarded by the injector's lock)."""

    fault: Fault
    pattern: re.Pattern[str]
    rng: random.Random
    remaining: int | None
    applied: int = 0

    def matches(self, method: str, path: str) -> bool:
        methods = self.fault.methods
        return (methods is None or method in methods) and bool(self.pattern.fullmatch(path))

    def spent(self, now: datetime) -> bool:
        until = self.fault.until
        return self.remaining == 0 or (until is not None and now >= until)

    def snapshot(self) -> Fault:
        return attrs.evolve(self.fault, remaining=self.remaining, applied=self.applied)


class FaultInjector:
    """The fault rules of one app; thread-safe. The app keeps it at `app.state.faults`.

    Faults never touch `/_sim` routes. Each request that a rule matches (route, method, still
    active) draws once from that rule's generator, seeded from the simulator's seed and the
    rule's id; the first rule, in the order added, whose draw strikes applies.

    Example:
        ```python
        faults = app.state.faults
        faults.add("error", route="/v2/orders", methods="POST", status=503, count=2)
        faults.add("latency", latency_ms=40, probability=0.25)
        faults.add("rate_limit", retry_after=30, for_seconds=600)
        ```
    """

    def __init__(self, sim: Simulator) -> None:
        """Start with no rules.

        Args:
            sim: the simulator whose seed the draws use and whose clock ends rules.
        """
        self._sim = sim
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []
        self._next_id = 1

    def add(  # noqa: PLR0913 - a rule's fields, keyword-only after the kind
        self,
        kind: FaultKind,
        *,
        route: str = DEFAULT_ROUTE,
        methods: str | Iterable[str] | None = None,
        status: int | None = None,
        latency_ms: float | None = None,
        retry_after: int | None = None,
        probability: float = 1.0,
        count: int | None = None,
        until: datetime | str | None = None,
        for_seconds: float | None = None,
        stage: FaultStage = "request",
    ) -> Fault:
        """Add one fault rule.

        Args:
            kind: "error", "latency", "drop" or "rate_limit".
            route: the paths it applies to: "*" (all but `/_sim`), a path, a path with
                `{name}` or `*` for one segment, or ending in `*` for everything below.
            methods: the methods it applies to ("POST" or ["GET", "PUT"]); None for all.
            status: an error's status: 500, 502, 503 (the default) or 504.
            latency_ms: real milliseconds to wait before answering (required for "latency").
            retry_after: a rate-limit fault's `Retry-After` seconds (default 60).
            probability: the share of matching requests it strikes, from 0 to 1.
            count: strike at most this many times.
            until: stop at this simulated instant (aware datetime or ISO 8601 text).
            for_seconds: stop this many simulated seconds from now (instead of `until`).
            stage: "request" strikes before the request is handled; "response" lets the
                server do the work, then fails, delays or drops its answer.

        Returns:
            The stored rule, with its id.

        Raises:
            ValueError: a field is missing, unknown or out of range; the message names it.
        """
        rule: dict[str, object] = {
            "kind": kind,
            "route": route,
            "methods": methods if methods is None or isinstance(methods, str) else list(methods),
            "status": status,
            "latency_ms": latency_ms,
            "retry_after": retry_after,
            "probability": probability,
            "count": count,
            "until": until,
            "for_seconds": for_seconds,
            "stage": stage,
        }
        return self.add_json(rule)[0]

    def add_json(self, body: object) -> list[Fault]:
        """Add rules given as `POST /_sim/faults` takes them: one rule, or `{"faults": [...]}`.

        Either every rule is added or, when one is bad, none.

        Args:
            body: a rule as a JSON object (a mapping), or `{"faults": [rule, ...]}`.

        Returns:
            The stored rules, in the order given.

        Raises:
            ValueError: a rule is bad; the message names each bad field (`faults[1].status`).
        """
        bodies, many = _rule_bodies(body)
        now = self._sim.now
        specs, problems = [], []
        for index, item in enumerate(bodies):
            spec, found = _parse_rule(item, now, f"faults[{index}]." if many else "")
            specs.append(spec)
            problems += found
        if problems:
            raise FaultSpecError(problems)
        with self._lock:
            added = [self._store(spec) for spec in specs]
        return [rule.snapshot() for rule in added]

    def _store(self, spec: dict[str, Any]) -> _Rule:
        fault_id = f"fault-{self._next_id}"
        self._next_id += 1
        fault = Fault(id=fault_id, remaining=spec["count"], applied=0, **spec)
        rng = random.Random(f"{self._sim.seed}:fault:{fault_id}")  # noqa: S311 - simulation, not security
        rule = _Rule(fault, _route_pattern(fault.route), rng, fault.count)
        self._rules.append(rule)
        return rule

    def active(self) -> list[Fault]:
        """The rules still in force (not used up, not past `until`), oldest first."""
        now = self._sim.now
        with self._lock:
            self._prune(now)
            return [rule.snapshot() for rule in self._rules]

    def remove(self, fault: Fault | str) -> None:
        """Remove one rule.

        Args:
            fault: the rule, or its id.

        Raises:
            KeyError: no active rule has that id.
        """
        fault_id = fault.id if isinstance(fault, Fault) else fault
        with self._lock:
            kept = [rule for rule in self._rules if rule.fault.id != fault_id]
            if len(kept) == len(self._rules):
                raise KeyError(fault_id)
            self._rules = kept

    def clear(self) -> None:
        """Remove every rule; ids count from "fault-1" again."""
        with self._lock:
            self._rules = []
            self._next_id = 1

    def pick(self, method: str, path: str, now: datetime) -> Fault | None:
        """Decide whether a request meets a fault, and count the strike.

        Args:
            method: the request's method.
            path: the request's path.
            now: the simulated instant the request arrived.

        Returns:
            The rule that strikes, as it stands after this strike; None for no fault.
        """
        if path == _CONTROL_PREFIX or path.startswith(_CONTROL_PREFIX + "/"):
            return None
        with self._lock:
            self._prune(now)
            chosen: _Rule | None = None
            for rule in self._rules:
                if not rule.matches(method, path):
                    continue
                # Every matching rule draws, so a rule's draws depend only on the requests
                # it matches, not on what the rules before it did.
                struck = rule.rng.random() < rule.fault.probability
                if struck and chosen is None:
                    chosen = rule
            if chosen is None:
                return None
            chosen.applied += 1
            if chosen.remaining is not None:
                chosen.remaining -= 1
            return chosen.snapshot()

    def _prune(self, now: datetime) -> None:
        self._rules = [rule for rule in self._rules if not rule.spent(now)]


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
    transport = getattr(owner, "transport", None)
    if not isinstance(transport, asyncio.WriteTransport):
        raise ConnectionResetError("The simulator dropped the connection (an injected fault).")
    transport.abort()
    # One turn of the loop runs the server's connection_lost, so it knows not to answer.
    await anyio.lowlevel.checkpoint()


# --- reading a rule ---------------------------------------------------------------------------


def _rule_bodies(body: object) -> tuple[list[object], bool]:
    """The rules of a request body, and whether it was the `{"faults": [...]}` form."""
    if not isinstance(body, Mapping) or "faults" not in body:
        return [body], False
    rules = body["faults"]
    if not isinstance(rules, list) or not rules or len(body) > 1:
        message = "Send one rule, or only 'faults': a non-empty list of rules."
        raise FaultSpecError([Problem("faults", "malformed", message)])
    return rules, True


def _parse_rule(body: object, now: datetime, prefix: str) -> tuple[dict[str, Any], list[Problem]]:
    """A rule's checked fields (None where not given) and every problem found."""
    if not isinstance(body, Mapping):
        return {}, [Problem(prefix.rstrip("."), "malformed", "A fault rule must be an object.")]
    reader = _Reader(body, prefix)
    for key in body:
        if key not in FIELDS:
            reader.problem(
                key, "unknown_field", f"'{key}' is not a field of a fault rule; see the docs."
            )
    kind = reader.choice("kind", KINDS, required=True)
    route = reader.route()
    methods = reader.methods()
    status = reader.status(kind)
    latency_ms = reader.number("latency_ms", 0, MAX_LATENCY_MS)
    if kind == "latency" and (latency_ms == 0 or body.get("latency_ms") is None):
        reader.problem("latency_ms", "required", "A latency fault needs 'latency_ms' above 0.")
    retry_after = reader.retry_after(kind)
    probability = reader.number("probability", 0, 1)
    count = reader.count()
    until = reader.until(now)
    stage = reader.choice("stage", STAGES) or "request"
    if kind == "rate_limit" and stage == "response":
        reader.problem("stage", "malformed", "A rate-limit fault strikes at the request stage.")
    spec = {
        "kind": kind,
        "route": route,
        "methods": methods,
        "status": status,
        "latency_ms": None if latency_ms is None else float(latency_ms),
        "retry_after": retry_after,
        "probability": 1.0 if probability is None else float(probability),
        "count": count,
        "until": until,
        "stage": stage,
    }
    return spec, reader.problems


class _Reader:
    """Reads one rule's fields, collecting problems instead of stopping at the first."""

    def __init__(self, body: Mapping[str, object], prefix: str) -> None:
        self.body = body
        self.prefix = prefix
        self.problems: list[Problem] = []

    def problem(self, field: str, type_: str, message: str) -> None:
        self.problems.append(Problem(self.prefix + field, type_, message))

    def choice(self, field: str, options: tuple[str, ...], *, required: bool = False) -> Any:  # noqa: ANN401 - one of `options`, typed by the caller
        value = self.body.get(field)
        if value is None:
            if required:
                self.problem(field, "required", f"'{field}' is required: {_one_of(options)}.")
            return None
        if value not in options:
            self.problem(field, "malformed", f"'{field}' must be {_one_of(options)}.")
            return None
        return value

    def route(self) -> str:
        value = self.body.get("route")
        if value is None:
            return DEFAULT_ROUTE
        problem = _route_problem(value)
        if problem is not None:
            self.problem("route", "malformed", problem)
            return DEFAULT_ROUTE
        return cast("str", value)

    def methods(self) -> tuple[str, ...] | None:
        value = self.body.get("methods")
        if value is None:
            return None
        items = [value] if isinstance(value, str) else value
        if (
            not isinstance(items, list | tuple)
            or not items
            or not all(isinstance(item, str) and item.upper() in METHODS for item in items)
        ):
            self.problem("methods", "malformed", f"'methods' must be a list of {_one_of(METHODS)}.")
            return None
        return tuple(dict.fromkeys(item.upper() for item in items))

    def status(self, kind: FaultKind | None) -> int | None:
        value = self.body.get("status")
        if kind != "error":
            if value is not None:
                self.problem("status", "malformed", "'status' is for kind 'error' only.")
            return None
        if value is None:
            return DEFAULT_STATUS
        if not _whole(value) or value not in ERROR_STATUSES:
            codes = ", ".join(map(str, ERROR_STATUSES))
            self.problem("status", "malformed", f"'status' must be one of {codes}.")
            return None
        return value

    def retry_after(self, kind: FaultKind | None) -> int | None:
        value = self.body.get("retry_after")
        if kind != "rate_limit":
            if value is not None:
                self.problem("retry_after", "malformed", "'retry_after' is for 'rate_limit' only.")
            return None
        if value is None:
            return DEFAULT_RETRY_AFTER
        if not _whole(value) or not 0 <= value <= MAX_RETRY_AFTER:
            self.problem(
                "retry_after",
                "malformed",
                f"'retry_after' must be whole seconds from 0 to {MAX_RETRY_AFTER}.",
            )
            return None
        return value

    def number(self, field: str, low: float, high: float) -> float | None:
        value = self.body.get(field)
        if value is None:
            return None
        if not _real(value) or not low <= value <= high:
            self.problem(field, "malformed", f"'{field}' must be a number from {low} to {high}.")
            return None
        return float(value)

    def count(self) -> int | None:
        value = self.body.get("count")
        if value is None:
            return None
        if not _whole(value) or value < 1:
            self.problem("count", "malformed", "'count' must be a whole number of at least 1.")
            return None
        return value

    def until(self, now: datetime) -> datetime | None:
        until, seconds = self.body.get("until"), self.body.get("for_seconds")
        if until is not None and seconds is not None:
            self.problem("until", "malformed", "Send 'until' or 'for_seconds', not both.")
            return None
        if seconds is not None:
            return self._for_seconds(seconds, now)
        if until is None:
            return None
        try:
            at = parse_instant(until, "until")
        except MalformedInstant as error:
            self.problem(error.field, error.code, error.message)
            return None
        if at <= now:
            self.problem("until", "malformed", f"'until' must be after now ({iso_utc(now)}).")
            return None
        return at

    def _for_seconds(self, seconds: object, now: datetime) -> datetime | None:
        if not _real(seconds) or not 0 < seconds <= MAX_DURATION.total_seconds():
            self.problem(
                "for_seconds",
                "malformed",
                f"'for_seconds' must be a number above 0, at most {MAX_DURATION.days} days.",
            )
            return None
        return now + timedelta(seconds=seconds)


def _route_problem(route: object) -> str | None:
    """Why a route pattern is not one, or None when it is."""
    if not isinstance(route, str) or not (route == "*" or route.startswith("/")):
        return "'route' must be '*' or a path starting with '/', such as '/v2/orders/{id}'."
    if route == _CONTROL_PREFIX or route.startswith(_CONTROL_PREFIX + "/"):
        return "Faults never apply to the control API (/_sim)."
    for segment in route.split("/")[1:]:
        if segment != "*" and not _PARAMETER.fullmatch(segment) and set(segment) & set("*{}"):
            return f"'route' segment {segment!r}: use '*' or '{{name}}' for a whole segment."
    return None


def _route_pattern(route: str) -> re.Pattern[str]:
    """A route pattern as a regular expression for the whole path."""
    if route == "*":
        return re.compile(r".*")
    segments = route.split("/")[1:]
    parts = []
    for index, segment in enumerate(segments):
        if segment == "*" and index == len(segments) - 1:
            parts.append(".+")  # a final '*' takes everything below
        elif segment == "*" or _PARAMETER.fullmatch(segment):
            parts.append("[^/]+")
        else:
            parts.append(re.escape(segment))
    return re.compile("/" + "/".join(parts))


def _one_of(options: Iterable[str]) -> str:
    return "one of " + ", ".join(repr(option) for option in options)


def _real(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _whole(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)
