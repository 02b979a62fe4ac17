"""Pages and counts of the collections beside orders, through the engine.

Products, consumers, a consumer's addresses and fulfillments (all, or one order's), each
listed by `_collections` from its documents as of the first page's moment.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any

import attrs

from simulator import _catalogue, _consumer_addresses, _consumers, _fulfillments
from simulator._collections import (
    Collection,
    Items,
    Listing,
    PageRequest,
    moment,
    newest_seq,
    page,
    parse,
)
from simulator._collections import count as count_matching

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from simulator._world import World


class Listed(enum.Enum):
    """What a listing lists: a collection, within a parent for some."""

    PRODUCTS = "products"
    CONSUMERS = "consumers"
    ADDRESSES = "addresses"
    """A consumer's addresses: the scope is the consumer's id."""
    FULFILLMENTS = "fulfillments"
    """The client's fulfillments, or one order's when the scope is its id."""

    @property
    def collection(self) -> Collection:
        """How it is filtered, searched and sorted."""
        return _COLLECTIONS[self]


_COLLECTIONS = {
    Listed.PRODUCTS: _catalogue.COLLECTION,
    Listed.CONSUMERS: _consumers.COLLECTION,
    Listed.ADDRESSES: _consumer_addresses.COLLECTION,
    Listed.FULFILLMENTS: _fulfillments.COLLECTION,
}


@attrs.frozen
class Ask:
    """A listing request as a client sends it (checked by `parse`)."""

    listed: Listed
    scope: str | None = None
    """The parent's id: the consumer's (addresses), or an order's (its fulfillments)."""
    filters: Mapping[str, Any] | None = None
    q: str | None = None
    sort_by: str | None = None


@attrs.frozen
class Source:
    """Where a listing's items come from, for one client (and parent)."""

    items: Items
    newest: Callable[[], int]
    """The newest item's number now: a first page lists up to it."""
    total: Callable[[], int]
    """How many items there are now: the count of a listing that does not filter."""
    complete: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    """Finishes a shown item that `items` gave unfinished, if they need it."""


def list_page(
    world: World, ask: Ask, limit: int, cursor: str | None, client: str | None
) -> dict[str, Any]:
    """One page and the next page's cursor: `{<collection>: [...], "next_cursor": ...}`.

    Raises:
        NotFound: the scope is not one of the client's consumers or orders.
        BadRequest: a bad filter, `q`, `sort_by`, limit or cursor.
    """
    collection = ask.listed.collection
    with world.reading as conn:
        client_id = world.client(client)
        listing = _listing(ask, client_id)
        source = _source(world, ask, client_id)
        request = PageRequest(collection, listing, client_id, limit, cursor)
        docs, next_cursor = page(
            conn,
            request,
            lambda: moment(conn, world.stamp(), source.newest()),
            source.items,
            codec=world.cursors,
            complete=source.complete,
        )
    return {collection.name: docs, "next_cursor": next_cursor}


def count(world: World, ask: Ask, client: str | None) -> int:
    """How many of the client's items match now.

    Raises:
        NotFound: the scope is not one of the client's consumers or orders.
        BadRequest: a bad filter or `q`.
    """
    with world.reading as conn:
        client_id = world.client(client)
        listing = _listing(ask, client_id)
        source = _source(world, ask, client_id)
        if listing.plain:
            return source.total()
        now = moment(conn, world.stamp(), source.newest())
        return count_matching(ask.listed.collection, listing, source.items(conn, now, None))


def _listing(ask: Ask, client_id: str) -> Listing:
    collection = ask.listed.collection
    return parse(
        collection,
        filters=ask.filters,
        q=ask.q,
        sort_by=ask.sort_by,
        scope=ask.scope or "",
        client_id=client_id,
    )


def _source(world: World, ask: Ask, client_id: str) -> Source:
    """Where the listed items come from.

    Raises:
        NotFound: the scope is not the client's.
    """
    conn = world.store.conn
    listed = ask.listed
    if listed is Listed.PRODUCTS:
        catalogue = _catalogue.as_of(world.seed, client_id)
        return Source(lambda _conn, _at, _window: catalogue, lambda: 0, lambda: len(catalogue))
    if listed is Listed.CONSUMERS:
        return Source(
            lambda conn, at, window: _consumers.as_of(conn, client_id, at, window),
            lambda: newest_seq(conn, "consumers"),
            lambda: _consumers.total(conn, client_id),
        )
    if listed is Listed.ADDRESSES:
        consumer = world.consumer_key(ask.scope)
        _consumers.get(conn, consumer, client_id)
        return Source(
            lambda conn, at, window: _consumer_addresses.as_of(conn, consumer, at, window),
            lambda: newest_seq(conn, "consumer_addresses"),
            lambda: _consumer_addresses.total(conn, consumer[0]),
        )
    order_seq = None if ask.scope is None else world.load(ask.scope, client_id).seq
    parcels = _fulfillments.Parcels(client_id, order_seq)
    return Source(
        parcels.as_of,
        lambda: 0,  # parcels are judged by when they shipped (`Moment.at`), not by number
        lambda: _fulfillments.total(conn, client_id, order_seq),
        parcels.complete,
    )
