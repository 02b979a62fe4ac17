"""The simulator's one clock: frozen until told to move, or running at a multiple of real time.

It is the only place in the simulator that reads real time, through an injectable function.
"""

from __future__ import annotations

import enum
import math
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from collections.abc import Callable


class ClockMode(enum.StrEnum):
    """How simulated time passes."""

    FROZEN = "frozen"
    """Time moves only when told to (`set`, `advance_to`, `advance`)."""
    RUNNING = "running"
    """Time follows real elapsed time multiplied by the speed factor."""


class ClockError(ValueError):
    """A clock operation would move time backwards or was given an unusable value."""


@attrs.frozen
class ClockState:
    """What the clock reads at one instant, for the control API."""

    now: datetime
    mode: ClockMode
    speed: float


def _utc(instant: datetime, what: str) -> datetime:
    """Return `instant` as a plain UTC datetime.

    Args:
        instant: an aware datetime (a pendulum DateTime is fine).
        what: how to name the value in an error message.

    Returns:
        The same instant as a stdlib `datetime` in UTC, so subclasses never leak out of `now()`.

    Raises:
        ClockError: the datetime is naive.
    """
    if instant.utcoffset() is None:
        raise ClockError(f"{what} must be timezone-aware, got naive {instant.isoformat()}")
    utc = instant.astimezone(UTC)
    return datetime(
        utc.year,
        utc.month,
        utc.day,
        utc.hour,
        utc.minute,
        utc.second,
        utc.microsecond,
        tzinfo=UTC,
    )


def _start(start: datetime) -> datetime:
    return _utc(start, "start")


MAX_SPEED = 1_000_000
"""The fastest a running clock may go (about 11.6 simulated days per real second).

Faster, and a running clock would soon pass the year 9999, where no datetime can follow it.
"""


def _speed(speed: float) -> float:
    """Return `speed` as a float.

    Raises:
        ClockError: it is not a finite number greater than zero and at most `MAX_SPEED`.
    """
    if not math.isfinite(speed) or speed <= 0:
        raise ClockError(f"speed must be a finite number greater than 0, got {speed!r}")
    if speed > MAX_SPEED:
        raise ClockError(f"speed may be at most {MAX_SPEED:,.0f}, got {speed!r}")
    return float(speed)


@attrs.define(eq=False, repr=False)
class SimClock:
    """The simulated clock every part of the simulator reads.

    Simulated time never moves backwards: moving to an earlier instant is refused, and
    changing mode or speed re-anchors the clock at the current instant so nothing jumps.
    All methods are safe to call from several threads at once.

    Args:
        start: the simulated instant the clock starts at; must be timezone-aware.
        mode: whether the clock starts frozen or running.
        speed: simulated seconds per real second while running; greater than 0, at most
            `MAX_SPEED`.
        monotonic: the real-time source, in seconds; inject a fake in tests.

    Raises:
        ClockError: `start` is naive or `speed` is unusable.
    """

    _sim_anchor: datetime = attrs.field(alias="start", converter=_start)
    _mode: ClockMode = attrs.field(alias="mode", default=ClockMode.FROZEN, converter=ClockMode)
    _speed: float = attrs.field(alias="speed", default=1.0, converter=_speed)
    _monotonic: Callable[[], float] = attrs.field(alias="monotonic", default=time.monotonic)
    # Real time at the anchor; simulated now = sim anchor + (real now - real anchor) * speed.
    _real_anchor: float = attrs.field(init=False)
    # The latest instant handed out, so a real-time source that steps back cannot drag now back.
    _last: datetime = attrs.field(init=False)
    _lock: threading.Lock = attrs.field(init=False, factory=threading.Lock)

    def __attrs_post_init__(self) -> None:
        """Anchor the clock at its start instant and the current real time."""
        self._real_anchor = self._monotonic()
        self._last = self._sim_anchor

    def __repr__(self) -> str:
        """Show what the clock reads now, not its internal anchors."""
        state = self.snapshot()
        return f"SimClock(now={state.now.isoformat()}, mode={state.mode}, speed={state.speed})"

    @property
    def mode(self) -> ClockMode:
        """Whether the clock is frozen or running."""
        with self._lock:
            return self._mode

    @property
    def speed(self) -> float:
        """Simulated seconds per real second while running (kept while frozen)."""
        with self._lock:
            return self._speed

    def now(self) -> datetime:
        """Return the current simulated instant.

        Returns:
            An aware UTC datetime, never earlier than any instant returned before.
        """
        with self._lock:
            return self._read(self._monotonic())

    def snapshot(self) -> ClockState:
        """Return the current instant, mode and speed, read together."""
        with self._lock:
            return ClockState(now=self._read(self._monotonic()), mode=self._mode, speed=self._speed)

    def advance_to(self, to: datetime) -> datetime:
        """Move the clock to a later (or the same) instant; a running clock keeps running from it.

        Args:
            to: the target instant; must be timezone-aware.

        Returns:
            The new current instant, in UTC.

        Raises:
            ClockError: `to` is naive or earlier than the current instant.
        """
        target = _utc(to, "the target instant")
        with self._lock:
            real = self._monotonic()
            current = self._read(real)
            if target < current:
                raise ClockError(
                    f"cannot move the clock back from {current.isoformat()} "
                    f"to {target.isoformat()}: simulated time never moves backwards"
                )
            self._anchor(target, real)
            return target

    def set(self, to: datetime) -> datetime:
        """Set the clock to a later (or the same) instant; the same as `advance_to`.

        Args:
            to: the target instant; must be timezone-aware.

        Returns:
            The new current instant, in UTC.

        Raises:
            ClockError: `to` is naive or earlier than the current instant.
        """
        return self.advance_to(to)

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward by a number of simulated seconds.

        Args:
            seconds: how far to move; finite and not negative.

        Returns:
            The new current instant, in UTC.

        Raises:
            ClockError: `seconds` is negative, NaN or infinite, or the result is out of range.
        """
        if not math.isfinite(seconds) or seconds < 0:
            raise ClockError(
                f"can only advance by a finite, non-negative number of seconds, got {seconds!r}"
            )
        with self._lock:
            real = self._monotonic()
            current = self._read(real)
            try:
                target = current + timedelta(seconds=seconds)
            except OverflowError as exc:
                raise ClockError(
                    f"advancing {current.isoformat()} by {seconds!r} s leaves the datetime range"
                ) from exc
            self._anchor(target, real)
            return target

    def freeze(self) -> datetime:
        """Stop the clock at the current instant.

        Returns:
            The instant the clock is frozen at.
        """
        with self._lock:
            real = self._monotonic()
            current = self._read(real)
            self._anchor(current, real)
            self._mode = ClockMode.FROZEN
            return current

    def run(self, speed: float | None = None) -> datetime:
        """Start (or keep) the clock running from the current instant.

        Args:
            speed: a new speed factor; None keeps the current one.

        Returns:
            The instant the clock runs on from.

        Raises:
            ClockError: `speed` is not a finite number greater than 0.
        """
        new_speed = None if speed is None else _speed(speed)
        with self._lock:
            real = self._monotonic()
            current = self._read(real)
            self._anchor(current, real)
            self._mode = ClockMode.RUNNING
            if new_speed is not None:
                self._speed = new_speed
            return current

    def set_speed(self, speed: float) -> datetime:
        """Change the speed factor without changing the mode or making time jump.

        Args:
            speed: simulated seconds per real second; finite and greater than 0.

        Returns:
            The instant the new speed applies from.

        Raises:
            ClockError: `speed` is not a finite number greater than 0.
        """
        new_speed = _speed(speed)
        with self._lock:
            real = self._monotonic()
            current = self._read(real)
            self._anchor(current, real)
            self._speed = new_speed
            return current

    def _read(self, real: float) -> datetime:
        """Return the simulated instant at real time `real`; the caller holds the lock."""
        if self._mode is ClockMode.RUNNING:
            elapsed = (real - self._real_anchor) * self._speed
            self._last = max(self._last, self._sim_anchor + timedelta(seconds=elapsed))
        return self._last

    def _anchor(self, instant: datetime, real: float) -> None:
        """Make `instant` correspond to real time `real`; the caller holds the lock."""
        self._sim_anchor = instant
        self._real_anchor = real
        self._last = instant
