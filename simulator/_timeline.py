"""The world's time-driven work: the nightly batch and each order's due operations step.

`run_until` runs every piece of work due up to an instant, in time order, each stamped with
its own due time; all of it falls on 6-hourly status ticks (the batch is the midnight tick).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from lifecycle._machine import fire
from lifecycle._status import OrderStatus
from lifecycle._table import DEST, Actor, Event
from simulator import _changes, _fulfillments
from simulator._operations import Operations, Outcome, parse_trigger
from simulator._timefmt import from_micros, to_micros

if TYPE_CHECKING:
    import sqlite3

    from lifecycle._calendar import Calendar
    from simulator._ids import IdFactory
    from simulator._store import Store


class StatusRecord:
    """A status holder the shared machine can move, standing in for a stored order."""

    __slots__ = ("status",)

    def __init__(self, status: OrderStatus) -> None:
        """Hold a status."""
        self.status = status


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
            due = self._next_due(processed_until)
            if due is None or due > target:
                break
            applied += self._run_instant(due)
            processed_until = max(processed_until, due)
        return applied, max(processed_until, target)

    def _next_due(self, after: int) -> int | None:
        conn = self.store.conn
        candidates: list[int] = []
        (earliest,) = conn.execute(
            "SELECT MIN(next_event_at) FROM orders WHERE next_event_at IS NOT NULL"
        ).fetchone()
        if earliest is not None:
            candidates.append(max(earliest, after))
        if conn.execute("SELECT 1 FROM orders WHERE status = 'Pending' LIMIT 1").fetchone():
            candidates.append(to_micros(self.calendar.next_batch_at(from_micros(after))))
        return min(candidates) if candidates else None

    def _run_instant(self, at: int) -> int:
        applied = 0
        with self.store.transaction() as conn:
            if self.calendar.is_batch_instant(from_micros(at)):
                applied += self._batch(conn, at)
            due = conn.execute(
                "SELECT seq, id, client_id, status, next_event, trigger, accepted_at "
                "FROM orders WHERE next_event_at <= ? ORDER BY next_event_at, seq",
                (at,),
            ).fetchall()
            for seq, order_id, client_id, status, step, trigger, accepted_at in due:
                outcome = self.operations.step(
                    order_id, step, at, accepted_at or at, parse_trigger(trigger)
                )
                applied += self.apply(
                    conn,
                    (seq, order_id, client_id, OrderStatus(status), None),
                    at,
                    outcome,
                    Actor.OPERATIONS,
                )
        return applied

    def _batch(self, conn: sqlite3.Connection, at: int) -> int:
        """The nightly batch: every order Pending since before this instant is Accepted.

        One INSERT ... SELECT and one UPDATE, whatever the number of orders; the target
        status comes from the transition table so the SQL cannot drift from it.
        """
        start = self.calendar.next_business_tick(from_micros(at))
        params = {
            "at": at,
            "dest": self.operations.batch_destination.value,
            "start": to_micros(start),
        }
        conn.execute(
            "INSERT INTO order_log (order_seq, client_id, at, column_name, old_data, new_data, "
            "event, actor, reason, prev_updated_at) "
            "SELECT seq, client_id, :at, 'status', status, :dest, 'accept', 'batch', "
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

    def apply(
        self,
        conn: sqlite3.Connection,
        order: tuple[int, str, str, OrderStatus, str | None],
        at: int,
        outcome: Outcome,
        actor: str,
    ) -> int:
        """Apply one step's outcome to an order: status, schedule, log, fulfillment.

        Args:
            conn: the store, inside the caller's transaction.
            order: `(seq, id, client_id, status, document JSON)`; the document may be None,
                to be read from the store if the step needs it (only shipping does).
            at: when the step happens.
            outcome: what it does.
            actor: who does it (operations, or an operator).

        Returns:
            1 when the status changed, else 0.
        """
        seq, order_id, client_id, status, doc = order
        if outcome.event is None:
            conn.execute(
                "UPDATE orders SET next_event = ?, next_event_at = ? WHERE seq = ?",
                (outcome.next_step, outcome.next_at, seq),
            )
            return 0
        # The flattened table is the machine's own; `fire` only for the error it explains.
        dest = DEST.get((status, outcome.event))
        if dest is None:
            dest = fire(StatusRecord(status), outcome.event, address_ok=True)
        (prev,) = conn.execute("SELECT updated_at FROM orders WHERE seq = ?", (seq,)).fetchone()
        _changes.record(
            conn,
            _changes.Change(
                order_id,
                client_id,
                at,
                "status",
                status,
                dest,
                outcome.event.value,
                actor,
                outcome.reason,
                prev,
            ),
        )
        conn.execute(
            "UPDATE orders SET status = ?, updated_at = ?, next_event = ?, next_event_at = ?, "
            "accepted_at = CASE WHEN ? THEN ? ELSE accepted_at END, "
            "pending_since = CASE WHEN ? THEN ? ELSE pending_since END WHERE seq = ?",
            (
                dest.value,
                at,
                outcome.next_step,
                outcome.next_at,
                outcome.event is Event.ACCEPT,
                at,
                dest is OrderStatus.PENDING,
                at,
                seq,
            ),
        )
        if outcome.shipment is not None:
            if doc is None:
                (doc,) = conn.execute("SELECT doc FROM order_docs WHERE seq = ?", (seq,)).fetchone()
            fulfillment_id = self.ids.next(conn, "fulfillment")
            body = self.operations.fulfillment_document(
                fulfillment_id,
                json.loads(doc),
                outcome.shipment,
                at,
                self.ids.last("fulfillment"),
            )
            _fulfillments.insert(conn, client_id, at, body)
        elif outcome.event is Event.DELIVER:
            _fulfillments.mark_delivered(conn, order_id, at)
        return 1
