"""Listing the collections beside orders: products, consumers, their addresses, fulfillments.

One way for all of them: `filter[...]` equality and date ranges (the orders' syntax), `q`
(query_string terms), `sort_by`, and pages whose signed cursor pins the moment of the first
page, so an item that matched then is never skipped, however it changes while the client pages.
"""

from __future__ import annotations

import enum
import functools
import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from simulator import _changes
from simulator._errors import BadRequest
from simulator._listing import check_limit
from simulator._paging import MAX_POSITION, bad_cursor
from simulator._terms import (
    fingerprint,
    in_range,
    read_q,
    read_ranges,
    read_sort,
    read_values,
    words_found,
)
from simulator._timefmt import to_micros

if TYPE_CHECKING:
    import sqlite3

    from simulator._paging import CursorCodec

_TRUE_FALSE = {"true": True, "false": False}


class Kind(enum.Enum):
    """What a field holds, which decides how a filter value is read and compared."""

    TEXT = "text"
    BOOLEAN = "boolean"
    INSTANT = "instant"
    """Filtered by range only: `filter[field][gte|gt|lte|lt]=<ISO 8601>`."""


@attrs.frozen
class Field:
    """A field of a collection's documents that a listing can filter, search or sort by."""

    name: str
    """As `filter[name]`, `q=name:value` and `sort_by=name` spell it."""
    kind: Kind = Kind.TEXT
    path: tuple[str, ...] = ()
    """Where the value is in the document; empty for the top-level key `name`."""
    sortable: bool = False
    searched: bool = False
    """Whether a bare word of `q` looks in it."""

    def value(self, doc: Mapping[str, Any]) -> Any:  # noqa: ANN401 - a document's value
        """The field's value in a document, or None when it has none."""
        found: Any = doc
        for key in self.path or (self.name,):
            if not isinstance(found, Mapping):
                return None
            found = found.get(key)
        return found


@attrs.frozen
class Collection:
    """A listable collection: its name (the list's key) and the fields it is queried by."""

    name: str
    noun: str
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field | None:
        """The field of this name, if it is one."""
        return next((field for field in self.fields if field.name == name), None)

    def names(self, *, sortable: bool = False, searched: bool = False) -> list[str]:
        """Its fields' names that `q` takes (all but dates), the sortable or searched ones."""
        if sortable:
            return [field.name for field in self.fields if field.sortable]
        if searched:
            return [field.name for field in self.fields if field.searched]
        return [field.name for field in self.fields if field.kind is not Kind.INSTANT]


@attrs.frozen
class Moment:
    """What a listing's first page saw: the newest change rows and item, and the time."""

    versions: int
    """The newest `doc_versions` row (consumers and addresses changed later are judged by it)."""
    log: int
    """The newest order-log row (fulfillments are judged by their order's status then)."""
    at: int
    """The simulated time, in microseconds (fulfillments made later are not listed)."""
    newest: int
    """The newest item's `seq` (items made later are not listed)."""


Window = tuple[int, int] | None
"""Only the first so many items after a `seq`: `(after, most)`; None for all of them."""
Items = Callable[["sqlite3.Connection", Moment, Window], list[tuple[int, dict[str, Any]]]]
"""A collection's items as they were at a moment, as `(seq, document)` in `seq` order, all
of them or those in a window (a listing that neither filters nor sorts needs no more)."""


def newest_seq(conn: sqlite3.Connection, table: str) -> int:
    """The newest row's number in one of the store's tables (0 for none)."""
    # A listing's first page lists up to it. The table is one of ours, never the client's.
    sql = f"SELECT COALESCE(MAX(seq), 0) FROM {table}"  # noqa: S608
    (number,) = conn.execute(sql).fetchone()
    return int(number)


def moment(conn: sqlite3.Connection, at: int, newest: int) -> Moment:
    """The moment of a first page: now, with the newest change rows and item."""
    return Moment(newest_seq(conn, "doc_versions"), _changes.last_seq(conn), at, newest)


@attrs.frozen
class Listing:
    """A checked listing request: filters, `q` terms, sort order, and what it lists within."""

    equals: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    """(field, accepted values) of the filters and of `q`'s `field:value` terms."""
    ranges: tuple[tuple[str, str, int], ...] = ()
    words: tuple[str, ...] = ()
    """Bare words of `q`, folded: each must appear in one of the searched text fields."""
    sort: tuple[str, bool] | None = None
    """(field, descending), or None for oldest first."""
    scope: str = ""
    """The parent it lists within (an order's or consumer's id), for the cursor's check."""
    foreign: bool = False
    """Whether `q` names another client (`client_id:<id>`): then nothing matches."""

    def fingerprint(self) -> str:
        """A short digest that ties a cursor to the request it was made for."""
        return fingerprint(
            [self.equals, self.ranges, self.words, self.sort, self.scope, self.foreign]
        )

    def matches(self, collection: Collection, doc: Mapping[str, Any]) -> bool:
        """Whether a document passes every filter and every `q` term."""
        if self.foreign:
            return False
        for name, accepted in self.equals:
            if _comparable(collection.field(name), doc) not in accepted:
                return False
        for name, operator, bound in self.ranges:
            value = _comparable(collection.field(name), doc)
            if value is None or not in_range(value, operator, bound):
                return False
        return not self.words or words_found(
            self.words, [field.value(doc) for field in collection.fields if field.searched]
        )

    @property
    def plain(self) -> bool:
        """Whether it neither filters, searches nor sorts: every item, oldest first."""
        return not (self.equals or self.ranges or self.words or self.sort or self.foreign)


def _comparable(field: Field | None, doc: Mapping[str, Any]) -> Any:  # noqa: ANN401
    """A field's value as filters compare it: instants in microseconds."""
    if field is None:
        return None
    value = field.value(doc)
    if value is None:
        return None
    if field.kind is Kind.INSTANT:
        return to_micros(datetime.fromisoformat(value))
    return value


# --- reading a request ------------------------------------------------------------------------


def parse(  # noqa: PLR0913 - what is listed, and each parameter of the request
    collection: Collection,
    *,
    filters: Mapping[str, Any] | None = None,
    q: str | None = None,
    sort_by: str | None = None,
    scope: str = "",
    client_id: str = "",
) -> Listing:
    """Check and read a listing request.

    Args:
        collection: what is listed.
        filters: `{"email": ["a@b.c"], "created_at": {"gte": "2026-..."}}`, as
            `simulator.http._query.collection_filters` reads them.
        q: read by `_terms.read_q`: `field:value` terms over the fields but dates, bare
            words in the searched fields.
        sort_by: read by `_terms.read_sort`.
        scope: the parent listed within.
        client_id: whose items are listed: a `q` term `client_id:<id>` (how the provider's
            internal users name a client) changes nothing when it names this client, and
            matches nothing when it names another.

    Raises:
        BadRequest: an unknown filter, operator, field or sort; a bad value; a bad `q`.
    """
    equals: list[tuple[str, tuple[Any, ...]]] = []
    ranges: list[tuple[str, str, int]] = []
    for key, value in (filters or {}).items():
        field = collection.field(key)
        name = f"filter[{key}]"
        if field is None:
            known = ", ".join(field.name for field in collection.fields)
            raise BadRequest(
                f"Unknown filter '{name}'; {collection.name} can be filtered by: {known}.", name
            )
        if field.kind is Kind.INSTANT:
            ranges.extend(read_ranges(key, value))
        else:
            equals.append((key, _read_all(field, read_values(key, value), name)))
    search = read_q(
        q,
        collection.names(),
        searched=collection.names(searched=True),
        noun=collection.name,
        client_id=client_id,
    )
    for key, values in search.equals:
        field = collection.field(key)
        assert field is not None  # noqa: S101 - read_q takes only the collection's fields
        equals.append((key, _read_all(field, values, "q")))
    return Listing(
        tuple(sorted(equals, key=lambda item: item[0])),
        tuple(sorted(ranges)),
        search.words,
        read_sort(sort_by, collection.names(sortable=True), collection.name),
        scope,
        search.foreign,
    )


def _read_all(field: Field, texts: tuple[str, ...], name: str) -> tuple[Any, ...]:
    return tuple(dict.fromkeys(_read(field, text, name) for text in texts))


def _read(field: Field, text: str, name: str) -> Any:  # noqa: ANN401
    """A filter value's text as the field's kind.

    Raises:
        BadRequest: not a value of that kind, naming `name`.
    """
    if field.kind is Kind.BOOLEAN:
        if text not in _TRUE_FALSE:
            raise BadRequest(f"{name}: {field.name} is true or false, not {text[:40]!r}.", name)
        return _TRUE_FALSE[text]
    return text


# --- pages and counts -------------------------------------------------------------------------


def count(collection: Collection, listing: Listing, docs: list[tuple[int, dict[str, Any]]]) -> int:
    """How many of the documents match."""
    return sum(1 for _seq, doc in docs if listing.matches(collection, doc))


@attrs.frozen
class PageRequest:
    """Who asks for which page of what."""

    collection: Collection
    listing: Listing
    client_id: str
    limit: int
    cursor: str | None


def page(  # noqa: PLR0913 - the store, the request, and the collection's three hooks
    conn: sqlite3.Connection,
    request: PageRequest,
    first: Callable[[], Moment],
    items: Items,
    *,
    codec: CursorCodec,
    complete: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of documents and the next page's cursor (None on the last page).

    Args:
        conn: the store, read under the world's lock.
        request: the request.
        first: the moment of a first page (now).
        items: the collection's items as of a moment.
        codec: signs and checks the cursors.
        complete: finishes a shown document that `items` gave unfinished (None: they are).

    Raises:
        BadRequest: a bad limit or cursor.
    """
    limit = check_limit(request.limit)
    fingerprint = request.listing.fingerprint()
    if request.cursor is None:
        at, after = first(), None
    else:
        at, after = _decode(codec, request, fingerprint)
    collection, listing = request.collection, request.listing
    # Unfiltered and oldest first, the page is the next items by `seq`: read only those.
    window = (0 if after is None else after[2], limit + 1) if listing.plain else None
    found = [
        (_position(collection, listing, seq, doc), doc)
        for seq, doc in items(conn, at, window)
        if listing.matches(collection, doc)
    ]
    descending = listing.sort is not None and listing.sort[1]
    key = functools.cmp_to_key(_descending if descending else _ascending)
    found.sort(key=lambda item: key(item[0]))
    if after is not None:
        found = [item for item in found if _compare(item[0], after, descending=descending) > 0]
    shown = found[:limit]
    next_cursor = None
    if len(found) > limit:
        next_cursor = _encode(codec, request, fingerprint, at, shown[-1][0])
    docs = [doc for _position_, doc in shown]
    return (docs if complete is None else [complete(doc) for doc in docs]), next_cursor


Position = tuple[bool, Any, int]
"""Where an item sorts: whether it lacks the sort value, the value, its `seq`."""


def _position(
    collection: Collection, listing: Listing, seq: int, doc: Mapping[str, Any]
) -> Position:
    if listing.sort is None:
        return (False, None, seq)
    value = _comparable(collection.field(listing.sort[0]), doc)
    if isinstance(value, str):
        value = value.casefold()
    return (value is None, value, seq)


def _ascending(a: Position, b: Position) -> int:
    return _compare(a, b, descending=False)


def _descending(a: Position, b: Position) -> int:
    return _compare(a, b, descending=True)


def _compare(a: Position, b: Position, *, descending: bool) -> int:
    """Items with the sort value first (in its order), then without; ties oldest first."""
    if a[0] != b[0]:
        return 1 if a[0] else -1
    if not a[0] and a[1] != b[1]:
        less = a[1] < b[1]
        return (1 if less else -1) if descending else (-1 if less else 1)
    return (a[2] > b[2]) - (a[2] < b[2])


def _encode(
    codec: CursorCodec, request: PageRequest, fingerprint: str, at: Moment, after: Position
) -> str:
    fields = [
        request.collection.name,
        request.client_id,
        fingerprint,
        [at.versions, at.log, at.at, at.newest],
        list(after),
    ]
    return codec.seal(json.dumps(fields, separators=(",", ":")).encode())


def _decode(codec: CursorCodec, request: PageRequest, fingerprint: str) -> tuple[Moment, Position]:
    """The moment and position a cursor holds, checked as untrusted input.

    Raises:
        BadRequest: naming `cursor`.
    """
    assert request.cursor is not None  # noqa: S101 - only called with one
    body = codec.open(request.cursor)
    try:
        fields = json.loads(body)
    except (ValueError, RecursionError):
        raise bad_cursor("its contents are not a cursor") from None
    if not isinstance(fields, list) or len(fields) != 5:
        raise bad_cursor("its contents are not a cursor")
    listing, owner, digest, pins, after = fields
    if listing != request.collection.name:
        raise bad_cursor(f"it pages another list, not {request.collection.name}")
    if owner != request.client_id:
        raise bad_cursor("it belongs to another client")
    if digest != fingerprint:
        raise bad_cursor("it was made for other filters; repeat the first request's parameters")
    if not _numbers(pins, 4) or not isinstance(after, list) or len(after) != 3:
        raise bad_cursor("its positions are not whole numbers in range")
    missing, value, seq = after
    if not isinstance(missing, bool) or not _numbers([seq], 1):
        raise bad_cursor("its positions are not whole numbers in range")
    if value is not None and not isinstance(value, str | int | float | bool):
        raise bad_cursor("its contents are not a cursor")
    return Moment(*pins), (missing, value, seq)


def _numbers(values: object, size: int) -> bool:
    return (
        isinstance(values, list)
        and len(values) == size
        and all(
            isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_POSITION
            for value in values
        )
    )


# --- documents as of a moment -----------------------------------------------------------------


def record_version(conn: sqlite3.Connection, kind: str, item_seq: int, old_doc: str) -> None:
    """Keep a document's text as it was before a change (in the caller's transaction)."""
    conn.execute(
        "INSERT INTO doc_versions (kind, item_seq, doc) VALUES (?, ?, ?)", (kind, item_seq, old_doc)
    )


def versions_then(conn: sqlite3.Connection, kind: str, at: Moment) -> dict[int, str]:
    """For items of a kind changed since the moment: their document text then."""
    then: dict[int, str] = {}
    for item_seq, doc in conn.execute(
        "SELECT item_seq, doc FROM doc_versions WHERE seq > ? AND kind = ? ORDER BY seq",
        (at.versions, kind),
    ):
        then.setdefault(item_seq, doc)
    return then


def window_sql(column: str, window: Window) -> tuple[str, list[int]]:
    """The end of a query reading items in `column` order, within a window if there is one."""
    if window is None:
        return f" ORDER BY {column}", []
    after, most = window
    return f" AND {column} > ? ORDER BY {column} LIMIT ?", [after, most]
