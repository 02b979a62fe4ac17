"""Fulfillments: created when an order ships, dated again when it is delivered."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from simulator._errors import NotFound
from simulator._timefmt import iso

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Mapping


def insert(conn: sqlite3.Connection, client_id: str, at: int, body: Mapping[str, Any]) -> None:
    """Store a new fulfillment (its document carries its id and order id)."""
    conn.execute(
        "INSERT INTO fulfillments (id, order_id, client_id, created_at, updated_at, doc) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (body["id"], body["order_id"], client_id, at, at, json.dumps(body)),
    )


def mark_delivered(conn: sqlite3.Connection, order_id: str, at: int) -> None:
    """Set the actual delivery date on an order's fulfillments."""
    for seq, doc in conn.execute(
        "SELECT seq, doc FROM fulfillments WHERE order_id = ?", (order_id,)
    ).fetchall():
        body = json.loads(doc)
        body["delivery_date"] = iso(at)
        body["updated_at"] = iso(at)
        conn.execute(
            "UPDATE fulfillments SET doc = ?, updated_at = ? WHERE seq = ?",
            (json.dumps(body), at, seq),
        )


def list_for(
    conn: sqlite3.Connection, client_id: str, order_id: str | None = None
) -> list[dict[str, Any]]:
    """The client's fulfillments, oldest first, optionally of one order."""
    if order_id is None:
        rows = conn.execute(
            "SELECT doc FROM fulfillments WHERE client_id = ? ORDER BY seq", (client_id,)
        ).fetchall()
    else:
        rows = conn.execute(
            "SELECT doc FROM fulfillments WHERE client_id = ? AND order_id = ? ORDER BY seq",
            (client_id, order_id),
        ).fetchall()
    return [json.loads(doc) for (doc,) in rows]


def get(conn: sqlite3.Connection, fulfillment_id: str, client_id: str) -> dict[str, Any]:
    """One of the client's fulfillments.

    Raises:
        NotFound: no such fulfillment for this client.
    """
    row = conn.execute(
        "SELECT doc FROM fulfillments WHERE id = ? AND client_id = ?", (fulfillment_id, client_id)
    ).fetchone()
    if row is None:
        raise NotFound(f"No fulfillment with id '{fulfillment_id}'.")
    body: dict[str, Any] = json.loads(row[0])
    return body
