"""Query strings: the parameters each route declares, and the `filter[...]` bracket syntax.

Undeclared parameters are refused; numbers are read here, with bounds (`whole_number`); the
engine checks the other values (statuses, dates, cursors).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import attrs

from lifecycle._instant import FIRST_YEAR, LAST_YEAR
from lifecycle._status import OrderStatus
from simulator._collections import Collection, Kind
from simulator._errors import parameter_code
from simulator._listing import DEFAULT_LIMIT, EQUALITY_FILTERS, MAX_LIMIT, RANGE_FILTERS
from simulator._orders import STATE_OF
from simulator._paging import CURSOR_ALPHABET, MAX_CURSOR_CHARS
from simulator._terms import MAX_Q_CHARS, OPERATOR_WORDS, OPERATORS, sort_values
from simulator.http._errors import ApiError

if TYPE_CHECKING:
    from collections.abc import Sequence

_FILTER = re.compile(r"filter\[(?P<field>[a-z_]+)\](?:\[(?P<operator>[a-z]+)\])?")
_COLLECTION_FILTER = re.compile(
    r"filter\[(?P<field>[A-Za-z_][A-Za-z0-9_.]*)\](?:\[(?P<operator>[a-z]+)\])?"
)
"""Filters of the other collections also name nested fields: `filter[okcProduct.product_family]`."""
_DIGITS = re.compile(r"[0-9]{1,18}")
"""ASCII digits only (`int()` also takes "٣" and `isdigit()` also "²"), and few of them."""
_SHOWN_NAMES = 5
_SHOWN_NAME = 100
"""At most how many unknown parameters an error names, and how many characters of each."""


@attrs.frozen
class Param:
    """A query parameter a route accepts, as the OpenAPI document describes it."""

    name: str
    description: str
    schema: dict[str, Any] = attrs.field(factory=lambda: {"type": "string"})
    required: bool = False
    repeatable: bool = False
    """Whether it may be given more than once (the values are then all accepted)."""


CURSOR = Param(
    "cursor",
    "The `next_cursor` of the previous page, with the same parameters.",
    {
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_CURSOR_CHARS,
        "pattern": f"^{CURSOR_ALPHABET}$",
    },
)
"""Every paged list's `cursor`: its schema is the shape of the cursors the server issues."""

Query = dict[str, list[str]]
"""Each given parameter's values, in the order given."""


def read_query(items: Sequence[tuple[str, str]], declared: Sequence[Param]) -> Query:
    """Check a request's query parameters against the route's and group their values.

    Raises:
        ApiError: 400 for an undeclared parameter, a repeated one that may not repeat,
            or a missing required one, each named.
    """
    by_name = {param.name: param for param in declared}
    found: Query = {}
    unknown: dict[str, None] = {}  # an ordered set
    for name, value in items:
        if name not in by_name:
            unknown[name] = None
            continue
        found.setdefault(name, []).append(value)
    if unknown:
        takes = ", ".join(by_name) or "no query parameters"
        # A few are enough to act on; echoing thousands back helps no one.
        names = ", ".join(f"'{name[:_SHOWN_NAME]}'" for name in list(unknown)[:_SHOWN_NAMES])
        if len(unknown) > _SHOWN_NAMES:
            names += f" and {len(unknown) - _SHOWN_NAMES} more"
        raise ApiError(
            400,
            "unknown_parameter",
            f"Unknown query parameter {names}; this route takes: {takes}.",
        )
    for name, values in found.items():
        if len(values) > 1 and not by_name[name].repeatable:
            raise ApiError(400, "bad_request", f"Query parameter '{name}' is given more than once.")
    for param in declared:
        if param.required and param.name not in found:
            raise ApiError(
                400,
                "bad_request",
                f"Query parameter '{param.name}' is required: {param.description}",
            )
    return found


def single(query: Query, name: str) -> str | None:
    """The value of a parameter that may appear once, or None when absent."""
    values = query.get(name)
    return values[0] if values else None


def whole_number(text: str, name: str, low: int, high: int) -> int:
    """A parameter's text as a whole number from `low` to `high`.

    Raises:
        ApiError: 400 naming the parameter, when it is anything else.
    """
    if not _DIGITS.fullmatch(text) or not low <= int(text) <= high:
        shown = text if len(text) <= _SHOWN_NAME else f"{text[:20]}... ({len(text)} characters)"
        raise ApiError(
            400,
            parameter_code(name),
            f"{name} must be a whole number from {low} to {high}, not {shown!r}.",
        )
    return int(text)


def page_limit(query: Query) -> int:
    """The `limit` parameter of an order list, or the default.

    Raises:
        ApiError: 400 when it is not a whole number from 1 to `MAX_LIMIT`.
    """
    text = single(query, "limit")
    return DEFAULT_LIMIT if text is None else whole_number(text, "limit", 1, MAX_LIMIT)


def order_filters(query: Query) -> dict[str, Any]:
    """The engine's filters from `filter[field]=v` and `filter[field][operator]=ISO` parameters.

    Repeated equality filters are combined: an order matches any of the values.
    """
    return _filters(query, _FILTER)


def collection_filters(query: Query) -> dict[str, Any]:
    """`order_filters` for products, consumers, addresses and fulfillments (nested names too)."""
    return _filters(query, _COLLECTION_FILTER)


def _filters(query: Query, pattern: re.Pattern[str]) -> dict[str, Any]:
    filters: dict[str, Any] = {}
    for name, values in query.items():
        match = pattern.fullmatch(name)
        if match is None:
            continue
        field, operator = match["field"], match["operator"]
        if operator is None:
            filters.setdefault(field, []).extend(
                item for value in values for item in value.split(",")
            )
        else:
            filters.setdefault(field, {})[operator] = values[0]
    return filters


def order_filter_params() -> list[Param]:
    """The filter parameters of the order list and count routes."""
    params = [
        Param(
            f"filter[{field}]",
            f"Only orders whose {field} is this value (several: comma-separated or repeated).",
            _values_schema(_ORDER_VOCABULARY[field])
            if field in _ORDER_VOCABULARY
            else TEXT_VALUES_SCHEMA,
            repeatable=True,
        )
        for field in EQUALITY_FILTERS
    ]
    params += [
        Param(
            f"filter[{field}][{operator}]",
            f"Only orders whose {field} is {OPERATOR_WORDS[operator]} this ISO 8601 instant.",
            INSTANT_SCHEMA,
        )
        for field in RANGE_FILTERS
        for operator in OPERATORS
    ]
    return params


def collection_params(
    collection: Collection, *, paged: bool, leave_out: frozenset[str] = frozenset()
) -> list[Param]:
    """The query parameters of a collection's list (`paged`) or count route.

    Args:
        collection: what is listed.
        paged: whether the route takes `limit`, `cursor` and `sort_by` (lists, not counts).
        leave_out: fields the route takes another way (the fulfillments' `order_id`).
    """
    noun = collection.name
    params: list[Param] = []
    if paged:
        params += [
            Param(
                "limit",
                f"Items per page, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT}).",
                {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
            ),
            CURSOR,
            sort_param(collection.names(sortable=True), "Default: oldest first."),
        ]
    params.append(q_param(collection.names(), collection.names(searched=True)))
    for field in collection.fields:
        if field.name in leave_out:
            continue
        if field.kind is Kind.INSTANT:
            params += [
                Param(
                    f"filter[{field.name}][{operator}]",
                    f"Only {noun} whose {field.name} is {OPERATOR_WORDS[operator]} this "
                    "ISO 8601 instant.",
                    INSTANT_SCHEMA,
                )
                for operator in OPERATORS
            ]
        else:
            params.append(
                Param(
                    f"filter[{field.name}]",
                    f"Only {noun} whose {field.name} is this value "
                    "(several: comma-separated or repeated).",
                    _FILTER_SCHEMAS[field.kind],
                    repeatable=True,
                )
            )
    return params


def sort_param(sortable: Sequence[str], note: str) -> Param:
    """The `sort_by` parameter of a list that sorts on these fields (`_terms.read_sort`)."""
    return Param(
        "sort_by",
        f"Sort by {', '.join(f'`{name}`' for name in sortable)}: `field` or `field:asc` "
        f"ascending, `-field` or `field:desc` descending. {note}",
        {"type": "string", "enum": sort_values(sortable)},
    )


def q_param(fields: Sequence[str], searched: Sequence[str]) -> Param:
    """The `q` parameter of a list with these `field:value` and bare-word fields (`read_q`)."""
    return Param(
        "q",
        "Query string terms, all of which must hold (separate them with spaces or ` AND `): "
        f'`field:value` or `field:"two words"` is equal, over '
        f"{', '.join(f'`{name}`' for name in fields)} (a field given twice: either value); "
        f'a word or `"a phrase"` appears, in any case, in '
        f"{' or '.join(f'`{name}`' for name in searched)}; `client_id:<id>`: your own "
        "client's id changes nothing, another's matches nothing.",
        {"type": "string", "maxLength": MAX_Q_CHARS},
    )


BLANK = r"\s\x1c-\x1f\x85"
"""What the server strips from a value (Python's whitespace), spelled for any regex engine."""
TEXT_VALUES_SCHEMA = {
    "type": "string",
    "pattern": rf"^[{BLANK}]*[^,{BLANK}][^,]*(,[{BLANK}]*[^,{BLANK}][^,]*)*$",
}
"""An equality filter: comma-separated values, none of them empty or blank."""

_ORDER_VOCABULARY = {
    "status": tuple(status.value for status in OrderStatus),
    "state": tuple(dict.fromkeys(STATE_OF.values())),
}
"""The order filters whose values are a closed list: anything else is refused."""


def _values_schema(values: Sequence[str]) -> dict[str, Any]:
    """A filter of comma-separated values, each one of `values` (spaces around are read)."""
    one = "|".join(re.escape(value) for value in values)
    return {"type": "string", "pattern": rf"^\s*({one})\s*(,\s*({one})\s*)*$"}


INSTANT_SCHEMA = {
    "type": "string",
    "format": "date-time",
    "pattern": "^(19|2[0-9])[0-9]{2}-",
    "description": f"An ISO 8601 instant in the years {FIRST_YEAR} to {LAST_YEAR}.",
}
"""A range filter's bound: the years the server reads (`lifecycle._instant`), as a pattern."""
_FILTER_SCHEMAS: dict[Kind, dict[str, Any]] = {
    Kind.TEXT: TEXT_VALUES_SCHEMA,
    Kind.BOOLEAN: {"type": "string", "enum": ["true", "false"]},
}
