"""The transaction log: one row per changed field, with time, actor and reason.

Order history and the provider's transaction-log rows are both read from here.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import attrs

from lifecycle._table import CREATION, Actor
from simulator._errors import NotFound
from simulator._timefmt import iso

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Sequence

    from simulator._idcodec import IdCodec

SYSTEM_USER = "00000000-0000-4000-8000-000000000000"
"""`done_by` of rows written by the batch, operations or an operator rather than a client."""


@attrs.frozen
class Change:
    """One changed field of one order."""

    order_seq: int
    at: int
    column: str
    old: object
    new: object
    event: str
    actor: str
    reason: str | None = None
    prev_updated_at: int | None = None
    """The order's `updated_at` before this change: paging reads the past from it."""


def log_text(value: object) -> str | None:
    """A logged value as text: strings as they are, structures as compact JSON."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


LOG_ROW_INSERT = (
    "INSERT INTO order_log (order_seq, at, column_name, old_data, new_data, "
    "event, actor, reason, prev_updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
"""Appends one log row given the order's `seq`: `(order_seq, at, column, old, new, event,
actor, reason, prev_updated_at)`, values already as text. For callers that hold the
`seq` and write many rows at once (the timeline)."""


def record(conn: sqlite3.Connection, *changes: Change) -> None:
    """Append changes to the log inside the caller's transaction."""
    conn.executemany(
        "INSERT INTO order_log (order_seq, at, column_name, old_data, new_data, "
        "event, actor, reason, prev_updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                c.order_seq,
                c.at,
                c.column,
                log_text(c.old),
                log_text(c.new),
                c.event,
                c.actor,
                c.reason,
                c.prev_updated_at,
            )
            for c in changes
        ],
    )


def status_history(conn: sqlite3.Connection, order_seq: int) -> list[dict[str, Any]]:
    """Every status change of an order, oldest first."""
    rows = conn.execute(
        "SELECT at, old_data, new_data, event, actor, reason FROM order_log "
        "WHERE order_seq = ? AND column_name = 'status' ORDER BY seq",
        (order_seq,),
    ).fetchall()
    return [
        {"at": iso(at), "from": old, "to": new, "event": event, "actor": actor, "reason": reason}
        for at, old, new, event, actor, reason in rows
    ]


LOG_ID_KIND = "log"
"""The kind of a transaction-log row's id (`IdCodec`): it reads back to the row's `seq`."""

_TRANSACTION_COLUMNS = (
    "l.seq, l.at, l.column_name, l.old_data, l.new_data, l.event, l.actor, l.reason"
)
"""What `_transaction` reads of a log row `l`."""


def transaction_rows(
    conn: sqlite3.Connection, order: tuple[int, str], client_id: str, codec: IdCodec
) -> list[dict[str, Any]]:
    """An order's log in the provider's `OrderTransactionLogs` shape, plus event/actor/reason.

    Args:
        conn: the store.
        order: the order's `seq` and id.
        client_id: its client.
        codec: the world's ids: a row's id reads back to its `seq`.
    """
    order_seq, order_id = order
    rows = conn.execute(
        f"SELECT {_TRANSACTION_COLUMNS} FROM order_log l "  # noqa: S608 - fixed columns
        "WHERE l.order_seq = ? ORDER BY l.seq",
        (order_seq,),
    ).fetchall()
    return [_transaction(row, order_id, client_id, codec) for row in rows]


def transaction(
    conn: sqlite3.Connection, log_id: str, client_id: str, codec: IdCodec
) -> dict[str, Any]:
    """One row of one of the client's orders' logs, by its id.

    Raises:
        NotFound: no such row of this client's orders.
    """
    seq = codec.number(LOG_ID_KIND, log_id) or 0
    row = conn.execute(
        f"SELECT o.id, {_TRANSACTION_COLUMNS} FROM order_log l "  # noqa: S608 - fixed columns
        "JOIN orders o ON o.seq = l.order_seq WHERE l.seq = ? AND o.client_id = ?",
        (seq, client_id),
    ).fetchone()
    if row is None:
        raise NotFound(f"No order transaction log with id '{log_id}'.")
    return _transaction(row[1:], row[0], client_id, codec)


def _transaction(
    row: Sequence[Any], order_id: str, client_id: str, codec: IdCodec
) -> dict[str, Any]:
    """A log row in the provider's shape: `old_data`/`new_data` are text, empty for none."""
    seq, at, column, old, new, event, actor, reason = row
    return {
        "id": codec.make(LOG_ID_KIND, seq),
        "column_name": column,
        "old_data": "" if old is None else old,
        "new_data": "" if new is None else new,
        "event_type": "INSERT" if event == CREATION.event else "UPDATE",
        "done_by": client_id if actor == Actor.CLIENT else SYSTEM_USER,
        "client_id": client_id,
        "entity_id": order_id,
        "created_at": iso(at),
        "event": event,
        "actor": actor,
        "reason": reason,
    }


def last_seq(conn: sqlite3.Connection) -> int:
    """The newest log row's sequence number (0 for an empty log)."""
    (last,) = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM order_log").fetchone()
    return int(last)


def client_changes(
    conn: sqlite3.Connection, client_id: str, since: int
) -> dict[str, list[tuple[int, str | None]]]:
    """Every change to the client's orders from `since` on, by order id, oldest first.

    Each change is `(at, status)`: the new status for a status change, None for another
    field. The request advisor reads it; the log has no index by time, so this scans it.
    """
    found: dict[str, list[tuple[int, str | None]]] = {}
    rows = conn.execute(
        "SELECT o.id, l.at, l.column_name, l.new_data FROM order_log AS l "
        "JOIN orders AS o ON o.seq = l.order_seq "
        "WHERE o.client_id = ? AND l.at >= ? ORDER BY l.seq",
        (client_id, since),
    )
    for order_id, at, column, new in rows:
        found.setdefault(order_id, []).append((at, new if column == "status" else None))
    return found
