"""Stable paging of order lists: each page judged as of the moment the first was asked for."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simulator import _changes, _rows
from simulator._listing import Cursor, OrderQuery

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Iterator

    from simulator._rows import OrderRow


def fresh_cursor(conn: sqlite3.Connection, client_id: str, query: OrderQuery) -> Cursor:
    """The cursor state of a first page: the newest log row and order right now."""
    (newest,) = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM orders").fetchone()
    return Cursor(client_id, query.fingerprint(), _changes.last_seq(conn), newest, 0)


def matching(
    conn: sqlite3.Connection, query: OrderQuery, state: Cursor, count: int
) -> Iterator[OrderRow]:
    """Up to `count` orders after the cursor that matched the filters at the cursor's moment.

    Orders unchanged since then are judged by their columns in SQL; the few changed since
    are judged by their values back then, read from the log. The two are merged by `seq`.
    """
    changed = _values_then(conn, state)
    then = sorted(
        seq
        for seq, values in changed.items()
        if state.after < seq <= state.newest_order and query.matches(values)
    )
    where, params = query.where()
    current = conn.execute(
        f"SELECT {_rows.ORDER_COLUMNS} FROM orders "  # noqa: S608 - fixed columns, bound values
        f"WHERE client_id = ? AND seq > ? AND seq <= ? AND {where} ORDER BY seq",
        [state.client_id, state.after, state.newest_order, *params],
    )
    emitted = 0
    past = iter(then)
    next_past = next(past, None)
    for raw in current:
        seq = raw[0]
        while next_past is not None and next_past < seq:
            if emitted >= count:
                return
            yield _rows.by_seq(conn, next_past)
            emitted += 1
            next_past = next(past, None)
        if emitted >= count:
            return
        if seq in changed:
            continue  # judged by its past values above, not its present ones
        yield _rows.OrderRow(raw)
        emitted += 1
    while next_past is not None and emitted < count:
        yield _rows.by_seq(conn, next_past)
        emitted += 1
        next_past = next(past, None)


def _values_then(conn: sqlite3.Connection, state: Cursor) -> dict[int, dict[str, Any]]:
    """For the client's orders changed since the cursor's moment: their filterable values then.

    Only `status` and `updated_at` ever change after creation; the first log row after the
    moment holds the old `updated_at`, the first status row the old status.
    """
    values: dict[int, dict[str, Any]] = {}
    rows = conn.execute(
        "SELECT o.seq, o.status, o.name, o.source, o.client_custom_order_id, o.created_at, "
        "o.updated_at, l.column_name, l.old_data, l.prev_updated_at "
        "FROM order_log l JOIN orders o ON o.seq = l.order_seq "
        "WHERE o.client_id = ? AND l.seq > ? ORDER BY l.seq",
        (state.client_id, state.as_of_log),
    )
    status_seen: set[int] = set()
    for seq, status, name, source, custom, created, updated, column, old, prev in rows:
        entry = values.get(seq)
        if entry is None:
            entry = values[seq] = {
                "status": status,
                "name": name,
                "source": source,
                "client_custom_order_id": custom,
                "created_at": created,
                "updated_at": updated if prev is None else prev,
            }
        if column == "status" and seq not in status_seen:
            entry["status"] = old
            status_seen.add(seq)
    return values
