"""The clock bridge: the process's wall clock reads the simulator's, and follows every move."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path

import httpx
import pytest

from simulator import Simulator
from simulator._server import LiveServer
from simulator.clock_bridge import ClockBridge

pytest_plugins = ["pytester"]

START = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
DOCS = Path(__file__).resolve().parent.parent / "docs"


@pytest.fixture
def sim() -> Simulator:
    """A frozen simulator at START."""
    return Simulator(start=START)


def _near(a: dt.datetime, b: dt.datetime) -> bool:
    return abs((a - b).total_seconds()) < 1


class TestClockBridge:
    """`simulator.clock_bridge.ClockBridge` over a simulator in this process."""

    def test_wall_clock_reads_the_simulated_clock(self, sim: Simulator) -> None:
        """While on, datetime.now() and time.time() say the simulated time."""
        with ClockBridge(sim):
            assert dt.datetime.now(dt.UTC) == START
            assert time.time() == START.timestamp()
            assert dt.date.today() == START.date()  # noqa: DTZ011 - the local date is the point
        assert dt.datetime.now(dt.UTC).year >= 2026
        assert dt.datetime.now(dt.UTC) != START

    def test_follows_advance(self, sim: Simulator) -> None:
        """Each advance moves the wall clock to the new simulated now."""
        with ClockBridge(sim):
            sim.advance(seconds=3 * 86_400)
            assert dt.datetime.now(dt.UTC) == START + dt.timedelta(days=3)
            sim.advance(to=START + dt.timedelta(days=10))
            assert dt.datetime.now(dt.UTC) == START + dt.timedelta(days=10)

    def test_follows_an_advance_over_the_control_api(self, sim: Simulator) -> None:
        """An advance the code under test asks for over HTTP moves the wall clock too."""
        with LiveServer(sim) as server, ClockBridge(sim), httpx.Client(base_url=server.url) as http:
            assert http.post("/_sim/clock/advance", json={"seconds": 7_200}).status_code == 200
            assert dt.datetime.now(dt.UTC) == START + dt.timedelta(hours=2)

    def test_ticks_with_a_running_clock_at_speed_one(self, sim: Simulator) -> None:
        """Set running at speed 1, the bridged clock moves on with real time."""
        with ClockBridge(sim):
            sim.set_clock(mode="running", speed=1)
            assert _near(dt.datetime.now(dt.UTC), START)
            first = time.time_ns()
            assert any(time.time_ns() > first for _ in range(100_000)), "the clock ticks"
            sim.set_clock(mode="frozen")
            frozen = time.time_ns()
            assert all(time.time_ns() == frozen for _ in range(1_000)), "and stands still"

    def test_monotonic_is_left_alone(self, sim: Simulator) -> None:
        """time.monotonic() keeps real time: event loops and timeouts rely on it."""
        before = time.monotonic()
        with ClockBridge(sim):
            sim.advance(seconds=86_400)
            assert time.monotonic() - before < 60

    def test_stop_detaches_from_the_simulator(self, sim: Simulator) -> None:
        """After stop, advances no longer touch the wall clock, and stop twice is harmless."""
        bridge = ClockBridge(sim).start()
        bridge.stop()
        bridge.stop()
        sim.advance(seconds=60)
        assert not bridge.active
        assert dt.datetime.now(dt.UTC) > START + dt.timedelta(days=30)

    def test_start_twice_is_refused(self, sim: Simulator) -> None:
        """A started bridge cannot be started again."""
        with ClockBridge(sim) as bridge, pytest.raises(RuntimeError, match="started already"):
            bridge.start()


def _poller_test() -> str:
    """The docs page's polling example (a pytest module), verbatim."""
    page = (DOCS / "clock-bridge.md").read_text(encoding="utf-8")
    blocks: list[str] = re.findall(r"```python\n(.*?)```", page, re.DOTALL)
    return next(block for block in blocks if "def test_" in block)


class TestPollerExample:
    """The provider's polling pattern from docs/clock-bridge.md, with and without the bridge."""

    def test_passes_with_the_bridge(self, pytester: pytest.Pytester) -> None:
        """Marked okc_clock_bridge, the poller sees Pending, then Accepted."""
        pytester.makepyfile(_poller_test())
        pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)

    def test_fails_without_the_bridge(self, pytester: pytest.Pytester) -> None:
        """Without the marker, the poller's own clock skips every order: the test fails."""
        source = _poller_test().replace("@pytest.mark.okc_clock_bridge\n", "")
        assert "okc_clock_bridge" not in source
        pytester.makepyfile(source)
        result = pytester.runpytest("-p", "no:cacheprovider")
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(["*assert {} == {*: 'Pending'}*"])


class TestFixture:
    """The okc_clock_bridge fixture."""

    def test_fixture_gives_the_bridge(self, pytester: pytest.Pytester) -> None:
        """The fixture is on for the test and hands over the bridge, which can stop early."""
        pytester.makepyfile(
            """
            import datetime as dt

            def test_bridge(okc_clock_bridge, okc_sim):
                assert dt.datetime.now(dt.UTC) == okc_sim.now
                okc_sim.advance(seconds=60)
                assert dt.datetime.now(dt.UTC) == okc_sim.now
                okc_clock_bridge.stop()
                assert dt.datetime.now(dt.UTC) != okc_sim.now
            """
        )
        pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
