"""Stable paging of order lists: each page judged as of the moment the first was asked for.

A cursor pins that moment (the last transaction-log row then, and the newest order then).
Later pages judge each order by its status and `updated_at` as of that moment, read back
from the log, so an order that matched then is never skipped, however it changes while the
client pages. Cursors are signed with a key drawn afresh for each world.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from typing import TYPE_CHECKING, Any

import attrs

from lifecycle._status import OrderStatus
from lifecycle._table import Event
from simulator import _changes, _rows
from simulator._errors import BadRequest
from simulator._order_lifecycle import billing_status

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Iterator

    from simulator._listing import OrderQuery
    from simulator._rows import OrderRow

LISTING = "orders"
"""The list a cursor pages through; written into it, so no other list may take it."""
MAX_CURSOR_CHARS = 512
"""Longer text is refused before any decoding: the cursors issued here are about 140."""
MAX_POSITION = 2**63 - 1
"""The largest integer SQLite holds: positions beyond it cannot be real."""
_MAC_BYTES = 16
_KEY_BYTES = 32
CURSOR_ALPHABET = r"[A-Za-z0-9_-]+"
"""Every cursor issued here is unpadded base64url text."""
_TEXT = re.compile(CURSOR_ALPHABET)


@attrs.frozen
class Cursor:
    """Where a listing stands: what it saw first, and the last order it returned."""

    client_id: str
    fingerprint: str
    """The filters' digest (`OrderQuery.fingerprint`)."""
    as_of_log: int
    """The newest transaction-log row when the first page was asked for."""
    newest_order: int
    """The newest order's sequence number then; orders created later are not listed."""
    after: int
    """The sequence number of the last order returned."""


class CursorCodec:
    """Signs and checks cursors, so a client can neither forge one nor bring one from elsewhere.

    Anything wrong with a cursor (not base64url, altered, signed by another world, not the
    expected JSON, numbers out of range, another client's, other filters) is a `BadRequest`
    naming the `cursor` parameter: the checks after the signature treat the contents as
    untrusted too.
    """

    def __init__(self, key: bytes | None = None) -> None:
        """Keep the signing key.

        Args:
            key: the key; None draws one from the operating system's random source.
        """
        self._key = key if key is not None else secrets.token_bytes(_KEY_BYTES)

    def encode(self, cursor: Cursor) -> str:
        """The opaque text a client passes back as `cursor`."""
        fields = [
            LISTING,
            cursor.client_id,
            cursor.fingerprint,
            cursor.as_of_log,
            cursor.newest_order,
            cursor.after,
        ]
        return self.seal(json.dumps(fields, separators=(",", ":")).encode())

    def seal(self, body: bytes) -> str:
        """Any bytes, signed and in base64url: what `encode` sends, and what a test forges."""
        return base64.urlsafe_b64encode(body + self._mac(body)).decode("ascii").rstrip("=")

    def decode(self, text: str, client_id: str, fingerprint: str) -> Cursor:
        """Check and read a cursor.

        Raises:
            BadRequest: the cursor is malformed, forged, from another world, another list,
                another client or another set of filters.
        """
        body = self.open(text)
        cursor = _parse(body)
        if cursor.client_id != client_id:
            raise _bad_cursor("it belongs to another client")
        if cursor.fingerprint != fingerprint:
            raise _bad_cursor("it was made for other filters; repeat the first request's filters")
        return cursor

    def open(self, text: str) -> bytes:
        """The signed bytes of a cursor this codec sealed (`seal`), any list's.

        Raises:
            BadRequest: not base64url, altered, or sealed by another world, naming `cursor`.
        """
        if len(text) > MAX_CURSOR_CHARS or not _TEXT.fullmatch(text):
            raise _bad_cursor("it is not a cursor this server issued (not base64url text)")
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            raise _bad_cursor("it is not a cursor this server issued (not base64url)") from None
        body, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
        if not body or not hmac.compare_digest(mac, self._mac(body)):
            raise _bad_cursor(
                "this simulator world did not issue it (forged, altered, or from before a "
                "restart, a reset or a restore)"
            )
        return body

    def _mac(self, body: bytes) -> bytes:
        return hmac.new(self._key, body, hashlib.sha256).digest()[:_MAC_BYTES]


def _parse(body: bytes) -> Cursor:
    """The cursor in signed bytes, checked field by field as untrusted input."""
    try:
        fields = json.loads(body)
    except (ValueError, RecursionError):  # UTF-8 and JSON errors are ValueErrors
        raise _bad_cursor("its contents are not a cursor") from None
    if not isinstance(fields, list) or len(fields) != 6:
        raise _bad_cursor("its contents are not a cursor")
    listing, owner, digest, *positions = fields
    if listing != LISTING:
        raise _bad_cursor(f"it pages another list, not {LISTING}")
    if not isinstance(owner, str) or not isinstance(digest, str):
        raise _bad_cursor("its contents are not a cursor")
    if not all(_position(value) for value in positions):
        raise _bad_cursor("its positions are not whole numbers in range")
    as_of_log, newest, after = positions
    if after > newest:
        raise _bad_cursor("its positions are inconsistent")
    return Cursor(owner, digest, as_of_log, newest, after)


def _position(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_POSITION


def bad_cursor(why: str) -> BadRequest:
    """The 400 of a cursor refused for the reason given, naming the `cursor` parameter."""
    return _bad_cursor(why)


def _bad_cursor(why: str) -> BadRequest:
    return BadRequest(
        f"Invalid 'cursor' parameter: {why}. Start again without a cursor to get the first page.",
        "cursor",
    )


def fresh_cursor(conn: sqlite3.Connection, client_id: str, query: OrderQuery) -> Cursor:
    """The cursor state of a first page: the newest log row and order right now."""
    (newest,) = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM orders").fetchone()
    return Cursor(client_id, query.fingerprint(), _changes.last_seq(conn), newest, 0)


def matching(
    conn: sqlite3.Connection, query: OrderQuery, state: Cursor, count: int
) -> Iterator[OrderRow]:
    """Up to `count` orders after the cursor that matched the filters at the cursor's moment.

    Orders unchanged since then are judged by their columns in SQL; the few changed since
    are judged by their values back then, read from the log. The two are merged by `seq`,
    newest first when the query says so (`after` 0 then means "from the newest").
    """
    low, high = state.after, state.newest_order
    if query.descending:
        low, high = 0, (state.after - 1 if state.after else state.newest_order)
    changed = _values_then(conn, state)
    then = sorted(
        (seq for seq, values in changed.items() if low < seq <= high and query.matches(values)),
        reverse=query.descending,
    )
    where, params = query.where()
    current = conn.execute(
        f"SELECT {_rows.ORDER_COLUMNS} FROM orders "  # noqa: S608 - fixed columns, bound values
        f"WHERE client_id = ? AND seq > ? AND seq <= ? AND {where} "
        f"ORDER BY seq{' DESC' if query.descending else ''}",
        [state.client_id, low, high, *params],
    )
    emitted = 0
    past = iter(then)
    next_past = next(past, None)
    for raw in current:
        seq = raw[0]
        while next_past is not None and (next_past > seq if query.descending else next_past < seq):
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


def orders_then(
    conn: sqlite3.Connection, client_id: str, as_of_log: int
) -> dict[int, dict[str, Any]]:
    """For the client's orders changed since a log row: their status and `updated_at` then.

    By order `seq`; fulfillment listings judge each parcel by its order's status then.
    """
    return _values_then(conn, Cursor(client_id, "", as_of_log, 0, 0))


def _values_then(conn: sqlite3.Connection, state: Cursor) -> dict[int, dict[str, Any]]:
    """For the client's orders changed since the cursor's moment: their filterable values then.

    Only `status`, `updated_at` and whether a batch accepted the order change after creation;
    the first log row after the moment holds the old `updated_at`, the first status row the
    old status, and an accept row after it says the order may not have been accepted then.
    """
    values: dict[int, dict[str, Any]] = {}
    rows = conn.execute(
        "SELECT o.seq, o.status, o.name, o.source, o.client_custom_order_id, o.created_at, "
        "o.updated_at, o.accepted_at, l.column_name, l.old_data, l.prev_updated_at, l.event "
        "FROM order_log l JOIN orders o ON o.seq = l.order_seq "
        "WHERE o.client_id = ? AND l.seq > ? ORDER BY l.seq",
        (state.client_id, state.as_of_log),
    )
    status_seen: set[int] = set()
    accepted_since: set[int] = set()
    submitted: dict[int, int | None] = {}
    """When a batch last accepted each order, as of the moment (None: not yet)."""
    for seq, status, name, source, custom, created, updated, accepted_at, *change in rows:
        column, old, prev, event = change
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
            submitted[seq] = accepted_at
        if column == "status" and seq not in status_seen:
            entry["status"] = old
            status_seen.add(seq)
        if event == _ACCEPT:
            accepted_since.add(seq)
    for seq in accepted_since:
        before = conn.execute(_ACCEPTED_BEFORE_SQL, (seq, _ACCEPT, state.as_of_log)).fetchone()
        submitted[seq] = None if before is None else before[0]
    for seq, entry in values.items():
        status = entry["status"]  # None for an order created since (never listed)
        if status is not None:
            entry["submission_date"] = submitted[seq]
            entry["billing_status"] = billing_status(
                OrderStatus(status), accepted=submitted[seq] is not None
            )
    return values


_ACCEPT = Event.ACCEPT.value
_ACCEPTED_BEFORE_SQL = (
    "SELECT at FROM order_log WHERE order_seq = ? AND event = ? AND seq <= ? "
    "ORDER BY seq DESC LIMIT 1"
)
