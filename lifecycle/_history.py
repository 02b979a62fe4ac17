"""Audit an observed status history: impossible moves, off-batch acceptance, life after final."""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

import attrs

from lifecycle._calendar import PACIFIC, Calendar
from lifecycle._instant import MalformedInstant, parse_instant
from lifecycle._status import FINAL, OrderStatus
from lifecycle._table import CREATION, DEST

if TYPE_CHECKING:
    from collections.abc import Iterable

HistoryEntry = tuple[datetime | str, OrderStatus | str] | Mapping[str, Any]
"""A `(when, status)` pair, or a row of `Simulator.history()` / `GET /_sim/orders/{id}/history`."""

_ENTRY_STATUSES = CREATION.statuses


class HistoryProblem(enum.StrEnum):
    """What is wrong at one point of a history."""

    IMPOSSIBLE_MOVE = "impossible_move"
    """No event (or, for sampled histories, no chain of events) leads from one to the next."""
    ACCEPTED_OFF_BATCH = "accepted_off_batch"
    """An order became Accepted at a time no nightly batch ran."""
    CHANGE_AFTER_FINAL = "change_after_final"
    """The status changed after it had reached a final status."""
    TIME_REVERSED = "time_reversed"
    """An entry is earlier than the one before it."""
    BAD_START = "bad_start"
    """A complete history must start where orders are created: Pending or On Hold."""
    UNKNOWN_STATUS = "unknown_status"
    """The status is not one the API knows."""


@attrs.frozen
class HistoryViolation:
    """One problem in a history: where it is, what it is, and a sentence about it."""

    index: int
    at: datetime
    problem: HistoryProblem
    message: str


@cache
def _reachable(source: OrderStatus) -> frozenset[OrderStatus]:
    """Statuses reachable from `source` by one or more table moves."""
    seen: set[OrderStatus] = set()
    queue = deque([source])
    while queue:
        current = queue.popleft()
        for (start, _event), dest in DEST.items():
            if start is current and dest not in seen:
                seen.add(dest)
                queue.append(dest)
    return frozenset(seen)


def _single_moves() -> frozenset[tuple[OrderStatus, OrderStatus]]:
    return frozenset((source, dest) for (source, _event), dest in DEST.items())


_ONE_MOVE = _single_moves()


def check_history(
    entries: Iterable[HistoryEntry],
    *,
    calendar: Calendar = PACIFIC,
    complete: bool = True,
) -> list[HistoryViolation]:
    """Check a status history against the lifecycle rules.

    Entries are `(when the status took effect, status)`, oldest first; an entry that repeats
    the previous status is an observation, not a change, and is ignored. A row of the
    simulator's own history (`{"at", "from", "to", ...}`) counts as `(at, to)`, so
    `Simulator.history()` and `GET /_sim/orders/{id}/history` go in as they are. `when` is an
    aware datetime or ISO 8601 text with an offset (`2026-03-03T08:00:00Z`).

    Args:
        entries: the history, e.g. from transaction logs, a poller's records, or the
            simulator's history rows.
        calendar: the calendar whose nightly batch accepts orders.
        complete: True when every change is recorded (each step must be one table move and
            Accepted must fall exactly on a batch instant); False for a poller's samples,
            where steps may skip statuses and a batch need only fall between two samples.

    Returns:
        The violations found, in order; empty when the history is legal.

    Raises:
        ValueError: an entry's time is text that is not an ISO 8601 instant with an offset.
    """
    violations: list[HistoryViolation] = []
    previous: tuple[datetime, OrderStatus] | None = None
    for index, entry in enumerate(entries):
        at, raw = _when_and_status(index, entry)
        try:
            status = OrderStatus(raw)
        except ValueError:
            violations.append(
                HistoryViolation(
                    index, at, HistoryProblem.UNKNOWN_STATUS, f"{raw!r} is not an order status."
                )
            )
            continue
        if previous is None:
            if complete and status not in _ENTRY_STATUSES:
                violations.append(
                    HistoryViolation(
                        index,
                        at,
                        HistoryProblem.BAD_START,
                        f"A complete history starts Pending or On Hold, not '{status.value}'.",
                    )
                )
            previous = (at, status)
            continue
        violations.extend(_check_step(index, previous, (at, status), calendar, complete=complete))
        if status is not previous[1]:
            previous = (at, status)
    return violations


def _when_and_status(index: int, entry: HistoryEntry) -> tuple[datetime, OrderStatus | str]:
    """An entry as (aware datetime, raw status); a history row's status is where it went."""
    at, status = (entry["at"], entry["to"]) if isinstance(entry, Mapping) else entry
    if isinstance(at, datetime):
        return at, status
    try:
        return parse_instant(at, "at"), status
    except MalformedInstant as error:
        raise ValueError(f"History entry {index}: {error.message}") from None


def _check_step(
    index: int,
    previous: tuple[datetime, OrderStatus],
    current: tuple[datetime, OrderStatus],
    calendar: Calendar,
    *,
    complete: bool,
) -> list[HistoryViolation]:
    (before, old), (at, new) = previous, current
    found: list[HistoryViolation] = []
    if at < before:
        found.append(
            HistoryViolation(
                index,
                at,
                HistoryProblem.TIME_REVERSED,
                f"{at.isoformat()} is earlier than the entry before it ({before.isoformat()}).",
            )
        )
    if new is old:
        return found
    if old in FINAL:
        found.append(
            HistoryViolation(
                index,
                at,
                HistoryProblem.CHANGE_AFTER_FINAL,
                f"'{old.value}' is final, yet the status changed to '{new.value}'.",
            )
        )
        return found
    possible = (old, new) in _ONE_MOVE if complete else new in _reachable(old)
    if not possible:
        found.append(
            HistoryViolation(
                index,
                at,
                HistoryProblem.IMPOSSIBLE_MOVE,
                f"No {'event' if complete else 'sequence of events'} leads from "
                f"'{old.value}' to '{new.value}'.",
            )
        )
    elif _accepted_off_batch(before, old, at, new, calendar, complete=complete):
        when = "at" if complete else "between the two entries at or before"
        found.append(
            HistoryViolation(
                index,
                at,
                HistoryProblem.ACCEPTED_OFF_BATCH,
                f"Became '{new.value}' {when} {at.isoformat()}, but no nightly batch ran"
                f" {'then' if complete else 'in between'}"
                f" (batches run at 00:00 {calendar.zone}).",
            )
        )
    return found


def _accepted_off_batch(  # noqa: PLR0913 - the two ends of a step, the calendar, the mode
    before: datetime,
    old: OrderStatus,
    at: datetime,
    new: OrderStatus,
    calendar: Calendar,
    *,
    complete: bool,
) -> bool:
    if complete:
        return new is OrderStatus.ACCEPTED and not calendar.is_batch_instant(at)
    # A sampled step from an unaccepted status to one only acceptance leads to must span
    # a batch: Pending -> Shipped between two samples means a batch ran in between.
    needs_batch = old in _ENTRY_STATUSES and new not in _ENTRY_STATUSES and _via_accepted(old, new)
    return needs_batch and next(iter(calendar.batches_between(before, at)), None) is None


def _via_accepted(old: OrderStatus, new: OrderStatus) -> bool:
    """Whether every path from `old` to `new` passes through Accepted."""
    seen: set[OrderStatus] = set()
    queue = deque([old])
    while queue:
        current = queue.popleft()
        for (start, _event), dest in DEST.items():
            if start is not current or dest is OrderStatus.ACCEPTED or dest in seen:
                continue
            if dest is new:
                return False
            seen.add(dest)
            queue.append(dest)
    return True
