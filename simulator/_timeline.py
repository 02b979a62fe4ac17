"""The world's time-driven work: the nightly batch and each order's due operations step.

`run_until` runs every piece of work due up to an instant, in time order, each stamped with
its own due time; all of it falls on 6-hourly status ticks (the batch is the midnight tick).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from lifecycle._machine import fire
from lifecycle._status import OrderStatus
from lifecycle._table import BY_EVENT, DEST, Event, actor_of
from simulator import _changes
from simulator._changes import LOG_ROW_INSERT
from simulator._fulfillments import DELIVER_SQL, INSERT_SQL
from simulator._operations import (
    BEGIN_PRODUCTION,
    DELIVER,
    PLAN,
    SHIP,
    Operations,
    Outcome,
    Plan,
    Shipment,
    parse_trigger,
)
from simulator._order_lifecycle import REQUEUED_SET
from simulator._timefmt import from_micros, to_micros

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Sequence

    from lifecycle._calendar import Calendar
    from simulator._ids import IdFactory
    from simulator._store import Store


class StatusRecord:
    """A status holder the shared machine can move, standing in for a stored order."""

    __slots__ = ("status",)

    def __init__(self, status: OrderStatus) -> None:
        """Hold a status."""
        self.status = status


class DueOrder(NamedTuple):
    """What a step needs of an order: its keys, its status and when it last changed."""

    seq: int
    id: str
    client_id: str
    status: OrderStatus
    updated_at: int


_DUE_SQL = (
    "SELECT seq, id, client_id, status, updated_at, next_event, trigger "
    "FROM orders WHERE next_event_at <= ? ORDER BY next_event_at, seq"
)
_RESCHEDULE_SQL = "UPDATE orders SET next_event = ?, next_event_at = ? WHERE seq = ?"
_PLAN_SQL = (
    "INSERT OR REPLACE INTO plans (order_seq, ship_at, after_ship, fulfillment_id, number, "
    "carrier, service, tracking_number, tracking_url, weight, delivery_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_UNPLAN_SQL = "DELETE FROM plans WHERE order_seq = ?"

# The planned steps, run in bulk: `o` is a due order, `p` its plan. Every statement picks the
# same orders: due by now, waiting for the step, in the status the step moves from.
_WAITING = "o.next_event_at <= :at AND o.next_event = :step AND o.status = :src"
_IN_ORDER = " ORDER BY o.next_event_at, o.seq"
_LOG_SELECT = (
    "INSERT INTO order_log (order_seq, at, column_name, old_data, new_data, event, "
    "actor, reason, prev_updated_at) "
    "SELECT o.seq, :at, 'status', o.status, :dest, :event, :actor, :reason, "
    "o.updated_at FROM orders o "
)
_LOG_PLANNED = _LOG_SELECT + "JOIN plans p ON p.order_seq = o.seq WHERE " + _WAITING + _IN_ORDER
_BEGIN_PLANNED = (
    "UPDATE orders AS o SET status = :dest, updated_at = :at, next_event = :next_step, "  # noqa: S608
    "next_event_at = p.ship_at FROM plans p WHERE p.order_seq = o.seq AND " + _WAITING
)
_SHIP_PLANNED = (
    "INSERT INTO fulfillments (id, order_seq, order_id, client_id, seq, carrier, service, "
    "tracking_number, tracking_url, weight, created_at, updated_at, delivery_at) "
    "SELECT p.fulfillment_id, o.seq, o.id, o.client_id, p.number, p.carrier, p.service, "
    "p.tracking_number, p.tracking_url, p.weight, :at, :at, p.delivery_at "
    "FROM orders o JOIN plans p ON p.order_seq = o.seq WHERE " + _WAITING + _IN_ORDER
)
_MOVE_SHIPPED = (
    "UPDATE orders AS o SET status = :dest, updated_at = :at, next_event = p.after_ship, "  # noqa: S608
    "next_event_at = p.delivery_at FROM plans p WHERE p.order_seq = o.seq AND " + _WAITING
)
# Delivery needs no plan (shipping used it up); the plan row goes with it. The parcel is
# delivered on its expected date and needs no write (`_fulfillments.render`).
_WAITING_SEQS = "(SELECT o.seq FROM orders o WHERE " + _WAITING + ")"  # noqa: S608
_DROP_PLANS = "DELETE FROM plans WHERE order_seq IN " + _WAITING_SEQS  # noqa: S608
_LOG_DELIVERED = _LOG_SELECT + "WHERE " + _WAITING + _IN_ORDER
_MOVE_DELIVERED = (
    "UPDATE orders AS o SET status = :dest, updated_at = :at, next_event = NULL, "  # noqa: S608
    "next_event_at = NULL WHERE " + _WAITING
)
_BATCH = BY_EVENT[Event.ACCEPT]
"""The nightly batch's row of the table: its event, actor, and the status it accepts from."""
(_BATCH_SOURCE,) = _BATCH.sources
_ANY_WAITING_SQL = "SELECT 1 FROM orders WHERE status = ? LIMIT 1"
# The bound status still lets SQLite use the store's partial index `orders_pending`.
_BATCH_FILTER = "WHERE status = :src AND pending_since < :at"
_BATCH_LOG_SQL = (
    "INSERT INTO order_log (order_seq, at, column_name, old_data, new_data, "  # noqa: S608
    "event, actor, reason, prev_updated_at) "
    "SELECT seq, :at, 'status', status, :dest, :event, :actor, "
    "'nightly batch', updated_at FROM orders " + _BATCH_FILTER
)
# pending_since goes with Pending (a release sets it again), and the row then shrinks rather
# than grows: its pages are rewritten in place, not split.
_BATCH_MOVE_SQL = (
    "UPDATE orders SET status = :dest, updated_at = :at, pending_since = NULL, "  # noqa: S608
    "accepted_at = :at " + _BATCH_FILTER
)
_BATCH_SQL = (
    "INSERT INTO batches (at, id, number, first_log, last_log, plan_at, updated_at) "
    "VALUES (:at, :id, :number, :first, :last, :plan_at, :at) ON CONFLICT (at) DO UPDATE SET "
    "first_log = MIN(first_log, excluded.first_log), last_log = MAX(last_log, excluded.last_log)"
)
"""Records a batch; an operator's accept in the same instant as the night's joins its run."""
_MOVE_SQL = (
    "UPDATE orders SET status = ?, updated_at = ?, next_event = ?, next_event_at = ?, "  # noqa: S608
    "pending_since = CASE WHEN ? THEN ? ELSE pending_since END, "
    f"{REQUEUED_SET}, accepted_at = CASE WHEN ? THEN ? ELSE accepted_at END WHERE seq = ?"
)


class Timeline:
    """Runs due work against the store."""

    def __init__(
        self, store: Store, calendar: Calendar, operations: Operations, ids: IdFactory
    ) -> None:
        """Bind the timeline to a world's parts."""
        self.store = store
        self.calendar = calendar
        self.operations = operations
        self.ids = ids

    def run_until(self, processed_until: int, target: int) -> tuple[int, int]:
        """Run everything due in `(processed_until, target]`, in time order.

        Returns:
            `(status changes applied, the new processed-until instant)`.
        """
        applied = 0
        while True:
            due = self.next_due(processed_until)
            if due is None or due > target:
                break
            applied += self._run_instant(due)
            processed_until = max(processed_until, due)
        return applied, max(processed_until, target)

    def next_due(self, after: int) -> int | None:
        """The first instant after `after` with work due (`after` itself if work is overdue).

        None when nothing is scheduled and no order is Pending. The answer holds until the
        store next changes (`Store.generation`): time passing alone does not change it.
        """
        conn = self.store.conn
        candidates: list[int] = []
        (earliest,) = conn.execute(
            "SELECT MIN(next_event_at) FROM orders WHERE next_event_at IS NOT NULL"
        ).fetchone()
        if earliest is not None:
            candidates.append(max(earliest, after))
        (planning,) = conn.execute("SELECT MIN(plan_at) FROM batches").fetchone()
        if planning is not None:
            candidates.append(max(planning, after))
        if conn.execute(_ANY_WAITING_SQL, (_BATCH_SOURCE.value,)).fetchone():
            candidates.append(to_micros(self.calendar.next_batch_at(from_micros(after))))
        return min(candidates) if candidates else None

    def _run_instant(self, at: int) -> int:
        """Run the batch (at a Pacific midnight) and every order's step due at `at`, in bulk."""
        with self.store.transaction() as conn:
            applied = 0
            if self.calendar.is_batch_instant(from_micros(at)):
                applied += self._batch(conn, at)
            applied += self._planned_steps(conn, at)
            step = self.operations.step
            # An order waiting for a step has not changed since it was accepted, if it was:
            # its `updated_at` is when (`Operations.step`).
            moves = [
                (
                    DueOrder(seq, order_id, client_id, OrderStatus(status), updated_at),
                    step(order_id, next_step, at, updated_at, parse_trigger(trigger)),
                )
                for (
                    seq,
                    order_id,
                    client_id,
                    status,
                    updated_at,
                    next_step,
                    trigger,
                ) in self._due_rows(conn, at)
            ]
            return applied + self.apply(conn, moves, at)

    def _due_rows(self, conn: sqlite3.Connection, at: int) -> list[tuple[Any, ...]]:
        """Every order with a step due by `at`, as `_DUE_SQL` selects them.

        First the orders of each batch whose first step (`plan`) is due, found through the
        batch's run of log rows: still Accepted, untouched since, and given no step since
        (an operator's move gives one); then the orders scheduled one by one.
        """
        rows: list[tuple[Any, ...]] = []
        batches = conn.execute(
            "SELECT at, first_log, last_log FROM batches WHERE plan_at <= ? ORDER BY at", (at,)
        ).fetchall()
        for batch_at, first_log, last_log in batches:
            rows += conn.execute(
                "SELECT o.seq, o.id, o.client_id, o.status, o.updated_at, :step, o.trigger "
                "FROM order_log l JOIN orders o ON o.seq = l.order_seq "
                "WHERE l.seq BETWEEN :first AND :last AND o.status = :accepted "
                "AND o.updated_at = :batch AND o.next_event IS NULL ORDER BY l.seq",
                {
                    "step": PLAN,
                    "first": first_log,
                    "last": last_log,
                    "accepted": self.operations.batch_destination.value,
                    "batch": batch_at,
                },
            ).fetchall()
            conn.execute(
                "UPDATE batches SET plan_at = NULL, updated_at = ? WHERE at = ?", (at, batch_at)
            )
        rows += conn.execute(_DUE_SQL, (at,)).fetchall()
        return rows

    def _batch(self, conn: sqlite3.Connection, at: int) -> int:
        """The nightly batch: every order Pending since before this instant is Accepted.

        One INSERT ... SELECT and one UPDATE, whatever the number of orders; the target
        status comes from the transition table so the SQL cannot drift from it. The orders
        get no step of their own: one `batches` row says when their first step is due, and
        `_due_rows` finds them through the run of log rows the INSERT wrote.
        """
        start = self.calendar.next_business_tick(from_micros(at))
        params = {
            "at": at,
            "src": _BATCH_SOURCE.value,
            "dest": self.operations.batch_destination.value,
            "event": _BATCH.event.value,
            "actor": _BATCH.actor.value,
        }
        (first_log,) = conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM order_log").fetchone()
        logged = conn.execute(_BATCH_LOG_SQL, params).rowcount
        accepted = conn.execute(_BATCH_MOVE_SQL, params).rowcount
        if accepted:
            # One row for the whole night; its log rows are `first_log` onwards, in a run.
            self._record_batch(conn, at, (first_log, first_log + logged - 1), to_micros(start))
        return int(accepted)

    def _record_batch(
        self, conn: sqlite3.Connection, at: int, logs: tuple[int, int], plan_at: int | None
    ) -> None:
        """Keep a batch: its id and number, its run of log rows, when its orders are planned."""
        batch_id = self.ids.issue("batch")
        self.ids.save(conn)
        first, last = logs
        params = {"at": at, "id": batch_id, "number": self.ids.last("batch")}
        conn.execute(_BATCH_SQL, params | {"first": first, "last": last, "plan_at": plan_at})

    def _planned_steps(self, conn: sqlite3.Connection, at: int) -> int:
        """Deliver, ship and start production of every planned order due at `at`, in bulk SQL.

        What Python would do one order at a time, with the draws the plan already holds: a
        handful of statements per tick, whatever the number of orders. Later steps first, so
        no order takes two steps in one instant (each next step is strictly later anyway).
        Orders the SQL cannot take (no plan, an unexpected status) are left to `apply`.

        Returns:
            How many orders changed status.
        """
        moved = 0
        for source in _SOURCES[Event.DELIVER]:
            params = self._params(at, DELIVER, Event.DELIVER, source, "delivered by the carrier")
            conn.execute(_DROP_PLANS, params)
            conn.execute(_LOG_DELIVERED, params)
            moved += conn.execute(_MOVE_DELIVERED, params).rowcount
        for source in _SOURCES[Event.SHIP]:
            params = self._params(at, SHIP, Event.SHIP, source, "shipped")
            conn.execute(_SHIP_PLANNED, params)
            conn.execute(_LOG_PLANNED, params)
            moved += conn.execute(_MOVE_SHIPPED, params).rowcount
        for source in _SOURCES[Event.START_PRODUCTION]:
            params = self._params(
                at, BEGIN_PRODUCTION, Event.START_PRODUCTION, source, "production started"
            ) | {"next_step": SHIP}
            conn.execute(_LOG_PLANNED, params)
            moved += conn.execute(_BEGIN_PLANNED, params).rowcount
        return moved

    @staticmethod
    def _params(
        at: int, step: str, event: Event, source: OrderStatus, reason: str
    ) -> dict[str, object]:
        """The named parameters of the planned steps' SQL: names from the table, not the SQL."""
        return {
            "at": at,
            "step": step,
            "src": source.value,
            "dest": DEST[source, event].value,
            "event": event.value,
            "actor": actor_of(event).value,
            "reason": reason,
        }

    def apply(
        self,
        conn: sqlite3.Connection,
        moves: Sequence[tuple[DueOrder, Outcome]],
        at: int,
    ) -> int:
        """Apply steps' outcomes to their orders: status, schedule, log, fulfillment.

        Each kind of write goes to SQLite as one `executemany`, in the order given: a tick
        that moves ten thousand orders costs a few statements, not forty thousand.

        Args:
            conn: the store, inside the caller's transaction.
            moves: each order (at most once) with what its step does.
            at: when the steps happen; each event's actor is the table's (`actor_of`).

        Returns:
            How many orders changed status.
        """
        reschedules: list[tuple[str | None, int | None, int]] = []
        plans: list[tuple[object, ...]] = []
        unplanned: list[tuple[int]] = []
        log: list[tuple[object, ...]] = []
        updates: list[tuple[object, ...]] = []
        shipped: list[tuple[object, ...]] = []
        delivered: list[tuple[int, int, int]] = []
        accepted = False
        for order, outcome in moves:
            # A plan holds only from the step that made it; any other move voids it.
            if outcome.plan is None:
                unplanned.append((order.seq,))
            else:
                plans.append(self._plan_row(order, outcome.plan))
            event = outcome.event
            if event is None:
                reschedules.append((outcome.next_step, outcome.next_at, order.seq))
                continue
            # The flattened table is the machine's own; `fire` only for the error it explains.
            dest = DEST.get((order.status, event))
            if dest is None:
                dest = fire(StatusRecord(order.status), event, address_ok=True)
            log.append(
                (
                    order.seq,
                    at,
                    "status",
                    order.status.value,
                    dest.value,
                    event.value,
                    actor_of(event).value,
                    outcome.reason,
                    order.updated_at,
                )
            )
            accepting = event is Event.ACCEPT
            updates.append(
                (
                    dest.value,
                    at,
                    outcome.next_step,
                    outcome.next_at,
                    dest is OrderStatus.PENDING,
                    at,
                    dest is OrderStatus.PENDING,
                    accepting,
                    at,
                    order.seq,
                )
            )
            accepted = accepted or accepting
            if outcome.shipment is not None:
                shipped.append(self._fulfillment_row(order, outcome.shipment, at))
            elif event is Event.DELIVER:
                delivered.append((at, at, order.seq))
        if shipped or plans:
            self.ids.save(conn)
        conn.executemany(_UNPLAN_SQL, unplanned)
        conn.executemany(_PLAN_SQL, plans)
        conn.executemany(_RESCHEDULE_SQL, reschedules)
        before = _changes.last_seq(conn) if accepted else 0
        conn.executemany(LOG_ROW_INSERT, log)
        if accepted:
            # An operator's accept is a batch of its own (planned by its own outcome).
            (first, last) = conn.execute(
                "SELECT MIN(seq), MAX(seq) FROM order_log WHERE seq > ? AND event = ?",
                (before, Event.ACCEPT.value),
            ).fetchone()
            self._record_batch(conn, at, (first, last), None)
        conn.executemany(_MOVE_SQL, updates)
        conn.executemany(INSERT_SQL, shipped)
        conn.executemany(DELIVER_SQL, delivered)
        return len(updates)

    def _plan_row(self, order: DueOrder, plan: Plan) -> tuple[object, ...]:
        """The stored plan, with its parcel's fulfillment id issued now (the caller saves ids)."""
        parcel = plan.parcel
        return (
            order.seq,
            plan.ship_at,
            plan.after_ship,
            self.ids.issue("fulfillment"),
            self.ids.last("fulfillment"),
            *_parcel_facts(parcel),
            parcel.expected_delivery,
        )

    def _fulfillment_row(self, order: DueOrder, parcel: Shipment, at: int) -> tuple[object, ...]:
        """The stored facts of the parcel a shipping order gets (the caller saves the ids)."""
        fulfillment_id = self.ids.issue("fulfillment")
        return (
            fulfillment_id,
            order.seq,
            order.id,
            order.client_id,
            self.ids.last("fulfillment"),
            *_parcel_facts(parcel),
            at,
            at,
            parcel.expected_delivery,
        )


def _parcel_facts(parcel: Shipment) -> tuple[str, str, str, str, float]:
    """A parcel's columns, in the order `plans` and `fulfillments` both keep them."""
    return (
        parcel.carrier,
        parcel.service,
        parcel.tracking_number,
        parcel.tracking_url,
        parcel.weight,
    )


_SOURCES: dict[Event, list[OrderStatus]] = {
    event: [source for (source, moved) in DEST if moved is event] for event in Event
}
"""The statuses each event moves an order from, read off the transition table."""
