"""An order's lifecycle fields (batch, billing, line status ...), derived on read from its events.

No event rewrites a stored document: the nightly batch moves a million orders in bulk SQL. What
an event sets is read back from the rows it already writes (`orders.accepted_at`, the `accept`
rows of `order_log`, `batches`, `fulfillments`); `EVENT_SETS` says which event sets what.
"""

from __future__ import annotations

import functools
from typing import Any

import attrs

from lifecycle._status import OrderStatus
from lifecycle._table import CREATION, DEST, TRANSITIONS, Event
from simulator import _json, _orders
from simulator._ids import stable_uuid
from simulator._timefmt import from_micros, iso

INITIAL_BILLING = _orders.INITIAL_BILLING_STATUS
SUBMITTED_BILLING = "Submitted"
"""An accepted order's `billing_status`: the batch submitted it for billing."""
COMPLETED_BILLING = "Completed"
"""A shipped order's `billing_status`: billed and sent."""
BILLING_STATUSES = (INITIAL_BILLING, SUBMITTED_BILLING, COMPLETED_BILLING)


def _reachable(start: OrderStatus) -> frozenset[OrderStatus]:
    """`start` and every status the table can move an order to from it."""
    found = {start}
    frontier = [start]
    while frontier:
        source = frontier.pop()
        for (status, _event), dest in DEST.items():
            if status is source and dest not in found:
                found.add(dest)
                frontier.append(dest)
    return frozenset(found)


SHIPPED_ON: frozenset[OrderStatus] = _reachable(DEST[OrderStatus.IN_PRODUCTION, Event.SHIP])
"""The statuses of an order that has shipped: where `ship` leads, and on from there."""
ACCEPTED_ON: frozenset[OrderStatus] = _reachable(DEST[OrderStatus.PENDING, Event.ACCEPT])
"""The statuses an accepted order can be in (an OKC hold and release lead back to Pending)."""

_EXTRA_SETS: dict[Event, dict[str, str]] = {
    CREATION.event: {
        "billing_status": INITIAL_BILLING,
        "order_lines[].status": "null",
    },
    Event.ACCEPT: {
        "batch_id": "the accepting batch's id",
        "batch_ids": "every accepting batch's id, comma-separated, oldest first",
        "billing_status": SUBMITTED_BILLING,
        "submission_date": "the batch's time",
        "order_lines[].batch_id": "the accepting batch's id",
        "order_lines[].order_acceptance_date": "the batch's date (UTC)",
    },
    Event.SHIP: {
        "billing_status": COMPLETED_BILLING,
        "order_lines[].fulfillment_id": "the new fulfillment's id",
    },
}


def _event_sets() -> dict[Event, dict[str, str]]:
    """What each event sets, from the transition table plus the events' own fields."""
    starts = sorted(CREATION.statuses, key=list(OrderStatus).index)
    created = {
        "status": " or ".join(status.value for status in starts),
        "state": " or ".join(_orders.STATE_OF[status.value] for status in starts),
        "updated_at": _WHEN,
    }
    table: dict[Event, dict[str, str]] = {CREATION.event: created | _EXTRA_SETS[CREATION.event]}
    for row in TRANSITIONS:
        sets: dict[str, str] = {}
        if row.dest is None:
            sets["the fields the client sent"] = "as sent"
        else:
            sets["status"] = row.dest.value
            sets["state"] = _orders.STATE_OF[row.dest.value]
        sets["updated_at"] = _WHEN
        if row.event is Event.ACCEPT:
            sets["order_lines[].status"] = row.dest_from(OrderStatus.PENDING).value
        elif row.dest is not None and row.sources & ACCEPTED_ON - {OrderStatus.PENDING}:
            # A line has a status once a batch accepted its order (null before).
            sets["order_lines[].status"] = f"{row.dest.value}, once a batch accepted the order"
        table[row.event] = sets | _EXTRA_SETS.get(row.event, {})
    return table


_WHEN = "when it happens"


EVENT_SETS: dict[Event, dict[str, str]] = _event_sets()
"""Which event sets which order field, and to what: the table of docs/conformance.md."""


@attrs.frozen(cache_hash=True)
class Lifecycle:
    """What an accepted order's events set, read back from the store.

    Shared by the orders with the same facts (`lifecycle`), and a key of the caches below.
    """

    batch_ids: tuple[str, ...]
    """The ids of the batches that accepted the order, oldest first."""
    accepted_at: int
    """When the last of them did (microseconds)."""
    fulfillment_id: str | None
    """Its newest fulfillment, once it has shipped."""


_ACCEPT = Event.ACCEPT.value
# Not `status IN (...)`: SQLite builds a temporary table for an IN list on every run.
_SHIPPED_SQL = " OR ".join(f"status = '{status.value}'" for status in sorted(SHIPPED_ON))
LIFECYCLE_COLUMN = (
    "CASE WHEN accepted_at IS NULL THEN NULL ELSE COALESCE(CASE "  # noqa: S608 - fixed SQL
    "WHEN requeued IS NULL THEN (SELECT id FROM batches WHERE at = orders.accepted_at) "
    "ELSE (SELECT group_concat(id, ',') FROM (SELECT b.id FROM order_log l "
    "JOIN batches b ON b.at = l.at "
    f"WHERE l.order_seq = orders.seq AND l.event = '{_ACCEPT}' ORDER BY l.seq)) END, '') "
    f"|| CASE WHEN {_SHIPPED_SQL} THEN COALESCE(' ' || (SELECT id FROM fulfillments "
    "WHERE order_seq = orders.seq ORDER BY seq DESC LIMIT 1), '') ELSE '' END END"
)
"""What `lifecycle` reads, selected `FROM orders` after `accepted_at`: the store's ids of the
batches that accepted the order, oldest first and comma-separated, then, once it has shipped, a
space and its newest fulfillment's id; NULL for an order no batch accepted.

One column of subqueries, each a lookup by key: a statement of their own would cost more than
what they find, and so would a column more. Only a requeued order (`REQUEUED_SET`) can have
been accepted more than once, so only its batches are read through its log; any other's is the
one at its `accepted_at` (every accept keeps a `batches` row at its instant). SQLite does not
flatten an ordered subquery into an aggregate, so the ORDER BY holds for `group_concat`."""
REQUEUED_SET = "requeued = CASE WHEN ? AND accepted_at IS NOT NULL THEN 1 ELSE requeued END"
"""The SET term of an order's UPDATE that marks it requeued; its parameter says whether the
order goes back to Pending. An accepted order can be accepted again only from there."""


def client_batch_id(batch_id: str, client_id: str) -> str:
    """The id a client knows a batch by (the provider keeps a batch per client).

    Each client whose orders a night's batch accepted sees a batch of its own.
    """
    return stable_uuid(batch_id, client_id)


def lifecycle(client_id: str, accepted_at: int | None, facts: str | None) -> Lifecycle | None:
    """An order's lifecycle facts from its `accepted_at` and `LIFECYCLE_COLUMN` (None before)."""
    if accepted_at is None or facts is None:
        return None
    return _lifecycle(client_id, accepted_at, facts)


# Kept: the orders a batch accepted share their facts (until they ship, each with its own
# fulfillment), and an order polled again finds its own.
@functools.lru_cache(maxsize=4096)
def _lifecycle(client_id: str, accepted_at: int, facts: str) -> Lifecycle:
    batches, _, fulfillment_id = facts.partition(" ")
    batch_ids = tuple(
        client_batch_id(batch_id, client_id) for batch_id in batches.split(",") if batch_id
    )
    return Lifecycle(batch_ids, accepted_at, fulfillment_id or None)


def billing_status(status: OrderStatus, *, accepted: bool) -> str:
    """The order's `billing_status`: Pending, Submitted once accepted, Completed once shipped."""
    if not accepted:
        return INITIAL_BILLING
    return COMPLETED_BILLING if status in SHIPPED_ON else SUBMITTED_BILLING


def order_fields(lifecycle: Lifecycle) -> dict[str, str]:
    """The order-level fields of an accepted order: its batches, and when it was submitted."""
    fields = {"submission_date": iso(lifecycle.accepted_at)}
    if lifecycle.batch_ids:
        fields |= {"batch_id": lifecycle.batch_ids[-1], "batch_ids": ",".join(lifecycle.batch_ids)}
    return fields


def shipped_fulfillment(status: OrderStatus, lifecycle: Lifecycle) -> str | None:
    """The fulfillment id an accepted order lays over its lines: its newest, once shipped."""
    return lifecycle.fulfillment_id if status in SHIPPED_ON else None


def line_fields(status: OrderStatus, lifecycle: Lifecycle) -> dict[str, str]:
    """The fields an accepted order lays over each of its lines."""
    fields = {
        "status": status.value,
        "order_acceptance_date": from_micros(lifecycle.accepted_at).date().isoformat(),
    }
    if lifecycle.batch_ids:
        fields["batch_id"] = lifecycle.batch_ids[-1]
    fulfillment_id = shipped_fulfillment(status, lifecycle)
    if fulfillment_id is not None:
        fields["fulfillment_id"] = fulfillment_id
    return fields


def lay_lines(doc: dict[str, Any], status: OrderStatus, lifecycle: Lifecycle) -> None:
    """Lay an accepted order's line fields over its decoded lines."""
    fields = line_fields(status, lifecycle)
    for line in doc.get("order_lines", ()):
        line.update(fields)


_STORED_LINE_STATUS = b'"status":null'
"""A stored line's status: the only `status` key of a stored document (the order's own is laid
over it), and no client text can hold it unescaped."""
_SENT_FULFILLMENT = b'"fulfillment_id"'


def spliced(
    stored: bytes, status: OrderStatus, updated_at: int, lifecycle: Lifecycle
) -> list[bytes | memoryview] | None:
    """An accepted order's JSON, in pieces for `bytes.join`, spliced from its stored text.

    The head (`_orders.document_head`), then the stored text with each line's `"status":null`
    replaced by the fields `line_fields` gives, without decoding it. None when a shipped
    order's line keeps a `fulfillment_id` the client sent, which only decoding can replace.
    """
    if shipped_fulfillment(status, lifecycle) is not None and _SENT_FULFILLMENT in stored:
        return None
    head, laid = _splices(status, updated_at, lifecycle)
    # One scan of the text, and no copy of it but the caller's join.
    pieces = stored.split(_STORED_LINE_STATUS)
    parts: list[bytes | memoryview] = [head, memoryview(pieces[0])[1:]]
    for piece in pieces[1:]:
        parts += (laid, piece)
    return parts


# Kept: the orders of a batch share them until their next event.
@functools.lru_cache(maxsize=4096)
def _splices(status: OrderStatus, updated_at: int, lifecycle: Lifecycle) -> tuple[bytes, bytes]:
    """An accepted order's head and line fields, in UTF-8.

    The head is its `_orders.document_head`; the line fields take the place of each line's
    `"status":null`.
    """
    head = _orders.document_head(
        status.value,
        iso(updated_at),
        billing_status(status, accepted=True),
        order_fields(lifecycle),
    )
    laid = _json.dumps(line_fields(status, lifecycle))[1:-1]
    return head.encode(), laid.encode()


def overlay(
    doc: dict[str, Any], status: OrderStatus, updated_at: str, lifecycle: Lifecycle | None
) -> dict[str, Any]:
    """Lay the columns and, once accepted, the lifecycle fields over a stored document.

    The laid keys come first, as in the spliced text of `_orders.document_head`.
    """
    if lifecycle is None:
        return _orders.overlay(doc, status, updated_at)
    lay_lines(doc, status, lifecycle)
    head = {
        "status": status.value,
        "state": _orders.STATE_OF[status.value],
        "billing_status": billing_status(status, accepted=True),
        **order_fields(lifecycle),
        "updated_at": updated_at,
    }
    return head | {key: value for key, value in doc.items() if key not in head}
