"""The simulator: one clock, one store, and the world's time-driven work, behind a Python API.

Every public method takes the store's lock, first lets the world catch up to the clock's
"now" (running the work that fell due, in time order, each stamped with its due time),
then does its job in one SQLite transaction, committed before it returns.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from lifecycle._calendar import Calendar
from lifecycle._errors import UpdateRejected, Violation, ViolationCode
from lifecycle._machine import fire
from lifecycle._status import OrderStatus
from lifecycle._table import Actor, Event
from lifecycle._validation import validate_create, validate_update
from simulator import (
    _catalogue,
    _changes,
    _consumers,
    _fulfillments,
    _orders,
    _paging,
    _rows,
    _tokens,
)
from simulator._address import Trigger, TriggerKind, validate_address
from simulator._clock import ClockMode, SimClock
from simulator._errors import BadRequest, ClockRefused, NotFound, Unauthorized
from simulator._ids import IdFactory, secret_token, stable_uuid
from simulator._listing import DEFAULT_LIMIT, CursorCodec, check_limit, parse_filters
from simulator._operations import Operations, encode_trigger, parse_trigger
from simulator._profile import OperationsProfile, load_profile
from simulator._store import Store, StoreFull
from simulator._timefmt import MICROS_PER_SECOND, from_micros, iso, parse_iso, to_micros
from simulator._timeline import DueOrder, StatusRecord, Timeline

if TYPE_CHECKING:
    from pathlib import Path

    from simulator._rows import OrderRow

DEFAULT_CLIENT = ("integrator@example.com", "sandbox")

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


def _as_datetime(value: datetime | str | None, what: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            raise BadRequest(f"{what}: {value.isoformat()} has no time zone.", what)
        return value
    try:
        return parse_iso(value)
    except ValueError as error:
        raise BadRequest(f"{what}: {error}", what) from None


class Simulator:
    """A fake OK Capsule world: clients, orders, fulfillments, and the clock that moves them."""

    def __init__(  # noqa: PLR0913 - the simulator's settings, keyword-only past the first three
        self,
        start: datetime | str | None = None,
        seed: int = 0,
        profile: OperationsProfile | str | Path | None = None,
        *,
        db: str | Path | None = None,
        clients: Sequence[tuple[str, str]] = (DEFAULT_CLIENT,),
        mode: ClockMode | str = ClockMode.FROZEN,
        speed: float = 1.0,
        timezone: str | None = None,
        monotonic: Callable[[], float] | None = None,
    ) -> None:
        """Create a world, or reopen a durable one.

        Args:
            start: the simulated start instant (aware datetime or ISO 8601); defaults to
                the real now, to the second. A reopened `db` resumes from its saved time
                when that is later: time never moves backwards.
            seed: the seed of every random draw and every id.
            profile: an `OperationsProfile`, a TOML file path, or None for the default.
            db: a SQLite file for a durable world; None keeps it in memory.
            clients: `(email, password)` of each client; the first is the default client.
            mode: "frozen" (moves only when told) or "running" (real time x speed).
            speed: simulated seconds per real second while running.
            timezone: overrides the profile's zone ("America/Los_Angeles" or "UTC-8").
            monotonic: the real-time source of a running clock (tests inject a fake).

        Raises:
            ValueError: no clients, or a `db` made with another seed.
            StoreError: `db` is not a simulator database.
            ProfileError: the profile file is invalid.
        """
        if not clients:
            raise ValueError("A simulator needs at least one client (email, password).")
        self.seed = int(seed)
        self.profile = profile if isinstance(profile, OperationsProfile) else load_profile(profile)
        self.calendar = Calendar(
            zone=timezone or self.profile.timezone, holidays=frozenset(self.profile.holidays)
        )
        self.clients = tuple(
            ClientAccount(stable_uuid(self.seed, "client", email), email, password)
            for email, password in clients
        )
        self.store = Store(db)
        self.operations = Operations(self.seed, self.profile, self.calendar)
        self._access_tokens = _tokens.AccessCache()
        """Access tokens already vouched for, keyed by `self.ids`: a reset or a restore
        replaces it (`_open_world`), and the tokens of the replaced world are forgotten."""
        self._due_cache: tuple[int, int | None] | None = None
        """`(store generation, next due instant)`, as `_quiet_until` last asked."""
        self._inline = False
        """Whether the running call is an inline one (`call_if_idle`), which must not wait."""
        self._open_world()
        begin = _as_datetime(start, "start") or datetime.now(UTC).replace(microsecond=0)
        saved = self.store.get_meta("now")
        if saved is not None:
            begin = max(begin, from_micros(int(saved)))
        self.clock = SimClock(begin, ClockMode(mode), speed, **_real_time(monotonic))
        processed = self.store.get_meta("processed_until")
        self._processed_until = int(processed) if processed is not None else to_micros(begin)
        # Saved at once, not at the first advance: a reopened world must neither move back
        # before the orders made at this time nor skip the work due between two sessions.
        with self.store.transaction() as conn:
            Store.put_meta(conn, "now", str(to_micros(begin)))
            Store.put_meta(conn, "processed_until", str(self._processed_until))

    # --- the world's bookkeeping ------------------------------------------------------------

    def _open_world(self) -> None:
        """Read (or first write) the seed, epoch and id counters kept with the data."""
        stored_seed = self.store.get_meta("seed")
        if stored_seed is not None:
            _check_seed(stored_seed, self.seed)
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
        self._cursors = CursorCodec(secret_token(self.seed, "cursor", epoch).encode())

    def _client(self, client: str | None) -> str:
        if client is None:
            return self.clients[0].id
        for account in self.clients:
            if client in (account.id, account.email):
                return account.id
        raise NotFound(f"No client {client!r} in this simulator.")

    def client_id(self, email: str | None = None) -> str:
        """The id of a client by email (or id), or of the default client.

        Raises:
            NotFound: no such client.
        """
        return self._client(email)

    # --- the clock --------------------------------------------------------------------------

    @property
    def now(self) -> datetime:
        """The simulated now (aware, UTC), after the world has caught up to it."""
        with self.store.lock:
            self._catch_up()
            return self.clock.now()

    def clock_reading(self) -> datetime:
        """What the clock reads now, at once: no lock, and no catch-up of the world.

        For stamping a request's arrival; the world catches up at its next engine call.
        """
        return self.clock.now()

    def settled_now(self) -> datetime | None:
        """The simulated now without taking the lock, if the world has caught up to it.

        Returns:
            The same instant `now` would give, or None when a running clock has moved on
            and `now` would first run the work that fell due (which may take long).
        """
        at = self.clock.now()
        return at if to_micros(at) <= self._processed_until else None

    def call_if_idle(self, work: Callable[[], _T]) -> tuple[_T] | None:
        """Run a read in this thread now, if it cannot take long; else leave it undone.

        For an event loop, which must never block on the engine's lock or on a long
        catch-up, and runs `work` in a worker thread when this refuses. `work` starts only
        when no other call holds the engine; its engine calls then take the (re-entrant)
        lock at once, and if one would have to run due work first (a running clock passed
        a tick), or write to catch up (a file store), it stops there and counts as not run.
        Its SQL is bounded too: past about a millisecond of it (a filter that scans many
        orders), SQLite interrupts it and it counts as not run.

        Args:
            work: engine reads only (an interrupted read leaves the world as it was).

        Returns:
            `(result,)`, or None when `work` did not run or was interrupted.
        """
        if not self.store.lock.acquire(blocking=False):
            return None
        checks = 0

        def over_budget() -> bool:
            nonlocal checks
            checks += 1
            return checks * _STEPS_PER_CHECK > _IDLE_SQL_STEPS

        conn = self.store.conn
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
            self.store.lock.release()

    def clock_state(self) -> dict[str, Any]:
        """The clock as the control API reports it."""
        with self.store.lock:
            self._catch_up()
            state = self.clock.snapshot()
            return {
                "now": iso(to_micros(state.now)),
                "mode": state.mode.value,
                "speed": state.speed,
                "timezone": self.calendar.zone,
                "next_batch_at": iso(to_micros(self.calendar.next_batch_at(state.now))),
            }

    def advance(
        self, seconds: float | None = None, to: datetime | str | None = None
    ) -> AdvanceResult:
        """Move the clock forward, running every piece of work that falls due, in time order.

        Args:
            seconds: how far to move (not negative).
            to: the instant to move to (not earlier than now).

        Returns:
            The new now and how many status changes ran.

        Raises:
            ClockRefused: both or neither argument, a negative or non-finite amount, or a
                target earlier than now (time never moves backwards).
        """
        with self.store.lock:
            self._catch_up()
            target = _target(self.clock.now(), seconds, _as_datetime(to, "to"))
            applied = self._run_until(to_micros(target))
            self.clock.advance_to(target)
            return AdvanceResult(self.clock.now(), applied)

    def set_clock(self, mode: ClockMode | str | None = None, speed: float | None = None) -> None:
        """Freeze or run the clock, or change its speed, without moving time.

        Raises:
            ClockRefused: an unknown mode or a speed that is not a positive finite number.
        """
        with self.store.lock:
            self._catch_up()
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

    def _catch_up(self) -> None:
        """Run the work that fell due while a running clock moved on.

        Raises:
            _WouldWait: in an inline call (`call_if_idle`), when catching up means running
                due work or writing to the store.
        """
        now = to_micros(self.clock.now())
        if now <= self._processed_until:
            return
        durable = self.store.path is not None
        if not durable and self._quiet_until(now):
            # Nothing fell due: the world is as it was, only later. A world in memory keeps
            # its clock with it only for a snapshot, which saves it.
            self._processed_until = now
            return
        if self._inline:
            raise _WouldWait
        try:
            self._run_until(now, save=durable)
        except StoreFull:
            # Only the clock's save failed when the work due ran: the world moved on in
            # memory, and its clock is saved by the next catch-up that can write.
            if self._processed_until < now:
                raise

    def _quiet_until(self, now: int) -> bool:
        """Whether no work falls due after the processed instant up to `now`.

        The next due instant is asked of the store once, then remembered until the store
        changes: a running clock's requests between two ticks ask nothing of SQLite.
        """
        generation = self.store.generation
        cached = self._due_cache
        if cached is None or cached[0] != generation:
            cached = self._due_cache = (generation, self.timeline.next_due(self._processed_until))
        due = cached[1]
        return due is None or due > now

    def _run_until(self, target: int, *, save: bool = True) -> int:
        applied, self._processed_until = self.timeline.run_until(self._processed_until, target)
        if not save:
            return applied
        with self.store.transaction() as conn:
            Store.put_meta(conn, "now", str(target))
            Store.put_meta(conn, "processed_until", str(self._processed_until))
            self.ids.flush(conn)
        return applied

    def _stamp(self) -> int:
        """When a call's work happens: the instant the world has caught up to.

        Not a fresh reading: a running clock may have passed a batch since the catch-up,
        and a change stamped after a batch that has not run yet would dodge it.
        """
        return self._processed_until

    # --- clients and tokens -----------------------------------------------------------------

    def authenticate(self, email: str, password: str) -> dict[str, Any]:
        """Issue tokens for a client's credentials; access tokens live 24 simulated hours.

        Raises:
            Unauthorized: unknown email or wrong password.
        """
        with self.store.lock:
            self._catch_up()
            for account in self.clients:
                if account.email == email and secrets.compare_digest(
                    account.password.encode(), password.encode()
                ):
                    return self._issue_tokens(account.id, None)
            raise Unauthorized("Incorrect email or password.")

    def refresh(self, refresh_token: str) -> dict[str, Any]:
        """Issue a new access token for a refresh token.

        Raises:
            Unauthorized: the refresh token is unknown, expired or from before a reset.
        """
        with self.store.lock:
            self._catch_up()
            client_id = _tokens.owner(self.store.conn, refresh_token, "refresh", self._stamp())
            return self._issue_tokens(client_id, refresh_token)

    def authorize(self, access_token: str) -> str:
        """The client an access token belongs to.

        Raises:
            Unauthorized: unknown, expired (on the simulated clock) or from before a reset.
        """
        with self.store.lock:
            self._catch_up()
            now, cache = self._stamp(), self._access_tokens
            client_id = cache.client(self.ids, access_token, now)
            if client_id is None:
                conn = self.store.conn
                client_id, expires_at = _tokens.lookup(conn, access_token, "access", now)
                cache.remember(self.ids, access_token, client_id, expires_at)
            return client_id

    def known_client(self, access_token: str, at: datetime) -> str | None:
        """The client of an access token `authorize` has already vouched for, if valid `at`.

        Reads memory only (no lock, no catch-up); None means ask `authorize`, which also
        says why a token is refused.
        """
        return self._access_tokens.client(self.ids, access_token, to_micros(at))

    def _issue_tokens(self, client_id: str, refresh: str | None) -> dict[str, Any]:
        with self.store.transaction() as conn:
            self.ids.next(conn, "token")
            salt = (self.seed, self.ids.epoch, self.ids.last("token"))
            return _tokens.issue(conn, client_id, self._stamp(), salt, refresh)

    # --- products and consumers -------------------------------------------------------------

    def list_products(self, client: str | None = None) -> list[dict[str, Any]]:
        """The client's seeded catalogue; product ids work as `client_product_id`."""
        return _catalogue.products(self.seed, self._client(client))

    def create_consumer(self, payload: object, client: str | None = None) -> dict[str, Any]:
        """Create a consumer for the client.

        Raises:
            UpdateRejected: the payload is not a valid consumer.
        """
        with self.store.lock:
            self._catch_up()
            client_id = self._client(client)
            fields = _consumers.check_fields(payload, creating=True)
            with self.store.transaction() as conn:
                consumer_id = self.ids.next(conn, "consumer")
                number = self.ids.last("consumer")
                return _consumers.insert(
                    conn, (number, consumer_id), client_id, fields, self._stamp()
                )

    def get_consumer(self, consumer_id: str, client: str | None = None) -> dict[str, Any]:
        """One of the client's consumers.

        Raises:
            NotFound: no such consumer for this client.
        """
        with self.store.lock:
            return _consumers.get(
                self.store.conn, self._consumer(consumer_id), self._client(client)
            )

    def update_consumer(
        self, consumer_id: str, payload: object, client: str | None = None
    ) -> dict[str, Any]:
        """Change a consumer's details.

        Raises:
            NotFound: no such consumer for this client.
            UpdateRejected: the payload is not a valid consumer update.
        """
        with self.store.lock:
            self._catch_up()
            client_id = self._client(client)
            consumer = self._consumer(consumer_id)
            _consumers.get(self.store.conn, consumer, client_id)
            fields = _consumers.check_fields(payload, creating=False)
            with self.store.transaction() as conn:
                return _consumers.update(conn, consumer, client_id, fields, self._stamp())

    def list_consumers(self, client: str | None = None) -> list[dict[str, Any]]:
        """The client's consumers, oldest first."""
        with self.store.lock:
            return _consumers.list_all(self.store.conn, self._client(client))

    # --- orders -----------------------------------------------------------------------------

    def create_order(self, payload: object, client: str | None = None) -> dict[str, Any]:
        """Create an order; it starts Pending, or On Hold when its address needs review.

        Args:
            payload: the provider's create-order JSON (a dict).
            client: the client's id or email; the default client if None.

        Returns:
            The order in the provider's JSON shape.

        Raises:
            UpdateRejected: every rule the request breaks.
        """
        with self.store.lock:
            self._catch_up()
            client_id = self._client(client)
            valid = validate_create(payload)
            now = self._stamp()
            prices = _catalogue.prices(self.seed, client_id)
            other = dict(valid.other_fields)
            with self.store.transaction() as conn:
                problems = self._reference_problems(conn, client_id, valid.consumer, other)
                problems.extend(_unknown_products(valid.order_lines, prices))
                trigger = self._trigger(other.get("note"), valid.shipping_address, problems)
                if problems:
                    raise UpdateRejected(problems)
                consumer = self._order_consumer(conn, client_id, valid.consumer, now, save=False)
                # Issued now, saved once below: an order makes up to a dozen ids.
                order_id = self.ids.issue("order")
                address = _orders.shipping_address(valid.shipping_address)
                review = self._address_review(address, trigger)
                status = OrderStatus.ON_HOLD if review else valid.status
                stamp = iso(now)
                doc = _orders.new_order_document(
                    {
                        **other,
                        "id": order_id,
                        "client_id": client_id,
                        "name": f"OR-{10000 + self.ids.last('order')}",
                        "source": valid.source,
                        "order_type": valid.order_type,
                        "consumer": consumer,
                        "shipping_address": address,
                        "order_lines": _orders.build_lines(
                            order_id, valid.order_lines, self.ids.issue, prices
                        ),
                        "created_at": stamp,
                        "submission_date": stamp,
                        "created_by": client_id,
                        "updated_by": client_id,
                        "billing_status": "Pending",
                    }
                )
                _orders.price_order(doc)
                self.ids.save(conn)
                seq = self.ids.last("order")
                conn.execute(
                    "INSERT INTO orders (seq, id, client_id, status, name, client_custom_order_id, "
                    "source, created_at, updated_at, pending_since, trigger) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        seq,
                        order_id,
                        client_id,
                        status.value,
                        doc["name"],
                        doc["client_custom_order_id"],
                        doc["source"],
                        now,
                        now,
                        now if status is OrderStatus.PENDING else None,
                        None if trigger is None else encode_trigger(trigger),
                    ),
                )
                conn.execute(
                    "INSERT INTO order_docs (seq, doc) VALUES (?, ?)",
                    (seq, _orders.stored_text(doc)),
                )
                reason = f"created; address needs review: {review}" if review else "created"
                conn.execute(
                    _changes.LOG_ROW_INSERT,
                    (
                        seq,
                        now,
                        "status",
                        None,
                        status.value,
                        "create",
                        "client",
                        reason,
                        None,
                    ),
                )
            return _orders.overlay(doc, status, stamp)

    def _id_maker(self, conn: sqlite3.Connection) -> Callable[[str], str]:
        return lambda kind: self.ids.next(conn, kind)

    def _reference_problems(
        self,
        conn: sqlite3.Connection,
        client_id: str,
        consumer: Mapping[str, Any],
        other: Mapping[str, Any],
    ) -> list[Violation]:
        """What a create refers to that does not exist, or that must be unique and is not."""
        problems: list[Violation] = []
        custom = other.get("client_custom_order_id")
        if custom is not None:
            clash = conn.execute(
                "SELECT id FROM orders WHERE client_id = ? AND client_custom_order_id = ?",
                (client_id, custom),
            ).fetchone()
            if clash is not None:
                problems.append(
                    Violation(
                        "client_custom_order_id",
                        ViolationCode.DUPLICATE,
                        f"Order {clash[0]} already has client_custom_order_id '{custom}'; "
                        "each order needs its own.",
                    )
                )
        consumer_id = consumer.get("id")
        if consumer_id is not None and not _consumers.exists(
            conn, self._consumer(consumer_id), client_id
        ):
            problems.append(
                Violation(
                    "consumer.id",
                    ViolationCode.UNKNOWN_REFERENCE,
                    f"No consumer with id '{consumer_id}'; create it first or send "
                    "first_name and last_name instead.",
                )
            )
        return problems

    def _order_consumer(
        self,
        conn: sqlite3.Connection,
        client_id: str,
        consumer: Mapping[str, Any],
        now: int,
        *,
        save: bool = True,
    ) -> dict[str, Any]:
        """The consumer an order embeds: an existing one (updated with any fields sent) or new.

        With `save=False` a new consumer's id is issued but the id counters are left for the
        caller to save in the same transaction.
        """
        fields = {k: v for k, v in consumer.items() if k in _consumers.FIELDS}
        consumer_id = consumer.get("id")
        if consumer_id is not None:
            return _consumers.update(conn, self._consumer(consumer_id), client_id, fields, now)
        new_id = self.ids.next(conn, "consumer") if save else self.ids.issue("consumer")
        number = self.ids.last("consumer")
        return _consumers.insert(conn, (number, new_id), client_id, fields, now)

    def _trigger(
        self, note: object, address: Mapping[str, Any], problems: list[Violation]
    ) -> Trigger | None:
        try:
            return self.operations.trigger(note, address)
        except ValueError as error:
            problems.append(Violation("note", ViolationCode.MALFORMED, str(error)))
            return None

    @staticmethod
    def _address_review(address: Mapping[str, Any], trigger: Trigger | None) -> str:
        """Why the address needs review, or "" when it passes."""
        reasons = [problem.message for problem in validate_address(address)]
        if trigger is not None and trigger.kind is TriggerKind.ADDRESS_REVIEW:
            reasons.append("test trigger: this order's address always needs review")
        return "; ".join(reasons)

    def get_order(self, order_id: str, client: str | None = None) -> dict[str, Any]:
        """One of the client's orders, as it is now.

        Raises:
            NotFound: no such order for this client.
        """
        return self._order_row(order_id, client).document()

    def get_order_json(self, order_id: str, client: str | None = None) -> bytes:
        """`get_order` as UTF-8 JSON, spliced from the stored document without decoding it.

        Raises:
            NotFound: no such order for this client.
        """
        return b"".join(self._order_row(order_id, client).json_parts())

    def _order_row(self, order_id: str, client: str | None) -> OrderRow:
        with self.store.lock:
            self._catch_up()
            return self._load(order_id, self._client(client))

    def _consumer(self, consumer_id: object) -> tuple[int, str]:
        """A consumer's id as the store looks it up: the number it reads back to, and the id."""
        return self.ids.number_of("consumer", consumer_id), str(consumer_id)

    def _load(self, order_id: str, client_id: str | None) -> OrderRow:
        """One order by id, of one client (or of any); the caller holds the store's lock.

        Raises:
            NotFound: no such order (another client's order is not found either).
        """
        seq = self.ids.number_of("order", order_id)
        return _rows.load(self.store.conn, seq, order_id, client_id)

    def get_order_by_client_order_id(
        self, client_custom_order_id: str, client: str | None = None
    ) -> dict[str, Any]:
        """The client's order with this `client_custom_order_id`.

        Raises:
            NotFound: the client has no such order.
        """
        return self._order_row_by_custom_id(client_custom_order_id, client).document()

    def get_order_by_client_order_id_json(
        self, client_custom_order_id: str, client: str | None = None
    ) -> bytes:
        """`get_order_by_client_order_id` as UTF-8 JSON (no decode).

        Raises:
            NotFound: the client has no such order.
        """
        return b"".join(self._order_row_by_custom_id(client_custom_order_id, client).json_parts())

    def _order_row_by_custom_id(self, client_custom_order_id: str, client: str | None) -> OrderRow:
        with self.store.lock:
            self._catch_up()
            conn, client_id = self.store.conn, self._client(client)
            return _rows.by_custom_id(conn, client_custom_order_id, client_id)

    def update_order(
        self, order_id: str, payload: object, client: str | None = None
    ) -> dict[str, Any]:
        """Apply a client's partial update (fields and/or status) under the client rules.

        An address change that fails validation puts a Pending order On Hold; a held order
        goes back to Pending only when the client asks and the address passes.

        Raises:
            NotFound: no such order for this client.
            UpdateRejected: every rule the request breaks, including a status that no longer
                allows edits, and releasing a hold while the address still fails.
        """
        with self.store.lock:
            self._catch_up()
            client_id = self._client(client)
            row = self._load(order_id, client_id)
            valid = validate_update(row.status, payload)
            now = self._stamp()
            prices = _catalogue.prices(self.seed, client_id)
            problems = _unknown_products(valid.changes.get("order_lines") or (), prices)
            with self.store.transaction() as conn:
                consumer = valid.changes.get("consumer") or {}
                unknown = self._reference_problems(conn, client_id, consumer, {})
                problems.extend(unknown)
                # An unknown consumer cannot be looked up; the other fields are still checked.
                wanted = {k: v for k, v in valid.changes.items() if k != "consumer" or not unknown}
                changes = self._new_values(conn, row, wanted, prices, now)
                doc = {**row.doc, **{key: new for key, (_old, new) in changes.items()}}
                trigger = (
                    self._trigger(doc.get("note"), doc["shipping_address"], problems)
                    if "note" in changes or "shipping_address" in changes
                    else parse_trigger(row.trigger)
                )
                if problems:
                    raise UpdateRejected(problems)
                review = self._address_review(doc["shipping_address"], trigger)
                event, actor, reason = _status_move(row.status, valid.event, review)
                if not changes and event is None:
                    return row.document()
                record = StatusRecord(row.status)
                if changes:
                    fire(record, Event.UPDATE)
                    if "order_lines" in changes:
                        _orders.price_order(doc)
                    doc["updated_by"] = client_id
                if event is not None:
                    fire(record, event, address_ok=not review)
                log = [
                    _changes.Change(
                        row.seq,
                        now,
                        key,
                        old,
                        new,
                        "update",
                        "client",
                        None,
                        row.updated_at,
                    )
                    for key, (old, new) in changes.items()
                ]
                if event is not None:
                    log.append(
                        _changes.Change(
                            row.seq,
                            now,
                            "status",
                            row.status,
                            record.status,
                            event.value,
                            actor,
                            reason,
                            row.updated_at,
                        )
                    )
                _changes.record(conn, *log)
                released = record.status is OrderStatus.PENDING and row.status is not record.status
                conn.execute(
                    "UPDATE orders SET status = ?, updated_at = ?, trigger = ?, "
                    "pending_since = CASE WHEN ? THEN ? ELSE pending_since END WHERE seq = ?",
                    (
                        record.status.value,
                        now,
                        None if trigger is None else encode_trigger(trigger),
                        released,
                        now,
                        row.seq,
                    ),
                )
                conn.execute(
                    "UPDATE order_docs SET doc = ? WHERE seq = ?",
                    (_orders.stored_text(doc), row.seq),
                )
            return _orders.overlay(doc, record.status, iso(now))

    def _new_values(
        self,
        conn: sqlite3.Connection,
        row: OrderRow,
        changes: Mapping[str, Any],
        prices: Mapping[str, float],
        now: int,
    ) -> dict[str, tuple[Any, Any]]:
        """`field -> (old, new)` for every field the update really changes."""
        found: dict[str, tuple[Any, Any]] = {}
        for key, value in changes.items():
            old = row.doc.get(key)
            if key == "shipping_address":
                new: Any = _orders.shipping_address(value)
            elif key == "consumer":
                new = self._order_consumer(conn, row.client_id, value, now)
            elif key == "order_lines":
                new, unknown = _orders.merge_lines(
                    row.id, old or [], value, self._id_maker(conn), prices
                )
                if unknown:
                    raise UpdateRejected(
                        Violation(
                            path,
                            ViolationCode.UNKNOWN_REFERENCE,
                            f"This order has no item with the id sent at {path}; send no id "
                            "to add an item.",
                        )
                        for path in unknown
                    )
            else:
                new = value
            if new != old:
                found[key] = (old, new)
        return found

    def cancel_order(self, order_id: str, client: str | None = None) -> dict[str, Any]:
        """Cancel an order as its client, under the same rules as a status update.

        Raises:
            NotFound: no such order for this client.
            UpdateRejected: the status no longer allows a cancel (contact support once Accepted).
        """
        return self.update_order(order_id, {"status": OrderStatus.CANCELED_BY_CLIENT.value}, client)

    def count_orders(
        self, filters: Mapping[str, Any] | None = None, client: str | None = None
    ) -> int:
        """How many of the client's orders match the filters now.

        Raises:
            BadRequest: a bad filter.
        """
        with self.store.lock:
            self._catch_up()
            where, params = parse_filters(filters).where()
            (count,) = self.store.conn.execute(
                f"SELECT COUNT(*) FROM orders WHERE client_id = ? AND {where}",  # noqa: S608
                [self._client(client), *params],
            ).fetchone()
            return int(count)

    def list_orders(
        self,
        filters: Mapping[str, Any] | None = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
        client: str | None = None,
    ) -> dict[str, Any]:
        """One page of the client's orders, oldest first, with a cursor for the next.

        Paging is stable: an order that matched the filters when the first page was asked
        for is listed on some page, however it changes meanwhile; orders created after the
        first page wait for the next listing.

        Returns:
            `{"orders": [...], "next_cursor": str | None}`.

        Raises:
            BadRequest: a bad filter, limit or cursor.
        """
        page, next_cursor = self._page(filters, limit, cursor, client)
        return {"orders": [row.document() for row in page], "next_cursor": next_cursor}

    def list_orders_json(
        self,
        filters: Mapping[str, Any] | None = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
        client: str | None = None,
    ) -> bytes:
        """`list_orders` as UTF-8 JSON, spliced from the stored documents (no decode).

        Raises:
            BadRequest: a bad filter, limit or cursor.
        """
        page, next_cursor = self._page(filters, limit, cursor, client)
        # One join, so one page-sized allocation: each extra copy of ~190 KB costs more
        # than the splicing (the allocator hands such blocks back to the system and
        # faults them in again every time).
        parts: list[bytes | memoryview] = [b'{"orders":[']
        for row in page:
            parts.extend(row.json_parts())
            parts.append(b",")
        if page:
            parts.pop()
        parts.append(f'],"next_cursor":{json.dumps(next_cursor)}}}'.encode())
        return b"".join(parts)

    def _page(
        self,
        filters: Mapping[str, Any] | None,
        limit: int,
        cursor: str | None,
        client: str | None,
    ) -> tuple[list[OrderRow], str | None]:
        """One page's rows (documents not decoded yet) and the next page's cursor."""
        with self.store.lock:
            self._catch_up()
            client_id = self._client(client)
            query = parse_filters(filters)
            limit = check_limit(limit)
            conn = self.store.conn
            if cursor is None:
                state = _paging.fresh_cursor(conn, client_id, query)
            else:
                state = self._cursors.decode(cursor, client_id, query.fingerprint())
            rows = list(_paging.matching(conn, query, state, limit + 1))
            page = rows[:limit]
            next_cursor = None
            if len(rows) > limit:
                next_cursor = self._cursors.encode(attrs.evolve(state, after=page[-1].seq))
        # Documents are decoded or spliced by the caller, after the lock is free again.
        return page, next_cursor

    # --- fulfillments, logs, history --------------------------------------------------------

    def list_fulfillments(
        self, order_id: str | None = None, client: str | None = None
    ) -> list[dict[str, Any]]:
        """The client's fulfillments, oldest first, optionally of one order.

        Raises:
            NotFound: `order_id` is not one of the client's orders.
        """
        with self.store.lock:
            self._catch_up()
            client_id = self._client(client)
            seq = None if order_id is None else self._load(order_id, client_id).seq
            return _fulfillments.list_for(self.store.conn, client_id, seq)

    def get_fulfillment(self, fulfillment_id: str, client: str | None = None) -> dict[str, Any]:
        """One of the client's fulfillments.

        Raises:
            NotFound: no such fulfillment for this client.
        """
        with self.store.lock:
            self._catch_up()
            number = self.ids.number_of("fulfillment", fulfillment_id)
            return _fulfillments.get(self.store.conn, number, fulfillment_id, self._client(client))

    def transaction_logs(self, order_id: str, client: str | None = None) -> list[dict[str, Any]]:
        """The order's transaction log in the provider's shape: one row per changed field.

        Raises:
            NotFound: no such order for this client.
        """
        with self.store.lock:
            self._catch_up()
            client_id = self._client(client)
            row = self._load(order_id, client_id)
            salt = (self.seed, self.ids.epoch)
            return _changes.transaction_rows(self.store.conn, (row.seq, row.id), client_id, salt)

    def history(self, order_id: str) -> list[dict[str, Any]]:
        """Every status change of an order, oldest first, with event, actor and reason.

        Raises:
            NotFound: no such order.
        """
        with self.store.lock:
            self._catch_up()
            return _changes.status_history(self.store.conn, self._load(order_id, None).seq)

    # --- operator events --------------------------------------------------------------------

    def force(self, order_id: str, event: Event | str, reason: str | None = None) -> dict[str, Any]:
        """Force an operations event on an order now, as an OK Capsule operator would.

        `hold` and `release` mean OKC's hold and release. Later work (production, shipping,
        delivery) is scheduled from the forced move as if it had happened naturally.

        Raises:
            NotFound: no such order.
            ValueError: the event is unknown or is a client's event.
            IllegalTransition: the state machine does not allow it from the order's status.
        """
        chosen = self.operations.operator_event(event)
        with self.store.lock:
            self._catch_up()
            row = self._load(order_id, None)
            fire(StatusRecord(row.status), chosen, address_ok=True)  # refuse before writing
            now = self._stamp()
            outcome = attrs.evolve(
                self.operations.after_forced(row.id, chosen, now, parse_trigger(row.trigger)),
                reason=reason or "forced by operator",
            )
            with self.store.transaction() as conn:
                order = DueOrder(row.seq, row.id, row.client_id, row.status, row.updated_at)
                self.timeline.apply(conn, [(order, outcome)], now, "operator")
            return self._load(order_id, None).document()

    # --- the world as a whole ---------------------------------------------------------------

    def reset(self) -> None:
        """Empty the world (orders, consumers, fulfillments, logs, tokens); keep the settings.

        Tokens and cursors issued before a reset stop working. The clock keeps its time.
        """
        with self.store.lock:
            self.store.clear()
            with self.store.transaction() as conn:
                Store.put_meta(conn, "epoch", str(self.ids.epoch + 1))
                Store.put_meta(conn, "counters", "{}")
            self._open_world()
            self._run_until(self._stamp())

    def snapshot(self, path: str | Path) -> None:
        """Save the whole world, clock time included, to a SQLite file."""
        with self.store.lock:
            self._catch_up()
            self._run_until(self._stamp())
            self.store.snapshot(path)

    def restore(self, path: str | Path) -> None:
        """Replace the world with a snapshot's, clock time included (the clock is frozen there).

        Raises:
            StoreError: the file is not a snapshot.
            ValueError: the snapshot was taken with another seed.
        """
        with self.store.lock:
            self._refuse_other_seed(path)
            self.store.restore(path)
            self._open_world()
            saved = self.store.get_meta("now")
            processed = self.store.get_meta("processed_until")
            now = from_micros(int(saved)) if saved is not None else self.clock.now()
            self.clock = SimClock(now)
            self._processed_until = int(processed) if processed is not None else to_micros(now)

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
            _check_seed(row[0], self.seed)

    def close(self) -> None:
        """Close the store (a durable world stays on disk)."""
        self.store.close()


class _WouldWait(Exception):
    """An inline call reached work it must not do on an event loop (`call_if_idle`)."""


def _check_seed(stored: str, seed: int) -> None:
    """Refuse data made with another seed: its ids and draws would not be this world's.

    Raises:
        ValueError: `stored` is not `seed`.
    """
    if int(stored) != seed:
        raise ValueError(
            f"The database was created with seed {stored}, not {seed}; "
            "use the same seed or a new --db file."
        )


def _real_time(monotonic: Callable[[], float] | None) -> dict[str, Callable[[], float]]:
    return {} if monotonic is None else {"monotonic": monotonic}


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


def _status_move(
    current: OrderStatus, requested: Event | None, review: str
) -> tuple[Event | None, str, str | None]:
    """The status event of an update: the client's request, or an address hold.

    Returns:
        `(event or None, actor, reason)`.

    Raises:
        UpdateRejected: a release while the address still needs review.
    """
    if requested is Event.CANCEL:
        return requested, Actor.CLIENT, "canceled by client"
    if requested is Event.RELEASE:
        if review:
            raise UpdateRejected(
                [
                    Violation(
                        "status",
                        ViolationCode.ADDRESS_NEEDS_REVIEW,
                        f"The order stays On Hold: its shipping address needs review "
                        f"({review}). Fix shipping_address, then set status to Pending.",
                    )
                ]
            )
        return requested, Actor.CLIENT, "released by client"
    if requested is Event.HOLD:
        return requested, Actor.CLIENT, "held by client"
    if current is OrderStatus.PENDING and review:
        return Event.OKC_HOLD, Actor.OPERATIONS, f"address needs review: {review}"
    return None, Actor.CLIENT, None


def _unknown_products(lines: Any, prices: Mapping[str, float]) -> list[Violation]:  # noqa: ANN401
    """A violation for each pouch content whose product is not in the client's catalogue."""
    problems: list[Violation] = []
    for i, line in enumerate(lines):
        if not isinstance(line, Mapping) or not _orders.is_live(line):
            continue
        for j, pouch in enumerate(line.get("pouches") or ()):
            if not isinstance(pouch, Mapping) or not _orders.is_live(pouch):
                continue
            for k, content in enumerate(pouch.get("contents") or ()):
                product = content.get("client_product_id") if isinstance(content, Mapping) else None
                if product is not None and product not in prices:
                    problems.append(
                        Violation(
                            f"order_lines[{i}].pouches[{j}].contents[{k}].client_product_id",
                            ViolationCode.UNKNOWN_REFERENCE,
                            f"No product with id '{product}' in this client's catalogue "
                            "(GET /v2/products lists them).",
                        )
                    )
    return problems
