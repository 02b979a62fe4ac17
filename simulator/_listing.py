"""Order list filters and page sizes (the cursors that pin a listing are in `_paging`)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import attrs

from lifecycle._instant import parse_instant
from lifecycle._status import OrderStatus
from simulator._errors import BadRequest
from simulator._timefmt import to_micros

EQUALITY_FILTERS = ("status", "name", "source", "client_custom_order_id")
RANGE_FILTERS = ("created_at", "updated_at")
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

    def fingerprint(self) -> str:
        """A short digest that ties a cursor to the filters it was made for."""
        text = json.dumps([self.equals, self.ranges], separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def where(self) -> tuple[str, list[Any]]:
        """The SQL condition (without WHERE) and its parameters; `1` when unfiltered."""
        parts: list[str] = []
        params: list[Any] = []
        for column, values in self.equals:
            parts.append(f"{column} IN ({','.join('?' * len(values))})")
            params.extend(values)
        for column, operator, micros in self.ranges:
            parts.append(f"{column} {OPERATORS[operator]} ?")
            params.append(micros)
        return (" AND ".join(parts) or "1"), params

    def matches(self, values: Mapping[str, Any]) -> bool:
        """Whether a row with these column values passes every filter (for as-of checks)."""
        for column, accepted in self.equals:
            if values.get(column) not in accepted:
                return False
        for column, operator, micros in self.ranges:
            value = values[column]
            if not _compare(value, operator, micros):
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
        if key in EQUALITY_FILTERS:
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
