"""Stored orders: the row the engine works with, its lookups, and the writes of one order."""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING, Any

from lifecycle._status import OrderStatus
from simulator import _json, _order_lifecycle, _orders
from simulator._errors import NotFound
from simulator._timefmt import iso

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Mapping, Sequence

    from simulator._listing import OrderQuery
    from simulator._order_lifecycle import Lifecycle

ORDER_COLUMNS = (
    "seq, id, client_id, status, updated_at, trigger, accepted_at, "  # noqa: S608 - fixed SQL
    f"{_order_lifecycle.LIFECYCLE_COLUMN}, "
    "(SELECT CAST(doc AS BLOB) FROM order_docs WHERE order_docs.seq = orders.seq)"
)
"""What `OrderRow` reads, selected `FROM orders`: the columns, what the lifecycle's events set
(`_order_lifecycle.LIFECYCLE_COLUMN`), and the document, kept in its own table.

The document comes as its UTF-8 bytes (a BLOB): the API sends it on as bytes, and decoding
it to text first would cost as much as the rest of reading it."""


_SELECT = f"SELECT {ORDER_COLUMNS} FROM orders WHERE "  # noqa: S608 - fixed SQL
# Whole statements, made once: SQLite's statement cache is looked up by the text's hash, and
# a string built per call would be hashed again every time (it has ~1,000 characters).
_BY_ID = _SELECT + "seq = ? AND id = ?"
_BY_ID_OF_CLIENT = _BY_ID + " AND client_id = ?"
_BY_SEQ_OF_CLIENT = _SELECT + "seq = ? AND client_id = ?"
_BY_CUSTOM_ID = _SELECT + "client_id = ? AND client_custom_order_id = ?"
_BY_SEQ = _SELECT + "seq = ?"


@functools.lru_cache(maxsize=4096)
def _head(status: str, updated_at: int) -> bytes:
    """`_orders.document_head` in UTF-8: what goes before a stored document's first key."""
    return _orders.document_head(status, iso(updated_at)).encode()


class OrderRow:
    """A stored order: its columns and its document (decoded only when first asked for)."""

    __slots__ = (
        "_doc",
        "client_id",
        "id",
        "lifecycle",
        "seq",
        "status",
        "stored",
        "trigger",
        "updated_at",
    )

    def __init__(self, row: Sequence[Any]) -> None:
        """Read a row selected with `ORDER_COLUMNS`."""
        self.seq: int = row[0]
        self.id: str = row[1]
        self.client_id: str = row[2]
        self.status: OrderStatus = OrderStatus(row[3])
        self.updated_at: int = row[4]
        self.trigger: str | None = row[5]
        self.lifecycle: Lifecycle | None = _order_lifecycle.lifecycle(
            self.client_id, row[6], row[7]
        )
        """What the order's events set, once a batch accepted it (None before)."""
        self.stored: bytes = row[8]
        """The document's JSON as the store keeps it (`_orders.stored_text`), in UTF-8."""
        self._doc: dict[str, Any] | None = None

    @property
    def doc(self) -> dict[str, Any]:
        """The stored document, decoded (once): without the overlaid keys."""
        if self._doc is None:
            self._doc = json.loads(self.stored)
        return self._doc

    def document(self) -> dict[str, Any]:
        """The order as the API shows it now."""
        return _order_lifecycle.overlay(self.doc, self.status, iso(self.updated_at), self.lifecycle)

    def json_parts(self) -> Sequence[bytes | memoryview]:
        """The same order as UTF-8 JSON, in pieces for `bytes.join`.

        A never-accepted order is the splice of `_orders.document_text`, done on the stored
        bytes: no decode, no copy. An accepted one also has its line fields laid over the
        stored text (`_order_lifecycle.spliced`), still without decoding it.
        """
        lifecycle = self.lifecycle
        if lifecycle is None:
            return _head(self.status.value, self.updated_at), memoryview(self.stored)[1:]
        parts = _order_lifecycle.spliced(self.stored, self.status, self.updated_at, lifecycle)
        if parts is None:
            return (_json.dumps(self.document()).encode(),)
        return parts


def load(conn: sqlite3.Connection, seq: int, order_id: str, client_id: str | None) -> OrderRow:
    """One order by id, of one client (or of any, for operator calls).

    Args:
        conn: the store.
        seq: the number `order_id` reads back to (`IdFactory.number_of`; 0 for none).
        order_id: the id asked for.
        client_id: the client that must own it, or None for any.

    Raises:
        NotFound: no such order (another client's order is not found either).
    """
    if client_id is None:
        row = conn.execute(_BY_ID, (seq, order_id)).fetchone()
    else:
        row = conn.execute(_BY_ID_OF_CLIENT, (seq, order_id, client_id)).fetchone()
    if row is None:
        raise NotFound(f"No order with id '{order_id}'.")
    return OrderRow(row)


def load_seq(conn: sqlite3.Connection, seq: int, client_id: str) -> OrderRow:
    """One of the client's orders by its number alone (what a line's id reads back to).

    Raises:
        NotFound: the client has no order with that number.
    """
    row = conn.execute(_BY_SEQ_OF_CLIENT, (seq, client_id)).fetchone()
    if row is None:
        raise NotFound(f"No order numbered {seq}.")
    return OrderRow(row)


def by_custom_id(conn: sqlite3.Connection, custom_id: str, client_id: str) -> OrderRow:
    """The client's order with this `client_custom_order_id`.

    Raises:
        NotFound: the client has no such order.
    """
    row = conn.execute(_BY_CUSTOM_ID, (client_id, custom_id)).fetchone()
    if row is None:
        raise NotFound(f"No order with client_custom_order_id '{custom_id}'.")
    return OrderRow(row)


def by_seq(conn: sqlite3.Connection, seq: int) -> OrderRow:
    """One order by its sequence number (it must exist)."""
    row = conn.execute(_BY_SEQ, (seq,)).fetchone()
    return OrderRow(row)


def count(conn: sqlite3.Connection, client_id: str, query: OrderQuery) -> int:
    """How many of the client's orders match a list query now."""
    where, params = query.where()
    (found,) = conn.execute(
        f"SELECT COUNT(*) FROM orders WHERE client_id = ? AND {where}",  # noqa: S608
        [client_id, *params],
    ).fetchone()
    return int(found)


def custom_id_owner(conn: sqlite3.Connection, client_id: str, custom_id: object) -> str | None:
    """The id of the client's order with this `client_custom_order_id`, if there is one."""
    row = conn.execute(
        "SELECT id FROM orders WHERE client_id = ? AND client_custom_order_id = ?",
        (client_id, custom_id),
    ).fetchone()
    return None if row is None else str(row[0])


def insert(  # noqa: PLR0913 - the order's key, its state, and when
    conn: sqlite3.Connection,
    seq: int,
    doc: Mapping[str, Any],
    status: OrderStatus,
    *,
    now: int,
    trigger: str | None,
) -> None:
    """Store a new order: its columns and its document, inside the caller's transaction.

    Args:
        conn: the store.
        seq: the number its id reads back to.
        doc: its document, without the overlaid keys (`_orders.OVERLAID`).
        status: the status it starts in.
        now: when it was created.
        trigger: its stored test trigger (`_operations.encode_trigger`), or None.
    """
    conn.execute(
        "INSERT INTO orders (seq, id, client_id, status, name, client_custom_order_id, "
        "source, created_at, updated_at, pending_since, trigger) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            seq,
            doc["id"],
            doc["client_id"],
            status.value,
            doc["name"],
            doc.get("client_custom_order_id"),
            doc["source"],
            now,
            now,
            now if status is OrderStatus.PENDING else None,
            trigger,
        ),
    )
    conn.execute("INSERT INTO order_docs (seq, doc) VALUES (?, ?)", (seq, _orders.stored_text(doc)))


def save(  # noqa: PLR0913 - the order's key, its new state, and what changed when
    conn: sqlite3.Connection,
    seq: int,
    doc: Mapping[str, Any],
    status: OrderStatus,
    *,
    now: int,
    trigger: str | None,
    released: bool,
) -> None:
    """Store an order's new document, status and trigger, inside the caller's transaction.

    Args:
        conn: the store.
        seq: the order's number.
        doc: its whole new document.
        status: its status now.
        now: when it changed.
        trigger: its stored test trigger, or None.
        released: whether it just went back to Pending (the nightly batch's clock restarts).
    """
    conn.execute(
        "UPDATE orders SET status = ?, updated_at = ?, trigger = ?, "  # noqa: S608 - fixed SQL
        "pending_since = CASE WHEN ? THEN ? ELSE pending_since END, "
        f"{_order_lifecycle.REQUEUED_SET} WHERE seq = ?",
        (status.value, now, trigger, released, now, released, seq),
    )
    conn.execute("UPDATE order_docs SET doc = ? WHERE seq = ?", (_orders.stored_text(doc), seq))
