"""The one reader of every list's `q`, `sort_by`, filter values and ranges, and their digest.

Orders, batches, statuses, transaction logs, products, consumers, addresses and fulfillments
all read their query parameters here, so one grammar and one error wording hold everywhere.
"""

from __future__ import annotations

import hashlib
import json
import re
import string
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from lifecycle._instant import parse_instant
from simulator._errors import BadRequest, NotFound
from simulator._timefmt import to_micros

if TYPE_CHECKING:
    from collections.abc import Sequence

MAX_Q_CHARS = 500
"""Longer `q` text is refused before it is read."""
CLIENT_FIELD = "client_id"
"""The `q` field the provider's internal users name a client by, taken on every route."""
OPERATORS: dict[str, str] = {"gte": ">=", "gt": ">", "lte": "<=", "lt": "<"}
"""The range operators of `filter[field][operator]`, as SQL spells them."""
OPERATOR_WORDS = {"gte": "at or after", "gt": "after", "lte": "at or before", "lt": "before"}
_DIRECTIONS = {"asc": False, "desc": True}
_TERM = re.compile(
    r'\s*(?:(?P<field>[A-Za-z_][A-Za-z0-9_.]*):(?:"(?P<quoted>[^"]*)"|(?P<value>[^\s"]+))'
    r'|"(?P<phrase>[^"]*)"|(?P<word>[^\s":]+))'
)
"""One term: `field:value`, `field:"two words"`, `"a phrase"` or a word (a quote also ends
a word, as spaces do: `vitamin"c"` is two terms)."""
_AND = "AND"
"""query_string's conjunction: every term must hold anyway, so it may be written or not."""
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def fold(text: str) -> str:
    """Text as a bare word compares it: ASCII letters in lower case (as SQLite's `lower`)."""
    return text.translate(_ASCII_LOWER)


# --- q ------------------------------------------------------------------------------------------


@attrs.frozen
class Search:
    """A `q`, read: field terms, bare words, and whether it names another client."""

    equals: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """(field, values) by field name: a field given twice matches either value."""
    words: tuple[str, ...] = ()
    """Words and phrases, folded: each must appear in one of the list's searched fields."""
    foreign: bool = False
    """Whether a `client_id:<id>` term names another client: then nothing matches."""

    def values(self) -> dict[str, list[str]]:
        """The field terms as `{field: [values]}` (the filters' shape)."""
        return {field: list(values) for field, values in self.equals}

    def found_in(self, texts: Sequence[object]) -> bool:
        """Whether every word appears in one of these texts (non-text values never match)."""
        return words_found(self.words, texts)


def words_found(words: Sequence[str], texts: Sequence[object]) -> bool:
    """Whether every folded word appears in one of the texts (non-text values never match)."""
    folded = [fold(text) for text in texts if isinstance(text, str)]
    return all(any(word in text for text in folded) for word in words)


def read_q(
    q: str | None,
    fields: Sequence[str],
    *,
    searched: Sequence[str] = (),
    noun: str,
    client_id: str | None = None,
) -> Search:
    """Read a `q`: terms separated by spaces (or ` AND `), all of which must hold.

    Args:
        q: the parameter's value, or None when it is not given; empty or blank text is
            read as not given.
        fields: the fields `field:value` may name (equal to the value).
        searched: the fields a bare word or `"phrase"` looks in (contains, any case); none:
            the list has no free-text search.
        noun: what is listed, for the messages (`orders`).
        client_id: the token's client: `client_id:<id>` changes nothing when it names this
            client, and matches nothing when it names another.

    Raises:
        BadRequest: naming `q`: too long, unreadable, an unknown field, an empty term.
    """
    if q is None or not q.strip():
        # Clients send `q=${search}` with an empty search; that asks for everything.
        return Search()
    equals: dict[str, list[str]] = {}
    words: list[str] = []
    foreign = False
    terms = _split(q)
    for field, text in terms:
        if field == CLIENT_FIELD:
            foreign = foreign or text != client_id
        elif field is not None:
            _check_field(field, fields, noun)
            equals.setdefault(field, []).append(text)
        elif searched:
            words.append(fold(text))
        else:
            raise BadRequest(
                f"q: {noun} has no free-text search; write field:value terms over: "
                f"{', '.join([*fields, CLIENT_FIELD])}.",
                "q",
            )
    return Search(
        tuple((field, tuple(dict.fromkeys(values))) for field, values in sorted(equals.items())),
        tuple(words),
        foreign,
    )


def _split(q: str) -> list[tuple[str | None, str]]:
    """A `q`'s terms as (field or None, text), `AND`s left out.

    Raises:
        BadRequest: naming `q`: too long, empty, unreadable, an empty term.
    """
    if len(q) > MAX_Q_CHARS:
        raise BadRequest(f"q is longer than {MAX_Q_CHARS} characters.", "q")
    terms: list[tuple[str | None, str]] = []
    rest = q.rstrip()
    position = 0
    while position < len(rest):
        match = _TERM.match(rest, position)
        if match is None:
            raise BadRequest(
                f"q: cannot read {rest[position : position + 40].strip()!r}; write field:value, "
                'field:"two words", a word, or "a phrase", separated by spaces.',
                "q",
            )
        position = match.end()
        if match["word"] == _AND:
            continue
        term = _term(match)
        if not term[1]:
            raise BadRequest('q: an empty "" term matches nothing; leave it out.', "q")
        terms.append(term)
    if not terms:
        raise BadRequest("q is empty; leave it out to list everything.", "q")
    return terms


def _term(match: re.Match[str]) -> tuple[str | None, str]:
    if match["field"] is not None:
        value = match["quoted"] if match["quoted"] is not None else match["value"]
        return match["field"], value
    return None, match["phrase"] if match["phrase"] is not None else match["word"]


def _check_field(field: str, fields: Sequence[str], noun: str) -> None:
    if field not in fields:
        known = ", ".join([*fields, CLIENT_FIELD])
        dates = " (dates: use filter[field][gte|gt|lte|lt])" if fields else ""
        raise BadRequest(
            f"q: {noun} cannot be searched by '{field}'; fields are: {known}{dates}.", "q"
        )


def check_client_q(q: str | None, client_id: str, noun: str) -> None:
    """Check the `q` of a single-resource route: internal users name the client with it.

    Accepts `client_id:<id>` terms naming the token's own client (they change nothing).

    Raises:
        BadRequest: naming `q`, for anything but `client_id:<id>` terms.
        NotFound: `q` names another client: this client has no such resource.
    """
    if read_q(q, (), noun="this route", client_id=client_id).foreign:
        raise NotFound(f"No {noun} for the client q names; q may name only your own client.")


# --- sort_by ------------------------------------------------------------------------------------


def sort_values(sortable: Sequence[str]) -> list[str]:
    """Every `sort_by` value `read_sort` accepts for these fields (for the OpenAPI enum)."""
    return [
        spelt
        for field in sortable
        for spelt in (field, f"-{field}", *(f"{field}:{word}" for word in _DIRECTIONS))
    ]


def read_sort(text: str | None, sortable: Sequence[str], noun: str) -> tuple[str, bool] | None:
    """Read a `sort_by` value: `field` or `field:asc` (ascending), `-field` or `field:desc`.

    Returns:
        (field, descending), or None when it is not given (the list's own order).

    Raises:
        BadRequest: another field or direction, naming `sort_by` and the fields there are.
    """
    if text is None:
        return None
    field, _, direction = text.strip().partition(":")
    descending = field.startswith("-")
    field = field.removeprefix("-")
    if field not in sortable or (direction and (descending or direction not in _DIRECTIONS)):
        raise BadRequest(
            f"sort_by: {noun} can be sorted by {', '.join(sortable)} (`-field` or `field:desc` "
            f"for descending), not {text[:60]!r}.",
            "sort_by",
        )
    return field, descending or _DIRECTIONS.get(direction, False)


# --- filter values ------------------------------------------------------------------------------


def read_values(key: str, value: Any) -> tuple[str, ...]:  # noqa: ANN401 - caller-supplied
    """An equality filter's values: a string, a comma-separated string or a list of strings.

    Raises:
        BadRequest: no value, or an empty one, naming `filter[key]`.
    """
    name = f"filter[{key}]"
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not items:
        raise BadRequest(f"{name} needs a value.", name)
    found: list[str] = []
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise BadRequest(f"{name} values must be non-empty text.", name)
        found.append(item.strip())
    return tuple(dict.fromkeys(found))


def read_ranges(key: str, value: Any) -> list[tuple[str, str, int]]:  # noqa: ANN401
    """A range filter's bounds: a mapping of `gte`/`gt`/`lte`/`lt` to an instant.

    Returns:
        (key, operator, microseconds) per bound.

    Raises:
        BadRequest: no operator, an unknown one, or a bad instant, naming the parameter.
    """
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
        try:
            found.append((key, operator, to_micros(parse_instant(bound, name))))
        except ValueError as error:
            raise BadRequest(str(error), name) from None
    return found


def in_range(value: int, operator: str, bound: int) -> bool:
    """Whether an instant passes one range bound (both in microseconds)."""
    if operator == "gte":
        return value >= bound
    if operator == "gt":
        return value > bound
    if operator == "lte":
        return value <= bound
    return value < bound


# --- the digest a cursor holds ---------------------------------------------------------------


def fingerprint(request: object) -> str:
    """A short digest of a list request's parameters, which ties a cursor to them.

    Args:
        request: the parameters as JSON can write them (other values are written as text).
    """
    text = json.dumps(request, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
