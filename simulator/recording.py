"""Check a recorded session (an HTTP Archive) against the lifecycle model.

Every order a response showed is an observation; consecutive observations of one order must
be a legal path of the transition table, at the times the calendar allows. Pure: no I/O but
reading the file.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import deque
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

import attrs

from lifecycle import TRANSITIONS, Calendar, Event, OrderStatus, can_edit
from lifecycle._instant import parse_instant

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

__all__ = [
    "DIVERGENCE_KINDS",
    "Divergence",
    "RecordedEntry",
    "RecordingError",
    "check_recording",
    "load_har",
]

DIVERGENCE_KINDS = (
    "illegal_transition",
    "acceptance_off_batch",
    "move_off_tick",
    "move_off_business_day",
    "shipped_without_tracking",
    "edit_allowed",
)
"""Every kind of divergence the checker reports."""

_AT_BATCH = frozenset({Event.ACCEPT})
_AT_TICK = frozenset({Event.START_PRODUCTION, Event.SHIP, Event.DELIVER})
_ON_BUSINESS_DAYS = frozenset({Event.START_PRODUCTION, Event.SHIP})
_SHIPPED = frozenset({OrderStatus.SHIPPED, OrderStatus.DELIVERED})
_ORDER_PATH = "/v2/orders/"


class RecordingError(Exception):
    """The file is not an HTTP Archive this checker can read."""


@attrs.frozen
class Divergence:
    """Something the recording shows that the model does not allow."""

    kind: str
    entry: int
    """The HAR entry that showed it, counted from 1."""
    request: str
    """`METHOD PATH` of that entry."""
    message: str

    def to_json(self) -> dict[str, Any]:
        """As `okc-sim check-recording --json` prints it."""
        return attrs.asdict(self)


@attrs.frozen
class RecordedEntry:
    """One exchange of a recording, as far as the checker reads it."""

    number: int
    """Its place in the file, counted from 1."""
    method: str
    path: str
    query: dict[str, str]
    status: int
    at: datetime
    """The server's time of the answer: X-Sim-Time, else Date, else when it was sent."""
    body: Any

    @property
    def request(self) -> str:
        """`METHOD PATH`, for messages."""
        return f"{self.method} {self.path}"


@attrs.frozen
class _Seen:
    entry: RecordedEntry
    status: OrderStatus
    updated_at: datetime | None


def load_har(path: str | Path) -> list[RecordedEntry]:
    """Read a HAR file's entries, in the order they were recorded.

    Raises:
        RecordingError: the file is missing, not JSON, or not a HAR (`log.entries`).
    """
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise RecordingError(f"cannot read {path}: {error.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RecordingError(f"{path} is not JSON: {error}") from None
    entries = document.get("log", {}).get("entries") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise RecordingError(f"{path} is not an HTTP Archive: it has no log.entries list")
    try:
        return [_entry(number, raw) for number, raw in enumerate(entries, 1)]
    except (KeyError, TypeError, ValueError, binascii.Error) as error:
        raise RecordingError(f"{path}: an entry is not a HAR entry ({error!r})") from None


def _entry(number: int, raw: Mapping[str, Any]) -> RecordedEntry:
    request, response = raw["request"], raw["response"]
    headers = {h["name"].lower(): h["value"] for h in response.get("headers", [])}
    url = urlsplit(request["url"])
    text = _content_text(response.get("content", {}))
    try:
        body = json.loads(text) if text else None
    except json.JSONDecodeError:
        body = None
    return RecordedEntry(
        number,
        request["method"].upper(),
        url.path,
        dict(parse_qsl(url.query)),
        int(response["status"]),
        _answer_time(headers, raw.get("startedDateTime")),
        body,
    )


def _content_text(content: Mapping[str, Any]) -> str:
    """A response body's text, decoding a base64 one (HAR's way of keeping binary bodies)."""
    text = content.get("text") or ""
    if content.get("encoding") == "base64":
        return base64.b64decode(text).decode("utf-8", errors="ignore")
    return str(text)


def _answer_time(headers: Mapping[str, str], started: object) -> datetime:
    if "x-sim-time" in headers:
        return _instant(headers["x-sim-time"])
    if "date" in headers:
        return parsedate_to_datetime(headers["date"]).astimezone(UTC)
    if isinstance(started, str):
        return _instant(started)
    raise ValueError("no X-Sim-Time, Date or startedDateTime")


def _instant(text: str) -> datetime:
    """An instant of the recording, by the library's one parser (a `ValueError` if not one)."""
    return parse_instant(text)


def check_recording(
    entries: list[RecordedEntry], calendar: Calendar | None = None
) -> list[Divergence]:
    """Every divergence from the model the entries show, in entry order.

    Args:
        entries: the recording, as `load_har` reads it.
        calendar: the batch, tick and business-day calendar (default: Pacific, no holidays).
    """
    calendar = calendar or Calendar.pacific()
    found: list[Divergence] = []
    last: dict[str, _Seen] = {}
    shipped: set[str] = set()
    for entry in entries:
        found += _edit_rules(entry, last)
        for order_id, seen in _orders_shown(entry):
            before = last.get(order_id)
            last[order_id] = seen
            if seen.status in _SHIPPED:
                shipped.add(order_id)
            if before is not None and before.status != seen.status:
                found += _move(order_id, before, seen, calendar)
        found += _tracking(entry, shipped)
    return found


def _orders_shown(entry: RecordedEntry) -> Iterator[tuple[str, _Seen]]:
    if not 200 <= entry.status < 300 or not isinstance(entry.body, dict):
        return
    orders = entry.body.get("orders")
    shown = orders if isinstance(orders, list) else [entry.body.get("order")]
    for order in shown:
        if not isinstance(order, dict) or not isinstance(order.get("id"), str):
            continue
        try:
            status = OrderStatus(str(order.get("status")))
        except ValueError:
            continue
        updated = order.get("updated_at")
        try:
            updated_at = _instant(updated) if isinstance(updated, str) else None
        except ValueError:
            updated_at = None
        yield order["id"], _Seen(entry, status, updated_at)


def _move(order_id: str, before: _Seen, seen: _Seen, calendar: Calendar) -> list[Divergence]:
    """The moves between two observations: legal, and at the times the calendar allows."""
    path = _shortest_path(before.status, seen.status)
    if path is None:
        return [
            Divergence(
                "illegal_transition",
                seen.entry.number,
                seen.entry.request,
                f"order {order_id} went from '{before.status}' (entry {before.entry.number}) to "
                f"'{seen.status}': no sequence of events in the transition table leads there.",
            )
        ]
    if len(path) != 1 or seen.updated_at is None:
        return []  # several moves, or no time of the move: nothing more to judge
    (event,) = path
    return _timing(order_id, event, seen, calendar)


def _timing(order_id: str, event: Event, seen: _Seen, calendar: Calendar) -> list[Divergence]:
    at = seen.updated_at
    assert at is not None  # noqa: S101 - the caller checked
    entry = seen.entry
    moved = f"order {order_id} became '{seen.status}' at {at.isoformat()}"
    found = []
    if event in _AT_BATCH and not calendar.is_batch_instant(at):
        found.append(
            Divergence(
                "acceptance_off_batch",
                entry.number,
                entry.request,
                f"{moved}, which is not a nightly batch (00:00 in {calendar.zone}).",
            )
        )
    if event in _AT_TICK and not calendar.is_status_tick(at):
        found.append(
            Divergence(
                "move_off_tick",
                entry.number,
                entry.request,
                f"{moved}, which is not a status update tick (every 6 hours from 00:00 in "
                f"{calendar.zone}).",
            )
        )
    if event in _ON_BUSINESS_DAYS and not calendar.business_day_of(at):
        found.append(
            Divergence(
                "move_off_business_day",
                entry.number,
                entry.request,
                f"{moved}, which is not a business day: production and shipping stop on "
                f"weekends and holidays.",
            )
        )
    return found


def _shortest_path(start: OrderStatus, end: OrderStatus) -> tuple[Event, ...] | None:
    """The fewest events that lead from one status to another, or None when none do."""
    queue: deque[tuple[OrderStatus, tuple[Event, ...]]] = deque([(start, ())])
    visited = {start}
    while queue:
        status, events = queue.popleft()
        for row in TRANSITIONS:
            if status not in row.sources:
                continue
            dest = row.dest_from(status)
            if dest == end:
                return (*events, row.event)
            if dest not in visited:
                visited.add(dest)
                queue.append((dest, (*events, row.event)))
    return None


def _tracking(entry: RecordedEntry, shipped: set[str]) -> list[Divergence]:
    """A shipped order's fulfillments must carry tracking; one listed with none diverges."""
    if entry.status != 200 or not isinstance(entry.body, dict):
        return []
    listed = entry.body.get("fulfillments")
    fulfillments = listed if isinstance(listed, list) else [entry.body.get("fulfillment")]
    found = []
    for fulfillment in fulfillments:
        if not isinstance(fulfillment, dict):
            continue
        tracking = fulfillment.get("tracking_info") or {}
        if not (isinstance(tracking, dict) and tracking.get("tracking_number")):
            found.append(
                Divergence(
                    "shipped_without_tracking",
                    entry.number,
                    entry.request,
                    f"fulfillment {fulfillment.get('id')} of order "
                    f"{fulfillment.get('order_id')} has no tracking number.",
                )
            )
    order_id = _fulfillments_of(entry)
    if isinstance(listed, list) and not listed and order_id in shipped:
        found.append(
            Divergence(
                "shipped_without_tracking",
                entry.number,
                entry.request,
                f"order {order_id} was seen Shipped, but its fulfillments are an empty list: "
                f"a shipped order has a fulfillment with tracking information.",
            )
        )
    return found


def _fulfillments_of(entry: RecordedEntry) -> str | None:
    """The order whose fulfillments the entry lists, if it lists one order's."""
    parts = entry.path.strip("/").split("/")
    if len(parts) == 4 and parts[:2] == ["v2", "orders"] and parts[3] == "fulfillments":
        return parts[2]
    return entry.query.get("order_id") or entry.query.get("filter[order_id]")


def _edit_rules(entry: RecordedEntry, last: Mapping[str, _Seen]) -> list[Divergence]:
    """An edit or cancel the server took while the last status seen forbids it."""
    if entry.method not in {"PUT", "DELETE"} or not entry.path.startswith(_ORDER_PATH):
        return []
    order_id = entry.path.removeprefix(_ORDER_PATH)
    seen = last.get(order_id)
    if "/" in order_id or seen is None or can_edit(seen.status) or entry.status >= 300:
        return []
    what = "an edit" if entry.method == "PUT" else "a cancel"
    return [
        Divergence(
            "edit_allowed",
            entry.number,
            entry.request,
            f"the server took {what} of order {order_id} (status {entry.status}) while it was "
            f"'{seen.status}' (entry {seen.entry.number}); the rules allow edits and cancels "
            f"only while Pending or On Hold.",
        )
    ]
