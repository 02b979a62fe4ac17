"""Consumers: the people orders are for, one client's own, stored as provider-shaped JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lifecycle._validation import CONSUMER_FIELDS, validate_consumer
from simulator import _json
from simulator._errors import NotFound
from simulator._timefmt import iso

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Mapping

FIELDS = tuple(CONSUMER_FIELDS)
"""The fields a consumer stores from a request (an order's consumer may also name its `id`)."""


def check_fields(payload: object, *, creating: bool) -> dict[str, Any]:
    """Check a `/v2/consumers` request body with lifecycle's consumer rules; return its fields.

    Raises:
        UpdateRejected: not an object, unknown or read-only fields, wrong types, missing names.
    """
    return validate_consumer(payload, creating=creating)


def insert(
    conn: sqlite3.Connection,
    consumer: tuple[int, str],
    client_id: str,
    fields: Mapping[str, Any],
    now: int,
) -> dict[str, Any]:
    """Store a new consumer and return it.

    Args:
        conn: the store, inside the caller's transaction.
        consumer: its number (the row's key; what the id reads back to) and id.
        client_id: its client.
        fields: the fields sent.
        now: when.
    """
    number, consumer_id = consumer
    body: dict[str, Any] = {
        "id": consumer_id,
        "client_id": client_id,
        "email": None,
        "first_name": None,
        "last_name": None,
        "phone_number": None,
        "client_custom_consumer_id": None,
        "crm_account_id": None,
        "crm_id": None,
        "created_at": iso(now),
        "updated_at": iso(now),
    }
    body.update(fields)
    conn.execute(
        "INSERT INTO consumers (seq, id, client_id, created_at, updated_at, doc) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (number, consumer_id, client_id, now, now, _json.dumps(body)),
    )
    return body


def get(conn: sqlite3.Connection, consumer: tuple[int, str], client_id: str) -> dict[str, Any]:
    """One of the client's consumers, by the number its id reads back to (0 for none) and id.

    Raises:
        NotFound: no such consumer for this client.
    """
    number, consumer_id = consumer
    row = conn.execute(
        "SELECT doc FROM consumers WHERE seq = ? AND id = ? AND client_id = ?",
        (number, consumer_id, client_id),
    ).fetchone()
    if row is None:
        raise NotFound(f"No consumer with id '{consumer_id}'.")
    body: dict[str, Any] = _json.loads(row[0])
    return body


def exists(conn: sqlite3.Connection, consumer: tuple[int, str], client_id: str) -> bool:
    """Whether the client has this consumer (its id's number and the id, as `get` takes)."""
    row = conn.execute(
        "SELECT 1 FROM consumers WHERE seq = ? AND id = ? AND client_id = ?",
        (*consumer, client_id),
    ).fetchone()
    return row is not None


def update(
    conn: sqlite3.Connection,
    consumer: tuple[int, str],
    client_id: str,
    fields: Mapping[str, Any],
    now: int,
) -> dict[str, Any]:
    """Change a consumer's fields (a no-op leaves `updated_at` alone) and return it.

    Args:
        conn: the store, inside the caller's transaction.
        consumer: the number its id reads back to (0 for none), and the id.
        client_id: the client that must own it.
        fields: the fields sent.
        now: when.

    Raises:
        NotFound: no such consumer for this client.
    """
    number = consumer[0]
    body = get(conn, consumer, client_id)
    changed = {key: value for key, value in fields.items() if body.get(key) != value}
    if changed:
        body.update(changed)
        body["updated_at"] = iso(now)
        conn.execute(
            "UPDATE consumers SET doc = ?, updated_at = ? WHERE seq = ?",
            (_json.dumps(body), now, number),
        )
    return body


def list_all(conn: sqlite3.Connection, client_id: str) -> list[dict[str, Any]]:
    """The client's consumers, oldest first."""
    rows = conn.execute(
        "SELECT doc FROM consumers WHERE client_id = ? ORDER BY seq", (client_id,)
    ).fetchall()
    return [_json.loads(doc) for (doc,) in rows]
