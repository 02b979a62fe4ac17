"""Listing the collections beside orders: products, consumers, their addresses, fulfillments.

One way for all of them: `filter[...]` equality and date ranges (the orders' syntax), `q`
(query_string terms), `sort_by`, and pages whose signed cursor pins the moment of the first
page, so an item that matched then is never skipped, however it changes while the client pages.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from lifecycle._instant import parse_instant
from simulator import _changes
from simulator._errors import BadRequest, NotFound
from simulator._listing import OPERATORS, check_limit
from simulator._paging import MAX_POSITION, bad_cursor
from simulator._timefmt import to_micros

if TYPE_CHECKING:
    import sqlite3

    from simulator._paging import CursorCodec

MAX_Q_CHARS = 500
"""Longer `q` text is refused before it is read."""
_TERM = re.compile(
    r'\s*(?:(?P<field>[A-Za-z_][A-Za-z0-9_.]*):)?(?:"(?P<quoted>[^"]*)"|(?P<bare>[^\s":]+))'
)
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

    def names(self, *, sortable: bool = False) -> list[str]:
        """Its fields' names that `q` takes (all but dates), or the sortable ones."""
        if sortable:
            return [field.name for field in self.fields if field.sortable]
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


def moment(conn: sqlite3.Connection, at: int, newest: int) -> Moment:
    """The moment of a first page: now, with the newest change rows and item."""
    (versions,) = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM doc_versions").fetchone()
    return Moment(versions, _changes.last_seq(conn), at, newest)


@attrs.frozen
class Listing:
    """A checked listing request: filters, `q` terms, sort order, and what it lists within."""

    equals: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    ranges: tuple[tuple[str, str, int], ...] = ()
    terms: tuple[tuple[str | None, str], ...] = ()
    """(field, value) terms of `q`; a field of None searches every searched text field."""
    sort: tuple[str, bool] | None = None
    """(field, descending), or None for oldest first."""
    scope: str = ""
    """The parent it lists within (an order's or consumer's id), for the cursor's check."""
    foreign: bool = False
    """Whether `q` names another client (`client_id:<id>`): then nothing matches."""

    def fingerprint(self) -> str:
        """A short digest that ties a cursor to the request it was made for."""
        text = json.dumps(
            [self.equals, self.ranges, self.terms, self.sort, self.scope, self.foreign],
            separators=(",", ":"),
            default=str,
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def matches(self, collection: Collection, doc: Mapping[str, Any]) -> bool:
        """Whether a document passes every filter and every `q` term."""
        if self.foreign:
            return False
        for name, accepted in self.equals:
            if _comparable(collection.field(name), doc) not in accepted:
                return False
        for name, operator, bound in self.ranges:
            value = _comparable(collection.field(name), doc)
            if value is None or not _in_range(value, operator, bound):
                return False
        return all(_term_matches(collection, field, text, doc) for field, text in self.terms)

    @property
    def plain(self) -> bool:
        """Whether it neither filters, searches nor sorts: every item, oldest first."""
        return not (self.equals or self.ranges or self.terms or self.sort or self.foreign)


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


def _in_range(value: int, operator: str, bound: int) -> bool:
    return bool(
        {"gte": value >= bound, "gt": value > bound, "lte": value <= bound, "lt": value < bound}[
            operator
        ]
    )


def _term_matches(
    collection: Collection, name: str | None, text: str, doc: Mapping[str, Any]
) -> bool:
    if name is not None:
        field = collection.field(name)
        return field is not None and _comparable(field, doc) == _read(field, text, "q")
    wanted = text.casefold()
    return any(
        isinstance(value := field.value(doc), str) and wanted in value.casefold()
        for field in collection.fields
        if field.searched
    )


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
        q: query_string terms: `field:value` (or `field:"two words"`) must equal, a bare word
            (or `"a phrase"`) must appear in one of the searched text fields; all must hold.
        sort_by: a sortable field, ascending, or `-field`, descending.
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
            ranges.extend(_ranges(field, value))
        else:
            equals.append((key, _equal_values(field, value)))
    terms, foreign = _client_terms(_terms(collection, q), client_id)
    return Listing(
        tuple(sorted(equals, key=lambda item: item[0])),
        tuple(sorted(ranges)),
        terms,
        _sort(collection, sort_by),
        scope,
        foreign,
    )


Terms = tuple[tuple[str | None, str], ...]
CLIENT_FIELD = "client_id"
"""The `q` field the provider's internal users name a client by, taken on every route."""


def _client_terms(terms: Terms, client_id: str) -> tuple[Terms, bool]:
    """The terms but `client_id` ones, and whether one of those names another client."""
    rest = tuple((name, text) for name, text in terms if name != CLIENT_FIELD)
    foreign = any(name == CLIENT_FIELD and text != client_id for name, text in terms)
    return rest, foreign


def _equal_values(field: Field, value: Any) -> tuple[Any, ...]:  # noqa: ANN401
    name = f"filter[{field.name}]"
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not items:
        raise BadRequest(f"{name} needs a value.", name)
    found: list[Any] = []
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise BadRequest(f"{name} values must be non-empty text.", name)
        found.append(_read(field, item.strip(), name))
    return tuple(dict.fromkeys(found))


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


def _ranges(field: Field, value: Any) -> list[tuple[str, str, int]]:  # noqa: ANN401
    key = field.name
    if not isinstance(value, Mapping) or not value:
        raise BadRequest(
            f"filter[{key}] needs an operator: filter[{key}][gte|gt|lte|lt]=<ISO 8601>.",
            f"filter[{key}]",
        )
    found: list[tuple[str, str, int]] = []
    for operator, bound in value.items():
        name = f"filter[{key}][{operator}]"
        if operator not in OPERATORS:
            raise BadRequest(f"Unknown operator in {name}; use one of: gte, gt, lte, lt.", name)
        found.append((key, operator, _instant(name, bound)))
    return found


def _instant(name: str, bound: Any) -> int:  # noqa: ANN401
    try:
        return to_micros(parse_instant(bound, name))
    except ValueError as error:
        raise BadRequest(str(error), name) from None


def _terms(collection: Collection, q: str | None) -> Terms:
    """The terms of a `q`, each checked.

    Raises:
        BadRequest: naming `q`: too long, empty, an unclosed quote, an unknown field.
    """
    if q is None:
        return ()
    if len(q) > MAX_Q_CHARS:
        raise BadRequest(f"q is longer than {MAX_Q_CHARS} characters.", "q")
    terms: list[tuple[str | None, str]] = []
    position = 0
    rest = q.rstrip()
    while position < len(rest):
        match = _TERM.match(rest, position)
        if match is None:
            raise BadRequest(
                f"q: cannot read {rest[position : position + 40].strip()!r}; write field:value, "
                'field:"two words", a word, or "a phrase", separated by spaces.',
                "q",
            )
        name = match["field"]
        text = match["quoted"] if match["quoted"] is not None else match["bare"]
        if name is not None and name != CLIENT_FIELD:
            field = collection.field(name)
            if field is None or field.kind is Kind.INSTANT:
                known = ", ".join(collection.names())
                raise BadRequest(
                    f"q: {collection.name} cannot be searched by '{name}'; fields are: {known} "
                    "(dates: use filter[field][gte|gt|lte|lt]).",
                    "q",
                )
            _read(field, text, "q")
        if not text:
            raise BadRequest('q: an empty "" term matches nothing; leave it out.', "q")
        terms.append((name, text))
        position = match.end()
    if not terms:
        raise BadRequest("q is empty; leave it out to list everything.", "q")
    return tuple(terms)


def _sort(collection: Collection, sort_by: str | None) -> tuple[str, bool] | None:
    if sort_by is None:
        return None
    descending = sort_by.startswith("-")
    name = sort_by.removeprefix("-")
    field = collection.field(name)
    if field is None or not field.sortable:
        known = ", ".join(collection.names(sortable=True))
        raise BadRequest(
            f"sort_by: {collection.name} can be sorted by {known} (prefix '-' for descending), "
            f"not {sort_by[:60]!r}.",
            "sort_by",
        )
    return name, descending


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


def check_client_q(q: str | None, client_id: str, noun: str) -> None:
    """Check the `q` of a single-resource route: internal users name the client with it.

    Accepts `client_id:<id>` terms naming the token's own client (they change nothing).

    Raises:
        BadRequest: naming `q`, for anything but `client_id:<id>` terms.
        NotFound: `q` names another client: this client has no such resource.
    """
    if q is None:
        return
    rest, foreign = _client_terms(_terms(_CLIENT_ONLY, q), client_id)
    if rest:
        raise BadRequest(
            "q: on this route q only takes client_id:<your client id> (the provider's "
            "internal users name a client so); leave it out.",
            "q",
        )
    if foreign:
        raise NotFound(f"No {noun} for the client q names; q may name only your own client.")


_CLIENT_ONLY = Collection("this route", "resource", ())


def window_sql(column: str, window: Window) -> tuple[str, list[int]]:
    """The end of a query reading items in `column` order, within a window if there is one."""
    if window is None:
        return f" ORDER BY {column}", []
    after, most = window
    return f" AND {column} > ? ORDER BY {column} LIMIT ?", [after, most]
