"""Order list filters and stable cursors.

A cursor pins the moment the first page was asked for (the last transaction-log row then,
and the newest order then). Later pages judge each order by its status and `updated_at` as
of that moment, read back from the log, so an order that matched then is never skipped,
however it changes while the client pages.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

import attrs

from lifecycle._status import OrderStatus
from simulator._errors import BadRequest
from simulator._timefmt import parse_iso, to_micros

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
        return to_micros(parse_iso(bound, name))
    except ValueError as error:
        raise BadRequest(str(error), name) from None


@attrs.frozen
class Cursor:
    """Where a listing stands: what it saw first, and the last order it returned."""

    client_id: str
    fingerprint: str
    as_of_log: int
    """The newest transaction-log row when the first page was asked for."""
    newest_order: int
    """The newest order's sequence number then; orders created later are not listed."""
    after: int
    """The sequence number of the last order returned."""


class CursorCodec:
    """Signs and checks cursors so a client cannot forge or reuse one from another world."""

    def __init__(self, secret: bytes) -> None:
        """Keep the signing key.

        Args:
            secret: bytes unique to this simulator world (changes on reset).
        """
        self._secret = secret

    def encode(self, cursor: Cursor) -> str:
        """The opaque text a client passes back as `cursor`."""
        body = json.dumps(
            [
                cursor.client_id,
                cursor.fingerprint,
                cursor.as_of_log,
                cursor.newest_order,
                cursor.after,
            ],
            separators=(",", ":"),
        ).encode()
        mac = hmac.new(self._secret, body, hashlib.sha256).digest()[:12]
        return base64.urlsafe_b64encode(body + mac).decode().rstrip("=")

    def decode(self, text: str, client_id: str, fingerprint: str) -> Cursor:
        """Check and read a cursor.

        Raises:
            BadRequest: the cursor is malformed, forged, from another world, another client
                or another set of filters.
        """
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (ValueError, TypeError):
            raise _bad_cursor("it is not a cursor this server issued") from None
        body, mac = raw[:-12], raw[-12:]
        expected = hmac.new(self._secret, body, hashlib.sha256).digest()[:12]
        if len(raw) <= 12 or not hmac.compare_digest(mac, expected):
            raise _bad_cursor(
                "this simulator world did not issue it (forged, altered, or from before a reset)"
            )
        owner, digest, as_of_log, newest, after = json.loads(body)
        if owner != client_id:
            raise _bad_cursor("it belongs to another client")
        if digest != fingerprint:
            raise _bad_cursor("it was made for other filters; repeat the first request's filters")
        return Cursor(owner, digest, as_of_log, newest, after)


def _bad_cursor(why: str) -> BadRequest:
    return BadRequest(
        f"Invalid cursor: {why}. Start again without a cursor to get the first page.", "cursor"
    )


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
