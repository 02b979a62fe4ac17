"""Tests for `lifecycle._instant`: the one parser of instants, and its one error."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lifecycle import ViolationCode
from lifecycle._instant import FIRST_YEAR, LAST_YEAR, MAX_LENGTH, MalformedInstant, parse_instant

UTC_1700 = dt.datetime(2026, 3, 2, 17, tzinfo=dt.UTC)


class TestAccepts:
    """Every spelling of ISO 8601 with a zone that the docs and the old parsers accepted."""

    @pytest.mark.parametrize(
        "text",
        [
            "2026-03-02T17:00:00Z",
            "2026-03-02T17:00:00+00:00",
            "2026-03-02T09:00:00-08:00",
            "2026-03-02T22:30:00+05:30",
            "2026-03-02T17:00:00.000Z",
            "2026-03-02T17:00:00.000000000Z",
            "2026-03-02T17:00Z",
            "2026-03-02T17Z",
            "2026-03-02 17:00:00Z",
            "2026-03-02t17:00:00z",
            "20260302T170000Z",
            "20260302T090000-0800",
            "2026-03-02T18:00:00+01",
            "2026-W10-1T17:00:00Z",
            "  2026-03-02T17:00:00Z\n",
        ],
    )
    def test_spellings_of_one_instant(self, text: str) -> None:
        """Each spelling reads as 17:00 UTC on 2 March 2026, in the stdlib's UTC."""
        parsed = parse_instant(text)
        assert parsed == UTC_1700
        assert parsed.tzinfo is dt.UTC

    def test_fraction_is_kept_to_the_microsecond(self) -> None:
        """Nine decimals (Go, Java) are read; the digits past the sixth are dropped."""
        assert parse_instant("2026-03-02T17:00:00.123456789Z").microsecond == 123456

    def test_aware_datetime_is_moved_to_utc(self) -> None:
        """A Python caller's aware datetime is the same instant, in UTC."""
        pacific = dt.timezone(dt.timedelta(hours=-8))
        assert parse_instant(dt.datetime(2026, 3, 2, 9, tzinfo=pacific)) == UTC_1700

    @given(
        st.datetimes(
            min_value=dt.datetime(FIRST_YEAR, 1, 2),
            max_value=dt.datetime(LAST_YEAR, 12, 30),
            timezones=st.integers(-23 * 60 - 59, 23 * 60 + 59).map(
                lambda minutes: dt.timezone(dt.timedelta(minutes=minutes))
            ),
        )
    )
    def test_isoformat_round_trips(self, moment: dt.datetime) -> None:
        """Property: any in-range instant written by `isoformat()` reads back as itself."""
        assert parse_instant(moment.isoformat()) == moment


class TestRefuses:
    """Anything else is one `MalformedInstant` naming the field, never another exception."""

    @pytest.mark.parametrize(
        ("value", "says"),
        [
            ("0001-01-01T00:00:00+01:00", "outside the years"),
            ("9999-12-31T23:59:59-01:00", "outside the years"),
            ("1899-12-31T23:59:59Z", "outside the years"),
            ("1900-01-01T00:00:00+00:01", "outside the years"),
            ("3000-01-01T00:00:00Z", "outside the years"),
            ("2026-03-02T17:00:00", "with a zone"),
            ("2026-03-02", "add a time and a zone"),
            ("2026-03-02x17:00:00Z", "with a zone"),
            ("2026-03-02T17:00:00+01:00:30", "with a zone"),
            ("2026-03-02T17:00:00 Z", "with a zone"),
            ("\uff12\uff10\uff12\uff16-03-02T17:00:00Z", "with a zone"),  # full-width digits
            ("2026-02-30T17:00:00Z", "not a real instant"),
            ("2026-03-02T24:00:00Z", "not a real instant"),
            ("yesterday", "with a zone"),
            ("", "with a zone"),
            ("2026-03-02T17:00:00Z" + " " * MAX_LENGTH, "with a zone"),
            (17, "text"),
            (None, "text"),
            (dt.datetime(2026, 3, 2, 17), "no time zone"),
            (dt.datetime(1, 1, 1, tzinfo=dt.UTC), "outside the years"),
        ],
    )
    def test_refused_with_a_reason(self, value: object, says: str) -> None:
        """The error names the field, is `malformed`, and says what to fix."""
        with pytest.raises(MalformedInstant) as refused:
            parse_instant(value, "until")
        assert refused.value.field == "until"
        assert refused.value.code is ViolationCode.MALFORMED
        assert says in refused.value.reason
        assert str(refused.value) == f"'until': {refused.value.reason}"

    def test_is_a_value_error(self) -> None:
        """Callers that catch ValueError, as the library's converter does, still catch it."""
        with pytest.raises(ValueError, match="'to'"):
            parse_instant("soon", "to")

    def test_long_text_is_shown_cut_short(self) -> None:
        """A megabyte of text is refused with a message of bounded length."""
        with pytest.raises(MalformedInstant) as refused:
            parse_instant("9" * 1_000_000)
        assert len(refused.value.message) < 4 * MAX_LENGTH

    @given(st.text(max_size=80))
    def test_any_text_parses_or_is_refused(self, text: str) -> None:
        """Property: any text is an in-range UTC instant or a `MalformedInstant`, nothing else."""
        try:
            parsed = parse_instant(text)
        except MalformedInstant:
            return
        assert parsed.tzinfo is dt.UTC
        assert FIRST_YEAR <= parsed.year <= LAST_YEAR
