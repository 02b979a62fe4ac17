"""Read an instant from ISO 8601 text: the one parser the library, the simulator and the CLI use.

The grammar is written out here rather than left to `datetime.fromisoformat`, which accepts more
(any separator character, offsets with seconds) and differs between Python versions.
"""

from __future__ import annotations

import datetime as dt
import re

from lifecycle._errors import LifecycleError, ViolationCode

FIRST_YEAR = 1900
"""The earliest year (in UTC) an instant may fall in."""
LAST_YEAR = 2999
"""The latest year (in UTC) an instant may fall in: far enough from 9999 that adding the
simulator's longest spans (ten years) to any instant cannot overflow `datetime`."""
MAX_LENGTH = 64
"""The longest text read; the longest instant the grammar allows is 40 characters."""

# RFC 3339 profile of ISO 8601, in basic or extended form (and ISO week dates), upper-cased
# before matching since RFC 3339 allows a lowercase 't' and 'z'. A zone is required.
_INSTANT = re.compile(
    r"""
    (?: \d{4}-\d{2}-\d{2} | \d{8} | \d{4}-W\d{2}(?:-\d)? | \d{4}W\d{2}\d? )     # date
    [T\ ]
    (?: \d{2}(?::\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?)?                           # hh:mm:ss.f
      | \d{2}(?:\d{2}(?:\d{2}(?:[.,]\d{1,9})?)?)? )                           # hhmmss.f
    (?: Z | [+-]\d{2}(?::?\d{2})? )                                           # zone
    """,
    re.VERBOSE | re.ASCII,
)
_DATE_ONLY = re.compile(r"\d{4}-?\d{2}-?\d{2}", re.ASCII)
_EXAMPLE = "2026-03-02T17:00:00Z or 2026-03-02T09:00:00-08:00"


class MalformedInstant(LifecycleError, ValueError):
    """A value is not an instant the API reads: ISO 8601 with a zone, in the years allowed."""

    code = ViolationCode.MALFORMED
    """Always `malformed`: the value has the wrong shape."""

    def __init__(self, field: str, reason: str) -> None:
        """Describe the refused value.

        Args:
            field: the name of the field that held the value.
            reason: a sentence naming the value, what is wrong and how to fix it.
        """
        self.field = field
        self.reason = reason
        self.message = f"'{field}': {reason}"
        super().__init__(self.message)


def parse_instant(value: object, field: str = "instant") -> dt.datetime:
    """Read an instant: ISO 8601 text with `Z` or an offset, or an aware `datetime`.

    Accepts the extended (`2026-03-02T17:00:00.250-08:00`) and basic (`20260302T170000Z`)
    forms and ISO week dates; `T` or a space between date and time; a lowercase `t` or `z`;
    up to nine decimals of a second (kept to the microsecond); surrounding whitespace.

    Args:
        value: the text (or an aware datetime, as Python callers may pass).
        field: the field's name, for the error.

    Returns:
        The instant in UTC.

    Raises:
        MalformedInstant: not text in that form, no zone, or outside the years
            `FIRST_YEAR` to `LAST_YEAR`.
    """
    if isinstance(value, dt.datetime):
        if value.utcoffset() is None:
            raise MalformedInstant(field, f"{value.isoformat()} has no time zone; give it one.")
        return _in_range(value, field, value.isoformat())
    if not isinstance(value, str):
        raise MalformedInstant(field, f"expected ISO 8601 date-time text, like {_EXAMPLE}.")
    shown = repr(value) if len(value) <= MAX_LENGTH else f"{value[:MAX_LENGTH]!r}..."
    text = value.strip().upper()
    if len(value) > MAX_LENGTH or not _INSTANT.fullmatch(text):
        fix = "add a time and a zone" if _DATE_ONLY.fullmatch(text) else "write it"
        raise MalformedInstant(
            field,
            f"{shown} is not an ISO 8601 date-time with a zone (Z or an offset): {fix} "
            f"like {_EXAMPLE}.",
        )
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError as error:  # well-formed, but no real date or time (February 30, 24:00)
        raise MalformedInstant(field, f"{shown} is not a real instant: {error}.") from None
    return _in_range(parsed, field, shown)


def _in_range(at: dt.datetime, field: str, shown: str) -> dt.datetime:
    # The written year is checked first, so that moving to UTC cannot overflow.
    if FIRST_YEAR <= at.year <= LAST_YEAR:
        utc = at.astimezone(dt.UTC)
        if FIRST_YEAR <= utc.year <= LAST_YEAR:
            return utc
    raise MalformedInstant(
        field, f"{shown} is outside the years {FIRST_YEAR} to {LAST_YEAR} (UTC); give one within."
    )
