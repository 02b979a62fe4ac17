"""Instants as the store keeps them (integer microseconds, UTC) and as the API spells them."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROS_PER_SECOND = 1_000_000
# Called unbound so that a pendulum DateTime (the calendar returns some) subtracts in C and
# yields a plain timedelta: pendulum's own `-` builds an Interval, a hundred times slower.
_SUBTRACT = datetime.__sub__


def to_micros(at: datetime) -> int:
    """Microseconds since the Unix epoch for an aware instant.

    Raises:
        ValueError: the datetime is naive.
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{at!r} has no time zone; pass an aware datetime (UTC or with offset).")
    delta: timedelta = _SUBTRACT(at, _EPOCH)
    return (delta.days * 86_400 + delta.seconds) * MICROS_PER_SECOND + delta.microseconds


def from_micros(micros: int) -> datetime:
    """The aware UTC instant for microseconds since the epoch."""
    return _EPOCH + timedelta(microseconds=micros)


# Formatting costs about 2 us, and instants repeat: a create stamps three fields with one,
# orders changed together (a batch, a frozen clock) share theirs, and so does a page of them.
@functools.lru_cache(maxsize=4096)
def iso(micros: int) -> str:
    """ISO 8601 in UTC with a `Z`, microseconds only when not zero: `2026-03-20T09:12:28Z`."""
    return from_micros(micros).isoformat().replace("+00:00", "Z")


def iso_at(at: datetime) -> str:
    """ISO 8601 in UTC with a `Z` for an aware datetime."""
    return iso(to_micros(at))
