"""The world every room works in: settings, store, clock and ids, and the one way in.

`World.reading` and `World.writing` are how every engine call starts: take the store's lock,
let the world catch up to the clock's "now" (the work that fell due, in time order), and, to
write, open one SQLite transaction, committed before the call returns.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from lifecycle._calendar import Calendar
from lifecycle._instant import parse_instant
from simulator import _rows
from simulator._clock import ClockMode, SimClock
from simulator._errors import BadRequest, ClockRefused, NotFound
from simulator._ids import IdFactory, stable_uuid
from simulator._operations import Operations
from simulator._paging import CursorCodec
from simulator._profile import OperationsProfile, load_profile
from simulator._store import Store, StoreFull
from simulator._timefmt import MICROS_PER_SECOND, from_micros, iso, to_micros
from simulator._timeline import Timeline
from simulator._tokens import TokenIssuer

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from simulator._rows import OrderRow

_T = TypeVar("_T")

_IDLE_SQL_STEPS = 25_000
"""The most SQLite virtual-machine steps a `call_if_idle` read may take: about a millisecond."""
_STEPS_PER_CHECK = 1_000


@attrs.frozen
class AdvanceResult:
    """What an advance did: where the clock is now and how many status changes ran."""

    now: datetime
    events_applied: int


@attrs.frozen
class ClientAccount:
    """A client (tenant) the simulator knows: its id and credentials."""

    id: str
    email: str
    password: str = attrs.field(repr=False)


@attrs.frozen
class Settings:
    """How a world is made, as `Simulator` takes it (see its docstring)."""

    start: datetime | str | None
    seed: int
    profile: OperationsProfile | str | Path | None
    db: str | Path | None
    clients: Sequence[tuple[str, str]]
    mode: ClockMode | str
    speed: float
    timezone: str | None
    monotonic: Callable[[], float] | None


class _Session:
    """The one way into the world: the store's lock, the world caught up, for a write a transaction.

    Two per world (`World.reading`, `World.writing`), each reused: entering keeps no state
    outside the lock, and a read such as `get_order` should not pay for a new object.
    """

    __slots__ = ("_transaction", "_world")

    def __init__(self, world: World, *, write: bool) -> None:
        self._world = world
        self._transaction = world.store.transaction() if write else None

    def __enter__(self) -> sqlite3.Connection:
        world = self._world
        lock = world.store.lock
        lock.acquire()
        try:
            # Before the transaction: catching up commits transactions of its own.
            world.catch_up()
            if self._transaction is not None:
                self._transaction.__enter__()
        except BaseException:
            lock.release()
            raise
        return world.store.conn

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: object
    ) -> None:
        try:
            if self._transaction is not None:
                self._transaction.__exit__(kind, error, tb)
        finally:
            self._world.store.lock.release()


class World:
    """One simulated world: its settings, store, clock, ids and time-driven work."""

    def __init__(self, settings: Settings) -> None:
        """Create a world, or reopen a durable one, as `Simulator` documents.

        Raises:
            ValueError: no clients, or a `db` made with another seed.
            StoreError: `db` is not a simulator database.
            ProfileError: the profile file is invalid.
        """
        if not settings.clients:
            raise ValueError("A simulator needs at least one client (email, password).")
        self.seed = int(settings.seed)
        profile = settings.profile
        self.profile = profile if isinstance(profile, OperationsProfile) else load_profile(profile)
        self.calendar = Calendar(
            zone=settings.timezone or self.profile.timezone,
            holidays=frozenset(self.profile.holidays),
        )
        self.clients = tuple(
            ClientAccount(stable_uuid(self.seed, "client", email), email, password)
            for email, password in settings.clients
        )
        self.store = Store(settings.db)
        self.operations = Operations(self.seed, self.profile, self.calendar)
        self.reading = _Session(self, write=False)
        """Enter for a read: the store's lock, with the world caught up; gives the connection."""
        self.writing = _Session(self, write=True)
        """Enter for a write: as `reading`, then one transaction, committed on leaving (rolled
        back if the block raises); gives the connection."""
        self._due_cache: tuple[int, int | None] | None = None
        """`(store generation, next due instant)`, as `_quiet_until` last asked."""
        self._inline = False
        """Whether the running call is an inline one (`call_if_idle`), which must not wait."""
        self.open()
        begin = as_datetime(settings.start, "start") or datetime.now(UTC).replace(microsecond=0)
        saved = self.store.get_meta("now")
        if saved is not None:
            begin = max(begin, from_micros(int(saved)))
        real_time = {} if settings.monotonic is None else {"monotonic": settings.monotonic}
        self.clock = SimClock(begin, ClockMode(settings.mode), settings.speed, **real_time)
        processed = self.store.get_meta("processed_until")
        self.processed_until = int(processed) if processed is not None else to_micros(begin)
        # Saved at once, not at the first advance: a reopened world must neither move back
        # before the orders made at this time nor skip the work due between two sessions.
        with self.store.transaction() as conn:
            Store.put_meta(conn, "now", str(to_micros(begin)))
            Store.put_meta(conn, "processed_until", str(self.processed_until))

    # --- the way in -------------------------------------------------------------------------

    def client(self, client: str | None) -> str:
        """A client's id, given its id or email; the default client's for None.

        Raises:
            NotFound: no such client.
        """
        if client is None:
            return self.clients[0].id
        for account in self.clients:
            if client in (account.id, account.email):
                return account.id
        raise NotFound(f"No client {client!r} in this simulator.")

    def load(self, order_id: str, client_id: str | None) -> OrderRow:
        """One order by id, of one client (or of any); the caller holds the store's lock.

        Raises:
            NotFound: no such order (another client's order is not found either).
        """
        seq = self.ids.number_of("order", order_id)
        return _rows.load(self.store.conn, seq, order_id, client_id)

    def consumer_key(self, consumer_id: object) -> tuple[int, str]:
        """A consumer's id as the store looks it up: the number it reads back to, and the id."""
        return self.ids.number_of("consumer", consumer_id), str(consumer_id)

    def stamp(self) -> int:
        """When a call's work happens: the instant the world has caught up to.

        Not a fresh reading: a running clock may have passed a batch since the catch-up,
        and a change stamped after a batch that has not run yet would dodge it.
        """
        return self.processed_until

    # --- the world's bookkeeping ------------------------------------------------------------

    def open(self) -> None:
        """Read (or first write) the seed, epoch and id counters kept with the data."""
        stored_seed = self.store.get_meta("seed")
        if stored_seed is not None:
            check_seed(stored_seed, self.seed)
        epoch = int(self.store.get_meta("epoch") or 0)
        counters = self.store.get_meta("counters")
        with self.store.transaction() as conn:
            Store.put_meta(conn, "seed", str(self.seed))
            Store.put_meta(conn, "epoch", str(epoch))
            conn.execute("DELETE FROM clients")
            conn.executemany(
                "INSERT INTO clients (id, email, password, name) VALUES (?, ?, ?, ?)",
                [(c.id, c.email, c.password, c.email.split("@")[0]) for c in self.clients],
            )
        self.ids = IdFactory(
            self.seed,
            epoch,
            json.loads(counters) if counters else None,
            durable=self.store.path is not None,
        )
        self.store.keep("ids", self.ids)
        self.timeline = Timeline(self.store, self.calendar, self.operations, self.ids)
        # Keys drawn afresh for each world, never from the seed: see _tokens and _paging.
        self.tokens = TokenIssuer(self.clients)
        self.cursors = CursorCodec()

    def catch_up(self) -> None:
        """Run the work that fell due while a running clock moved on.

        Raises:
            _WouldWait: in an inline call (`call_if_idle`), when catching up means running
                due work or writing to the store.
        """
        now = to_micros(self.clock.now())
        if now <= self.processed_until:
            return
        durable = self.store.path is not None
        if not durable and self._quiet_until(now):
            # Nothing fell due: the world is as it was, only later. A world in memory keeps
            # its clock with it only for a snapshot, which saves it.
            self.processed_until = now
            return
        if self._inline:
            raise _WouldWait
        try:
            self.run_until(now, save=durable)
        except StoreFull:
            # Only the clock's save failed when the work due ran: the world moved on in
            # memory, and its clock is saved by the next catch-up that can write.
            if self.processed_until < now:
                raise

    def _quiet_until(self, now: int) -> bool:
        """Whether no work falls due after the processed instant up to `now`.

        The next due instant is asked of the store once, then remembered until the store
        changes: a running clock's requests between two ticks ask nothing of SQLite.
        """
        generation = self.store.generation
        cached = self._due_cache
        if cached is None or cached[0] != generation:
            cached = self._due_cache = (generation, self.timeline.next_due(self.processed_until))
        due = cached[1]
        return due is None or due > now

    def run_until(self, target: int, *, save: bool = True) -> int:
        """Run every piece of work due up to `target`, in time order; then save the clock.

        Returns:
            How many status changes ran.
        """
        applied, self.processed_until = self.timeline.run_until(self.processed_until, target)
        if not save:
            return applied
        with self.store.transaction() as conn:
            Store.put_meta(conn, "now", str(target))
            Store.put_meta(conn, "processed_until", str(self.processed_until))
            self.ids.flush(conn)
        return applied

    def call_if_idle(self, work: Callable[[], _T]) -> tuple[_T] | None:
        """Run a read now if it cannot take long (`Simulator.call_if_idle`)."""
        store = self.store
        if not store.lock.acquire(blocking=False):
            return None
        checks = 0

        def over_budget() -> bool:
            nonlocal checks
            checks += 1
            return checks * _STEPS_PER_CHECK > _IDLE_SQL_STEPS

        conn = store.conn
        try:
            conn.set_progress_handler(over_budget, _STEPS_PER_CHECK)
            self._inline = True
            try:
                return (work(),)
            except _WouldWait:
                return None  # a catch-up with work to run: that is the thread's to do
            except sqlite3.OperationalError:
                if checks * _STEPS_PER_CHECK > _IDLE_SQL_STEPS:
                    return None  # interrupted by over_budget
                raise
            finally:
                self._inline = False
                conn.set_progress_handler(None, 0)
        finally:
            store.lock.release()

    # --- the clock --------------------------------------------------------------------------

    def now(self) -> datetime:
        """The simulated now, after the world has caught up to it."""
        with self.reading:
            return self.clock.now()

    def settled_now(self) -> datetime | None:
        """The simulated now without the lock, if the world has caught up to it; else None."""
        at = self.clock.now()
        return at if to_micros(at) <= self.processed_until else None

    def clock_state(self) -> dict[str, Any]:
        """The clock as the control API reports it."""
        with self.reading:
            state = self.clock.snapshot()
            return {
                "now": iso(to_micros(state.now)),
                "mode": state.mode.value,
                "speed": state.speed,
                "timezone": self.calendar.zone,
                "next_batch_at": iso(to_micros(self.calendar.next_batch_at(state.now))),
            }

    def advance(self, seconds: float | None, to: datetime | str | None) -> AdvanceResult:
        """Move the clock forward, running the work that falls due (`Simulator.advance`)."""
        with self.reading:
            target = _target(self.clock.now(), seconds, as_datetime(to, "to"))
            applied = self.run_until(to_micros(target))
            self.clock.advance_to(target)
            return AdvanceResult(self.clock.now(), applied)

    def set_clock(self, mode: ClockMode | str | None, speed: float | None) -> None:
        """Freeze or run the clock, or change its speed (`Simulator.set_clock`)."""
        with self.reading:
            try:
                chosen = None if mode is None else ClockMode(mode)
                if speed is not None:
                    self.clock.set_speed(speed)
            except ValueError as error:
                raise ClockRefused(str(error)) from None
            if chosen is ClockMode.FROZEN:
                self.clock.freeze()
            elif chosen is ClockMode.RUNNING:
                self.clock.run(speed)

    # --- the world as a whole ---------------------------------------------------------------

    def reset(self) -> None:
        """Empty the world; keep the settings and the clock's time (`Simulator.reset`)."""
        with self.store.lock:
            self.store.clear()
            with self.store.transaction() as conn:
                Store.put_meta(conn, "epoch", str(self.ids.epoch + 1))
                Store.put_meta(conn, "counters", "{}")
            self.open()
            self.run_until(self.stamp())

    def snapshot(self, path: str | Path) -> None:
        """Save the whole world, clock time included, to a SQLite file."""
        with self.reading:
            self.run_until(self.stamp())
            self.store.snapshot(path)

    def restore(self, path: str | Path) -> None:
        """Replace the world with a snapshot's, the clock frozen there (`Simulator.restore`)."""
        with self.store.lock:
            self._refuse_other_seed(path)
            self.store.restore(path)
            self.open()
            saved = self.store.get_meta("now")
            processed = self.store.get_meta("processed_until")
            now = from_micros(int(saved)) if saved is not None else self.clock.now()
            self.clock = SimClock(now)
            self.processed_until = int(processed) if processed is not None else to_micros(now)

    def _refuse_other_seed(self, path: str | Path) -> None:
        """Refuse another seed's snapshot before it overwrites anything.

        Raises:
            ValueError: the snapshot was taken with another seed.
        """
        try:
            with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as source:
                row = source.execute("SELECT value FROM meta WHERE key = 'seed'").fetchone()
        except sqlite3.DatabaseError:
            return  # not a snapshot at all: `Store.restore` says so
        if row is not None:
            check_seed(row[0], self.seed)


class _WouldWait(Exception):
    """An inline call reached work it must not do on an event loop (`call_if_idle`)."""


def as_datetime(value: datetime | str | None, what: str) -> datetime | None:
    """An instant the caller gave as a datetime or ISO 8601 text; None stays None.

    Raises:
        BadRequest: no time zone, or not ISO 8601.
    """
    if value is None:
        return None
    try:
        return parse_instant(value, what)
    except ValueError as error:
        raise BadRequest(str(error), what) from None


def check_seed(stored: str, seed: int) -> None:
    """Refuse data made with another seed: its ids and draws would not be this world's.

    Raises:
        ValueError: `stored` is not `seed`.
    """
    if int(stored) != seed:
        raise ValueError(
            f"The database was created with seed {stored}, not {seed}; "
            "use the same seed or a new --db file."
        )


def _target(now: datetime, seconds: float | None, to: datetime | None) -> datetime:
    """The instant an advance moves to.

    Raises:
        ClockRefused: as `Simulator.advance` documents.
    """
    if (seconds is None) == (to is None):
        raise ClockRefused("Give exactly one of 'seconds' or 'to'.")
    if to is not None:
        if to < now:
            raise ClockRefused(
                f"Time never moves backwards: {iso(to_micros(to))} is before the "
                f"simulated now, {iso(to_micros(now))}."
            )
        return to.astimezone(UTC)
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise ClockRefused(f"'seconds' must be a number, not {seconds!r}.")
    if not float("-inf") < seconds < float("inf"):
        raise ClockRefused("'seconds' must be a finite number.")
    if seconds < 0:
        raise ClockRefused(f"Time never moves backwards: seconds={seconds} is negative.")
    try:
        return from_micros(to_micros(now) + round(seconds * MICROS_PER_SECOND))
    except OverflowError:
        raise ClockRefused(f"seconds={seconds} moves the clock past the year 9999.") from None
