"""Order list filters, `q` and `sort_by`, and page sizes (cursors that pin a listing: `_paging`).

The parameters are read by `_terms`, as on every list; this module turns them into SQL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from lifecycle._status import OrderStatus
from simulator._errors import BadRequest
from simulator._order_lifecycle import (
    COMPLETED_BILLING,
    INITIAL_BILLING,
    SHIPPED_ON,
    SUBMITTED_BILLING,
)
from simulator._orders import STATE_OF
from simulator._terms import (
    OPERATORS,
    fingerprint,
    in_range,
    read_q,
    read_ranges,
    read_sort,
    read_values,
)
from simulator._terms import words_found as _words_found

if TYPE_CHECKING:
    from collections.abc import Mapping

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
SEARCHED = ("name", "client_custom_order_id")
"""What a bare word of an order list's `q` looks in."""

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
    words: tuple[str, ...] = ()
    """Bare words of `q`, folded: each must appear in one of the `SEARCHED` fields."""
    foreign: bool = False
    """Whether `q` names another client (`client_id:<id>`): then nothing matches."""

    def fingerprint(self) -> str:
        """A short digest that ties a cursor to the filters and sort it was made for."""
        return fingerprint([self.equals, self.ranges, self.descending, self.words, self.foreign])

    def where(self) -> tuple[str, list[Any]]:
        """The SQL condition (without WHERE) and its parameters; `1` when unfiltered."""
        if self.foreign:
            return "0", []
        parts: list[str] = []
        params: list[Any] = []
        for word in self.words:
            # SQLite's `lower` folds ASCII letters only, as `_terms.fold` does.
            parts.append(
                "(" + " OR ".join(f"instr(lower({field}), ?) > 0" for field in SEARCHED) + ")"
            )
            params.extend([word] * len(SEARCHED))
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
        if self.foreign:
            return False
        if self.words and not _words_found(self.words, [values.get(f) for f in SEARCHED]):
            return False
        values = {**values, "crm_id": None}
        for column, accepted in self.equals:
            if values.get(column) not in accepted:
                return False
        for column, operator, micros in self.ranges:
            value = values.get(column)
            if value is None or not in_range(value, operator, micros):
                return False
        return True


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
            ranges.extend(read_ranges(key, value))
        else:
            known = ", ".join(EQUALITY_FILTERS + RANGE_FILTERS)
            raise BadRequest(
                f"Unknown filter 'filter[{key}]'; orders can be filtered by: {known}.",
                f"filter[{key}]",
            )
    return OrderQuery(tuple(sorted(equals)), tuple(sorted(ranges)))


def _values(key: str, value: Any) -> tuple[str, ...]:  # noqa: ANN401 - caller-supplied
    values = read_values(key, value)
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


def order_query(
    filters: Mapping[str, Any] | None,
    q: str | None = None,
    sort_by: str | None = None,
    client_id: str | None = None,
) -> OrderQuery:
    """An order list's whole query: its filters, its `q` terms (all must hold) and its sort.

    Raises:
        BadRequest: a bad filter, `q` or `sort_by`, named.
    """
    query = parse_filters(filters)
    search = read_q(q, EQUALITY_FILTERS, searched=SEARCHED, noun="orders", client_id=client_id)
    try:
        searched = parse_filters(search.values())
    except BadRequest as error:
        raise BadRequest(f"q: {error}", "q") from None
    sort = read_sort(sort_by, SORTABLE, "orders")
    return OrderQuery(
        tuple(sorted(query.equals + searched.equals)),
        query.ranges,
        descending=sort is not None and sort[1],
        words=search.words,
        foreign=search.foreign,
    )
