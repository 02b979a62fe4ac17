"""Tests for the Pacific-time calendar: batches, status ticks, business days, edit windows."""

from __future__ import annotations

import copy
import datetime as dt
import math
import pickle
import re
import sys
import threading
import zoneinfo
from typing import TYPE_CHECKING

import pendulum
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lifecycle import _calendar
from lifecycle._calendar import (
    FIXED_PST_ZONE,
    PACIFIC,
    PACIFIC_ZONE,
    STATUS_TICK_HOURS,
    Calendar,
    EditWindowClosed,
    edit_window_closes_at,
    is_batch_instant,
    is_business_day,
    next_batch_at,
    next_status_tick,
)
from lifecycle._errors import LifecycleError, ViolationCode
from lifecycle._status import EDITABLE, OrderStatus

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

UTC = dt.UTC
# The stdlib's own zone data is the oracle the calendar is checked against.
LA = zoneinfo.ZoneInfo("America/Los_Angeles")
PST = dt.timezone(dt.timedelta(hours=-8))
FIXED = Calendar.fixed_pst()
MICRO = dt.timedelta(microseconds=1)
HOUR = dt.timedelta(hours=1)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    """Build an aware UTC datetime."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


def la(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    """Build an aware Los Angeles wall-clock datetime."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=LA)


def is_utc(value: dt.datetime) -> bool:
    """Tell whether a datetime is aware and at offset zero."""
    return value.utcoffset() == dt.timedelta(0)


class TestCalendarConstruction:
    """The zone and holidays are checked and normalised when a calendar is built."""

    def test_default_is_pacific_without_holidays(self) -> None:
        """A bare calendar runs on America/Los_Angeles with no holidays."""
        assert Calendar() == Calendar.pacific() == PACIFIC
        assert PACIFIC.zone == PACIFIC_ZONE == "America/Los_Angeles"
        assert PACIFIC.holidays == frozenset()

    def test_fixed_pst_uses_utc_minus_8(self) -> None:
        """The fixed-PST constructor spells its zone UTC-8."""
        assert FIXED.zone == FIXED_PST_ZONE == "UTC-8"

    def test_constructors_take_holidays(self) -> None:
        """Both constructors accept any iterable of holiday dates and freeze it."""
        days = [dt.date(2026, 12, 25), dt.date(2026, 1, 1)]
        assert Calendar.pacific(days).holidays == frozenset(days)
        assert Calendar.fixed_pst(iter(days)).holidays == frozenset(days)

    def test_holidays_are_frozen(self) -> None:
        """A list of holidays becomes a frozenset, so calendars stay hashable values."""
        calendar = Calendar(holidays=[dt.date(2026, 7, 3)])
        assert calendar.holidays == frozenset({dt.date(2026, 7, 3)})
        assert hash(calendar) == hash(Calendar(holidays=frozenset({dt.date(2026, 7, 3)})))

    def test_holiday_datetimes_rejected(self) -> None:
        """A datetime is not accepted as a holiday, since its date depends on a zone."""
        with pytest.raises(TypeError, match="Holidays must be dates"):
            Calendar(holidays=frozenset({utc(2026, 7, 3)}))

    @pytest.mark.parametrize("zone", ["Mars/Olympus", "", "local", "UTC-25", "UTC+5:75", "PST8"])
    def test_bad_zone_rejected(self, zone: str) -> None:
        """An unknown zone raises ValueError naming it."""
        with pytest.raises(ValueError, match=re.escape(f"Unknown time zone {zone!r}")):
            Calendar(zone)

    def test_non_string_zone_rejected(self) -> None:
        """A zone that is not a string is refused."""
        with pytest.raises(TypeError):
            Calendar(-8)  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        ("zone", "batch"),
        [
            ("UTC-8", utc(2026, 7, 16, 8)),
            ("UTC+5:30", utc(2026, 7, 15, 18, 30)),
            ("UTC", utc(2026, 7, 16)),
            ("Etc/GMT+8", utc(2026, 7, 16, 8)),
            ("Asia/Tokyo", utc(2026, 7, 15, 15)),
        ],
    )
    def test_accepted_zones(self, zone: str, batch: dt.datetime) -> None:
        """Fixed offsets and IANA names both work, each with its own midnight."""
        assert Calendar(zone).next_batch_at(utc(2026, 7, 15, 12)) == batch


class TestAwareInputs:
    """Every instant passed in must be aware; results are aware and in UTC."""

    @pytest.mark.parametrize(
        "call",
        [
            PACIFIC.local,
            PACIFIC.local_date,
            PACIFIC.next_batch_at,
            PACIFIC.previous_batch_at,
            PACIFIC.is_batch_instant,
            PACIFIC.next_status_tick,
            PACIFIC.previous_status_tick,
            PACIFIC.is_status_tick,
            PACIFIC.business_day_of,
            PACIFIC.next_business_tick,
            lambda at: PACIFIC.add_business_hours(at, 1),
            lambda at: PACIFIC.batches_between(at, utc(2026, 1, 1)),
            lambda at: PACIFIC.status_ticks_between(utc(2026, 1, 1), at),
            next_batch_at,
            next_status_tick,
            is_batch_instant,
            lambda at: edit_window_closes_at(OrderStatus.PENDING, at),
            lambda at: edit_window_closes_at(OrderStatus.ON_HOLD, at),
        ],
    )
    def test_naive_datetime_rejected(self, call: Callable[[dt.datetime], object]) -> None:
        """A naive datetime raises ValueError at call time, saying it needs a zone."""
        naive = dt.datetime(2026, 1, 1, 12)
        with pytest.raises(ValueError, match=r"Naive datetime .* has no time zone"):
            call(naive)

    def test_non_datetime_rejected(self) -> None:
        """Something that is not a datetime raises TypeError."""
        with pytest.raises(TypeError, match="Expected an aware datetime"):
            PACIFIC.next_batch_at("2026-01-01T00:00:00Z")  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        "after",
        [
            utc(2026, 1, 15, 12),
            pendulum.datetime(2026, 1, 15, 12),
            la(2026, 1, 15, 4),
            pendulum.datetime(2026, 1, 15, 21, tz="Asia/Tokyo"),
            dt.datetime(2026, 1, 15, 4, tzinfo=PST),
        ],
    )
    def test_any_aware_input_gives_the_same_utc_result(self, after: dt.datetime) -> None:
        """The same instant in any zone or type gives the same batch, as a UTC datetime."""
        batch = PACIFIC.next_batch_at(after)
        assert batch == utc(2026, 1, 16, 8)
        assert is_utc(batch)
        assert isinstance(batch, pendulum.DateTime)

    def test_local_shows_the_calendar_wall_clock(self) -> None:
        """`local` gives a pendulum DateTime on the calendar's zone."""
        local = PACIFIC.local(utc(2026, 7, 15, 7))
        assert isinstance(local, pendulum.DateTime)
        assert (local.hour, local.utcoffset()) == (0, dt.timedelta(hours=-7))
        assert FIXED.local(utc(2026, 7, 15, 7)).hour == 23

    def test_local_date(self) -> None:
        """`local_date` is the date on the calendar's wall clock, not the UTC date."""
        assert PACIFIC.local_date(utc(2026, 7, 15, 6, 59)) == dt.date(2026, 7, 14)
        assert PACIFIC.local_date(utc(2026, 7, 15, 7)) == dt.date(2026, 7, 15)


class TestNextBatch:
    """The nightly batch is at local midnight, strictly after the given instant."""

    def test_winter_batch_is_0800_utc(self) -> None:
        """In winter (PST) local midnight is 08:00 UTC."""
        assert PACIFIC.next_batch_at(utc(2026, 1, 15, 12)) == utc(2026, 1, 16, 8)

    def test_summer_batch_is_0700_utc(self) -> None:
        """In summer (PDT) local midnight is 07:00 UTC."""
        assert PACIFIC.next_batch_at(utc(2026, 7, 15, 12)) == utc(2026, 7, 16, 7)

    def test_order_at_batch_instant_waits_for_next_night(self) -> None:
        """An order created exactly at midnight is batched the next night."""
        assert PACIFIC.next_batch_at(utc(2026, 1, 15, 8)) == utc(2026, 1, 16, 8)

    def test_one_microsecond_before_batch_makes_it(self) -> None:
        """An order created a microsecond before midnight is batched that midnight."""
        assert PACIFIC.next_batch_at(utc(2026, 1, 15, 8) - MICRO) == utc(2026, 1, 15, 8)

    def test_previous_batch_includes_the_instant_itself(self) -> None:
        """At a batch instant the previous batch is that instant; just before, the night before."""
        assert PACIFIC.previous_batch_at(utc(2026, 1, 15, 8)) == utc(2026, 1, 15, 8)
        assert PACIFIC.previous_batch_at(utc(2026, 1, 15, 8) - MICRO) == utc(2026, 1, 14, 8)

    def test_is_batch_instant(self) -> None:
        """Only local midnight exactly is a batch instant."""
        assert PACIFIC.is_batch_instant(la(2026, 1, 15))
        assert PACIFIC.is_batch_instant(utc(2026, 7, 15, 7))
        assert not PACIFIC.is_batch_instant(utc(2026, 7, 15, 7) + MICRO)
        assert not PACIFIC.is_batch_instant(utc(2026, 7, 15, 8))
        assert not PACIFIC.is_batch_instant(la(2026, 7, 15, 12))


class TestDstNights:
    """The spring-forward and fall-back nights are 23 h and 25 h long."""

    def test_spring_forward_night_is_23_hours(self) -> None:
        """Midnight of 2026-03-08 is 08:00 UTC and the next one comes 23 h later."""
        first = PACIFIC.next_batch_at(utc(2026, 3, 7, 12))
        second = PACIFIC.next_batch_at(first)
        assert first == utc(2026, 3, 8, 8)
        assert second == utc(2026, 3, 9, 7)
        assert second - first == dt.timedelta(hours=23)

    def test_fall_back_night_is_25_hours(self) -> None:
        """Midnight of 2026-11-01 is 07:00 UTC and the next one comes 25 h later."""
        first = PACIFIC.next_batch_at(utc(2026, 10, 31, 12))
        second = PACIFIC.next_batch_at(first)
        assert first == utc(2026, 11, 1, 7)
        assert second == utc(2026, 11, 2, 8)
        assert second - first == dt.timedelta(hours=25)

    def test_repeated_hour_of_fall_back_belongs_to_its_day(self) -> None:
        """Both passes through 01:30 on 2026-11-01 wait for the midnight of 2026-11-02."""
        first_pass = la(2026, 11, 1, 1, 30)
        second_pass = first_pass.replace(fold=1)
        # Subtracting within one zone ignores fold, so compare the instants in UTC.
        assert second_pass.astimezone(UTC) - first_pass.astimezone(UTC) == HOUR
        assert PACIFIC.next_batch_at(first_pass) == utc(2026, 11, 2, 8)
        assert PACIFIC.next_batch_at(second_pass) == utc(2026, 11, 2, 8)
        assert PACIFIC.previous_batch_at(second_pass) == utc(2026, 11, 1, 7)

    @pytest.mark.parametrize(
        ("start", "end"),
        [
            (la(2026, 3, 5), la(2026, 3, 12)),
            (la(2026, 10, 29), la(2026, 11, 5)),
        ],
    )
    def test_dst_week_has_seven_batches(self, start: dt.datetime, end: dt.datetime) -> None:
        """A week spanning a DST change has seven batches, each a local midnight."""
        batches = list(PACIFIC.batches_between(start, end))
        assert len(batches) == 7
        assert batches[-1] == end
        assert all(b.astimezone(LA).time() == dt.time(0) for b in batches)
        assert all(is_utc(b) for b in batches)


class TestFixedPst:
    """A fixed UTC-8 calendar ignores daylight saving."""

    @pytest.mark.parametrize(
        "after", [utc(2026, 1, 15, 12), utc(2026, 7, 15, 12), utc(2026, 3, 8, 12)]
    )
    def test_batch_always_0800_utc(self, after: dt.datetime) -> None:
        """Midnight UTC-8 is 08:00 UTC in winter and summer alike."""
        assert FIXED.next_batch_at(after) == after.replace(hour=8) + dt.timedelta(days=1)

    @pytest.mark.parametrize("night", [utc(2026, 3, 8, 8), utc(2026, 11, 1, 8)])
    def test_dst_nights_are_24_hours(self, night: dt.datetime) -> None:
        """The DST-change nights are plain 24 h nights on UTC-8."""
        assert FIXED.next_batch_at(night) - night == dt.timedelta(hours=24)

    def test_ticks_fixed_in_utc(self) -> None:
        """Status ticks on UTC-8 are 02, 08, 14 and 20 UTC, summer included."""
        ticks = list(FIXED.status_ticks_between(utc(2026, 7, 15), utc(2026, 7, 16)))
        assert [t.hour for t in ticks] == [2, 8, 14, 20]


class TestBatchesBetween:
    """`batches_between` yields the batches of the half-open interval (start, end]."""

    def test_start_excluded_end_included(self) -> None:
        """A batch at the start is left out and one at the end is kept."""
        batches = list(PACIFIC.batches_between(la(2026, 1, 10), la(2026, 1, 12)))
        assert batches == [utc(2026, 1, 11, 8), utc(2026, 1, 12, 8)]

    def test_empty_when_end_not_after_start(self) -> None:
        """No batches when end equals or precedes start."""
        assert list(PACIFIC.batches_between(la(2026, 1, 10), la(2026, 1, 10))) == []
        assert list(PACIFIC.batches_between(la(2026, 1, 12), la(2026, 1, 10))) == []

    def test_empty_within_one_day(self) -> None:
        """An interval inside one local day has no batch."""
        assert list(PACIFIC.batches_between(la(2026, 1, 10, 1), la(2026, 1, 10, 23))) == []

    def test_year_has_one_batch_per_day(self) -> None:
        """A whole year has 365 batches, DST changes included."""
        assert sum(1 for _ in PACIFIC.batches_between(la(2026, 1, 1), la(2027, 1, 1))) == 365


class TestStatusTicks:
    """Status ticks are at 00:00, 06:00, 12:00 and 18:00 local, strictly after the instant."""

    def test_hours_constant(self) -> None:
        """The tick hours are the four 6-hourly local hours."""
        assert STATUS_TICK_HOURS == (0, 6, 12, 18)

    def test_winter_ticks(self) -> None:
        """In winter the ticks are 08, 14, 20 and 02 UTC."""
        ticks = list(PACIFIC.status_ticks_between(la(2026, 1, 15), la(2026, 1, 16)))
        assert ticks == [utc(2026, 1, 15, 14), utc(2026, 1, 15, 20), utc(2026, 1, 16, 2),
                         utc(2026, 1, 16, 8)]  # fmt: skip

    def test_next_tick_is_strictly_after(self) -> None:
        """At a tick the next one is six hours on; just before, it is that tick."""
        assert PACIFIC.next_status_tick(la(2026, 1, 15, 6)) == la(2026, 1, 15, 12)
        assert PACIFIC.next_status_tick(la(2026, 1, 15, 6) - MICRO) == la(2026, 1, 15, 6)

    def test_previous_tick_includes_the_instant(self) -> None:
        """At a tick the previous tick is that tick; just before, the one six hours back."""
        assert PACIFIC.previous_status_tick(la(2026, 1, 15, 6)) == la(2026, 1, 15, 6)
        assert PACIFIC.previous_status_tick(la(2026, 1, 15, 6) - MICRO) == la(2026, 1, 15)

    def test_is_status_tick(self) -> None:
        """Only the four local hours exactly are ticks."""
        assert PACIFIC.is_status_tick(la(2026, 7, 15, 18))
        assert PACIFIC.is_status_tick(la(2026, 7, 15))
        assert not PACIFIC.is_status_tick(la(2026, 7, 15, 18) + MICRO)
        assert not PACIFIC.is_status_tick(la(2026, 7, 15, 3))

    def test_spring_forward_day(self) -> None:
        """On 2026-03-08 the four ticks exist once each; the night's gap makes one 5 h wait."""
        ticks = list(PACIFIC.status_ticks_between(la(2026, 3, 7, 18), la(2026, 3, 9)))
        assert ticks == [
            utc(2026, 3, 8, 8),  # 00:00 PST
            utc(2026, 3, 8, 13),  # 06:00 PDT
            utc(2026, 3, 8, 19),
            utc(2026, 3, 9, 1),
            utc(2026, 3, 9, 7),
        ]
        assert [t.astimezone(LA).hour for t in ticks] == [0, 6, 12, 18, 0]

    def test_fall_back_day(self) -> None:
        """On 2026-11-01 the four ticks exist once each; the night's repeat makes one 7 h wait."""
        ticks = list(PACIFIC.status_ticks_between(la(2026, 10, 31, 18), la(2026, 11, 2)))
        assert ticks == [
            utc(2026, 11, 1, 7),  # 00:00 PDT
            utc(2026, 11, 1, 14),  # 06:00 PST
            utc(2026, 11, 1, 20),
            utc(2026, 11, 2, 2),
            utc(2026, 11, 2, 8),
        ]

    @pytest.mark.parametrize(
        ("start", "end"),
        [(la(2026, 3, 5), la(2026, 3, 12)), (la(2026, 10, 29), la(2026, 11, 5))],
    )
    def test_dst_week_has_28_ticks(self, start: dt.datetime, end: dt.datetime) -> None:
        """A week spanning a DST change has four ticks a day, each on a tick hour."""
        ticks = list(PACIFIC.status_ticks_between(start, end))
        assert len(ticks) == 28
        assert {t.astimezone(LA).time() for t in ticks} == {dt.time(h) for h in STATUS_TICK_HOURS}
        assert ticks == sorted(set(ticks))


class TestOddZones:
    """Zones whose clocks change at midnight still get exactly one batch per local date."""

    def test_skipped_midnight_batches_at_the_jump(self) -> None:
        """In Amman on 2021-03-26 the clock went 23:59 -> 01:00; the day starts at the jump."""
        amman = Calendar("Asia/Amman")
        batch = amman.next_batch_at(utc(2021, 3, 25, 12))
        assert batch == utc(2021, 3, 25, 22)
        assert amman.local(batch).hour == 1
        assert amman.next_batch_at(batch) - batch == dt.timedelta(hours=23)

    def test_skipped_midnight_day_counts_23_business_hours(self) -> None:
        """That Friday offers 23 business hours, so 24 hours end an hour into Monday."""
        amman = Calendar("Asia/Amman")
        end = amman.add_business_hours(utc(2021, 3, 25, 22), 24)
        assert amman.local(end) == pendulum.datetime(2021, 3, 29, 1, tz="Asia/Amman")

    def test_repeated_midnight_batches_the_first_time(self) -> None:
        """In Havana on 2021-11-07 midnight happened twice; only the first is a batch."""
        havana = Calendar("America/Havana")
        assert havana.next_batch_at(utc(2021, 11, 6, 12)) == utc(2021, 11, 7, 4)
        assert havana.is_batch_instant(utc(2021, 11, 7, 4))
        assert not havana.is_batch_instant(utc(2021, 11, 7, 5))
        assert havana.next_batch_at(utc(2021, 11, 7, 4, 30)) == utc(2021, 11, 8, 5)

    def test_half_hour_offset(self) -> None:
        """In Kolkata midnight falls at half past the UTC hour and is found exactly."""
        kolkata = Calendar("Asia/Kolkata")
        assert kolkata.next_batch_at(utc(2026, 1, 15, 18, 29)) == utc(2026, 1, 15, 18, 30)
        assert kolkata.next_batch_at(utc(2026, 1, 15, 18, 30)) == utc(2026, 1, 16, 18, 30)
        assert kolkata.is_batch_instant(utc(2026, 1, 15, 18, 30))
        assert kolkata.previous_batch_at(utc(2026, 1, 15, 18, 45)) == utc(2026, 1, 15, 18, 30)


class TestLookupCache:
    """The per-hour look-up cache stays bounded and correct."""

    def test_cache_forgets_oldest_hours(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Past the size limit the oldest hour is dropped and answers stay right."""
        monkeypatch.setattr(_calendar, "_CACHE_SIZE", 3)
        clock = _calendar._Clock(PACIFIC_ZONE, (0,))
        found = [
            clock.next_after(utc(2026, 1, 15, hour) - _calendar._EPOCH).instant
            for hour in range(10)
        ]
        assert found == [utc(2026, 1, 15, 8)] * 8 + [utc(2026, 1, 16, 8)] * 2
        assert len(clock._windows) == 3

    def test_calendars_on_one_zone_share_a_cache(self) -> None:
        """Two calendars on the same zone reuse the same look-up tables."""
        holidays = Calendar(holidays=frozenset({dt.date(2026, 12, 25)}))
        assert holidays._batches is PACIFIC._batches
        assert holidays._ticks is PACIFIC._ticks


class TestBusinessDays:
    """Business days are Monday to Friday in the calendar's zone, minus holidays."""

    def test_weekdays_and_weekends(self) -> None:
        """Monday-Friday are business days, Saturday and Sunday are not."""
        week = [dt.date(2026, 5, 11) + dt.timedelta(days=i) for i in range(7)]
        assert [PACIFIC.is_business_day(d) for d in week] == [True] * 5 + [False] * 2

    def test_holiday_is_not_a_business_day(self) -> None:
        """A listed holiday on a weekday is not a business day."""
        calendar = Calendar(holidays=frozenset({dt.date(2026, 5, 25)}))
        assert not calendar.is_business_day(dt.date(2026, 5, 25))
        assert PACIFIC.is_business_day(dt.date(2026, 5, 25))

    def test_datetime_is_refused(self) -> None:
        """Passing an instant instead of a date raises TypeError pointing at business_day_of."""
        with pytest.raises(TypeError, match="business_day_of"):
            PACIFIC.is_business_day(utc(2026, 5, 11))

    def test_business_day_of_uses_the_local_date(self) -> None:
        """Saturday 05:00 UTC is still Friday evening in Los Angeles."""
        assert PACIFIC.business_day_of(utc(2026, 5, 16, 5))
        assert not PACIFIC.business_day_of(utc(2026, 5, 16, 8))

    def test_next_business_day_skips_weekend(self) -> None:
        """After Friday comes Monday."""
        assert PACIFIC.next_business_day(dt.date(2026, 5, 15)) == dt.date(2026, 5, 18)

    def test_next_business_day_from_weekend(self) -> None:
        """After Saturday or Sunday comes Monday."""
        assert PACIFIC.next_business_day(dt.date(2026, 5, 16)) == dt.date(2026, 5, 18)
        assert PACIFIC.next_business_day(dt.date(2026, 5, 17)) == dt.date(2026, 5, 18)

    def test_next_business_day_skips_holidays(self) -> None:
        """After Friday before a Monday holiday comes Tuesday."""
        calendar = Calendar(holidays=frozenset({dt.date(2026, 5, 25)}))
        assert calendar.next_business_day(dt.date(2026, 5, 22)) == dt.date(2026, 5, 26)

    def test_nth_business_day(self) -> None:
        """The fifth business day after a Wednesday is the next Wednesday."""
        assert PACIFIC.next_business_day(dt.date(2026, 5, 13), 5) == dt.date(2026, 5, 20)

    @pytest.mark.parametrize("n", [0, -1])
    def test_next_business_day_needs_positive_n(self, n: int) -> None:
        """Asking for fewer than one business day raises ValueError."""
        with pytest.raises(ValueError, match="n >= 1"):
            PACIFIC.next_business_day(dt.date(2026, 5, 13), n)

    def test_add_business_days_both_ways(self) -> None:
        """Adding moves forward, subtracting backward, zero stays put, weekends skipped."""
        calendar = Calendar(holidays=frozenset({dt.date(2026, 5, 25)}))
        friday = dt.date(2026, 5, 22)
        assert calendar.add_business_days(friday, 1) == dt.date(2026, 5, 26)
        assert calendar.add_business_days(dt.date(2026, 5, 26), -1) == friday
        assert calendar.add_business_days(dt.date(2026, 5, 23), 0) == dt.date(2026, 5, 23)
        assert calendar.add_business_days(friday, 10) == dt.date(2026, 6, 8)


class TestNextBusinessTick:
    """Production advances at the first status tick strictly after an instant on a business day."""

    def test_weekday_tick(self) -> None:
        """On a Friday afternoon the next business tick is 18:00 that day."""
        assert PACIFIC.next_business_tick(la(2026, 5, 15, 13)) == la(2026, 5, 15, 18)

    def test_tick_instant_waits_for_the_next(self) -> None:
        """Exactly at a business tick the next one is six hours on."""
        assert PACIFIC.next_business_tick(la(2026, 5, 14, 12)) == la(2026, 5, 14, 18)

    def test_friday_evening_goes_to_monday_midnight(self) -> None:
        """After Friday 18:00 the next business tick is Monday 00:00."""
        assert PACIFIC.next_business_tick(la(2026, 5, 15, 18)) == la(2026, 5, 18)

    def test_weekend_goes_to_monday(self) -> None:
        """From Saturday noon the next business tick is Monday 00:00."""
        assert PACIFIC.next_business_tick(la(2026, 5, 16, 12)) == la(2026, 5, 18)

    def test_holiday_is_skipped(self) -> None:
        """A Monday holiday pushes the tick to Tuesday 00:00."""
        calendar = Calendar(holidays=frozenset({dt.date(2026, 5, 25)}))
        assert calendar.next_business_tick(la(2026, 5, 22, 19)) == la(2026, 5, 26)

    def test_result_in_utc(self) -> None:
        """The tick comes back as a UTC datetime."""
        assert is_utc(PACIFIC.next_business_tick(la(2026, 5, 16, 12)))


class TestAddBusinessHours:
    """Business hours count only elapsed time on business days."""

    def test_friday_evening_plus_a_day_is_monday_evening(self) -> None:
        """Friday 18:00 + 24 business hours is Monday 18:00."""
        assert PACIFIC.add_business_hours(la(2026, 5, 15, 18), 24) == la(2026, 5, 18, 18)

    def test_holiday_is_skipped(self) -> None:
        """With the Monday a holiday, Friday 18:00 + 24 business hours is Tuesday 18:00."""
        calendar = Calendar(holidays=frozenset({dt.date(2026, 5, 25)}))
        assert calendar.add_business_hours(la(2026, 5, 22, 18), 24) == la(2026, 5, 26, 18)

    def test_weekend_start_counts_from_monday(self) -> None:
        """From Saturday, 6 business hours end Monday 06:00."""
        assert PACIFIC.add_business_hours(la(2026, 5, 16, 10), 6) == la(2026, 5, 18, 6)

    def test_within_one_day(self) -> None:
        """Hours that fit in the same business day just add."""
        assert PACIFIC.add_business_hours(la(2026, 5, 13, 9), 2.5) == la(2026, 5, 13, 11, 30)

    def test_ending_at_end_of_friday(self) -> None:
        """Friday 18:00 + 6 business hours is the end of Friday, not Monday."""
        assert PACIFIC.add_business_hours(la(2026, 5, 15, 18), 6) == la(2026, 5, 16)

    def test_zero_hours_is_the_same_instant(self) -> None:
        """Adding nothing returns the instant itself, in UTC, even at a weekend."""
        result = PACIFIC.add_business_hours(la(2026, 5, 16, 10), 0)
        assert result == la(2026, 5, 16, 10)
        assert is_utc(result)

    def test_multiple_weeks(self) -> None:
        """120 business hours is one working week later."""
        assert PACIFIC.add_business_hours(la(2026, 5, 13, 9), 120) == la(2026, 5, 20, 9)

    @pytest.mark.parametrize("hours", [-1.0, math.nan, math.inf])
    def test_bad_hours_rejected(self, hours: float) -> None:
        """Negative or non-finite hours raise ValueError."""
        with pytest.raises(ValueError, match="finite hours >= 0"):
            PACIFIC.add_business_hours(la(2026, 5, 13, 9), hours)


class TestEditWindow:
    """A client may edit while Pending (until the next batch) or On Hold (no deadline)."""

    def test_pending_closes_at_next_batch(self) -> None:
        """A Pending order can be edited until the coming local midnight."""
        assert edit_window_closes_at(OrderStatus.PENDING, la(2026, 1, 15, 23)) == la(2026, 1, 16)

    def test_pending_at_batch_instant_waits_for_next_night(self) -> None:
        """A Pending order created exactly at midnight keeps its window until the next one."""
        assert edit_window_closes_at("Pending", la(2026, 1, 15)) == la(2026, 1, 16)

    def test_pending_with_fixed_calendar(self) -> None:
        """The window follows the calendar passed in."""
        closes = edit_window_closes_at(OrderStatus.PENDING, utc(2026, 7, 15, 12), FIXED)
        assert closes == utc(2026, 7, 16, 8)

    def test_on_hold_has_no_deadline(self) -> None:
        """A held order is not batched, so its window has no closing time."""
        assert edit_window_closes_at(OrderStatus.ON_HOLD, la(2026, 1, 15)) is None
        assert edit_window_closes_at("On Hold", la(2026, 1, 15)) is None

    def test_accepted_says_contact_support(self) -> None:
        """An Accepted order raises EditWindowClosed telling the client to contact support."""
        with pytest.raises(EditWindowClosed) as caught:
            edit_window_closes_at("Accepted", la(2026, 1, 15))
        assert str(caught.value) == (
            "Order is 'Accepted': the edit window closed at its batch; contact support."
        )
        assert caught.value.status is OrderStatus.ACCEPTED
        assert caught.value.code is ViolationCode.CONTACT_SUPPORT

    @pytest.mark.parametrize(
        "status", [s for s in OrderStatus if s not in EDITABLE and s is not OrderStatus.ACCEPTED]
    )
    def test_other_statuses_are_closed(self, status: OrderStatus) -> None:
        """Every later or final status raises a LifecycleError naming the status."""
        with pytest.raises(LifecycleError, match=f"Order is '{status.value}'") as caught:
            edit_window_closes_at(status, la(2026, 1, 15))
        assert isinstance(caught.value, EditWindowClosed)
        assert caught.value.status is status
        assert caught.value.code is ViolationCode.NOT_EDITABLE

    def test_unknown_status_rejected(self) -> None:
        """A string that is not a status raises ValueError."""
        with pytest.raises(ValueError, match="Pendng"):
            edit_window_closes_at("Pendng", la(2026, 1, 15))


class TestModuleFunctions:
    """The module-level shortcuts use the Pacific calendar unless given another."""

    def test_defaults_to_pacific(self) -> None:
        """Each shortcut answers like the PACIFIC calendar."""
        at = utc(2026, 7, 15, 12)
        assert next_batch_at(at) == PACIFIC.next_batch_at(at) == utc(2026, 7, 16, 7)
        assert next_status_tick(at) == PACIFIC.next_status_tick(at) == utc(2026, 7, 15, 13)
        assert is_batch_instant(utc(2026, 7, 16, 7))
        assert is_business_day(dt.date(2026, 7, 15))

    def test_take_a_calendar(self) -> None:
        """Each shortcut follows the calendar passed in."""
        at = utc(2026, 7, 15, 12)
        holiday = Calendar.fixed_pst([dt.date(2026, 7, 15)])
        assert next_batch_at(at, holiday) == utc(2026, 7, 16, 8)
        assert next_status_tick(at, holiday) == utc(2026, 7, 15, 14)
        assert is_batch_instant(utc(2026, 7, 16, 8), holiday)
        assert not is_business_day(dt.date(2026, 7, 15), holiday)


# Any aware instant of the century, on a fixed offset or an IANA zone.
fixed_offsets = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
    lambda minutes: dt.timezone(dt.timedelta(minutes=minutes))
)
instants = st.datetimes(
    min_value=dt.datetime(2000, 1, 1),
    max_value=dt.datetime(2100, 12, 31),
    timezones=st.one_of(fixed_offsets, st.timezones()),
)
# Each calendar with the stdlib zone that serves as its oracle.
calendars = st.sampled_from([(PACIFIC, LA), (FIXED, PST)])


def local_day(at: dt.datetime, zone: dt.tzinfo) -> dt.date:
    """Give the oracle's local date of an instant."""
    return at.astimezone(zone).date()


class TestBatchProperties:
    """Properties of the batch clock over any instant of the century."""

    @given(instants, calendars)
    def test_next_batch_is_a_later_local_midnight(
        self, at: dt.datetime, pair: tuple[Calendar, dt.tzinfo]
    ) -> None:
        """next_batch_at(t) is in UTC, strictly later, a local midnight, and at most 25 h away."""
        calendar, zone = pair
        batch = calendar.next_batch_at(at)
        local = batch.astimezone(zone)
        at = at.astimezone(UTC)  # so that adding hours adds elapsed time
        assert is_utc(batch)
        assert at < batch <= at + dt.timedelta(hours=25)
        assert (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0)

    @given(instants, calendars)
    def test_no_batch_between_previous_and_next(
        self, at: dt.datetime, pair: tuple[Calendar, dt.tzinfo]
    ) -> None:
        """previous_batch_at(t) <= t < next_batch_at(t), and they bound one local day."""
        calendar, zone = pair
        previous = calendar.previous_batch_at(at)
        following = calendar.next_batch_at(at)
        is_batch = calendar.is_batch_instant(at)
        at = at.astimezone(UTC)  # == across zones is always False for a time in a DST gap
        assert previous <= at < following
        # Everything in [previous, following) is on one local date, so no midnight between.
        day = local_day(previous, zone)
        assert local_day(following - MICRO, zone) == day
        assert local_day(following, zone) == day + dt.timedelta(days=1)
        assert calendar.is_batch_instant(previous)
        assert calendar.is_batch_instant(following)
        assert is_batch == (at == previous)

    @given(instants, calendars, st.integers(min_value=0, max_value=24 * 40))
    def test_batches_between_counts_local_dates(
        self, start: dt.datetime, pair: tuple[Calendar, dt.tzinfo], hours: int
    ) -> None:
        """(start, end] holds one batch per local date change, in order, each a batch instant."""
        calendar, zone = pair
        end = start.astimezone(UTC) + hours * HOUR
        batches = list(calendar.batches_between(start, end))
        assert len(batches) == (local_day(end, zone) - local_day(start, zone)).days
        assert batches == sorted(set(batches))
        assert all(start < b <= end and calendar.is_batch_instant(b) for b in batches)


class TestTickProperties:
    """Properties of the status-tick clock over any instant of the century."""

    @given(instants, calendars)
    def test_next_tick_is_a_later_tick_hour(
        self, at: dt.datetime, pair: tuple[Calendar, dt.tzinfo]
    ) -> None:
        """next_status_tick(t) is in UTC, strictly later, on a tick hour, and at most 7 h away."""
        calendar, zone = pair
        tick = calendar.next_status_tick(at)
        local = tick.astimezone(zone)
        at = at.astimezone(UTC)  # so that adding hours adds elapsed time
        assert is_utc(tick)
        assert at < tick <= at + dt.timedelta(hours=7)
        assert local.hour in STATUS_TICK_HOURS
        assert (local.minute, local.second, local.microsecond) == (0, 0, 0)

    @given(instants, calendars)
    def test_no_tick_between_previous_and_next(
        self, at: dt.datetime, pair: tuple[Calendar, dt.tzinfo]
    ) -> None:
        """previous_status_tick(t) <= t < next_status_tick(t), and they are consecutive ticks."""
        calendar, zone = pair
        previous = calendar.previous_status_tick(at)
        following = calendar.next_status_tick(at)
        is_tick = calendar.is_status_tick(at)
        at = at.astimezone(UTC)  # == across zones is always False for a time in a DST gap
        assert previous <= at < following
        assert following - previous <= dt.timedelta(hours=7)
        assert (previous.astimezone(zone).hour + 6) % 24 == following.astimezone(zone).hour
        assert calendar.is_status_tick(previous)
        assert is_tick == (at == previous)

    @given(instants, calendars, st.integers(min_value=0, max_value=24 * 40))
    def test_ticks_between_counts_local_quarters(
        self, start: dt.datetime, pair: tuple[Calendar, dt.tzinfo], hours: int
    ) -> None:
        """(start, end] holds one tick per local quarter-day boundary crossed."""
        calendar, zone = pair
        end = start.astimezone(UTC) + hours * HOUR

        def quarter(at: dt.datetime) -> int:
            local = at.astimezone(zone)
            return local.toordinal() * 4 + local.hour // 6

        ticks = list(calendar.status_ticks_between(start, end))
        assert len(ticks) == quarter(end) - quarter(start)
        assert all(start < t <= end and calendar.is_status_tick(t) for t in ticks)


class TestAnyZoneProperties:
    """In every IANA zone the cached look-ups agree with a direct computation."""

    @given(instants, st.timezone_keys(), st.sampled_from([(0,), STATUS_TICK_HOURS]))
    def test_lookups_match_direct_computation(
        self, at: dt.datetime, key: str, hours: tuple[int, ...]
    ) -> None:
        """The next and previous events equal the nearest wall-clock hours computed directly."""
        zone = zoneinfo.ZoneInfo(key)
        calendar = Calendar(key)
        day = local_day(at, zone)
        # fold=0 is the documented rule: first pass of a repeated time, jump for a skipped one.
        candidates = sorted(
            dt.datetime.combine(day + dt.timedelta(days=k), dt.time(h), tzinfo=zone).astimezone(UTC)
            for k in range(-3, 4)
            for h in hours
        )
        in_utc = at.astimezone(UTC)
        expected_next = min(c for c in candidates if c > in_utc)
        expected_previous = max(c for c in candidates if c <= in_utc)
        if hours == (0,):
            found = (calendar.next_batch_at(at), calendar.previous_batch_at(at))
            assert calendar.is_batch_instant(expected_next)
        else:
            found = (calendar.next_status_tick(at), calendar.previous_status_tick(at))
            assert calendar.is_status_tick(expected_next)
        assert found == (expected_next, expected_previous)


class TestBusinessProperties:
    """Properties of business-day arithmetic."""

    @given(
        st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 1, 1)),
        st.integers(min_value=1, max_value=30),
        st.frozensets(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 3, 1))),
    )
    def test_next_business_day_counts_business_days(
        self, day: dt.date, n: int, holidays: frozenset[dt.date]
    ) -> None:
        """The n-th business day after d is one, with exactly n business days in (d, it]."""
        calendar = Calendar(holidays=holidays)
        found = calendar.next_business_day(day, n)
        span = [day + dt.timedelta(days=i) for i in range(1, (found - day).days + 1)]
        assert calendar.is_business_day(found)
        assert sum(calendar.is_business_day(d) for d in span) == n
        assert calendar.add_business_days(found, -n) <= day

    @given(instants, st.floats(min_value=0, max_value=24 * 20))
    def test_business_hours_elapsed(self, at: dt.datetime, hours: float) -> None:
        """The elapsed time on business days between t and add_business_hours(t, h) is h."""
        end = PACIFIC.add_business_hours(at, hours)
        elapsed = dt.timedelta(0)
        # In UTC first: pendulum's subtraction would move a wall time inside a DST gap.
        cursor = at.astimezone(UTC)
        while cursor < end:
            boundary = min(PACIFIC.next_batch_at(cursor), end)
            if PACIFIC.business_day_of(cursor):
                elapsed += boundary - cursor
            cursor = boundary
        assert elapsed == dt.timedelta(hours=hours)
        assert end >= at


class TestBusinessTickAfterHours:
    """`Calendar.business_tick_after_hours` is `next_business_tick(add_business_hours(...))`."""

    @settings(max_examples=200)
    @given(
        at=instants,
        hours=st.one_of(st.floats(0, 80, allow_nan=False), st.sampled_from([0.0, 6.0, 24.0])),
    )
    def test_agrees_with_the_two_step_form(self, at: dt.datetime, hours: float) -> None:
        """For any start and length, both forms give the same tick (exact boundaries included)."""
        calendar = Calendar.pacific(holidays=[dt.date(2026, 11, 26), dt.date(2026, 12, 25)])
        two_step = calendar.next_business_tick(calendar.add_business_hours(at, hours))
        assert calendar.business_tick_after_hours(at, hours) == two_step

    def test_refuses_negative_hours(self) -> None:
        """A negative length is a caller's error."""
        with pytest.raises(ValueError, match="finite hours"):
            Calendar.pacific().business_tick_after_hours(dt.datetime(2026, 1, 5, tzinfo=dt.UTC), -1)


_MICRO = dt.timedelta(microseconds=1)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
_HOLIDAYS = [dt.date(2026, 11, 26), dt.date(2026, 12, 25), dt.date(2027, 1, 1)]
# One calendar per zone for the whole run, so that later examples meet starts whose business
# days earlier ones worked out (and extend them). Santiago and Beirut move their clocks at
# midnight, so a day there can start at 01:00 or twice.
_KEPT = {
    zone: Calendar(zone, _HOLIDAYS)
    for zone in (PACIFIC_ZONE, FIXED_PST_ZONE, "America/Santiago", "Asia/Beirut", "UTC+5:30")
}


def _micros(at: dt.datetime) -> int:
    # Unbound, so that a pendulum DateTime subtracts as a plain datetime does.
    since: dt.timedelta = dt.datetime.__sub__(at, _EPOCH)
    return since // _MICRO


class TestBusinessTickAfterHoursMicros:
    """The integer form, answered from kept walks, is the two-step datetime form in any zone."""

    @settings(max_examples=200)
    @given(
        zone=st.sampled_from(sorted(_KEPT)),
        at=st.one_of(
            instants,
            # Starts on the ticks themselves, as the simulator's are, so they repeat.
            st.integers(0, 4 * 400).map(
                lambda n: dt.datetime(2026, 10, 1, 7, tzinfo=UTC) + n * dt.timedelta(hours=6)
            ),
        ),
        hours=st.one_of(
            st.floats(0, 80, allow_nan=False),
            st.sampled_from([0.0, 6.0, 12.0, 18.0, 24.0, 48.0, 72.0]),
            st.integers(0, 100),
            st.floats(744, 2_000),  # past the kept horizon: walked through instead
        ),
    )
    def test_agrees_with_the_two_step_form(self, zone: str, at: dt.datetime, hours: float) -> None:
        """For any zone, start and length, the walk's tick is `next_business_tick` of its end."""
        calendar = _KEPT[zone]
        want = _micros(calendar.next_business_tick(calendar.add_business_hours(at, hours)))
        assert calendar.business_tick_after_hours_micros(_micros(at), hours) == want
        assert _micros(calendar.business_tick_after_hours(at, hours)) == want

    def test_keeps_a_bounded_number_of_starts(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Past `_WORK_STARTS` starts the oldest is forgotten; answers do not change."""
        monkeypatch.setattr(_calendar, "_WORK_STARTS", 3)
        calendar = Calendar.pacific(_HOLIDAYS)
        starts = [_micros(dt.datetime(2026, 11, 2 + day, 8, tzinfo=UTC)) for day in range(6)]
        first = [calendar.business_tick_after_hours_micros(at, 13.5) for at in starts]
        assert len(calendar._work) == 3
        assert [calendar.business_tick_after_hours_micros(at, 13.5) for at in starts] == first

    @pytest.mark.parametrize("hours", [-1.0, math.nan, math.inf])
    def test_refuses_negative_or_endless_work(self, hours: float) -> None:
        """As the datetime form does."""
        with pytest.raises(ValueError, match="finite hours"):
            Calendar.pacific().business_tick_after_hours_micros(0, hours)

    @given(
        st.one_of(
            st.floats(0, 1e7, allow_nan=False),
            # Fractions whose microseconds end in exactly .5: timedelta rounds them half to even.
            st.integers(0, 10**9).map(lambda n: (n + 0.5) / 3_600_000_000),
            st.integers(0, 2**20).map(lambda n: n / 2**21),
            st.integers(0, 10**6),
        )
    )
    def test_hours_in_micros_is_timedeltas_rounding(self, hours: float) -> None:
        """`_hours_in_micros(h)` is `timedelta(hours=h)` in microseconds, for every float."""
        assert _calendar._hours_in_micros(hours) == dt.timedelta(hours=hours) // _MICRO


class TestUnderThreads:
    """Calendars and their kept answers are shared by threads without locks in the caller."""

    @pytest.fixture(autouse=True)
    def _switch_often(self) -> Iterator[None]:
        """Make the interpreter switch threads as often as it can, to meet the races."""
        interval = sys.getswitchinterval()
        sys.setswitchinterval(1e-6)
        yield
        sys.setswitchinterval(interval)

    @staticmethod
    def _in_threads(ask: Callable[[], list[int]], count: int = 8) -> list[list[int]]:
        """Run `ask` in `count` threads at once; their answers, or the first error raised."""
        answers: list[list[int]] = []
        errors: list[BaseException] = []
        start = threading.Barrier(count)

        def run() -> None:
            start.wait()
            try:
                answers.append(ask())
            except Exception as error:  # noqa: BLE001 - reported below, with the test's verdict
                errors.append(error)

        threads = [threading.Thread(target=run) for _ in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == []
        assert len(answers) == count
        return answers

    def test_walks_evicted_by_many_threads(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """With room for two walks, eight threads asking from many starts get the right ticks."""
        monkeypatch.setattr(_calendar, "_WORK_STARTS", 2)
        calendar = Calendar.pacific(_HOLIDAYS)
        starts = [_micros(utc(2026, 11, 2, 8) + n * 6 * HOUR) for n in range(60)]
        expected = [
            Calendar.pacific(_HOLIDAYS).business_tick_after_hours_micros(at, 13.5) for at in starts
        ]
        answers = self._in_threads(
            lambda: [calendar.business_tick_after_hours_micros(at, 13.5) for at in starts]
        )
        assert answers == [expected] * len(answers)
        assert len(calendar._work) <= 2

    def test_hours_evicted_by_many_threads(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """With room for two hours, eight threads looking up many hours get the right batches."""
        monkeypatch.setattr(_calendar, "_CACHE_SIZE", 2)
        clock = _calendar._Clock(PACIFIC_ZONE, (0,))
        hours = [utc(2026, 1, 1) + n * HOUR - _calendar._EPOCH for n in range(200)]
        expected = [_micros(PACIFIC.next_batch_at(_calendar._EPOCH + since)) for since in hours]
        answers = self._in_threads(
            lambda: [_micros(clock.next_after(since).instant) for since in hours]
        )
        assert answers == [expected] * len(answers)
        assert len(clock._windows) <= 2


class TestKept:
    """The bounded map behind both caches."""

    def test_calendar_copies_and_pickles(self) -> None:
        """A calendar that has kept answers deep-copies and pickles; the copy answers the same."""
        calendar = Calendar.pacific(_HOLIDAYS)
        start = _micros(utc(2026, 11, 2, 8))
        tick = calendar.business_tick_after_hours_micros(start, 30.0)
        for copied in (copy.deepcopy(calendar), pickle.loads(pickle.dumps(calendar))):  # noqa: S301
            assert copied == calendar
            assert copied.business_tick_after_hours_micros(start, 30.0) == tick

    def test_forgets_the_oldest_past_its_limit(self) -> None:
        """A third key pushes out the first; replacing a kept key pushes out nothing."""
        kept: _calendar._Kept[str, int] = _calendar._Kept(2)
        kept.keep("a", 1)
        kept.keep("b", 2)
        kept.keep("b", 3)
        assert (kept.get("a"), kept.get("b"), len(kept)) == (1, 3, 2)
        assert kept.keep("c", 4) == 4
        assert (kept.get("a"), kept.get("b"), kept.get("c")) == (None, 3, 4)
