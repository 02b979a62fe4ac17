"""The simulator: one clock, one store, and the world's time-driven work, behind a Python API.

Every public method takes the store's lock, first lets the world catch up to the clock's
"now" (running every piece of work that fell due, in time order, each stamped with its own
due time), then does its job in one SQLite transaction.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from lifecycle._calendar import Calendar
from lifecycle._errors import UpdateRejected, Violation, ViolationCode
from lifecycle._machine import fire
from lifecycle._status import OrderStatus
from lifecycle._table import Actor, Event
from lifecycle._validation import validate_create, validate_update
from simulator import _catalogue, _orders
from simulator._address import TriggerKind, validate_address
from simulator._clock import ClockMode, SimClock
from simulator._errors import BadRequest, ClockRefused, NotFound, Unauthorized
from simulator._ids import secret_token, stable_uuid
from simulator._listing import (
    DEFAULT_LIMIT,
    Cursor,
    CursorCodec,
    OrderQuery,
    check_limit,
    parse_filters,
)
from simulator._operations import Operations, Outcome, Shipment, encode_trigger, parse_trigger
from simulator._profile import OperationsProfile, load_profile
from simulator._store import Store
from simulator._timefmt import MICROS_PER_SECOND, from_micros, iso, parse_iso, to_micros

if TYPE_CHECKING:
    import sqlite3

DEFAULT_CLIENT = ("integrator@example.com", "sandbox")
TOKEN_LIFETIME_SECONDS = 86_400
REFRESH_LIFETIME_SECONDS = 30 * 86_400
SYSTEM_USER = "00000000-0000-4000-8000-000000000000"
"""`done_by` of log rows written by the batch and by operations rather than a client."""

_ORDER_COLUMNS = "seq, id, client_id, status, updated_at, doc"


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
    password: str


class _Row:
    """An order row as the engine works with it."""

    __slots__ = ("client_id", "doc", "id", "seq", "status", "updated_at")

    def __init__(self, row: Sequence[Any]) -> None:
        self.seq: int = row[0]
        self.id: str = row[1]
        self.client_id: str = row[2]
        self.status: OrderStatus = OrderStatus(row[3])
        self.updated_at: int = row[4]
        self.doc: dict[str, Any] = json.loads(row[5])

    def document(self) -> dict[str, Any]:
        return _orders.overlay(self.doc, self.status, iso(self.updated_at))


def _as_datetime(value: datetime | str | None, what: str) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    try:
        return parse_iso(value)
    except ValueError as error:
        raise BadRequest(f"{what}: {error}", what) from None


class Simulator:
    """A fake OK Capsule world: clients, orders, fulfillments, and the clock that moves them."""

    def __init__(  # noqa: PLR0913 - the simulator's settings, all keyword-able
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
        monotonic: Any = None,  # noqa: ANN401 - an injectable real-time source for tests
    ) -> None:
        """Create a world, or reopen a durable one.

        Args:
            start: the simulated start instant (aware datetime or ISO 8601); defaults to
                the real now, to the second. A reopened `db` resumes from its saved time if
                that is later.
            seed: the seed of every random draw and every id.
            profile: an `OperationsProfile`, a TOML file path, or None for the default.
            db: a SQLite file for a durable world; None keeps it in memory.
            clients: `(email, password)` of each client; the first is the default client.
            mode: "frozen" (moves only when told) or "running" (real time x speed).
            speed: how many simulated seconds pass per real second when running.
            timezone: overrides the profile's zone ("America/Los_Angeles" or "UTC-8").
            monotonic: the real-time source for a running clock (tests inject a fake).
        """
        self.seed = int(seed)
        self.profile = profile if isinstance(profile, OperationsProfile) else load_profile(profile)
        zone = timezone or self.profile.timezone
        self.calendar = Calendar(zone=zone, holidays=frozenset(self.profile.holidays))
        if not clients:
            raise ValueError("A simulator needs at least one client (email, password).")
        self.clients = [
            ClientAccount(stable_uuid(self.seed, "client", email), email, password)
            for email, password in clients
        ]
        self.store = Store(db)
        self._load_or_init_meta()
        begin = _as_datetime(start, "start") or datetime.now(UTC).replace(microsecond=0)
        saved = self.store.get_meta("now")
        if saved is not None:
            begin = max(begin, from_micros(int(saved)))
        clock_args: dict[str, Any] = {"start": begin, "mode": ClockMode(mode), "speed": speed}
        if monotonic is not None:
            clock_args["monotonic"] = monotonic
        self.clock = SimClock(**clock_args)
        processed = self.store.get_meta("processed_until")
        self._processed_until = int(processed) if processed is not None else to_micros(begin)
        self.operations = Operations(self.seed, self.profile, self.calendar)
        self._sync_clients()

    # --- set-up and bookkeeping ------------------------------------------------------------

    def _load_or_init_meta(self) -> None:
        stored_seed = self.store.get_meta("seed")
        if stored_seed is not None and int(stored_seed) != self.seed:
            raise ValueError(
                f"The database was created with seed {stored_seed}, not {self.seed}; "
                "use the same seed or a new --db file."
            )
        epoch = self.store.get_meta("epoch")
        counters = self.store.get_meta("counters")
        with self.store.transaction() as conn:
            Store.put_meta(conn, "seed", str(self.seed))
            if epoch is None:
                Store.put_meta(conn, "epoch", "0")
        self._epoch = int(epoch or 0)
        self._counters: dict[str, int] = json.loads(counters) if counters else {}
        self._cursors = CursorCodec(secret_token(self.seed, "cursor", self._epoch).encode())

    def _sync_clients(self) -> None:
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM clients")
            conn.executemany(
                "INSERT INTO clients (id, email, password, name) VALUES (?, ?, ?, ?)",
                [(c.id, c.email, c.password, c.email.split("@")[0]) for c in self.clients],
            )

    def _next_id(self, conn: sqlite3.Connection, kind: str) -> str:
        number = self._counters.get(kind, 0) + 1
        self._counters[kind] = number
        Store.put_meta(conn, "counters", json.dumps(self._counters, sort_keys=True))
        return stable_uuid(self.seed, self._epoch, kind, number)

    def _client(self, client: str | None) -> str:
        if client is None:
            return self.clients[0].id
        for account in self.clients:
            if client in (account.id, account.email):
                return account.id
        raise NotFound(f"No client {client!r} in this simulator.")

    def client_id(self, email: str | None = None) -> str:
        """The id of a client by email, or of the default client."""
        return self._client(email)

    # --- the clock --------------------------------------------------------------------------

    @property
    def now(self) -> datetime:
        """The simulated now (aware, UTC), after the world has caught up to it."""
        with self.store.lock:
            self._catch_up()
            return self.clock.now()

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
            now = self.clock.now()
            target = self._target(now, seconds, _as_datetime(to, "to"))
            applied = self._run_until(to_micros(target))
            self.clock.advance_to(target)
            self._save_time(to_micros(target))
            return AdvanceResult(self.clock.now(), applied)

    @staticmethod
    def _target(now: datetime, seconds: float | None, to: datetime | None) -> datetime:
        if (seconds is None) == (to is None):
            raise ClockRefused("Give exactly one of 'seconds' or 'to'.")
        if to is not None:
            if to < now:
                raise ClockRefused(
                    f"Time never moves backwards: {iso(to_micros(to))} is before the "
                    f"simulated now, {iso(to_micros(now))}."
                )
            return to.astimezone(UTC)
        assert seconds is not None  # noqa: S101 - narrowed by the check above
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            raise ClockRefused(f"'seconds' must be a number, not {seconds!r}.")
        if seconds != seconds or seconds in (float("inf"), float("-inf")):
            raise ClockRefused("'seconds' must be a finite number.")
        if seconds < 0:
            raise ClockRefused(f"Time never moves backwards: seconds={seconds} is negative.")
        return from_micros(to_micros(now) + round(seconds * MICROS_PER_SECOND))

    def set_clock(self, mode: ClockMode | str | None = None, speed: float | None = None) -> None:
        """Freeze or run the clock, or change its speed, without moving time."""
        with self.store.lock:
            self._catch_up()
            if speed is not None:
                self.clock.set_speed(speed)
            if mode is not None:
                if ClockMode(mode) is ClockMode.FROZEN:
                    self.clock.freeze()
                else:
                    self.clock.run(speed)

    def _catch_up(self) -> None:
        """Run the work that fell due while a running clock moved on."""
        now = to_micros(self.clock.now())
        if now > self._processed_until:
            self._run_until(now)
            self._save_time(now)

    def _save_time(self, now: int) -> None:
        with self.store.transaction() as conn:
            Store.put_meta(conn, "now", str(now))
            Store.put_meta(conn, "processed_until", str(self._processed_until))

    def _stamp(self) -> int:
        return to_micros(self.clock.now())

    # --- time-driven work -------------------------------------------------------------------

    def _run_until(self, target: int) -> int:
        applied = 0
        while True:
            due = self._next_due()
            if due is None or due > target:
                break
            applied += self._run_instant(due)
            self._processed_until = max(self._processed_until, due)
        self._processed_until = max(self._processed_until, target)
        return applied

    def _next_due(self) -> int | None:
        after = self._processed_until
        candidates: list[int] = []
        (earliest,) = self.store.conn.execute(
            "SELECT MIN(next_event_at) FROM orders WHERE next_event_at IS NOT NULL"
        ).fetchone()
        if earliest is not None:
            candidates.append(max(earliest, after))
        pending = self.store.conn.execute(
            "SELECT 1 FROM orders WHERE status = 'Pending' LIMIT 1"
        ).fetchone()
        if pending is not None:
            candidates.append(to_micros(self.calendar.next_batch_at(from_micros(after))))
        return min(candidates) if candidates else None

    def _run_instant(self, at: int) -> int:
        applied = 0
        with self.store.transaction() as conn:
            if self.calendar.is_batch_instant(from_micros(at)):
                applied += self._batch(conn, at)
            rows = conn.execute(
                "SELECT seq, id, client_id, status, next_event, trigger, accepted_at, doc "
                "FROM orders WHERE next_event_at <= ? ORDER BY next_event_at, seq",
                (at,),
            ).fetchall()
            for seq, order_id, client_id, status, step, trigger, accepted_at, doc in rows:
                outcome = self.operations.step(
                    order_id, OrderStatus(status), step, at, accepted_at, parse_trigger(trigger)
                )
                applied += self._apply_outcome(
                    conn, seq, order_id, client_id, OrderStatus(status), at, outcome, doc
                )
        return applied

    def _batch(self, conn: sqlite3.Connection, at: int) -> int:
        """The nightly batch: every order Pending since before this instant is Accepted."""
        start = self.calendar.next_business_tick(from_micros(at))
        # The destination comes from the table, so the SQL bulk path cannot drift from it.
        accepted = self.operations.batch_destination
        params = {"at": at, "dest": accepted.value, "start": to_micros(start)}
        conn.execute(
            "INSERT INTO order_log (order_id, client_id, at, column_name, old_data, new_data, "
            "event, actor, reason, prev_updated_at) "
            "SELECT id, client_id, :at, 'status', status, :dest, 'accept', 'batch', "
            "'nightly batch', updated_at FROM orders "
            "WHERE status = 'Pending' AND pending_since < :at",
            params,
        )
        cursor = conn.execute(
            "UPDATE orders SET status = :dest, updated_at = :at, accepted_at = :at, "
            "next_event = 'start_production', next_event_at = :start "
            "WHERE status = 'Pending' AND pending_since < :at",
            params,
        )
        return int(cursor.rowcount)

    def _apply_outcome(  # noqa: PLR0913 - one order's step, all of it
        self,
        conn: sqlite3.Connection,
        seq: int,
        order_id: str,
        client_id: str,
        status: OrderStatus,
        at: int,
        outcome: Outcome,
        doc: str,
    ) -> int:
        if outcome.event is None:
            conn.execute(
                "UPDATE orders SET next_event = ?, next_event_at = ? WHERE seq = ?",
                (outcome.next_step, outcome.next_at, seq),
            )
            return 0
        record = _StatusRecord(status)
        fire(record, outcome.event, address_ok=True)
        self._log_status(
            conn,
            order_id,
            client_id,
            at,
            status,
            record.status,
            outcome.event,
            Actor.OPERATIONS,
            outcome.reason,
            seq,
        )
        conn.execute(
            "UPDATE orders SET status = ?, updated_at = ?, next_event = ?, next_event_at = ? "
            "WHERE seq = ?",
            (record.status.value, at, outcome.next_step, outcome.next_at, seq),
        )
        if outcome.shipment is not None:
            self._create_fulfillment(
                conn, order_id, client_id, at, json.loads(doc), outcome.shipment
            )
        elif outcome.event is Event.DELIVER:
            self._mark_delivered(conn, order_id, at)
        return 1

    def _create_fulfillment(  # noqa: PLR0913 - a fulfillment's parts
        self,
        conn: sqlite3.Connection,
        order_id: str,
        client_id: str,
        at: int,
        doc: dict[str, Any],
        shipment: Shipment,
    ) -> None:
        fulfillment_id = self._next_id(conn, "fulfillment")
        body = self.operations.fulfillment_document(
            fulfillment_id, order_id, doc, shipment, at, self._counters["fulfillment"]
        )
        conn.execute(
            "INSERT INTO fulfillments (id, order_id, client_id, created_at, updated_at, doc) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (fulfillment_id, order_id, client_id, at, at, json.dumps(body)),
        )

    @staticmethod
    def _mark_delivered(conn: sqlite3.Connection, order_id: str, at: int) -> None:
        for seq, doc in conn.execute(
            "SELECT seq, doc FROM fulfillments WHERE order_id = ?", (order_id,)
        ).fetchall():
            body = json.loads(doc)
            body["delivery_date"] = iso(at)
            body["updated_at"] = iso(at)
            conn.execute(
                "UPDATE fulfillments SET doc = ?, updated_at = ? WHERE seq = ?",
                (json.dumps(body), at, seq),
            )

    def _log_status(  # noqa: PLR0913 - a log row has this many parts
        self,
        conn: sqlite3.Connection,
        order_id: str,
        client_id: str,
        at: int,
        old: OrderStatus | None,
        new: OrderStatus,
        event: Event | str,
        actor: Actor | str,
        reason: str | None,
        seq: int | None = None,
    ) -> None:
        prev = None
        if seq is not None:
            (prev,) = conn.execute("SELECT updated_at FROM orders WHERE seq = ?", (seq,)).fetchone()
        self._log(
            conn, order_id, client_id, at, "status", old, new, str(event), str(actor), reason, prev
        )

    @staticmethod
    def _log(  # noqa: PLR0913 - a log row has this many parts
        conn: sqlite3.Connection,
        order_id: str,
        client_id: str,
        at: int,
        column: str,
        old: object,
        new: object,
        event: str,
        actor: str,
        reason: str | None,
        prev_updated_at: int | None,
    ) -> None:
        conn.execute(
            "INSERT INTO order_log (order_id, client_id, at, column_name, old_data, new_data, "
            "event, actor, reason, prev_updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                order_id,
                client_id,
                at,
                column,
                _log_text(old),
                _log_text(new),
                event,
                actor,
                reason,
                prev_updated_at,
            ),
        )

    # --- clients and tokens -----------------------------------------------------------------

    def authenticate(self, email: str, password: str) -> dict[str, Any]:
        """Issue tokens for a client's credentials; access tokens live 24 simulated hours.

        Raises:
            Unauthorized: unknown email or wrong password.
        """
        with self.store.lock:
            self._catch_up()
            for account in self.clients:
                if account.email == email and secrets.compare_digest(account.password, password):
                    return self._issue_tokens(account.id, refresh=None)
            raise Unauthorized("Incorrect email or password.")

    def refresh(self, refresh_token: str) -> dict[str, Any]:
        """Issue a new access token for a refresh token.

        Raises:
            Unauthorized: the refresh token is unknown, expired or from before a reset.
        """
        with self.store.lock:
            self._catch_up()
            client_id = self._token_owner(refresh_token, "refresh")
            return self._issue_tokens(client_id, refresh=refresh_token)

    def authorize(self, access_token: str) -> str:
        """The client an access token belongs to.

        Raises:
            Unauthorized: the token is unknown, expired (on the simulated clock) or from
                before a reset.
        """
        with self.store.lock:
            self._catch_up()
            return self._token_owner(access_token, "access")

    def _token_owner(self, token: str, kind: str) -> str:
        row = self.store.conn.execute(
            "SELECT client_id, expires_at FROM tokens WHERE token = ? AND kind = ?", (token, kind)
        ).fetchone()
        if row is None:
            raise Unauthorized(f"The {kind} token is not valid (unknown, or from before a reset).")
        client_id, expires_at = row
        if self._stamp() >= expires_at:
            raise Unauthorized(
                f"The {kind} token expired at {iso(expires_at)} (simulated time); "
                "get a new one from /v2/authentication/"
                + ("refresh-token." if kind == "access" else "token.")
            )
        return str(client_id)

    def _issue_tokens(self, client_id: str, refresh: str | None) -> dict[str, Any]:
        now = self._stamp()
        with self.store.transaction() as conn:
            number = self._next_id(conn, "token")
            access = "sim_at_" + secret_token(self.seed, self._epoch, "access", number)
            rows = [(access, "access", client_id, now + TOKEN_LIFETIME_SECONDS * MICROS_PER_SECOND)]
            if refresh is None:
                refresh = "sim_rt_" + secret_token(self.seed, self._epoch, "refresh", number)
                expiry = now + REFRESH_LIFETIME_SECONDS * MICROS_PER_SECOND
                rows.append((refresh, "refresh", client_id, expiry))
            conn.executemany(
                "INSERT INTO tokens (token, kind, client_id, expires_at) VALUES (?, ?, ?, ?)", rows
            )
        return {
            "access_token": access,
            "refresh_token": refresh,
            "id_token": "sim_id_" + secret_token(self.seed, self._epoch, "id", access),
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME_SECONDS,
        }

    # --- products and consumers -------------------------------------------------------------

    def list_products(self, client: str | None = None) -> list[dict[str, Any]]:
        """The client's seeded catalogue; product ids work as `client_product_id`."""
        return _catalogue.products(self.seed, self._client(client))

    def create_consumer(self, payload: Any, client: str | None = None) -> dict[str, Any]:  # noqa: ANN401
        """Create a consumer for the client.

        Raises:
            UpdateRejected: the payload is not a valid consumer.
        """
        with self.store.lock:
            self._catch_up()
            client_id = self._client(client)
            fields = _consumer_fields(payload, creating=True)
            now = self._stamp()
            with self.store.transaction() as conn:
                return self._insert_consumer(conn, client_id, fields, now)

    def _insert_consumer(
        self, conn: sqlite3.Connection, client_id: str, fields: Mapping[str, Any], now: int
    ) -> dict[str, Any]:
        consumer_id = self._next_id(conn, "consumer")
        body = {
            "id": consumer_id,
            "client_id": client_id,
            "email": None,
            "first_name": None,
            "last_name": None,
            "phone_number": None,
            "client_custom_consumer_id": None,
            "crm_account_id": None,
            "crm_id": None,
            "created_at": iso(now),
            "updated_at": iso(now),
        }
        body.update(fields)
        conn.execute(
            "INSERT INTO consumers (id, client_id, created_at, updated_at, doc) "
            "VALUES (?, ?, ?, ?, ?)",
            (consumer_id, client_id, now, now, json.dumps(body)),
        )
        return body

    def get_consumer(self, consumer_id: str, client: str | None = None) -> dict[str, Any]:
        """One of the client's consumers.

        Raises:
            NotFound: no such consumer for this client.
        """
        with self.store.lock:
            return self._consumer(self.store.conn, consumer_id, self._client(client))

    @staticmethod
    def _consumer(conn: sqlite3.Connection, consumer_id: str, client_id: str) -> dict[str, Any]:
        row = conn.execute(
            "SELECT doc FROM consumers WHERE id = ? AND client_id = ?", (consumer_id, client_id)
        ).fetchone()
        if row is None:
            raise NotFound(f"No consumer with id '{consumer_id}'.")
        body: dict[str, Any] = json.loads(row[0])
        return body

    def update_consumer(
        self,
        consumer_id: str,
        payload: Any,  # noqa: ANN401 - decoded JSON
        client: str | None = None,
    ) -> dict[str, Any]:
        """Change a consumer's details.

        Raises:
            NotFound: no such consumer for this client.
            UpdateRejected: the payload is not a valid consumer update.
        """
        with self.store.lock:
            self._catch_up()
            client_id = self._client(client)
            body = self._consumer(self.store.conn, consumer_id, client_id)
            fields = _consumer_fields(payload, creating=False)
            now = self._stamp()
            body.update(fields)
            body["updated_at"] = iso(now)
            with self.store.transaction() as conn:
                conn.execute(
                    "UPDATE consumers SET doc = ?, updated_at = ? WHERE id = ?",
                    (json.dumps(body), now, consumer_id),
                )
            return body

    def list_consumers(self, client: str | None = None) -> list[dict[str, Any]]:
        """The client's consumers, oldest first."""
        with self.store.lock:
            rows = self.store.conn.execute(
                "SELECT doc FROM consumers WHERE client_id = ? ORDER BY seq",
                (self._client(client),),
            ).fetchall()
        return [json.loads(doc) for (doc,) in rows]

    # --- orders -----------------------------------------------------------------------------

    def create_order(self, payload: Any, client: str | None = None) -> dict[str, Any]:  # noqa: ANN401
        """Create an order; it starts Pending, or On Hold when its address needs review.

        Args:
            payload: the provider's create-order JSON (a dict).
            client: the client's id or email; the default client if None.

        Returns:
            The order as the provider's JSON shape.

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
                problems = self._reference_problems(
                    conn, client_id, valid.consumer, valid.order_lines, prices, other
                )
                trigger = self._trigger(other.get("note"), valid.shipping_address, problems)
                if problems:
                    raise UpdateRejected(problems)
                consumer = self._order_consumer(conn, client_id, valid.consumer, now)
                order_id = self._next_id(conn, "order")
                number = self._counters["order"]
                address = _orders.shipping_address(valid.shipping_address)
                lines = _orders.build_lines(
                    order_id, valid.order_lines, lambda kind: self._next_id(conn, kind), prices
                )
                review = self._address_review(address, trigger)
                status = OrderStatus.ON_HOLD if review else valid.status
                doc = _orders.new_order_document(
                    {
                        **{k: v for k, v in other.items() if k in _orders.empty_order_document()},
                        "id": order_id,
                        "client_id": client_id,
                        "name": f"OR-{10000 + number}",
                        "source": valid.source,
                        "order_type": valid.order_type,
                        "consumer": consumer,
                        "shipping_address": address,
                        "order_lines": lines,
                        "created_at": iso(now),
                        "submission_date": iso(now),
                        "created_by": client_id,
                        "updated_by": client_id,
                        "billing_status": "Pending",
                    }
                )
                _orders.price_order(doc)
                cursor = conn.execute(
                    "INSERT INTO orders (id, client_id, status, name, client_custom_order_id, "
                    "source, created_at, updated_at, pending_since, trigger, doc) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
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
                        json.dumps(doc),
                    ),
                )
                reason = "created" if not review else f"created; address needs review: {review}"
                self._log(
                    conn,
                    order_id,
                    client_id,
                    now,
                    "status",
                    None,
                    status,
                    "create",
                    Actor.CLIENT,
                    reason,
                    None,
                )
                del cursor
            return _orders.overlay(doc, status, iso(now))

    def _reference_problems(  # noqa: PLR0913 - everything a create refers to
        self,
        conn: sqlite3.Connection,
        client_id: str,
        consumer: Mapping[str, Any],
        lines: Sequence[Mapping[str, Any]],
        prices: Mapping[str, float],
        other: Mapping[str, Any],
    ) -> list[Violation]:
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
        if (
            consumer_id is not None
            and conn.execute(
                "SELECT 1 FROM consumers WHERE id = ? AND client_id = ?", (consumer_id, client_id)
            ).fetchone()
            is None
        ):
            problems.append(
                Violation(
                    "consumer.id",
                    ViolationCode.UNKNOWN_REFERENCE,
                    f"No consumer with id '{consumer_id}'; create it first or send "
                    "first_name and last_name instead.",
                )
            )
        problems.extend(_unknown_products(lines, prices))
        return problems

    def _order_consumer(
        self, conn: sqlite3.Connection, client_id: str, consumer: Mapping[str, Any], now: int
    ) -> dict[str, Any]:
        consumer_id = consumer.get("id")
        if consumer_id is not None:
            body = self._consumer(conn, str(consumer_id), client_id)
            fields = {k: v for k, v in consumer.items() if k != "id"}
            if fields:
                body.update(fields)
                body["updated_at"] = iso(now)
                conn.execute(
                    "UPDATE consumers SET doc = ?, updated_at = ? WHERE id = ?",
                    (json.dumps(body), now, consumer_id),
                )
            return body
        return self._insert_consumer(conn, client_id, consumer, now)

    def _trigger(
        self,
        note: Any,
        address: Mapping[str, Any],
        problems: list[Violation],
    ) -> Any:  # noqa: ANN401 - a Trigger or None
        try:
            return self.operations.trigger(note, address)
        except ValueError as error:
            problems.append(Violation("note", ViolationCode.MALFORMED, str(error)))
            return None

    def _address_review(self, address: Mapping[str, Any], trigger: Any) -> str:  # noqa: ANN401
        """Why the address needs review, or "" when it passes."""
        reasons = [problem.message for problem in validate_address(address)]
        if trigger is not None and trigger.kind is TriggerKind.ADDRESS_REVIEW:
            reasons.append("test trigger: this address always needs review")
        return "; ".join(reasons)

    def get_order(self, order_id: str, client: str | None = None) -> dict[str, Any]:
        """One of the client's orders, as it is now.

        Raises:
            NotFound: no such order for this client.
        """
        with self.store.lock:
            self._catch_up()
            return self._load(order_id, self._client(client)).document()

    def get_order_by_client_order_id(
        self, client_custom_order_id: str, client: str | None = None
    ) -> dict[str, Any]:
        """The client's order with this `client_custom_order_id`.

        Raises:
            NotFound: the client has no such order.
        """
        with self.store.lock:
            self._catch_up()
            row = self.store.conn.execute(
                f"SELECT {_ORDER_COLUMNS} FROM orders "  # noqa: S608 - fixed column list
                "WHERE client_id = ? AND client_custom_order_id = ?",
                (self._client(client), client_custom_order_id),
            ).fetchone()
            if row is None:
                raise NotFound(f"No order with client_custom_order_id '{client_custom_order_id}'.")
            return _Row(row).document()

    def _load(self, order_id: str, client_id: str | None) -> _Row:
        sql = f"SELECT {_ORDER_COLUMNS} FROM orders WHERE id = ?"  # noqa: S608 - fixed columns
        params: tuple[str, ...] = (order_id,)
        if client_id is not None:
            sql += " AND client_id = ?"
            params = (order_id, client_id)
        row = self.store.conn.execute(sql, params).fetchone()
        if row is None:
            raise NotFound(f"No order with id '{order_id}'.")
        return _Row(row)

    def update_order(
        self,
        order_id: str,
        payload: Any,  # noqa: ANN401 - decoded JSON
        client: str | None = None,
    ) -> dict[str, Any]:
        """Apply a client's partial update (fields and/or status) under the client rules.

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
            with self.store.transaction() as conn:
                problems = _unknown_products(valid.changes.get("order_lines") or (), prices)
                trigger = None
                doc = dict(row.doc)
                changes = self._new_values(conn, row, valid.changes, prices, now)
                doc.update({key: new for key, (_old, new) in changes.items()})
                stored_trigger = conn.execute(
                    "SELECT trigger FROM orders WHERE seq = ?", (row.seq,)
                ).fetchone()[0]
                trigger = (
                    self._trigger(doc.get("note"), doc["shipping_address"], problems)
                    if "note" in changes or "shipping_address" in changes
                    else parse_trigger(stored_trigger)
                )
                if problems:
                    raise UpdateRejected(problems)
                review = self._address_review(doc["shipping_address"], trigger)
                status, event, actor, reason = self._status_move(row.status, valid.event, review)
                if not changes and status is row.status:
                    return row.document()
                if "order_lines" in changes:
                    _orders.price_order(doc)
                for key, (old, new) in changes.items():
                    self._log(
                        conn,
                        order_id,
                        client_id,
                        now,
                        key,
                        old,
                        new,
                        "update",
                        Actor.CLIENT,
                        None,
                        row.updated_at,
                    )
                record = _StatusRecord(row.status)
                if changes:
                    fire(record, Event.UPDATE)
                if event is not None:
                    fire(record, event, address_ok=not review)
                    self._log(
                        conn,
                        order_id,
                        client_id,
                        now,
                        "status",
                        row.status,
                        record.status,
                        event,
                        actor,
                        reason,
                        row.updated_at,
                    )
                doc["updated_by"] = client_id
                pending = record.status is OrderStatus.PENDING and row.status is not record.status
                conn.execute(
                    "UPDATE orders SET status = ?, updated_at = ?, doc = ?, trigger = ?, "
                    "pending_since = CASE WHEN ? THEN ? ELSE pending_since END WHERE seq = ?",
                    (
                        record.status.value,
                        now,
                        json.dumps(doc),
                        None if trigger is None else encode_trigger(trigger),
                        pending,
                        now,
                        row.seq,
                    ),
                )
            return _orders.overlay(doc, record.status, iso(now))

    @staticmethod
    def _status_move(
        current: OrderStatus, requested: Event | None, review: str
    ) -> tuple[OrderStatus, Event | None, Actor, str | None]:
        """Decide the status move of an update: the client's request, or an address hold."""
        if requested is Event.CANCEL:
            return OrderStatus.CANCELED_BY_CLIENT, requested, Actor.CLIENT, "canceled by client"
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
            return OrderStatus.PENDING, requested, Actor.CLIENT, "released by client"
        if requested is Event.HOLD:
            return OrderStatus.ON_HOLD, requested, Actor.CLIENT, "held by client"
        if current is OrderStatus.PENDING and review:
            return (
                OrderStatus.ON_HOLD,
                Event.OKC_HOLD,
                Actor.OPERATIONS,
                f"address needs review: {review}",
            )
        return current, None, Actor.CLIENT, None

    def _new_values(
        self,
        conn: sqlite3.Connection,
        row: _Row,
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
                new = _orders.build_lines(
                    row.id, value, lambda kind: self._next_id(conn, kind), prices
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
        """How many of the client's orders match the filters now."""
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
        with self.store.lock:
            self._catch_up()
            client_id = self._client(client)
            query = parse_filters(filters)
            limit = check_limit(limit)
            if cursor is None:
                state = self._fresh_cursor(client_id, query)
            else:
                state = self._cursors.decode(cursor, client_id, query.fingerprint())
            rows = list(self._matching(client_id, query, state, limit + 1))
            page, more = rows[:limit], len(rows) > limit
            next_cursor = None
            if more:
                next_cursor = self._cursors.encode(attrs.evolve(state, after=page[-1].seq))
            return {"orders": [row.document() for row in page], "next_cursor": next_cursor}

    def _fresh_cursor(self, client_id: str, query: OrderQuery) -> Cursor:
        (last_log,) = self.store.conn.execute(
            "SELECT COALESCE(MAX(seq), 0) FROM order_log"
        ).fetchone()
        (newest,) = self.store.conn.execute("SELECT COALESCE(MAX(seq), 0) FROM orders").fetchone()
        return Cursor(client_id, query.fingerprint(), last_log, newest, 0)

    def _matching(
        self, client_id: str, query: OrderQuery, state: Cursor, count: int
    ) -> Iterator[_Row]:
        """Orders after the cursor that matched the filters as of the cursor's moment."""
        changed = self._as_of(client_id, state)
        where, params = query.where()
        sql = (
            f"SELECT {_ORDER_COLUMNS} FROM orders WHERE client_id = ? AND seq > ? AND seq <= ? "  # noqa: S608
            f"AND {where} ORDER BY seq"
        )
        current = self.store.conn.execute(
            sql, [client_id, state.after, state.newest_order, *params]
        )
        then = sorted(
            seq
            for seq, values in changed.items()
            if state.after < seq <= state.newest_order and query.matches(values)
        )
        emitted = 0
        pending_then = iter(then)
        next_then = next(pending_then, None)
        for raw in current:
            seq = raw[0]
            while next_then is not None and next_then < seq and emitted < count:
                yield self._row_by_seq(next_then)
                emitted += 1
                next_then = next(pending_then, None)
            if emitted >= count:
                return
            if seq in changed:
                continue  # judged by its past values, in `then`
            yield _Row(raw)
            emitted += 1
        while next_then is not None and emitted < count:
            yield self._row_by_seq(next_then)
            emitted += 1
            next_then = next(pending_then, None)

    def _as_of(self, client_id: str, state: Cursor) -> dict[int, dict[str, Any]]:
        """For orders changed since the cursor's moment: their filterable values back then."""
        if state.after == 0 and state.as_of_log == self._last_log():
            return {}
        values: dict[int, dict[str, Any]] = {}
        rows = self.store.conn.execute(
            "SELECT o.seq, o.status, o.name, o.source, o.client_custom_order_id, o.created_at, "
            "o.updated_at, l.column_name, l.old_data, l.prev_updated_at "
            "FROM order_log l JOIN orders o ON o.id = l.order_id "
            "WHERE l.client_id = ? AND l.seq > ? ORDER BY l.seq",
            (client_id, state.as_of_log),
        )
        for seq, status, name, source, custom, created, updated, column, old, prev in rows:
            entry = values.get(seq)
            if entry is None:
                entry = values[seq] = {
                    "status": status,
                    "name": name,
                    "source": source,
                    "client_custom_order_id": custom,
                    "created_at": created,
                    "updated_at": prev if prev is not None else updated,
                    "_status_seen": False,
                }
            if column == "status" and not entry["_status_seen"]:
                entry["status"] = old
                entry["_status_seen"] = True
        return values

    def _last_log(self) -> int:
        (last,) = self.store.conn.execute("SELECT COALESCE(MAX(seq), 0) FROM order_log").fetchone()
        return int(last)

    def _row_by_seq(self, seq: int) -> _Row:
        row = self.store.conn.execute(
            f"SELECT {_ORDER_COLUMNS} FROM orders WHERE seq = ?",
            (seq,),
        ).fetchone()
        return _Row(row)

    # --- fulfillments and logs --------------------------------------------------------------

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
            if order_id is None:
                rows = self.store.conn.execute(
                    "SELECT doc FROM fulfillments WHERE client_id = ? ORDER BY seq", (client_id,)
                ).fetchall()
            else:
                self._load(order_id, client_id)
                rows = self.store.conn.execute(
                    "SELECT doc FROM fulfillments WHERE client_id = ? AND order_id = ? ORDER BY seq",
                    (client_id, order_id),
                ).fetchall()
            return [json.loads(doc) for (doc,) in rows]

    def get_fulfillment(self, fulfillment_id: str, client: str | None = None) -> dict[str, Any]:
        """One of the client's fulfillments.

        Raises:
            NotFound: no such fulfillment for this client.
        """
        with self.store.lock:
            self._catch_up()
            row = self.store.conn.execute(
                "SELECT doc FROM fulfillments WHERE id = ? AND client_id = ?",
                (fulfillment_id, self._client(client)),
            ).fetchone()
            if row is None:
                raise NotFound(f"No fulfillment with id '{fulfillment_id}'.")
            body: dict[str, Any] = json.loads(row[0])
            return body

    def transaction_logs(self, order_id: str, client: str | None = None) -> list[dict[str, Any]]:
        """The order's transaction log in the provider's shape: one row per changed field.

        Raises:
            NotFound: no such order for this client.
        """
        with self.store.lock:
            self._catch_up()
            client_id = self._client(client)
            self._load(order_id, client_id)
            rows = self.store.conn.execute(
                "SELECT seq, at, column_name, old_data, new_data, event, actor, reason "
                "FROM order_log WHERE order_id = ? ORDER BY seq",
                (order_id,),
            ).fetchall()
        return [
            {
                "id": stable_uuid(self.seed, self._epoch, "log", seq),
                "column_name": column,
                "old_data": old,
                "new_data": new,
                "event_type": "INSERT" if event == "create" else "UPDATE",
                "done_by": client_id if actor == Actor.CLIENT else SYSTEM_USER,
                "client_id": client_id,
                "entity_id": order_id,
                "created_at": iso(at),
                "event": event,
                "actor": actor,
                "reason": reason,
            }
            for seq, at, column, old, new, event, actor, reason in rows
        ]

    def history(self, order_id: str) -> list[dict[str, Any]]:
        """Every status change of an order, oldest first, with event, actor and reason.

        Raises:
            NotFound: no such order.
        """
        with self.store.lock:
            self._catch_up()
            self._load(order_id, None)
            rows = self.store.conn.execute(
                "SELECT at, old_data, new_data, event, actor, reason FROM order_log "
                "WHERE order_id = ? AND column_name = 'status' ORDER BY seq",
                (order_id,),
            ).fetchall()
        return [
            {
                "at": iso(at),
                "from": old,
                "to": new,
                "event": event,
                "actor": actor,
                "reason": reason,
            }
            for at, old, new, event, actor, reason in rows
        ]

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
            now = self._stamp()
            record = _StatusRecord(row.status)
            fire(record, chosen, address_ok=True)
            (stored,) = self.store.conn.execute(
                "SELECT trigger FROM orders WHERE seq = ?", (row.seq,)
            ).fetchone()
            outcome = self.operations.after_forced(row.id, chosen, now, parse_trigger(stored))
            next_step, next_at = outcome.next_step, outcome.next_at
            with self.store.transaction() as conn:
                self._log_status(
                    conn,
                    row.id,
                    row.client_id,
                    now,
                    row.status,
                    record.status,
                    chosen,
                    "operator",
                    reason or "forced by operator",
                    row.seq,
                )
                conn.execute(
                    "UPDATE orders SET status = ?, updated_at = ?, next_event = ?, "
                    "next_event_at = ?, "
                    "accepted_at = CASE WHEN ? THEN ? ELSE accepted_at END, "
                    "pending_since = CASE WHEN ? THEN ? ELSE pending_since END WHERE seq = ?",
                    (
                        record.status.value,
                        now,
                        next_step,
                        next_at,
                        chosen is Event.ACCEPT,
                        now,
                        record.status is OrderStatus.PENDING,
                        now,
                        row.seq,
                    ),
                )
                if outcome.shipment is not None:
                    self._create_fulfillment(
                        conn, row.id, row.client_id, now, row.doc, outcome.shipment
                    )
                elif chosen is Event.DELIVER:
                    self._mark_delivered(conn, row.id, now)
            return _orders.overlay(row.doc, record.status, iso(now))

    # --- the world as a whole ---------------------------------------------------------------

    def reset(self) -> None:
        """Empty the world (orders, consumers, fulfillments, logs, tokens); keep the settings.

        Tokens and cursors issued before a reset stop working. The clock keeps its time.
        """
        with self.store.lock:
            self.store.clear()
            self._epoch += 1
            self._counters = {}
            now = self._stamp()
            self._processed_until = now
            with self.store.transaction() as conn:
                Store.put_meta(conn, "epoch", str(self._epoch))
                Store.put_meta(conn, "counters", "{}")
            self._save_time(now)
            self._cursors = CursorCodec(secret_token(self.seed, "cursor", self._epoch).encode())

    def snapshot(self, path: str | Path) -> None:
        """Save the whole world, clock time included, to a SQLite file."""
        with self.store.lock:
            self._catch_up()
            self._save_time(self._stamp())
            self.store.snapshot(path)

    def restore(self, path: str | Path) -> None:
        """Replace the world with a snapshot's, clock time included (frozen there).

        Raises:
            StoreError: the file is not a snapshot.
            ValueError: the snapshot was taken with another seed.
        """
        with self.store.lock:
            self.store.restore(path)
            self._load_or_init_meta()
            saved = self.store.get_meta("now")
            processed = self.store.get_meta("processed_until")
            now = from_micros(int(saved)) if saved is not None else self.clock.now()
            self.clock = SimClock(start=now)
            self._processed_until = int(processed) if processed is not None else to_micros(now)
            self._sync_clients()

    def close(self) -> None:
        """Close the store (a durable world stays on disk)."""
        self.store.close()


class _StatusRecord:
    """A status holder the shared machine can move, standing in for a stored order."""

    __slots__ = ("status",)

    def __init__(self, status: OrderStatus) -> None:
        self.status = status


def _log_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


_CONSUMER_FIELDS = ("email", "first_name", "last_name", "phone_number", "client_custom_consumer_id")
_CONSUMER_MAX = 100


def _consumer_fields(payload: Any, *, creating: bool) -> dict[str, Any]:  # noqa: ANN401
    """Check a consumer request body and return its fields.

    Raises:
        UpdateRejected: not an object, unknown or read-only fields, wrong types, missing names.
    """
    if not isinstance(payload, dict):
        raise UpdateRejected(
            [Violation("", ViolationCode.MALFORMED, "The request body must be a JSON object.")]
        )
    problems: list[Violation] = []
    fields: dict[str, Any] = {}
    for key, value in payload.items():
        if key not in _CONSUMER_FIELDS:
            code = (
                ViolationCode.READ_ONLY
                if key in {"id", "client_id", "created_at", "updated_at", "crm_id"}
                else ViolationCode.NOT_UPDATABLE
            )
            problems.append(
                Violation(
                    str(key),
                    code,
                    f"'{key}' cannot be set; consumer fields are: "
                    + ", ".join(_CONSUMER_FIELDS)
                    + ".",
                )
            )
        elif value is not None and (not isinstance(value, str) or len(value) > _CONSUMER_MAX):
            problems.append(
                Violation(
                    key,
                    ViolationCode.MALFORMED,
                    f"'{key}' must be text of at most {_CONSUMER_MAX} characters.",
                )
            )
        else:
            fields[key] = value
    if creating:
        problems.extend(
            Violation(name, ViolationCode.REQUIRED, f"'{name}' is required to create a consumer.")
            for name in ("first_name", "last_name")
            if not fields.get(name)
        )
    if problems:
        raise UpdateRejected(problems)
    return fields


def _unknown_products(lines: Any, prices: Mapping[str, float]) -> list[Violation]:  # noqa: ANN401
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
