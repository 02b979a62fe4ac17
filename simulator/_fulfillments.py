"""Fulfillments: the facts of a parcel, stored when an order ships and rendered on read.

The store keeps what the timeline decided (carrier, tracking, dates) as columns; the
provider-shaped document is built when a fulfillment is read, from those columns and the
order's document (whose lines and consumer no longer change once it was accepted).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from lifecycle._status import OrderStatus
from simulator._errors import NotFound
from simulator._ids import stable_uuid
from simulator._timefmt import iso

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Sequence


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
    "f.tracking_url, f.weight, f.created_at, f.updated_at, f.delivery_at, d.doc, o.status "
    "FROM fulfillments f JOIN order_docs d ON d.seq = f.order_seq "
    "JOIN orders o ON o.seq = f.order_seq "
)

SHIPPED_STATUS_ID = stable_uuid("fulfillment-status", "shipped")
"""The provider's `status_id` of a shipped fulfillment."""


def render(row: Sequence[Any]) -> dict[str, Any]:
    """The fulfillment in the provider's shape, from a row selected with `_SELECT`.

    The expected `delivery_date` becomes the actual one when the order is delivered: the
    carrier delivers on the expected date (the timeline moves the order then, and writes
    nothing here), so a delivered order's parcel was last updated at its `delivery_date`.

    Args:
        row: the fulfillment's columns, then its order's stored document text and status.
    """
    fid, order_id, number, carrier, service, tracking, url, weight, pickup, updated, due = row[:11]
    order = json.loads(row[11])
    if row[12] == OrderStatus.DELIVERED.value:
        updated = max(updated, due)
    consumer = order.get("consumer") or {}
    return {
        "id": fid,
        "order_id": order_id,
        "consumer_id": consumer.get("id"),
        "status_id": SHIPPED_STATUS_ID,
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
        "order_lines": [
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
            for line in order.get("order_lines") or ()
        ],
        "crm_id": None,
        "created_at": iso(pickup),
        "updated_at": iso(updated),
    }


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
