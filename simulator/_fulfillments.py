"""Fulfillments: the facts of a parcel, stored when an order ships and rendered on read.

The store keeps what the timeline decided (carrier, tracking, dates) as columns; the
provider-shaped document is built when a fulfillment is read, from those columns and the
order's document (whose lines and consumer no longer change once it was accepted).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import attrs

from lifecycle._status import OrderStatus
from simulator._collections import Collection, Field, Kind, window_sql
from simulator._errors import NotFound
from simulator._ids import stable_uuid
from simulator._paging import orders_then
from simulator._presence import Rule, crm_reference, filled, left_out
from simulator._timefmt import iso

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Mapping, Sequence

    from simulator._collections import Moment, Window


INSERT_SQL = (
    "INSERT INTO fulfillments (id, order_seq, order_id, client_id, seq, carrier, service, "
    "tracking_number, tracking_url, weight, created_at, updated_at, delivery_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
"""Stores a parcel: `(id, order_seq, order_id, client_id, number (its seq), carrier, service,
tracking_number, tracking_url, weight, pickup micros, updated micros, expected delivery
micros)`."""

DELIVER_SQL = "UPDATE fulfillments SET delivery_at = ?, updated_at = ? WHERE order_seq = ?"
"""Dates an order's parcels delivered before their expected date (an operator's `deliver`):
`(delivered micros, updated micros, order_seq)`. A parcel delivered on its expected date
needs no write: `render` reads its order's status (see there)."""

_SELECT = (
    "SELECT f.id, f.order_id, f.seq, f.carrier, f.service, f.tracking_number, "
    "f.tracking_url, f.weight, f.created_at, f.updated_at, f.delivery_at, d.doc, o.status, "
    "o.updated_at, o.seq, json_extract(d.doc, '$.consumer.id') "
    "FROM fulfillments f JOIN order_docs d ON d.seq = f.order_seq "
    "JOIN orders o ON o.seq = f.order_seq "
)

# A parcel's statuses are named as the order statuses the same events lead to.
SHIPPED = OrderStatus.SHIPPED.value
DELIVERED = OrderStatus.DELIVERED.value
RETURNED = OrderStatus.RETURNED.value
STATUS_IDS: dict[str, str] = {
    name: stable_uuid("fulfillment-status", name.lower()) for name in (SHIPPED, DELIVERED, RETURNED)
}
"""The provider's `status_id` of a fulfillment in each status (its schema names no status)."""
SHIPPED_STATUS_ID = STATUS_IDS[SHIPPED]
"""The `status_id` of a parcel with the carrier."""
SHIPPER_BOX_ID = stable_uuid("okc-product", "shipper-box")
"""The OKC product every parcel ships in: its `shipper_okc_product_id`."""

_NOT_ON_LINE = "its order line holds none"
RULE = Rule(
    "Fulfillment",
    (
        left_out("consumer_id", "the order has no consumer id (never, in practice)"),
        filled(
            "shipper_okc_product_id",
            f"`{SHIPPER_BOX_ID}`",
            "the OKC mailer box every simulated parcel ships in",
            lambda _doc: SHIPPER_BOX_ID,
        ),
        filled(
            "crm_id",
            "`a0F` + 15 characters from the id",
            "OKC's CRM record of the shipment: a Salesforce-style id derived from its id",
            lambda doc: crm_reference("a0F", doc["id"]),
        ),
    ),
)
"""The fulfillment's null rule (`label_url`, `external_fulfillment_id` and the dates are
nullable in the provider's schema and read `null` when there is none)."""
LINE_RULE = Rule(
    "Fulfillment order line",
    tuple(
        left_out(name, _NOT_ON_LINE)
        for name in (
            "name",
            "supplement_pack_name",
            "physician_name",
            "duration",
            "total",
            "unit_price",
            "client_custom_order_line_id",
            "is_priority_shipping",
        )
    ),
)
"""The null rule of a fulfillment's order lines: each copies its order line's value."""


@attrs.frozen
class OrderThen:
    """What a fulfillment's status is read from: its order's status and last change."""

    status: str
    updated_at: int


def status_of(order: OrderThen, due: int) -> str:
    """The fulfillment's status: from its order's status, the event that moved it last.

    Args:
        order: its order's status and when the order last changed.
        due: the parcel's delivery date (expected, or actual once delivered).
    """
    if order.status == OrderStatus.DELIVERED.value:
        return DELIVERED
    if order.status == OrderStatus.RETURNED.value:
        return RETURNED
    if order.status == OrderStatus.REPLACED.value and due <= order.updated_at:
        return DELIVERED  # replaced after the carrier delivered it
    return SHIPPED


def render(
    row: Sequence[Any], order: OrderThen | None = None, *, lines: bool = True
) -> dict[str, Any]:
    """The fulfillment in the provider's shape, from a row selected with `_SELECT`.

    The expected `delivery_date` becomes the actual one when the order is delivered: the
    carrier delivers on the expected date (the timeline moves the order then, and writes
    nothing here), so a delivered parcel was last updated at its `delivery_date`.

    Args:
        row: the fulfillment's columns, then its order's document text, status, change time,
            `seq` and consumer id.
        order: its order as of an earlier moment (a listing's first page); None for now.
        lines: whether to copy the order's lines (decoding its document); without them,
            `order_lines` is empty until `with_lines` fills it in.
    """
    fid, order_id, number, carrier, service, tracking, url, weight, pickup, updated, due = row[:11]
    if order is None:
        order = OrderThen(row[12], row[13])
    status = status_of(order, due)
    if status == DELIVERED:
        updated = max(updated, due)
    elif status == RETURNED:
        updated = max(updated, order.updated_at)
    return RULE.apply(
        {
            "id": fid,
            "order_id": order_id,
            "consumer_id": row[15],
            "status_id": STATUS_IDS[status],
            "delivery_date": iso(due),
            "pickup_date": iso(pickup),
            "tracking_info": {
                "shipping_carrier": carrier,
                "shipping_method": service,
                "tracking_number": tracking,
                "tracking_url": url,
            },
            "shipment_order_id": str(1_000_000_000 + number),
            "shipment_order_number": f"SO-{10000 + number}",
            "label_url": None,
            "shipper_okc_product_id": None,
            "shipping_net_charge": 5.95,
            "shipping_charge_model": "FLAT_RATE",
            "weight": weight,
            "external_fulfillment_id": None,
            "order_lines": _lines(row[11], order_id, fid) if lines else [],
            "crm_id": None,
            "created_at": iso(pickup),
            "updated_at": iso(updated),
        }
    )


def _lines(order_doc: str, order_id: str, fid: str) -> list[dict[str, Any]]:
    """A fulfillment's copies of its order's lines, from the order's document text."""
    order_lines = json.loads(order_doc).get("order_lines") or ()
    return [_line(line, order_id, fid) for line in order_lines]


def _line(line: Mapping[str, Any], order_id: str, fid: str) -> dict[str, Any]:
    """A fulfillment's copy of one of its order's lines."""
    return LINE_RULE.apply(
        {
            "id": line.get("id"),
            "order_id": order_id,
            "fulfillment_id": fid,
            "name": line.get("name"),
            "supplement_pack_name": line.get("client_custom_pack_name"),
            "physician_name": line.get("physician_name"),
            "duration": line.get("duration"),
            "total": line.get("total"),
            "unit_price": line.get("unit_price"),
            "client_custom_order_line_id": line.get("client_custom_order_line_id"),
            "is_priority_shipping": line.get("is_priority_shipping"),
        }
    )


_AT = ("tracking_info",)
COLLECTION = Collection(
    "fulfillments",
    "fulfillment",
    (
        Field("id"),
        Field("order_id"),
        Field("consumer_id"),
        Field("status_id"),
        Field("shipment_order_id"),
        Field("shipment_order_number", searched=True),
        Field("tracking_info.shipping_carrier", path=(*_AT, "shipping_carrier"), searched=True),
        Field("tracking_info.shipping_method", path=(*_AT, "shipping_method")),
        Field("tracking_info.tracking_number", path=(*_AT, "tracking_number"), searched=True),
        Field("shipping_charge_model"),
        Field("crm_id"),
        Field("pickup_date", Kind.INSTANT, sortable=True),
        Field("delivery_date", Kind.INSTANT, sortable=True),
        Field("created_at", Kind.INSTANT, sortable=True),
        Field("updated_at", Kind.INSTANT, sortable=True),
    ),
)
"""How `GET /v2/fulfillments` (and an order's) filters, searches and sorts."""


class Parcels:
    """A listing's fulfillments: judged without their lines, which are copied when shown.

    Copying the lines means decoding the order's document, most of a fulfillment's cost:
    a filtered listing or a count judges every parcel of the client, and shows a page.
    """

    def __init__(self, client_id: str, order_seq: int | None) -> None:
        """List the client's fulfillments, or one order's (by its `seq`)."""
        self._client_id = client_id
        self._order_seq = order_seq
        self._orders: dict[str, tuple[str, str]] = {}
        """Each judged parcel's order id and document text, by parcel id."""

    def as_of(
        self, conn: sqlite3.Connection, at: Moment, window: Window = None
    ) -> list[tuple[int, dict[str, Any]]]:
        """The fulfillments as they were at a moment, without their lines (`complete` adds them).

        A parcel shipped since is not listed; one whose order changed since shows the status
        its order had then.
        """
        then = orders_then(conn, self._client_id, at.log)
        where = "WHERE f.client_id = ? AND f.created_at <= ?"
        params: list[Any] = [self._client_id, at.at]
        if self._order_seq is not None:
            where += " AND f.order_seq = ?"
            params.append(self._order_seq)
        end, bounds = window_sql("f.seq", window)
        found = []
        for row in conn.execute(_SELECT + where + end, [*params, *bounds]):
            old = then.get(row[14])
            order = None if old is None else OrderThen(old["status"], old["updated_at"])
            self._orders[row[0]] = (row[1], row[11])
            found.append((row[2], render(row, order, lines=False)))
        return found

    def complete(self, doc: dict[str, Any]) -> dict[str, Any]:
        """A fulfillment `as_of` gave, with its order's lines copied in."""
        order_id, text = self._orders[doc["id"]]
        doc["order_lines"] = _lines(text, order_id, doc["id"])
        return doc


def total(conn: sqlite3.Connection, client_id: str, order_seq: int | None) -> int:
    """How many fulfillments the client has (of one order, given its `seq`)."""
    if order_seq is None:
        row = conn.execute("SELECT COUNT(*) FROM fulfillments WHERE client_id = ?", (client_id,))
    else:
        row = conn.execute(
            "SELECT COUNT(*) FROM fulfillments WHERE order_seq = ? AND client_id = ?",
            (order_seq, client_id),
        )
    return int(row.fetchone()[0])


def list_for(
    conn: sqlite3.Connection, client_id: str, order_seq: int | None = None
) -> list[dict[str, Any]]:
    """The client's fulfillments, oldest first, optionally of one order (by its `seq`)."""
    if order_seq is None:
        rows = conn.execute(
            _SELECT + "WHERE f.client_id = ? ORDER BY f.seq", (client_id,)
        ).fetchall()
    else:
        rows = conn.execute(
            _SELECT + "WHERE f.order_seq = ? AND f.client_id = ? ORDER BY f.seq",
            (order_seq, client_id),
        ).fetchall()
    return [render(row) for row in rows]


def get(
    conn: sqlite3.Connection, number: int, fulfillment_id: str, client_id: str
) -> dict[str, Any]:
    """One of the client's fulfillments, by its id and the number the id reads back to.

    Raises:
        NotFound: no such fulfillment for this client.
    """
    row = conn.execute(
        _SELECT + "WHERE f.seq = ? AND f.id = ? AND f.client_id = ?",
        (number, fulfillment_id, client_id),
    ).fetchone()
    if row is None:
        raise NotFound(f"No fulfillment with id '{fulfillment_id}'.")
    return render(row)
