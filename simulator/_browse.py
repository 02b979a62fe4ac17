"""Pages and counts of the collections beside orders, through the engine.

Products, consumers, a consumer's addresses and fulfillments (all, or one order's), each
listed by `_collections` from its documents as of the first page's moment.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any

import attrs

from simulator import _catalogue, _consumer_addresses, _consumers, _fulfillments
from simulator._collections import Collection, Listing, PageRequest, moment, page, parse
from simulator._collections import count as count_matching

if TYPE_CHECKING:
    from collections.abc import Mapping

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
        listing = _listing(ask)
        items, newest = _source(world, ask, client_id)
        request = PageRequest(collection, listing, client_id, limit, cursor)
        docs, next_cursor = page(
            conn,
            request,
            lambda: moment(conn, world.stamp(), newest()),
            items,
            world.cursors,
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
        listing = _listing(ask)
        items, newest = _source(world, ask, client_id)
        now = moment(conn, world.stamp(), newest())
        return count_matching(ask.listed.collection, listing, items(conn, now))


def _listing(ask: Ask) -> Listing:
    return parse(ask.listed.collection, ask.filters, ask.q, ask.sort_by, ask.scope or "")


def _source(world: World, ask: Ask, client_id: str) -> tuple[Any, Any]:
    """The listed items as of a moment, and the newest item's number now (for the moment).

    Raises:
        NotFound: the scope is not the client's.
    """
    conn = world.store.conn
    listed = ask.listed
    if listed is Listed.PRODUCTS:
        catalogue = _catalogue.as_of(world.seed, client_id)
        return (lambda _conn, _at: catalogue), lambda: len(catalogue)
    if listed is Listed.CONSUMERS:
        return (
            lambda conn, at: _consumers.as_of(conn, client_id, at),
            lambda: _consumers.newest(conn),
        )
    if listed is Listed.ADDRESSES:
        consumer = world.consumer_key(ask.scope)
        _consumers.get(conn, consumer, client_id)
        return (
            lambda conn, at: _consumer_addresses.as_of(conn, consumer[0], at),
            lambda: _consumer_addresses.newest(conn),
        )
    order_seq = None if ask.scope is None else world.load(ask.scope, client_id).seq
    return (
        lambda conn, at: _fulfillments.as_of(conn, client_id, order_seq, at),
        lambda: 0,
    )
