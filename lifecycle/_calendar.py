"""The OK Capsule clock: nightly batches, 6-hourly status ticks and business days.

Everything runs on wall-clock time in one zone (Pacific by default); time is always passed in.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import threading
from bisect import bisect_left, bisect_right
from typing import TYPE_CHECKING, Generic, NamedTuple, TypeAlias, TypeVar

import attrs
import pendulum

from lifecycle._errors import LifecycleError, ViolationCode
from lifecycle._status import FINAL, OrderStatus

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

PACIFIC_ZONE = "America/Los_Angeles"
"""The zone OK Capsule's batch and status clocks run on."""

FIXED_PST_ZONE = "UTC-8"
"""Pacific Standard Time all year round: a fixed offset that ignores daylight saving."""

BATCH_HOUR = 0
"""Local hour of the nightly batch that turns every Pending order into Accepted."""

STATUS_TICK_HOURS: tuple[int, ...] = (0, 6, 12, 18)
"""Local hours at which statuses after acceptance may change."""

_BATCH_HOURS: tuple[int, ...] = (BATCH_HOUR,)
_HOUR = dt.timedelta(hours=1)
_DAY = dt.timedelta(days=1)
_MICROSECOND = dt.timedelta(microseconds=1)
# Plain stdlib datetimes keep the hot path in C; pendulum's own arithmetic is far slower.
# Subtracting datetimes that share one tzinfo object skips both utcoffset() calls, so UTC
# inputs (stdlib or pendulum) meet an epoch in their own UTC object.
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_PENDULUM_EPOCH = dt.datetime(1970, 1, 1, tzinfo=pendulum.UTC)
# Called unbound so a pendulum DateTime subtracts in C and yields a plain timedelta.
_SUBTRACT = dt.datetime.__sub__
_FIXED_OFFSET = re.compile(r"UTC([+-])(\d{1,2})(?::(\d{2}))?")
# Enough for two centuries of days, or seven years of hourly windows, per zone and clock.
_CACHE_SIZE = 1 << 16
_WORK_STARTS = 4096
"""Most start instants whose business time a calendar keeps (`Calendar._work`)."""
_MICROS_PER_HOUR = 3_600_000_000
_WORK_HORIZON = 31 * 24 * _MICROS_PER_HOUR
"""The longest work, in microseconds of business time, whose walk a calendar keeps."""
_MAX_SKIPS = 7
"""Skips to a next business day before a stretch opens: one, or more where dates are skipped."""

_Zone: TypeAlias = pendulum.Timezone | pendulum.FixedTimezone
_K = TypeVar("_K")
_V = TypeVar("_V")


class EditWindowClosed(LifecycleError):
    """A client tried to edit an order whose status no longer allows edits."""

    def __init__(self, status: OrderStatus) -> None:
        """Describe why the order can no longer be edited.

        Args:
            status: the order's current status.
        """
        self.status = status
        self.code = (
            ViolationCode.CONTACT_SUPPORT
            if status is OrderStatus.ACCEPTED
            else ViolationCode.NOT_EDITABLE
        )
        if status is OrderStatus.ACCEPTED:
            advice = "the edit window closed at its batch; contact support."
        elif status in FINAL:
            advice = "the order is closed and can no longer be edited."
        else:
            advice = "the edit window closed at its batch; the order can no longer be edited."
        super().__init__(f"Order is '{status.value}': {advice}")


def _to_holidays(days: Iterable[dt.date]) -> frozenset[dt.date]:
    """Freeze the holiday dates, refusing datetimes whose date would be ambiguous."""
    holidays = frozenset(days)
    for day in holidays:
        if isinstance(day, dt.datetime) or not isinstance(day, dt.date):
            raise TypeError(f"Holidays must be dates, got {day!r}; pass datetime.date values.")
    return holidays


class _Event(NamedTuple):
    """One batch or tick instant, in the forms the hot paths need."""

    since_epoch: dt.timedelta
    instant: dt.datetime
    day: dt.date


class _Window(NamedTuple):
    """The events around one UTC hour [start, start + 1 h) for one zone and clock."""

    earlier: _Event
    inside: tuple[_Event, ...]
    later: _Event


class _WorkFrom(NamedTuple):
    """The business time after one start instant, as far as it has been walked.

    In integer microseconds since the epoch. Work begun at the start runs through one stretch
    of business time per business day: stretch `i` opens at `opens[i]` (the start itself, or
    a business day's first instant) and ends at the next midnight, by when `worked[i]`
    microseconds of business time have passed since the start. `ticks` are the business ticks
    from `opens[0]` to the end of the last stretch. A record is never changed, only replaced
    by a longer one, so a reader on another thread sees a whole one.
    """

    opens: tuple[int, ...]
    worked: tuple[int, ...]
    ticks: tuple[int, ...]
    cursor: int
    """Where the next stretch is sought: the end of the last one (or the start)."""


class _Kept(Generic[_K, _V]):
    """A bounded map of worked-out answers that threads share; past its limit the oldest goes.

    Safe under threads because the values are immutable and only `keep` changes the map, under
    a lock: two threads never evict at once, and nothing iterates the dict while another thread
    changes it. `get` takes no lock: one dict look-up is atomic (under the GIL, and under the
    free-threaded build's per-dict lock), so a reader sees no value or a whole one. Two threads
    missing the same key both work it out and keep equal answers, which is harmless.
    """

    __slots__ = ("_lock", "_values", "get", "limit")

    def __init__(self, limit: int) -> None:
        """Start empty.

        Args:
            limit: the most entries kept.
        """
        self.limit = limit
        self._values: dict[_K, _V] = {}
        self._lock = threading.Lock()
        self.get = self._values.get
        """The kept value for a key, or None: the dict's own method, for speed."""

    def keep(self, key: _K, value: _V) -> _V:
        """Keep (or replace) one answer, forgetting the oldest past the limit; return it."""
        with self._lock:
            if key not in self._values and len(self._values) >= self.limit:
                # Dicts keep insertion order, so this forgets the oldest key.
                del self._values[next(iter(self._values))]
            self._values[key] = value
        return value

    def __len__(self) -> int:
        """How many answers are kept."""
        return len(self._values)

    def __reduce__(self) -> tuple[type[_Kept[_K, _V]], tuple[int]]:
        """Copy or pickle as an empty map: the answers are worked out again, the lock is new."""
        return _Kept, (self.limit,)


@attrs.frozen
class Calendar:
    """The clock OK Capsule runs on: one zone and the holidays on which nothing ships.

    Batches happen at local midnight, status ticks at 00:00, 06:00, 12:00 and 18:00 local
    time, each local date's ones exactly once. A wall time the clock repeats counts the
    first time round; one it skips is moved forward by the gap, so a skipped midnight is
    the instant of the jump. (Neither happens in Pacific time, whose clocks change at 02:00.)

    Every method takes aware datetimes and returns aware datetimes in UTC.
    """

    zone: str = attrs.field(default=PACIFIC_ZONE, validator=attrs.validators.instance_of(str))
    """An IANA zone name, or a fixed offset spelt like "UTC-8"."""
    holidays: frozenset[dt.date] = attrs.field(default=frozenset(), converter=_to_holidays)
    """Local dates on which production and shipping do not advance."""
    _tz: _Zone = attrs.field(init=False, repr=False, eq=False)
    _batches: _Clock = attrs.field(init=False, repr=False, eq=False)
    _ticks: _Clock = attrs.field(init=False, repr=False, eq=False)
    _work: _Kept[int, _WorkFrom] = attrs.field(
        init=False, repr=False, eq=False, factory=lambda: _Kept(_WORK_STARTS)
    )
    """The business time walked from each recent start (`_work_ends`)."""

    def __attrs_post_init__(self) -> None:
        """Resolve the zone once, so a bad name fails here rather than at first use."""
        object.__setattr__(self, "_tz", _zone(self.zone))
        object.__setattr__(self, "_batches", _clock(self.zone, _BATCH_HOURS))
        object.__setattr__(self, "_ticks", _clock(self.zone, STATUS_TICK_HOURS))

    @classmethod
    def pacific(cls, holidays: Iterable[dt.date] = ()) -> Calendar:
        """Build the calendar OK Capsule runs on: Pacific time with daylight saving.

        Args:
            holidays: local dates on which nothing ships.

        Returns:
            A calendar for America/Los_Angeles.
        """
        return cls(PACIFIC_ZONE, holidays)

    @classmethod
    def fixed_pst(cls, holidays: Iterable[dt.date] = ()) -> Calendar:
        """Build a calendar on UTC-8 all year, ignoring daylight saving.

        Args:
            holidays: local dates on which nothing ships.

        Returns:
            A calendar for the fixed offset UTC-8.
        """
        return cls(FIXED_PST_ZONE, holidays)

    def local(self, at: dt.datetime) -> pendulum.DateTime:
        """Show an instant on this calendar's wall clock.

        Args:
            at: an aware instant.

        Returns:
            The same instant in the calendar's zone.

        Raises:
            ValueError: `at` is naive.
        """
        return pendulum.instance(_PENDULUM_EPOCH + _since_epoch(at)).in_timezone(self._tz)

    def local_date(self, at: dt.datetime) -> dt.date:
        """Tell which local date an instant falls on.

        Args:
            at: an aware instant.

        Returns:
            The date on this calendar's wall clock at that instant.

        Raises:
            ValueError: `at` is naive.
        """
        return (_EPOCH + _since_epoch(at)).astimezone(self._tz).date()

    def next_batch_at(self, after: dt.datetime) -> dt.datetime:
        """Find the first nightly batch strictly after an instant.

        An order created exactly at a batch instant waits for the next night.

        Args:
            after: an aware instant.

        Returns:
            The batch instant, in UTC.

        Raises:
            ValueError: `after` is naive.
        """
        return self._batches.next_after(_since_epoch(after)).instant

    def previous_batch_at(self, at: dt.datetime) -> dt.datetime:
        """Find the latest nightly batch at or before an instant.

        Args:
            at: an aware instant.

        Returns:
            The batch instant, in UTC.

        Raises:
            ValueError: `at` is naive.
        """
        return self._batches.at_or_before(_since_epoch(at)).instant

    def is_batch_instant(self, at: dt.datetime) -> bool:
        """Tell whether an instant is exactly a nightly batch.

        Args:
            at: an aware instant.

        Returns:
            True when `at` is a local midnight of this calendar.

        Raises:
            ValueError: `at` is naive.
        """
        return self._batches.is_event(_since_epoch(at))

    def batches_between(self, start: dt.datetime, end: dt.datetime) -> Iterator[dt.datetime]:
        """List the nightly batches in the half-open interval (start, end].

        Args:
            start: an aware instant, excluded.
            end: an aware instant, included.

        Returns:
            The batch instants in UTC, in order; none when `end` is not after `start`.

        Raises:
            ValueError: `start` or `end` is naive.
        """
        return self._batches.between(_since_epoch(start), _since_epoch(end))

    def next_status_tick(self, after: dt.datetime) -> dt.datetime:
        """Find the first status-update tick strictly after an instant.

        Args:
            after: an aware instant.

        Returns:
            The tick instant (00:00, 06:00, 12:00 or 18:00 local), in UTC.

        Raises:
            ValueError: `after` is naive.
        """
        return self._ticks.next_after(_since_epoch(after)).instant

    def previous_status_tick(self, at: dt.datetime) -> dt.datetime:
        """Find the latest status-update tick at or before an instant.

        Args:
            at: an aware instant.

        Returns:
            The tick instant, in UTC.

        Raises:
            ValueError: `at` is naive.
        """
        return self._ticks.at_or_before(_since_epoch(at)).instant

    def is_status_tick(self, at: dt.datetime) -> bool:
        """Tell whether an instant is exactly a status-update tick.

        Args:
            at: an aware instant.

        Returns:
            True when `at` is 00:00, 06:00, 12:00 or 18:00 on this calendar's wall clock.

        Raises:
            ValueError: `at` is naive.
        """
        return self._ticks.is_event(_since_epoch(at))

    def status_ticks_between(self, start: dt.datetime, end: dt.datetime) -> Iterator[dt.datetime]:
        """List the status-update ticks in the half-open interval (start, end].

        Args:
            start: an aware instant, excluded.
            end: an aware instant, included.

        Returns:
            The tick instants in UTC, in order; none when `end` is not after `start`.

        Raises:
            ValueError: `start` or `end` is naive.
        """
        return self._ticks.between(_since_epoch(start), _since_epoch(end))

    def is_business_day(self, day: dt.date) -> bool:
        """Tell whether production and shipping advance on a local date.

        Args:
            day: a local date (not a datetime: use `business_day_of` for an instant).

        Returns:
            True on Monday to Friday unless the date is one of the holidays.

        Raises:
            TypeError: `day` is a datetime, whose own date may not be the local one.
        """
        if isinstance(day, dt.datetime):
            raise TypeError(
                f"is_business_day takes a date, got the datetime {day.isoformat()}; "
                "use business_day_of() for an instant."
            )
        return day.weekday() < 5 and day not in self.holidays

    def business_day_of(self, at: dt.datetime) -> bool:
        """Tell whether an instant falls on a business day of this calendar's wall clock.

        Args:
            at: an aware instant.

        Returns:
            True when the instant's local date is a business day.

        Raises:
            ValueError: `at` is naive.
        """
        return self.is_business_day(self.local_date(at))

    def next_business_day(self, day: dt.date, n: int = 1) -> dt.date:
        """Find the n-th business day strictly after a date.

        Args:
            day: a local date; it need not be a business day itself.
            n: how many business days to move forward, at least 1.

        Returns:
            The business day reached.

        Raises:
            ValueError: `n` is less than 1.
        """
        if n < 1:
            raise ValueError(f"next_business_day needs n >= 1, got {n}; use add_business_days.")
        return self.add_business_days(day, n)

    def add_business_days(self, day: dt.date, n: int) -> dt.date:
        """Move a date by a number of business days, counting only business days.

        Args:
            day: a local date; it need not be a business day itself.
            n: business days to move; negative moves back, zero returns `day` unchanged.

        Returns:
            The n-th business day after `day` (before it when `n` is negative).
        """
        step = _DAY if n > 0 else -_DAY
        for _ in range(abs(n)):
            day += step
            while not self.is_business_day(day):
                day += step
        return day

    def next_business_tick(self, after: dt.datetime) -> dt.datetime:
        """Find the first status-update tick strictly after an instant on a business day.

        Production and shipping advance only at these ticks.

        Args:
            after: an aware instant.

        Returns:
            The tick instant, in UTC.

        Raises:
            ValueError: `after` is naive.
        """
        return self._business_tick_after(_since_epoch(after))

    def _business_tick_after(self, since: dt.timedelta) -> dt.datetime:
        tick = self._ticks.next_after(since)
        if self.is_business_day(tick.day):
            return tick.instant
        # The first tick of a business day is its midnight.
        return self._start_of(self.next_business_day(tick.day)).instant

    def add_business_hours(self, at: dt.datetime, hours: float) -> dt.datetime:
        """Move an instant forward counting only elapsed time on business days.

        Friday 18:00 plus 24 business hours is Monday 18:00. A 23 h or 25 h business day
        counts as the time that really elapses.

        Args:
            at: an aware instant.
            hours: business hours to add, zero or more.

        Returns:
            The earliest instant by which that many business hours have elapsed, in UTC.

        Raises:
            ValueError: `at` is naive, or `hours` is negative or not finite.
        """
        return _utc_instant(self._work_ends(_micros(at), hours)[0])

    def business_tick_after_hours(self, at: dt.datetime, hours: float) -> dt.datetime:
        """Find the first business tick strictly after `hours` business hours from an instant.

        When work of that length, started at `at`, shows up at the status ticks: the same as
        `next_business_tick(add_business_hours(at, hours))`, computed in one walk.

        Args:
            at: an aware instant.
            hours: business hours of work, zero or more.

        Returns:
            The tick instant, in UTC.

        Raises:
            ValueError: `at` is naive, or `hours` is negative or not finite.
        """
        return _utc_instant(self._work_ends(_micros(at), hours)[1])

    def business_tick_after_hours_micros(self, at: int, hours: float) -> int:
        """`business_tick_after_hours` on integer microseconds since the Unix epoch (UTC).

        For callers that keep instants as integers (the simulator asks once per order, from a
        few starts, with a random length of work).

        Args:
            at: the start, in microseconds since the epoch.
            hours: business hours of work, zero or more.

        Returns:
            The tick, in microseconds since the epoch.

        Raises:
            ValueError: `hours` is negative or not finite.
        """
        return self._work_ends(at, hours)[1]

    def _work_ends(self, at: int, hours: float) -> tuple[int, int]:
        """When work of `hours` business hours begun at `at` ends, and the next business tick.

        Both in microseconds since the epoch; the tick is the first strictly after the end.
        The business days after each recent start are walked once and kept (`_WorkFrom`), so
        a repeated start costs two bisections. Work longer than `_WORK_HORIZON` is walked
        but not kept.
        """
        if not math.isfinite(hours) or hours < 0:
            raise ValueError(f"add_business_hours needs a finite hours >= 0, got {hours!r}.")
        remaining = _hours_in_micros(hours)
        work = self._work.get(at)
        if work is None or work.worked[-1] < remaining:
            work = self._walk(at, work, remaining)
        if remaining:
            # The stretch in which the work ends: it ends at a day's end, not the next
            # business day's start, when it fills its stretch exactly.
            i = bisect_left(work.worked, remaining)
            end = work.opens[i] + remaining - (work.worked[i - 1] if i else 0)
        else:
            end = at
        # The first business tick after the end may lie in a stretch not yet walked; every
        # business day's stretch holds ticks, so this walks one or two stretches at most.
        while (k := bisect_right(work.ticks, end)) == len(work.ticks):
            work = self._walk(at, work, work.worked[-1] + 1)
        return end, work.ticks[k]

    def _walk(self, at: int, work: _WorkFrom | None, remaining: int) -> _WorkFrom:
        """Walk the business days after `at` until `remaining` of business time has passed.

        The one walk over business days: from the cursor, a non-business day is skipped to
        the next business day's first instant, and a business day's stretch runs to the next
        batch (midnight). Starts from `work`, the record kept so far, if any.
        """
        work = work or _WorkFrom((), (), (), at)
        opens, worked, ticks = list(work.opens), list(work.worked), list(work.ticks)
        cursor = work.cursor
        while not worked or worked[-1] < remaining:
            cursor = self._stretch(cursor, opens, worked, ticks)
        longer = _WorkFrom(tuple(opens), tuple(worked), tuple(ticks), cursor)
        if remaining <= _WORK_HORIZON:
            self._work.keep(at, longer)
        return longer

    def _stretch(self, cursor: int, opens: list[int], worked: list[int], ticks: list[int]) -> int:
        """Add the first stretch of business time at or after `cursor`; return where it ends."""
        since = dt.timedelta(microseconds=cursor)
        for _ in range(_MAX_SKIPS):
            day = self._batches.at_or_before(since).day
            if self.is_business_day(day):
                break
            since = self._start_of(self.next_business_day(day)).since_epoch
        day_end = self._batches.next_after(since).since_epoch
        tick = self._ticks.next_after(since - _MICROSECOND)
        while tick.since_epoch < day_end:
            if self.is_business_day(tick.day):
                ticks.append(tick.since_epoch // _MICROSECOND)
            tick = self._ticks.next_after(tick.since_epoch)
        opens.append(since // _MICROSECOND)
        worked.append((worked[-1] if worked else 0) + (day_end - since) // _MICROSECOND)
        return day_end // _MICROSECOND

    def _start_of(self, day: dt.date) -> _Event:
        """Find the batch instant at which a local date begins."""
        return _day_events(self.zone, _BATCH_HOURS, day)[0]


def _since_epoch(at: dt.datetime) -> dt.timedelta:
    """Turn an aware instant into its exact distance from the Unix epoch."""
    try:
        if at.tzinfo is pendulum.UTC:
            return _SUBTRACT(at, _PENDULUM_EPOCH)
        return _SUBTRACT(at, _EPOCH)
    except (TypeError, AttributeError):
        if isinstance(at, dt.datetime) and at.utcoffset() is None:
            raise ValueError(
                f"Naive datetime {at.isoformat()} has no time zone; pass an aware datetime "
                "(for example with tzinfo=datetime.UTC)."
            ) from None
        raise TypeError(f"Expected an aware datetime, got {at!r}.") from None


def _micros(at: dt.datetime) -> int:
    """Turn an aware instant into integer microseconds since the Unix epoch."""
    since = _since_epoch(at)
    return (since.days * 86_400 + since.seconds) * 1_000_000 + since.microseconds


def _utc_instant(micros: int) -> pendulum.DateTime:
    """Turn microseconds since the Unix epoch into an instant in UTC."""
    return pendulum.instance(_PENDULUM_EPOCH + dt.timedelta(microseconds=micros))


def _hours_in_micros(hours: float) -> int:
    """`timedelta(hours=hours)` in microseconds, for finite `hours` >= 0, without the timedelta.

    CPython's timedelta keeps the float's integer part exactly, multiplies the fraction by
    the microseconds in an hour as a float, and rounds what is left of that product half to
    even on the total. The same arithmetic here costs a third as much, and runs once per
    order; a test holds the two equal. Anything but a float goes to timedelta itself.
    """
    if type(hours) is not float:
        return dt.timedelta(hours=hours) // _MICROSECOND
    whole = int(hours)
    scaled = (hours - whole) * 3_600_000_000.0  # both steps exact but the product
    micros = int(scaled)
    total = whole * _MICROS_PER_HOUR + micros
    leftover = scaled - micros
    if leftover > 0.5 or (leftover == 0.5 and total & 1):
        total += 1
    return total


@functools.cache
def _zone(name: str) -> _Zone:
    """Resolve a zone name once: an IANA name, or a fixed offset like "UTC-8"."""
    fixed = _FIXED_OFFSET.fullmatch(name)
    if fixed:
        sign, hours, minutes = fixed.groups()
        offset = int(hours) * 3600 + int(minutes or 0) * 60
        if offset >= 24 * 3600 or int(minutes or 0) >= 60:
            raise ValueError(
                f"Unknown time zone {name!r}: write a fixed offset as UTC-8 or UTC+5:30, "
                "under 24 hours."
            )
        return pendulum.FixedTimezone(-offset if sign == "-" else offset, name=name)
    try:
        # The class, not pendulum.timezone(): that one maps "local" to the host's zone.
        return pendulum.Timezone(name)
    except (ValueError, TypeError):
        raise ValueError(
            f"Unknown time zone {name!r}: use an IANA name such as 'America/Los_Angeles' "
            "or a fixed offset such as 'UTC-8'."
        ) from None


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _day_events(zone: str, hours: tuple[int, ...], day: dt.date) -> tuple[_Event, ...]:
    """Map the wall-clock hours of one local date to instants, in order."""
    tz = _zone(zone)
    events: list[_Event] = []
    for hour in hours:
        # fold=0 puts a repeated wall time at its first occurrence and moves a skipped one
        # forward by the gap, so each wall time is one instant.
        wall = dt.datetime(day.year, day.month, day.day, hour, tzinfo=tz, fold=0)
        since = wall - _EPOCH
        utc = _PENDULUM_EPOCH + since
        events.append(_Event(since, pendulum.instance(utc), utc.astimezone(tz).date()))
    return tuple(events)


@attrs.define(eq=False)
class _Clock:
    """The instants at which one zone's wall clock shows some hours, for fast look-ups.

    Each UTC hour's neighbouring events are worked out once and kept, so a look-up costs
    one division and one dict access. Calendars on one zone share the clock, from any thread.
    """

    zone: str
    hours: tuple[int, ...]
    _windows: _Kept[int, _Window] = attrs.field(factory=lambda: _Kept(_CACHE_SIZE))

    def next_after(self, since: dt.timedelta) -> _Event:
        """Find the first event strictly after an instant."""
        window = self._window(since.days * 24 + since.seconds // 3600)
        for event in window.inside:
            if event.since_epoch > since:
                return event
        return window.later

    def at_or_before(self, since: dt.timedelta) -> _Event:
        """Find the latest event at or before an instant."""
        window = self._window(since.days * 24 + since.seconds // 3600)
        for event in reversed(window.inside):
            if event.since_epoch <= since:
                return event
        return window.earlier

    def is_event(self, since: dt.timedelta) -> bool:
        """Tell whether an instant is exactly an event."""
        for event in self._window(since.days * 24 + since.seconds // 3600).inside:
            if event.since_epoch == since:
                return True
        return False

    def between(self, start: dt.timedelta, end: dt.timedelta) -> Iterator[dt.datetime]:
        """Yield the events in (start, end], in order."""
        event = self.next_after(start)
        while event.since_epoch <= end:
            yield event.instant
            event = self.next_after(event.since_epoch)

    def _window(self, hour_index: int) -> _Window:
        """Fetch the events around one UTC hour, working them out on first use."""
        window = self._windows.get(hour_index)
        if window is None:
            window = self._windows.keep(hour_index, self._gather(hour_index))
        return window

    def _gather(self, hour_index: int) -> _Window:
        """Work out the events before, inside and after one UTC hour."""
        start = hour_index * _HOUR
        end = start + _HOUR
        day = (_EPOCH + start).astimezone(_zone(self.zone)).date()
        # Two days either side covers 25 h days, skipped dates and any UTC offset.
        by_instant = {
            event.since_epoch: event
            for offset in range(-2, 3)
            for event in _day_events(self.zone, self.hours, day + offset * _DAY)
        }
        events = sorted(by_instant.values())
        return _Window(
            earlier=[e for e in events if e.since_epoch < start][-1],
            inside=tuple(e for e in events if start <= e.since_epoch < end),
            later=next(e for e in events if e.since_epoch >= end),
        )


@functools.cache
def _clock(zone: str, hours: tuple[int, ...]) -> _Clock:
    """Share one clock, and so one cache, between calendars on the same zone."""
    return _Clock(zone, hours)


PACIFIC = Calendar()
"""OK Capsule's calendar: Pacific time with daylight saving, no holidays."""


def next_batch_at(after: dt.datetime, calendar: Calendar = PACIFIC) -> dt.datetime:
    """Find the first nightly batch strictly after an instant.

    Args:
        after: an aware instant.
        calendar: the calendar to use.

    Returns:
        The batch instant, in UTC.

    Raises:
        ValueError: `after` is naive.
    """
    return calendar.next_batch_at(after)


def next_status_tick(after: dt.datetime, calendar: Calendar = PACIFIC) -> dt.datetime:
    """Find the first status-update tick strictly after an instant.

    Args:
        after: an aware instant.
        calendar: the calendar to use.

    Returns:
        The tick instant, in UTC.

    Raises:
        ValueError: `after` is naive.
    """
    return calendar.next_status_tick(after)


def is_batch_instant(at: dt.datetime, calendar: Calendar = PACIFIC) -> bool:
    """Tell whether an instant is exactly a nightly batch.

    Args:
        at: an aware instant.
        calendar: the calendar to use.

    Returns:
        True when `at` is a local midnight of the calendar.

    Raises:
        ValueError: `at` is naive.
    """
    return calendar.is_batch_instant(at)


def is_business_day(day: dt.date, calendar: Calendar = PACIFIC) -> bool:
    """Tell whether production and shipping advance on a local date.

    Args:
        day: a local date.
        calendar: the calendar to use.

    Returns:
        True on Monday to Friday unless the date is one of the calendar's holidays.

    Raises:
        TypeError: `day` is a datetime.
    """
    return calendar.is_business_day(day)


def edit_window_closes_at(
    status: OrderStatus | str, now: dt.datetime, calendar: Calendar = PACIFIC
) -> dt.datetime | None:
    """Tell until when a client may still edit an order.

    Args:
        status: the order's status, an `OrderStatus` or its exact API string.
        now: the current instant, aware.
        calendar: the calendar to use.

    Returns:
        For a Pending order, the next batch (which accepts it); for an On Hold order None,
        since held orders are not batched and so have no deadline while held.

    Raises:
        EditWindowClosed: the status no longer allows edits.
        ValueError: `status` is not a known status, or `now` is naive.
    """
    status = OrderStatus(status)
    _since_epoch(now)  # a naive `now` is a caller bug whatever the status
    if status is OrderStatus.PENDING:
        return calendar.next_batch_at(now)
    if status is OrderStatus.ON_HOLD:
        return None
    raise EditWindowClosed(status)
