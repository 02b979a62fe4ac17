"""Reading orders through the engine: one, a page, a count, and their parcels, log and history."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import attrs

from simulator import _changes, _fulfillments, _paging, _rows
from simulator._errors import BadRequest
from simulator._listing import check_limit, order_query
from simulator._terms import read_q
from simulator._timefmt import from_micros, to_micros

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from simulator._rows import OrderRow
    from simulator._world import World


def order_row(world: World, order_id: str, client: str | None) -> OrderRow:
    """One of the client's orders as stored (document not decoded yet).

    Raises:
        NotFound: no such order for this client.
    """
    with world.reading:
        return world.load(order_id, world.client(client))


def order_row_by_custom_id(world: World, custom_id: str, client: str | None) -> OrderRow:
    """The client's order with this `client_custom_order_id`.

    Raises:
        NotFound: the client has no such order.
    """
    with world.reading:
        return _rows.by_custom_id(world.store.conn, custom_id, world.client(client))


def count(
    world: World, filters: Mapping[str, Any] | None, client: str | None, q: str | None = None
) -> int:
    """How many of the client's orders match the filters and `q` now.

    Raises:
        BadRequest: a bad filter or `q`.
    """
    with world.reading:
        client_id = world.client(client)
        return _rows.count(
            world.store.conn, client_id, order_query(filters, q, client_id=client_id)
        )


def page(  # noqa: PLR0913 - the list's filters, page, client, and its `sort_by` and `q`
    world: World,
    filters: Mapping[str, Any] | None,
    limit: int,
    cursor: str | None,
    client: str | None,
    *,
    sort_by: str | None = None,
    q: str | None = None,
) -> tuple[list[OrderRow], str | None]:
    """One page's rows (documents not decoded yet) and the next page's cursor.

    Raises:
        BadRequest: a bad filter, limit, cursor, `sort_by` or `q`.
    """
    with world.reading:
        client_id = world.client(client)
        query = order_query(filters, q, sort_by, client_id)
        limit = check_limit(limit)
        conn = world.store.conn
        if cursor is None:
            state = _paging.fresh_cursor(conn, client_id, query)
        else:
            state = world.cursors.decode(cursor, client_id, query.fingerprint())
        rows = list(_paging.matching(conn, query, state, limit + 1))
        found = rows[:limit]
        next_cursor = None
        if len(rows) > limit:
            next_cursor = world.cursors.encode(attrs.evolve(state, after=found[-1].seq))
    # Documents are decoded or spliced by the caller, after the lock is free again.
    return found, next_cursor


def page_json(rows: list[OrderRow], next_cursor: str | None) -> bytes:
    """A page as `list_orders` answers it, in UTF-8 JSON spliced from the stored documents."""
    # One join, so one page-sized allocation: each extra copy of ~190 KB costs more than the
    # splicing (the allocator hands such blocks back to the system and faults them in again
    # every time).
    parts: list[bytes | memoryview] = [b'{"orders":[']
    for row in rows:
        parts.extend(row.json_parts())
        parts.append(b",")
    if rows:
        parts.pop()
    parts.append(f'],"next_cursor":{json.dumps(next_cursor)}}}'.encode())
    return b"".join(parts)


def fulfillments(world: World, order_id: str | None, client: str | None) -> list[dict[str, Any]]:
    """The client's fulfillments, oldest first, optionally of one order.

    Raises:
        NotFound: `order_id` is not one of the client's orders.
    """
    with world.reading:
        client_id = world.client(client)
        seq = None if order_id is None else world.load(order_id, client_id).seq
        return _fulfillments.list_for(world.store.conn, client_id, seq)


def fulfillment(world: World, fulfillment_id: str, client: str | None) -> dict[str, Any]:
    """One of the client's fulfillments.

    Raises:
        NotFound: no such fulfillment for this client.
    """
    with world.reading:
        number = world.ids.number_of("fulfillment", fulfillment_id)
        return _fulfillments.get(world.store.conn, number, fulfillment_id, world.client(client))


LOG_SEARCH = ("entity_id", "column_name", "event_type", "event", "actor")
"""What `q`'s `field:value` terms name in an order's transaction log (`entity_id`: the order)."""
LOG_WORDS = ("column_name", "event")
"""What a bare word of `q` looks in, in an order's transaction log."""


def transaction_logs(
    world: World, order_id: str | None, client: str | None, q: str | None = None
) -> list[dict[str, Any]]:
    """An order's transaction log in the provider's shape: one row per changed field.

    Args:
        world: the world.
        order_id: the order (`filter[entity_id]`), or None when `q` names it.
        client: the client.
        q: `field:value` terms over `LOG_SEARCH` and words in `LOG_WORDS`, all of which a
            row must match.

    Raises:
        NotFound: no such order for this client.
        BadRequest: a bad `q`, or not exactly one order named.
    """
    with world.reading:
        client_id = world.client(client)
    search = read_q(q, LOG_SEARCH, searched=LOG_WORDS, noun="transaction logs", client_id=client_id)
    terms = search.values()
    named = {order_id} - {None} | set(terms.pop("entity_id", ()))
    if len(named) != 1:
        raise BadRequest(
            "Name one order, with filter[entity_id]=<order id> or q=entity_id:<order id>: "
            "the simulator lists one order's log at a time.",
            "filter[entity_id]",
            "order_not_named",
        )
    (chosen,) = named
    with world.reading:
        row = world.load(str(chosen), client_id)
        codec = world.ids.codec
        found = _changes.transaction_rows(world.store.conn, (row.seq, row.id), client_id, codec)
    return [
        entry
        for entry in found
        if not search.foreign
        and all(str(entry[field]) in values for field, values in terms.items())
        and search.found_in([entry[field] for field in LOG_WORDS])
    ]


def history(world: World, order_id: str) -> list[dict[str, Any]]:
    """Every status change of an order, oldest first, with event, actor and reason.

    Raises:
        NotFound: no such order.
    """
    with world.reading:
        return _changes.status_history(world.store.conn, world.load(order_id, None).seq)


def changes(
    world: World, client: str, since: datetime
) -> dict[str, list[tuple[datetime, str | None]]]:
    """Every change to the client's orders from `since` on, by order id (the advisor's view)."""
    with world.reading:
        found = _changes.client_changes(world.store.conn, world.client(client), to_micros(since))
    return {
        order_id: [(from_micros(at), status) for at, status in moves]
        for order_id, moves in found.items()
    }
