"""The reads next to an order's lifecycle: statuses, batches, one order line, one log row.

A batch is the night's run (or an operator's forced accept): one row of `batches`, shown to
each client whose orders it accepted as a batch of its own (its id and `client_id` are the
client's). Its status is read as of an instant, so a paged listing never skips a batch.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from lifecycle._status import OrderStatus
from lifecycle._table import Event
from simulator import _changes, _orders, _rows
from simulator._errors import BadRequest, NotFound
from simulator._listing import check_limit
from simulator._order_lifecycle import client_batch_id
from simulator._paging import bad_cursor
from simulator._terms import Search, fingerprint, read_q, read_sort, read_values
from simulator._timefmt import iso

if TYPE_CHECKING:
    from collections.abc import Mapping

    from simulator._world import World

STATUS_GROUP = "order"
"""The `group` of every status the simulator lists: they are all order statuses."""
STATUSES_SINCE = "2023-01-01T00:00:00Z"
"""`created_at` and `updated_at` of the provider's status rows: fixed reference data."""
STATUS_FIELDS = ("id", "name", "group")
"""What `q`'s `field:value` terms name in `GET /v2/statuses`."""
STATUS_WORDS = ("name",)
"""What a bare word of `q` looks in, in `GET /v2/statuses`."""

BATCH_NEW = "New"
"""A batch's status until its orders' production is planned (the first business tick)."""
BATCH_BILLED = "Billed"
"""A batch's status once its orders are planned (and billed: their billing is Submitted)."""
BATCH_FILTERS = ("batch_status", "name", "crm_id")
"""The provider's filterable fields of a batch list; `q`'s `field:value` names the same."""
BATCH_WORDS = ("name",)
"""What a bare word of a batch list's `q` looks in."""
BATCH_SORTABLE = ("created_at", "name")
"""Batches sort by when they ran (names are numbered in that order)."""
BATCH_NAME_BASE = 10000
_LISTING = "batches"

_STATUS_AS_OF = (
    f"(CASE WHEN b.plan_at IS NULL AND b.updated_at <= :as_of THEN '{BATCH_BILLED}' "
    f"ELSE '{BATCH_NEW}' END)"
)
_BATCH_SQL: dict[str, str] = {
    "batch_status": _STATUS_AS_OF,
    "name": f"('BT-' || ({BATCH_NAME_BASE} + b.number))",
    "crm_id": "NULL",  # OK Capsule's own: no simulated batch has one
}
_VISIBLE = (
    "EXISTS (SELECT 1 FROM order_log l JOIN orders o ON o.seq = l.order_seq "
    "WHERE l.seq BETWEEN b.first_log AND b.last_log AND l.event = :accept_event AND l.at = b.at "
    "AND o.client_id = :client)"
)
"""Whether the batch accepted one of the client's orders: through its run of log rows."""
_COLUMNS = f"b.id, b.number, b.at, b.updated_at, {_STATUS_AS_OF}"


# --- statuses -----------------------------------------------------------------------------------


def statuses(q: str | None, client_id: str) -> list[dict[str, Any]]:
    """Every order status in the provider's `Status` shape, those `q`'s terms name.

    Raises:
        BadRequest: a bad `q`.
    """
    search = read_q(q, STATUS_FIELDS, searched=STATUS_WORDS, noun="statuses", client_id=client_id)
    if search.foreign:
        return []
    terms = search.values()
    found = []
    for number, status in enumerate(OrderStatus, start=1):
        row = {
            "id": number,
            "name": status.value,
            "group": STATUS_GROUP,
            "created_at": STATUSES_SINCE,
            "updated_at": STATUSES_SINCE,
        }
        if all(str(row[field]) in values for field, values in terms.items()) and search.found_in(
            [row[field] for field in STATUS_WORDS]
        ):
            found.append(row)
    return found


# --- batches ------------------------------------------------------------------------------------


def _where(
    filters: Mapping[str, Any] | None, q: str | None, client_id: str
) -> tuple[list[str], dict[str, Any]]:
    """The SQL conditions of a batch list's filters and `q` terms, with their parameters.

    Raises:
        BadRequest: an unknown filter, or a bad `q`.
    """
    given: list[tuple[str, tuple[str, ...]]] = []
    for key, value in (filters or {}).items():
        if key not in BATCH_FILTERS:
            known = ", ".join(BATCH_FILTERS)
            raise BadRequest(
                f"Unknown filter 'filter[{key}]'; batches can be filtered by: {known}.",
                f"filter[{key}]",
            )
        given.append((key, read_values(key, value)))
    search = read_q(q, BATCH_FILTERS, searched=BATCH_WORDS, noun="batches", client_id=client_id)
    given += search.equals
    parts: list[str] = ["0"] if search.foreign else []
    params: dict[str, Any] = {}
    for index, (key, values) in enumerate(given):
        names = [f"f{index}_{n}" for n in range(len(values))]
        parts.append(f"{_BATCH_SQL[key]} IN ({','.join(':' + name for name in names)})")
        params.update(zip(names, values, strict=True))
    parts += _word_parts(search, params)
    return parts, params


def _word_parts(search: Search, params: dict[str, Any]) -> list[str]:
    """The SQL conditions of `q`'s bare words, their parameters added to `params`."""
    parts = []
    for index, word in enumerate(search.words):
        params[f"w{index}"] = word
        # SQLite's `lower` folds ASCII letters only, as `_terms.fold` does.
        parts.append(
            "("
            + " OR ".join(
                f"instr(lower({_BATCH_SQL[field]}), :w{index}) > 0" for field in BATCH_WORDS
            )
            + ")"
        )
    return parts


def _render(row: tuple[Any, ...], client_id: str) -> dict[str, Any]:
    """A batch in the provider's `Batch` shape, from a row selected with `_COLUMNS`."""
    batch_id, number, at, updated_at, status = row
    return {
        "id": client_batch_id(batch_id, client_id),
        "client_id": client_id,
        "billing_id": None,
        "batch_status": status,
        "name": f"BT-{BATCH_NAME_BASE + number}",
        "crm_id": None,
        "created_at": iso(at),
        "updated_at": iso(updated_at if status == BATCH_BILLED else at),
    }


def _base(client_id: str, as_of: int) -> dict[str, Any]:
    return {"client": client_id, "accept_event": Event.ACCEPT.value, "as_of": as_of}


def batch_page(  # noqa: PLR0913 - the list's filters, page, client, sort and `q`
    world: World,
    filters: Mapping[str, Any] | None,
    limit: int,
    cursor: str | None,
    client: str | None,
    *,
    sort_by: str | None = None,
    q: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the batches that accepted the client's orders, and the next page's cursor.

    The first page pins the instant it was asked at: later pages list only batches that ran
    by then, judged by their status then, so none that matched is skipped.

    Raises:
        BadRequest: a bad filter, limit, cursor, `sort_by` or `q`.
    """
    sort = read_sort(sort_by, BATCH_SORTABLE, "batches")
    descending = sort is not None and sort[1]
    limit = check_limit(limit)
    with world.reading:
        client_id = world.client(client)
        parts, params = _where(filters, q, client_id)
        digest = fingerprint([parts, sorted(params.items()), descending])
        if cursor is None:
            as_of, after = world.stamp(), None
        else:
            as_of, after = _open_cursor(world, cursor, client_id, digest)
        parts = [_VISIBLE, "b.at <= :as_of", *parts]
        if after is not None:
            parts.append("b.at < :after" if descending else "b.at > :after")
        rows = world.store.conn.execute(
            f"SELECT {_COLUMNS} FROM batches b WHERE {' AND '.join(parts)} "  # noqa: S608
            f"ORDER BY b.at{' DESC' if descending else ''} LIMIT :limit",
            params | _base(client_id, as_of) | {"after": after, "limit": limit + 1},
        ).fetchall()
    found = [_render(row, client_id) for row in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        body = [_LISTING, client_id, digest, as_of, rows[limit - 1][2]]
        next_cursor = world.cursors.seal(json.dumps(body, separators=(",", ":")).encode())
    return found, next_cursor


def batch_count(
    world: World, filters: Mapping[str, Any] | None, client: str | None, q: str | None = None
) -> int:
    """How many batches that accepted the client's orders match the filters and `q` now.

    Raises:
        BadRequest: a bad filter or `q`.
    """
    with world.reading:
        client_id = world.client(client)
        parts, params = _where(filters, q, client_id)
        (found,) = world.store.conn.execute(
            f"SELECT COUNT(*) FROM batches b WHERE {' AND '.join([_VISIBLE, *parts])}",  # noqa: S608
            params | _base(client_id, world.stamp()),
        ).fetchone()
    return int(found)


def batch(world: World, batch_id: str, client: str | None) -> dict[str, Any]:
    """One batch that accepted the client's orders.

    Raises:
        NotFound: no such batch, or none of the client's orders was in it.
    """
    with world.reading:
        client_id = world.client(client)
        # A client's batch ids are not stored: the client's batches are few (one a night at
        # most), so each one's id is worked out and compared.
        rows = world.store.conn.execute(
            f"SELECT {_COLUMNS} FROM batches b WHERE {_VISIBLE}",  # noqa: S608
            _base(client_id, world.stamp()),
        ).fetchall()
    for row in rows:
        if client_batch_id(row[0], client_id) == batch_id:
            return _render(row, client_id)
    raise NotFound(f"No batch with id '{batch_id}'.")


def _open_cursor(world: World, text: str, client_id: str, digest: str) -> tuple[int, int]:
    """The instant and last batch a batch cursor holds, once its signature is checked.

    Raises:
        BadRequest: anything wrong with it, naming `cursor`.
    """
    body = world.cursors.open(text)
    try:
        fields = json.loads(body)
    except (ValueError, RecursionError):
        fields = None
    if not (
        isinstance(fields, list)
        and len(fields) == 5
        and fields[:3] == [_LISTING, client_id, digest]
        and all(type(value) is int and value >= 0 for value in fields[3:])
    ):
        raise bad_cursor(
            "it is not a cursor this server issued for this batch list, client, filters and sort"
        )
    return fields[3], fields[4]


# --- one order line, one log row ----------------------------------------------------------------


def order_line(world: World, line_id: str, client: str | None) -> dict[str, Any]:
    """One line of one of the client's orders, its lifecycle fields laid over it.

    Raises:
        NotFound: no such line of this client's orders.
    """
    codec = world.ids.codec
    order_seq, _number = _orders.line_key(codec, line_id)
    with world.reading:
        client_id = world.client(client)
        try:
            row = _rows.load_seq(world.store.conn, order_seq, client_id)
        except NotFound:
            row = None
    if row is not None:
        for line in row.document().get("order_lines", ()):
            if line["id"] == line_id:
                return dict(line)
    raise NotFound(f"No order line with id '{line_id}'.")


def transaction(world: World, log_id: str, client: str | None) -> dict[str, Any]:
    """One row of the transaction log of one of the client's orders.

    Raises:
        NotFound: no such row of this client's orders.
    """
    with world.reading:
        client_id = world.client(client)
        return _changes.transaction(world.store.conn, log_id, client_id, world.ids.codec)
