"""The polling advisor: what the request journal shows about an integration, per client.

It reads the journal after the fact (nothing on the request path) and the orders' logged
changes, and names what no single response shows: polls too frequent, statuses missed,
watermarks that skip orders, tokens fetched per call, and 429s.
"""

from __future__ import annotations

import itertools
import statistics
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qsl

import attrs

from lifecycle._instant import MalformedInstant, parse_instant

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from simulator.http._journal import JournalEntry

POLL_FLOOR = timedelta(hours=1)
"""Statuses change only at the nightly batch and the 6-hourly ticks: a median interval
between polls of one resource below this is far more often than anything can change."""
MIN_POLLS = 6
"""How many polls of one resource make a habit rather than a few reads in a row."""
TOKEN_LIFE = timedelta(hours=24)
"""How long an access token lives, in simulated time."""
TOKEN_SHARE = 0.5
"""Tokens fetched before the previous one neared its end, above this share, are churn."""
MIN_TOKENS = 3
"""Fewer token requests than this are never churn (a restart or two is normal)."""
SHOWN = 10
"""At most how many request or order ids an item's evidence lists."""

KINDS = ("polling_too_often", "missed_status", "watermark_gap", "token_churn", "rate_limited")
"""Every kind of advice, in the order the advisor lists them for a client."""

_TOKEN_PATH = "/v2/authentication/token"  # noqa: S105 - a path, not a secret
_ORDERS_PATH = "/v2/orders"
_BOUND_PARAMS = frozenset(
    f"filter[{field}][{op}]"
    for field in ("created_at", "updated_at")
    for op in ("gte", "gt", "lte", "lt")
)
"""Parameters whose value a sweep moves every time: not part of what is polled."""

_LOWER_BOUNDS = (("filter[updated_at][gte]", True), ("filter[updated_at][gt]", False))

Changes = dict[str, list[tuple[datetime, str | None]]]
"""Each order's logged changes, oldest first: `(at, new status or None for another field)`."""


class World(Protocol):
    """What the advisor asks of the simulator: the orders' logged changes."""

    def order_changes(self, client: str, since: datetime) -> Changes:
        """Every change to the client's orders from `since` on, by order id."""
        ...


@attrs.frozen
class Advice:
    """One finding: what kind, whose, a sentence a person can act on, and the evidence."""

    kind: str
    client: str
    message: str
    evidence: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """The item as `GET /_sim/advice` lists it."""
        return attrs.asdict(self)


@attrs.frozen
class _Request:
    """A journal entry with its instant parsed and its query split."""

    entry: JournalEntry
    at: datetime
    params: tuple[tuple[str, str], ...]

    @property
    def id(self) -> int:
        return self.entry.id


def advise(entries: Iterable[JournalEntry], world: World) -> list[Advice]:
    """Every finding in the journal, client by client (in order of first request).

    Args:
        entries: the journal, any order.
        world: where the orders' changes are read.

    Returns:
        The advice, each client's in the order of `KINDS`.
    """
    by_client: dict[str, list[_Request]] = {}
    for entry in sorted(entries, key=lambda e: e.id):
        if entry.client_id is None or not entry.path.startswith("/v2/"):
            continue
        params = tuple(parse_qsl(entry.query, keep_blank_values=True))
        request = _Request(entry, datetime.fromisoformat(entry.at), params)
        by_client.setdefault(entry.client_id, []).append(request)
    found: list[Advice] = []
    for client, requests in by_client.items():
        found += _polling_too_often(client, requests)
        if any(r.entry.observed for r in requests) or _sweeps(requests):
            changes = world.order_changes(client, requests[0].at)
            found += _missed_status(client, requests, changes)
            found += _watermark_gap(client, requests, changes)
        found += _token_churn(client, requests)
        found += _rate_limited(client, requests)
    return found


# --- polling_too_often --------------------------------------------------------------------------


def _resource(request: _Request) -> str | None:
    """What a read polls: its path and its query but for cursors and moving bounds."""
    entry = request.entry
    if entry.method != "GET" or entry.status != 200 or entry.path.startswith("/v2/authentication"):
        return None
    names = dict(request.params)
    if "cursor" in names:
        return None  # a later page of a listing already counted
    kept = sorted((k, v) for k, v in request.params if k not in _BOUND_PARAMS)
    bounds = sorted(k for k in names if k in _BOUND_PARAMS)
    parts = [f"{k}={v}" for k, v in kept] + [f"{k}=..." for k in bounds]
    return entry.path + ("?" + "&".join(parts) if parts else "")


def _polling_too_often(client: str, requests: Sequence[_Request]) -> list[Advice]:
    polls: dict[str, list[_Request]] = {}
    for request in requests:
        resource = _resource(request)
        if resource is not None:
            polls.setdefault(resource, []).append(request)
    found = []
    for resource, seen in polls.items():
        if len(seen) < MIN_POLLS:
            continue
        gaps = [(b.at - a.at).total_seconds() for a, b in itertools.pairwise(seen)]
        median = statistics.median(gaps)
        if median >= POLL_FLOOR.total_seconds():
            continue
        found.append(
            Advice(
                "polling_too_often",
                client,
                f"GET {resource} was polled {len(seen)} times, every {_span(median)} "
                f"(median) of simulated time. Order statuses change only at the nightly batch "
                f"(00:00 Pacific) and at the status updates every 6 hours, so polling more "
                f"often than hourly finds nothing new and may be rate limited: poll every few "
                f"hours, or sweep with filter[updated_at][gte].",
                {
                    "resource": resource,
                    "polls": len(seen),
                    "median_interval_seconds": median,
                    "request_ids": _ids(seen),
                    "from": _iso(seen[0].at),
                    "to": _iso(seen[-1].at),
                },
            )
        )
    return found


# --- missed_status ------------------------------------------------------------------------------


def _missed_status(client: str, requests: Sequence[_Request], changes: Changes) -> list[Advice]:
    last_seen: dict[str, _Request] = {}
    found = []
    reported: set[str] = set()
    for request in requests:
        if request.entry.status not in {200, 201}:
            continue
        for order_id in request.entry.observed:
            before = last_seen.get(order_id)
            last_seen[order_id] = request
            if before is None or order_id in reported:
                continue
            moves = [
                status
                for at, status in changes.get(order_id, ())
                if status is not None and before.at < at <= request.at
            ]
            if len(moves) < 2:
                continue
            reported.add(order_id)
            missed = moves[:-1]
            found.append(
                Advice(
                    "missed_status",
                    client,
                    f"Order {order_id} went through {_listed(missed)} and on to "
                    f"'{moves[-1]}' between two of your reads (requests {before.id} and "
                    f"{request.id}, {_span((request.at - before.at).total_seconds())} "
                    f"apart), so your code never saw {_listed(missed)}. Read each order at "
                    f"least once between status updates (they come at the 6-hourly ticks), "
                    f"or read its history from GET /v2/order-transaction-logs.",
                    {
                        "order_id": order_id,
                        "missed": missed,
                        "seen": moves[-1],
                        "request_ids": [before.id, request.id],
                        "between": [_iso(before.at), _iso(request.at)],
                    },
                )
            )
    return found


# --- watermark_gap ------------------------------------------------------------------------------


def _sweeps(requests: Sequence[_Request]) -> list[tuple[_Request, datetime, bool, set[str]]]:
    """Each first page of a listing with an `updated_at` lower bound.

    Returns:
        `(request, bound, inclusive, statuses filtered on)` for each.
    """
    found = []
    for request in requests:
        entry = request.entry
        if entry.method != "GET" or entry.path != _ORDERS_PATH or entry.status != 200:
            continue
        params = dict(request.params)
        if "cursor" in params:
            continue
        for name, inclusive in _LOWER_BOUNDS:
            if name in params:
                try:
                    bound = parse_instant(params[name], name)
                except MalformedInstant:
                    continue  # the server refused it; not a 200
                statuses = {s.strip() for s in params.get("filter[status]", "").split(",")} - {""}
                found.append((request, bound, inclusive, statuses))
                break
    return found


def _watermark_gap(client: str, requests: Sequence[_Request], changes: Changes) -> list[Advice]:
    found = []
    sweeps = _sweeps(requests)
    for (before, _, _, _), (sweep, bound, inclusive, statuses) in itertools.pairwise(sweeps):
        if bound <= before.at:
            continue
        skipped = []
        for order_id, moves in changes.items():
            latest = [(at, status) for at, status in moves if at <= sweep.at]
            if not latest:
                continue
            updated = latest[-1][0]
            status = next((s for _, s in reversed(latest) if s is not None), None)
            beyond = updated < bound if inclusive else updated <= bound
            if before.at < updated and beyond and (not statuses or status in statuses):
                skipped.append(order_id)
        if not skipped:
            continue
        found.append(
            Advice(
                "watermark_gap",
                client,
                f"The sweep of request {sweep.id} asked for orders updated from "
                f"{_iso(bound)}, but the previous sweep (request {before.id}) was answered at "
                f"{_iso(before.at)} simulated time: {len(skipped)} order(s) changed in "
                f"between and were left out. Take the next lower bound from the previous "
                f"answer (its X-Sim-Time header, or the largest updated_at it listed), not "
                f"from your own clock.",
                {
                    "request_ids": [before.id, sweep.id],
                    "previous_answer_at": _iso(before.at),
                    "lower_bound": _iso(bound),
                    "order_ids": skipped[:SHOWN],
                    "orders_left_out": len(skipped),
                },
            )
        )
    return found


# --- token_churn --------------------------------------------------------------------------------


def _token_churn(client: str, requests: Sequence[_Request]) -> list[Advice]:
    tokens = [
        r
        for r in requests
        if r.entry.method == "POST" and r.entry.path == _TOKEN_PATH and r.entry.status == 200
    ]
    # A token fetched while the one before still had an hour or more to live was not needed.
    early = [
        b for a, b in itertools.pairwise(tokens) if b.at - a.at < TOKEN_LIFE - timedelta(hours=1)
    ]
    if len(early) < MIN_TOKENS - 1 or len(early) < TOKEN_SHARE * len(tokens):
        return []
    calls = [r for r in requests if not r.entry.path.startswith("/v2/authentication")]
    return [
        Advice(
            "token_churn",
            client,
            f"A new access token was fetched {len(tokens)} times for {len(calls)} API "
            f"requests, {len(early)} times while the previous token was still valid. An "
            f"access token lasts 24 hours: fetch one, reuse it for every request, and "
            f"refresh it (POST /v2/authentication/refresh-token) shortly before it expires "
            f"or after a 401.",
            {
                "token_requests": len(tokens),
                "early_token_requests": len(early),
                "api_requests": len(calls),
                "request_ids": _ids(early),
            },
        )
    ]


# --- rate_limited -------------------------------------------------------------------------------


def _rate_limited(client: str, requests: Sequence[_Request]) -> list[Advice]:
    refused = [(i, r) for i, r in enumerate(requests) if r.entry.status == 429]
    if not refused:
        return []
    ignored = []
    for index, request in refused:
        wait = request.entry.retry_after
        following = requests[index + 1] if index + 1 < len(requests) else None
        if wait is None or following is None:
            continue
        waited = (following.at - request.at).total_seconds()
        if waited < wait:
            ignored.append({"request_id": request.id, "retry_after": wait, "waited": waited})
    honoured = not ignored
    verdict = (
        "Retry-After was honoured each time."
        if honoured
        else f"{len(ignored)} time(s) the next request came before Retry-After had passed: "
        f"wait the seconds it gives (simulated time) before trying again."
    )
    return [
        Advice(
            "rate_limited",
            client,
            f"{len(refused)} request(s) were refused with 429 (rate limited). {verdict} "
            f"Fewer polls (see polling_too_often) keep a client under the limit.",
            {
                "refused": len(refused),
                "honoured_retry_after": honoured,
                "request_ids": _ids([r for _, r in refused]),
                "ignored": ignored[:SHOWN],
            },
        )
    ]


# --- wording ------------------------------------------------------------------------------------


def _ids(requests: Sequence[_Request]) -> list[int]:
    return [r.id for r in requests[:SHOWN]]


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def _listed(statuses: Sequence[str]) -> str:
    return ", ".join(f"'{s}'" for s in statuses)


def _span(seconds: float) -> str:
    """A duration as a person says it: '45 s', '1 min', '6 h', '2 d'."""
    for unit, size in (("d", 86_400), ("h", 3_600), ("min", 60)):
        if seconds >= size:
            value = seconds / size
            return f"{value:.0f} {unit}" if value == round(value) else f"{value:.1f} {unit}"
    return f"{seconds:.0f} s"
