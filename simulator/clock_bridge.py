"""The clock bridge: this process's wall clock reads the simulator's clock, and follows it.

Built on `time-machine` (the `testing` extra): `datetime.now()`, `time.time()` and friends
return the simulated time. Monotonic clocks are left alone: event loops and timeouts need them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType

    import time_machine

    from simulator._simulator import Simulator

__all__ = ["ClockBridge"]


class ClockBridge:
    """While started, the wall clock of this process is the simulator's clock.

    Every `advance`, clock setting and restore of the simulator moves it too, whether the
    test called it or the code under test did over the control API. A frozen clock stands
    still; a clock running at speed 1 ticks with real time. At another speed the bridge moves
    at each advance or setting only, since `time-machine` ticks at real speed.

    Args:
        sim: the simulator whose clock to follow.

    Raises:
        ModuleNotFoundError: `time-machine` is missing (install `okc-lifecycle[testing]`).
    """

    def __init__(self, sim: Simulator) -> None:
        """Remember the simulator; nothing is patched until `start`."""
        import time_machine  # noqa: PLC0415 - an extra: only the bridge needs it

        self._time_machine = time_machine
        self.sim = sim
        self._travel: time_machine.travel | None = None
        self._traveller: time_machine.Traveller | None = None
        self._ticking = False
        self._unlisten: Callable[[], None] | None = None

    @property
    def active(self) -> bool:
        """Whether the bridge is started."""
        return self._travel is not None

    def start(self) -> Self:
        """Make the wall clock read the simulator's, from now until `stop`.

        Raises:
            RuntimeError: the bridge is started already.
        """
        if self.active:
            raise RuntimeError("The clock bridge is started already.")
        self._begin()
        self._unlisten = self.sim.add_clock_listener(self._follow)
        return self

    def stop(self) -> None:
        """Give the process its real clock back (again is harmless)."""
        if self._unlisten is not None:
            self._unlisten()
            self._unlisten = None
        self._end()

    def __enter__(self) -> Self:
        """Start the bridge."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop the bridge."""
        self.stop()

    def _should_tick(self) -> bool:
        state = self.sim.clock_state()
        return bool(state["mode"] == "running" and state["speed"] == 1)

    def _begin(self) -> None:
        self._ticking = self._should_tick()
        self._travel = self._time_machine.travel(self.sim.now, tick=self._ticking)
        self._traveller = self._travel.start()

    def _end(self) -> None:
        if self._travel is not None:
            self._travel.stop()
        self._travel = self._traveller = None

    def _follow(self, sim: Simulator) -> None:
        """The simulator's clock moved or changed mode: move the wall clock with it."""
        if self._traveller is None:
            return
        if self._should_tick() != self._ticking:
            self._end()
            self._begin()
        else:
            self._traveller.move_to(sim.now)
