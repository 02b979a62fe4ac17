"""Order list filters, `q` and `sort_by`, and page sizes (cursors that pin a listing: `_paging`).

The shared parsers of `sort_by` and of the `q` subset of query_string are here too: batches
use them as orders do.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

import attrs

from lifecycle._instant import parse_instant
from lifecycle._status import OrderStatus
from simulator._errors import BadRequest
from simulator._order_lifecycle import (
    COMPLETED_BILLING,
    INITIAL_BILLING,
    SHIPPED_ON,
    SUBMITTED_BILLING,
)
from simulator._orders import STATE_OF
from simulator._timefmt import to_micros

EQUALITY_FILTERS = (
    "status",
    "name",
    "source",
    "client_custom_order_id",
    "state",
    "billing_status",
    "crm_id",
)
"""Fields an order list filters on by value: the provider's filterable fields and ours."""
RANGE_FILTERS = ("created_at", "updated_at", "submission_date")
"""Instants an order list filters on by range (`submission_date`: when a batch accepted it)."""
SORTABLE = ("created_at", "name")
"""Fields an order list sorts on: both give the creation order (names are numbered so), the
order in which paging never skips an order."""

_STATUSES_OF_STATE: dict[str, tuple[str, ...]] = {}
for _status, _state in STATE_OF.items():
    _STATUSES_OF_STATE.setdefault(_state, ())
    _STATUSES_OF_STATE[_state] += (_status,)
_SHIPPED_SQL = ",".join(f"'{status.value}'" for status in sorted(SHIPPED_ON))
_COLUMN_SQL: dict[str, str] = {
    "billing_status": (
        f"(CASE WHEN accepted_at IS NULL THEN '{INITIAL_BILLING}' "
        f"WHEN status IN ({_SHIPPED_SQL}) THEN '{COMPLETED_BILLING}' "
        f"ELSE '{SUBMITTED_BILLING}' END)"
    ),
    "crm_id": "NULL",  # OK Capsule's own: no simulated order has one
    "submission_date": "accepted_at",
}
"""SQL for the filterable fields that are not columns of `orders`."""
OPERATORS: dict[str, str] = {"gte": ">=", "gt": ">", "lte": "<=", "lt": "<"}
MAX_LIMIT = 250
DEFAULT_LIMIT = 50


@attrs.frozen
class OrderQuery:
    """A parsed, validated set of order filters."""

    equals: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """(column, accepted values): an order matches if its value is any of them."""
    ranges: tuple[tuple[str, str, int], ...] = ()
    """(column, operator, microseconds)."""
    descending: bool = False
    """Whether the list runs newest first (`sort_by`)."""

    def fingerprint(self) -> str:
        """A short digest that ties a cursor to the filters and sort it was made for."""
        text = json.dumps([self.equals, self.ranges, self.descending], separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def where(self) -> tuple[str, list[Any]]:
        """The SQL condition (without WHERE) and its parameters; `1` when unfiltered."""
        parts: list[str] = []
        params: list[Any] = []
        for column, values in self.equals:
            parts.append(f"{_COLUMN_SQL.get(column, column)} IN ({','.join('?' * len(values))})")
            params.extend(values)
        for column, operator, micros in self.ranges:
            parts.append(f"{_COLUMN_SQL.get(column, column)} {OPERATORS[operator]} ?")
            params.append(micros)
        return (" AND ".join(parts) or "1"), params

    def matches(self, values: Mapping[str, Any]) -> bool:
        """Whether a row with these values passes every filter (for as-of checks).

        `values` holds the columns, `billing_status` and `submission_date`, as they were;
        `crm_id` is read as SQL reads it. A range never matches a missing instant.
        """
        values = {**values, "crm_id": None}
        for column, accepted in self.equals:
            if values.get(column) not in accepted:
                return False
        for column, operator, micros in self.ranges:
            value = values.get(column)
            if value is None or not _compare(value, operator, micros):
                return False
        return True


def _compare(value: int, operator: str, bound: int) -> bool:
    if operator == "gte":
        return value >= bound
    if operator == "gt":
        return value > bound
    if operator == "lte":
        return value <= bound
    return value < bound


def parse_filters(filters: Mapping[str, Any] | None) -> OrderQuery:
    """Check and parse filters given as `{"status": "Pending", "updated_at": {"gte": ...}}`.

    Equality filters take a string, a comma-separated string or a list of strings; range
    filters take a mapping of `gte`/`gt`/`lte`/`lt` to an aware datetime or ISO 8601 text.

    Raises:
        BadRequest: an unknown filter, operator, status or date, named in the message.
    """
    if not filters:
        return OrderQuery()
    equals: list[tuple[str, tuple[str, ...]]] = []
    ranges: list[tuple[str, str, int]] = []
    for key, value in filters.items():
        if key == "state":
            equals.append(("status", _statuses_of_states(_values(key, value))))
        elif key in EQUALITY_FILTERS:
            equals.append((key, _values(key, value)))
        elif key in RANGE_FILTERS:
            ranges.extend(_ranges(key, value))
        else:
            known = ", ".join(EQUALITY_FILTERS + RANGE_FILTERS)
            raise BadRequest(
                f"Unknown filter 'filter[{key}]'; orders can be filtered by: {known}.",
                f"filter[{key}]",
            )
    return OrderQuery(tuple(sorted(equals)), tuple(sorted(ranges)))


def _values(key: str, value: Any) -> tuple[str, ...]:  # noqa: ANN401 - caller-supplied
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not items:
        raise BadRequest(f"filter[{key}] needs a value.", f"filter[{key}]")
    values: list[str] = []
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise BadRequest(f"filter[{key}] values must be non-empty text.", f"filter[{key}]")
        values.append(item.strip())
    if key == "status":
        for item in values:
            try:
                OrderStatus(item)
            except ValueError:
                known = ", ".join(s.value for s in OrderStatus)
                raise BadRequest(
                    f"filter[status]: '{item}' is not an order status; statuses are: {known}.",
                    "filter[status]",
                ) from None
    return tuple(sorted(set(values)))


def _statuses_of_states(states: tuple[str, ...]) -> tuple[str, ...]:
    """The statuses whose provider `state` is one of these (`_orders.STATE_OF`).

    Raises:
        BadRequest: a state no status has, naming the ones there are.
    """
    found: set[str] = set()
    for state in states:
        if state not in _STATUSES_OF_STATE:
            known = ", ".join(_STATUSES_OF_STATE)
            raise BadRequest(
                f"filter[state]: '{state}' is not a state an order can be in; states are: {known}.",
                "filter[state]",
            )
        found.update(_STATUSES_OF_STATE[state])
    return tuple(sorted(found))


def _ranges(key: str, value: Any) -> list[tuple[str, str, int]]:  # noqa: ANN401
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


def check_limit(limit: Any) -> int:  # noqa: ANN401 - caller-supplied
    """Validate a page size.

    Raises:
        BadRequest: not a whole number from 1 to 250.
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(
            f"limit must be a whole number from 1 to {MAX_LIMIT}, not {limit!r}.", "limit"
        )
    return limit


_DIRECTIONS = {"asc": False, "desc": True}


def sort_values(sortable: tuple[str, ...]) -> list[str]:
    """Every `sort_by` value `parse_sort` accepts for these fields (for the OpenAPI enum)."""
    return [
        spelt
        for field in sortable
        for spelt in (field, f"-{field}", *(f"{field}:{word}" for word in _DIRECTIONS))
    ]


def parse_sort(text: str | None, sortable: tuple[str, ...]) -> bool:
    """Read a `sort_by` value: `field`, `-field`, `field:asc` or `field:desc`.

    Args:
        text: the parameter's value, or None when it is not given (ascending).
        sortable: the fields the list sorts on; all of them give the same order.

    Returns:
        Whether the list runs newest first.

    Raises:
        BadRequest: another field or direction, naming the ones there are.
    """
    if text is None:
        return False
    field, _, direction = text.strip().partition(":")
    descending = field.startswith("-")
    field = field.removeprefix("-")
    if field not in sortable or (direction and (descending or direction not in _DIRECTIONS)):
        choices = ", ".join(f"{name}, -{name}, {name}:desc" for name in sortable)
        raise BadRequest(
            f"sort_by: {text[:100]!r} is not a sort this list has; use one of: {choices}.",
            "sort_by",
        )
    return descending or _DIRECTIONS.get(direction, False)


_TERM = re.compile(r'\s*(?P<field>[a-z_]+):(?:"(?P<quoted>[^"]*)"|(?P<bare>[^\s"]+))\s*')
_MAX_Q = 1000


def parse_q(text: str | None, fields: tuple[str, ...]) -> dict[str, list[str]]:
    """Read a `q` value, a subset of query_string: `field:value` terms, all of which must hold.

    Terms are separated by spaces or ` AND `; a value with spaces is quoted
    (`source:"v2 API"`). A field given twice matches either value.

    Args:
        text: the parameter's value, or None.
        fields: the fields `q` may name (the list's equality filters).

    Returns:
        The values per field, for the list's filters.

    Raises:
        BadRequest: text beyond this subset, or a field the list cannot search, named.
    """
    found: dict[str, list[str]] = {}
    if text is None:
        return found
    rest = text[: _MAX_Q + 1]
    if len(rest) > _MAX_Q or not rest.strip():
        raise BadRequest(f"q must hold 1 to {_MAX_Q} characters of field:value terms.", "q")
    position = 0
    while position < len(rest):
        match = _TERM.match(rest, position)
        if match is None or match.end() == position:
            raise BadRequest(
                f"q: cannot read {rest[position : position + 40]!r}; write field:value terms "
                'separated by spaces (quote a value with spaces: source:"v2 API").',
                "q",
            )
        field = match["field"]
        if field not in fields:
            raise BadRequest(
                f"q: '{field}' is not searchable; q searches: {', '.join(fields)}.", "q"
            )
        found.setdefault(field, []).append(
            match["quoted"] if match["bare"] is None else match["bare"]
        )
        position = match.end()
        if rest.startswith("AND ", position):
            position += 4
    return found


def order_query(
    filters: Mapping[str, Any] | None, q: str | None = None, sort_by: str | None = None
) -> OrderQuery:
    """An order list's whole query: its filters, its `q` terms (all must hold) and its sort.

    Raises:
        BadRequest: a bad filter, `q` or `sort_by`, named.
    """
    query = parse_filters(filters)
    searched = parse_filters(parse_q(q, EQUALITY_FILTERS))
    return OrderQuery(
        tuple(sorted(query.equals + searched.equals)),
        query.ranges,
        descending=parse_sort(sort_by, SORTABLE),
    )
