"""Tests for the simulated clock: frozen and running modes, re-anchoring, no time travel."""

from __future__ import annotations

import itertools
import math
import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pendulum
import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from simulator._clock import ClockError, ClockMode, ClockState, SimClock

if TYPE_CHECKING:
    from collections.abc import Callable

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class FakeMonotonic:
    """A real-time source the test moves by hand; optionally steps on every read."""

    def __init__(self, value: float = 1000.0, step: float = 0.0) -> None:
        """Start at `value` seconds; every read first adds `step`."""
        self.value = value
        self.step = step
        self._lock = threading.Lock()

    def __call__(self) -> float:
        """Read the fake real time."""
        with self._lock:
            self.value += self.step
            return self.value

    def tick(self, seconds: float) -> None:
        """Let `seconds` of fake real time pass (negative steps back)."""
        with self._lock:
            self.value += seconds


@pytest.fixture
def real() -> FakeMonotonic:
    """A fake real-time source the test moves by hand."""
    return FakeMonotonic()


def running(real: FakeMonotonic, speed: float = 60.0) -> SimClock:
    """A clock running from START on the fake real-time source."""
    return SimClock(START, mode=ClockMode.RUNNING, speed=speed, monotonic=real)


class TestConstruction:
    """What a new clock reads and which arguments it refuses."""

    def test_defaults(self) -> None:
        """A new clock is frozen at its start, at speed 1, on the real monotonic clock."""
        clock = SimClock(START)
        assert clock.snapshot() == ClockState(now=START, mode=ClockMode.FROZEN, speed=1.0)
        assert clock._monotonic is time.monotonic

    def test_start_is_stored_as_utc(self, real: FakeMonotonic) -> None:
        """A start in another zone reads back as the same instant in UTC."""
        paris = datetime(2026, 3, 2, 10, 0, tzinfo=timezone(timedelta(hours=1)))
        now = SimClock(paris, monotonic=real).now()
        assert now == START
        assert now.tzinfo is UTC

    def test_pendulum_start_reads_back_as_plain_datetime(self, real: FakeMonotonic) -> None:
        """A pendulum start comes back as a stdlib datetime, so callers see one type."""
        now = SimClock(pendulum.datetime(2026, 3, 2, 9), monotonic=real).now()
        assert type(now) is datetime
        assert now == START

    def test_naive_start_refused(self) -> None:
        """A start without a time zone is ambiguous and refused."""
        with pytest.raises(ClockError, match="timezone-aware"):
            SimClock(datetime(2026, 3, 2, 9, 0))

    def test_mode_accepts_its_string(self, real: FakeMonotonic) -> None:
        """The mode may be given as the control API's string."""
        assert SimClock(START, mode="running", monotonic=real).mode is ClockMode.RUNNING

    @pytest.mark.parametrize("speed", [0.0, -1.0, math.nan, math.inf])
    def test_unusable_speed_refused(self, speed: float) -> None:
        """Speed must be a finite number above zero."""
        with pytest.raises(ClockError, match="speed"):
            SimClock(START, speed=speed)


class TestFrozen:
    """A frozen clock moves only when told."""

    def test_does_not_follow_real_time(self, real: FakeMonotonic) -> None:
        """Real time passing leaves a frozen clock where it is."""
        clock = SimClock(START, monotonic=real)
        real.tick(3600)
        assert clock.now() == START

    def test_advance_moves_by_exactly_that_much(self, real: FakeMonotonic) -> None:
        """advance(90) moves the clock 90 simulated seconds and returns the new instant."""
        clock = SimClock(START, monotonic=real)
        assert clock.advance(90) == START + timedelta(seconds=90)
        assert clock.now() == START + timedelta(seconds=90)

    def test_advance_by_zero_is_fine(self, real: FakeMonotonic) -> None:
        """Advancing by nothing is allowed and changes nothing."""
        clock = SimClock(START, monotonic=real)
        assert clock.advance(0) == START

    def test_set_moves_forward(self, real: FakeMonotonic) -> None:
        """set() jumps to a later instant, given in any zone."""
        clock = SimClock(START, monotonic=real)
        later = pendulum.datetime(2026, 3, 5, 12, tz="America/Los_Angeles")
        clock.set(later)
        assert clock.now() == later
        assert clock.now().tzinfo is UTC

    def test_set_to_the_same_instant_is_fine(self, real: FakeMonotonic) -> None:
        """Setting the clock to where it already is does not count as going back."""
        clock = SimClock(START, monotonic=real)
        assert clock.advance_to(START) == START

    def test_set_backwards_refused_naming_both_instants(self, real: FakeMonotonic) -> None:
        """Moving back is refused, and the message names the current and requested instants."""
        clock = SimClock(START, monotonic=real)
        earlier = START - timedelta(microseconds=1)
        with pytest.raises(ClockError) as caught:
            clock.set(earlier)
        assert START.isoformat() in str(caught.value)
        assert earlier.isoformat() in str(caught.value)
        assert clock.now() == START

    def test_advance_to_backwards_refused(self, real: FakeMonotonic) -> None:
        """advance_to refuses an earlier instant just like set."""
        clock = SimClock(START, monotonic=real)
        with pytest.raises(ClockError, match="never moves backwards"):
            clock.advance_to(START - timedelta(days=1))

    def test_naive_target_refused(self, real: FakeMonotonic) -> None:
        """A naive target instant is refused rather than guessed at."""
        clock = SimClock(START, monotonic=real)
        with pytest.raises(ClockError, match="timezone-aware"):
            clock.set(datetime(2027, 1, 1))

    @pytest.mark.parametrize("seconds", [-1.0, -1e-9, math.nan, math.inf, -math.inf])
    def test_unusable_advance_refused(self, real: FakeMonotonic, seconds: float) -> None:
        """Negative, NaN and infinite advances are refused and leave the clock alone."""
        clock = SimClock(START, monotonic=real)
        with pytest.raises(ClockError, match="non-negative"):
            clock.advance(seconds)
        assert clock.now() == START

    def test_advance_out_of_range_refused(self, real: FakeMonotonic) -> None:
        """An advance past the year 9999 is a ClockError, not an OverflowError."""
        clock = SimClock(START, monotonic=real)
        with pytest.raises(ClockError, match="range"):
            clock.advance(1e15)
        assert clock.now() == START


class TestRunning:
    """A running clock follows real elapsed time times the speed factor."""

    def test_speed_60_moves_a_minute_per_real_second(self, real: FakeMonotonic) -> None:
        """At speed 60, each fake real second is one simulated minute."""
        clock = running(real, speed=60)
        real.tick(1)
        assert clock.now() == START + timedelta(minutes=1)
        real.tick(2.5)
        assert clock.now() == START + timedelta(minutes=3.5)

    def test_set_while_running_keeps_running_from_there(self, real: FakeMonotonic) -> None:
        """After set(), a running clock carries on from the new instant."""
        clock = running(real, speed=10)
        target = START + timedelta(days=2)
        clock.set(target)
        real.tick(3)
        assert clock.now() == target + timedelta(seconds=30)

    def test_advance_while_running_adds_to_elapsed_time(self, real: FakeMonotonic) -> None:
        """advance() adds on top of the time already run."""
        clock = running(real, speed=2)
        real.tick(5)
        assert clock.advance(100) == START + timedelta(seconds=110)
        real.tick(1)
        assert clock.now() == START + timedelta(seconds=112)

    def test_set_backwards_refused_against_the_running_now(self, real: FakeMonotonic) -> None:
        """The start instant is already in the past once the clock has run."""
        clock = running(real, speed=1)
        real.tick(1)
        with pytest.raises(ClockError):
            clock.set(START)

    def test_real_time_stepping_back_does_not_move_now_back(self, real: FakeMonotonic) -> None:
        """A real-time source that steps back stalls the clock instead of reversing it."""
        clock = running(real, speed=1)
        real.tick(10)
        seen = clock.now()
        real.tick(-5)
        assert clock.now() == seen
        real.tick(6)
        assert clock.now() == START + timedelta(seconds=11)


class TestSwitching:
    """Changing mode or speed re-anchors the clock: no jump, no reversal."""

    def test_freeze_stops_where_it_is(self, real: FakeMonotonic) -> None:
        """Freezing keeps the instant reached and ignores later real time."""
        clock = running(real, speed=60)
        real.tick(2)
        assert clock.freeze() == START + timedelta(minutes=2)
        real.tick(100)
        assert clock.now() == START + timedelta(minutes=2)
        assert clock.mode is ClockMode.FROZEN

    def test_run_does_not_count_time_spent_frozen(self, real: FakeMonotonic) -> None:
        """Real time spent frozen is not added when the clock starts running."""
        clock = SimClock(START, speed=60, monotonic=real)
        real.tick(1000)
        assert clock.run() == START
        real.tick(1)
        assert clock.now() == START + timedelta(minutes=1)

    def test_set_speed_applies_from_now_on(self, real: FakeMonotonic) -> None:
        """The old speed covers the time before the change, the new one the time after."""
        clock = running(real, speed=60)
        real.tick(1)
        assert clock.set_speed(3600) == START + timedelta(minutes=1)
        real.tick(1)
        assert clock.now() == START + timedelta(minutes=1, hours=1)
        assert clock.speed == 3600

    def test_set_speed_while_frozen_is_kept_for_later(self, real: FakeMonotonic) -> None:
        """A frozen clock stays put but remembers the speed for when it runs."""
        clock = SimClock(START, monotonic=real)
        clock.set_speed(10)
        real.tick(5)
        assert clock.now() == START
        clock.run()
        real.tick(5)
        assert clock.now() == START + timedelta(seconds=50)

    def test_run_with_speed_changes_speed_without_a_jump(self, real: FakeMonotonic) -> None:
        """run(speed) on a running clock swaps the speed at the current instant."""
        clock = running(real, speed=1)
        real.tick(10)
        assert clock.run(speed=100) == START + timedelta(seconds=10)
        real.tick(1)
        assert clock.now() == START + timedelta(seconds=110)

    @pytest.mark.parametrize("speed", [0.0, -2.0, math.nan, math.inf])
    def test_bad_speed_leaves_the_clock_unchanged(self, real: FakeMonotonic, speed: float) -> None:
        """A refused speed change leaves mode, speed and time as they were."""
        clock = SimClock(START, speed=5, monotonic=real)
        with pytest.raises(ClockError):
            clock.run(speed=speed)
        with pytest.raises(ClockError):
            clock.set_speed(speed)
        assert clock.snapshot() == ClockState(now=START, mode=ClockMode.FROZEN, speed=5.0)


class TestSnapshotAndRepr:
    """The control API's view of the clock."""

    def test_snapshot_reads_now_mode_and_speed(self, real: FakeMonotonic) -> None:
        """A snapshot carries the current instant, mode and speed together."""
        clock = running(real, speed=4)
        real.tick(1)
        state = clock.snapshot()
        assert state == ClockState(START + timedelta(seconds=4), ClockMode.RUNNING, 4.0)

    def test_repr_shows_the_current_reading(self, real: FakeMonotonic) -> None:
        """repr() shows what the clock reads, not its anchors."""
        assert repr(SimClock(START, monotonic=real)) == (
            "SimClock(now=2026-03-02T09:00:00+00:00, mode=frozen, speed=1.0)"
        )


class TestThreads:
    """Several threads may read and change the clock at once."""

    def test_concurrent_readers_never_see_time_go_back(self) -> None:
        """Each reader's sequence of now() is non-decreasing while a writer keeps re-anchoring."""
        real = FakeMonotonic(step=0.001)
        clock = SimClock(START, mode=ClockMode.RUNNING, speed=1000, monotonic=real)
        readers, reads = 4, 2000
        barrier = threading.Barrier(readers + 1)
        seen: list[list[datetime]] = [[] for _ in range(readers)]

        changes: list[Callable[[], datetime]] = [
            clock.freeze,
            clock.run,
            lambda: clock.set_speed(7),
            lambda: clock.advance(0.5),
        ]

        def read(into: list[datetime]) -> None:
            barrier.wait()
            into.extend(clock.now() for _ in range(reads))

        def write() -> None:
            barrier.wait()
            for i in range(reads):
                changes[i % len(changes)]()

        threads = [threading.Thread(target=read, args=(s,)) for s in seen]
        threads.append(threading.Thread(target=write))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        for sequence in seen:
            assert len(sequence) == reads
            assert all(a <= b for a, b in itertools.pairwise(sequence))
        assert max(s[-1] for s in seen) > START


class ClockMachine(RuleBasedStateMachine):
    """Any sequence of clock operations and real-time steps never moves now() back."""

    def __init__(self) -> None:
        """Start a frozen clock on a fake real-time source."""
        super().__init__()
        self.real = FakeMonotonic()
        self.clock = SimClock(START, monotonic=self.real)
        self.last = START

    @rule(seconds=st.floats(min_value=-10, max_value=1e5, allow_nan=False))
    def real_time_passes(self, seconds: float) -> None:
        """Move fake real time; negative steps model a misbehaving source."""
        self.real.tick(seconds)

    @rule(seconds=st.floats(min_value=0, max_value=1e6))
    def advance(self, seconds: float) -> None:
        """Advancing lands at or after every instant seen so far."""
        assert self.clock.advance(seconds) >= self.last

    @rule(seconds=st.floats(min_value=-1e6, max_value=1e6))
    def set_relative(self, seconds: float) -> None:
        """Setting forward lands exactly; setting back is refused."""
        current = self.clock.now()
        target = current + timedelta(seconds=seconds)
        if target < current:
            with pytest.raises(ClockError):
                self.clock.set(target)
        else:
            assert self.clock.set(target) == target

    @rule()
    def freeze(self) -> None:
        """Freeze the clock."""
        self.clock.freeze()

    @rule(speed=st.none() | st.floats(min_value=0.001, max_value=1e5))
    def run(self, speed: float | None) -> None:
        """Run the clock, perhaps at a new speed."""
        self.clock.run(speed)

    @rule(speed=st.floats(min_value=0.001, max_value=1e5))
    def set_speed(self, speed: float) -> None:
        """Change the speed."""
        self.clock.set_speed(speed)

    @precondition(lambda self: self.clock.mode is ClockMode.FROZEN)
    @rule(seconds=st.floats(min_value=0, max_value=1e5))
    def frozen_ignores_real_time(self, seconds: float) -> None:
        """A frozen clock ignores real time passing."""
        before = self.clock.now()
        self.real.tick(seconds)
        assert self.clock.now() == before

    @invariant()
    def never_backwards(self) -> None:
        """now() is never earlier than before, and always UTC."""
        now = self.clock.now()
        assert now >= self.last
        assert now.tzinfo is UTC
        self.last = now


TestClockProperties = ClockMachine.TestCase
TestClockProperties.__doc__ = "Property: no sequence of operations makes the clock go back."
