"""Fault rules as data: what a rule is, and how `POST /_sim/faults` spells one (checked).

Pure: no clock, no randomness, no I/O. The injector (`_fault_injector`) keeps and draws rules;
`_faults` turns the one that strikes into an answer, a delay or a dropped connection.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, TypeGuard, cast

import attrs

from lifecycle._instant import MalformedInstant, parse_instant
from simulator._timefmt import iso_at
from simulator.http._errors import Problem

if TYPE_CHECKING:
    from collections.abc import Iterable

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

CONTROL_PREFIX = "/_sim"
"""The control API's paths, which faults never touch."""
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
            "until": None if self.until is None else iso_at(self.until),
            "stage": self.stage,
            "applied": self.applied,
        }

    def journal_json(self) -> dict[str, str]:
        """What the request journal says about a request this rule struck."""
        return {"id": self.id, "kind": self.kind, "stage": self.stage}

    def headers(self) -> dict[str, str]:
        """The headers that mark a response this rule touched."""
        return {"X-Sim-Fault": self.kind, "X-Sim-Fault-Id": self.id}


# --- reading a rule ---------------------------------------------------------------------------


def rule_bodies(body: object) -> tuple[list[object], bool]:
    """The rules of a request body, and whether it was the `{"faults": [...]}` form."""
    if not isinstance(body, Mapping) or "faults" not in body:
        return [body], False
    rules = body["faults"]
    if not isinstance(rules, list) or not rules or len(body) > 1:
        message = "Send one rule, or only 'faults': a non-empty list of rules."
        raise FaultSpecError([Problem("faults", "malformed", message)])
    return rules, True


def parse_rule(body: object, now: datetime, prefix: str) -> tuple[dict[str, Any], list[Problem]]:
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
            self.problem("until", "malformed", f"'until' must be after now ({iso_at(now)}).")
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
    if route == CONTROL_PREFIX or route.startswith(CONTROL_PREFIX + "/"):
        return "Faults never apply to the control API (/_sim)."
    for segment in route.split("/")[1:]:
        if segment != "*" and not _PARAMETER.fullmatch(segment) and set(segment) & set("*{}"):
            return f"'route' segment {segment!r}: use '*' or '{{name}}' for a whole segment."
    return None


def route_pattern(route: str) -> re.Pattern[str]:
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
