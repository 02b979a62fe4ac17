"""One shared `transitions` machine built from the table decides every single-order move.

The table's guards are the machine's conditions; `fire` triggers it and turns its refusals
into `IllegalTransition` or `GuardFailed`. The bulk path is compiled from the same table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import attrs
from transitions import EventData, Machine, MachineError

from lifecycle._errors import GuardFailed, IllegalTransition
from lifecycle._status import OrderStatus
from lifecycle._table import TRANSITIONS, Actor, Event, Guard, actor_of

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping


class HasStatus(Protocol):
    """Anything with a mutable `status`: an `Order`, or an integrator's own record."""

    status: OrderStatus


@attrs.frozen
class LegalEvent:
    """An event open to an order now, who may cause it, and where it leads."""

    event: Event
    actor: Actor
    dest: OrderStatus
    guards: tuple[Guard, ...]


class GuardCondition:
    """A table guard as a `transitions` condition: it holds when the caller says it does."""

    __slots__ = ("guard",)

    def __init__(self, guard: Guard) -> None:
        """Wrap one guard."""
        self.guard = guard

    def __call__(self, event_data: EventData) -> bool:
        """What `transitions` asks: does the guard hold for this trigger's context?

        A denial is noted on the model, so that `fire` can name the guard that refused.
        """
        if self.holds(event_data.kwargs):
            return True
        if isinstance(event_data.model, _Holder):
            event_data.model.denied = self.guard
        return False

    def holds(self, context: Mapping[str, bool]) -> bool:
        """Tell whether the context says the guard holds (a guard not supplied does not)."""
        return bool(context.get(self.guard.value, False))


class _Holder:
    """The model the machine moves: the status as the plain API string it keys states by."""

    __slots__ = ("denied", "status")

    denied: Guard
    """The guard that refused the move; set by the condition that denied it."""

    def __init__(self, status: str) -> None:
        self.status = status


def _build_machine() -> Machine:
    # States are the plain API strings: `transitions` resolves Enum states by member name on
    # every call, which doubles the cost of a trigger.
    machine = Machine(
        model=None,
        states=[status.value for status in OrderStatus],
        initial=None,
        auto_transitions=False,
        send_event=True,
        model_attribute="status",
    )
    for row in TRANSITIONS:
        conditions: list[str | Callable[..., bool | None]] = [
            GuardCondition(guard) for guard in row.guards
        ]
        for source in sorted(row.sources):
            # An internal event (dest None) is an internal transition: no exit, no entry.
            dest = None if row.dest is None else row.dest.value
            machine.add_transition(row.event.value, source.value, dest, conditions=conditions)
    return machine


MACHINE: Machine = _build_machine()
"""The one machine every order goes through; orders are never added to it as models."""

_STATUS: dict[str, OrderStatus] = {status.value: status for status in OrderStatus}
"""Each status by its API string: what the machine's state names turn back into."""

_EVENT: dict[str, Event] = {event.value: event for event in Event}
"""Each event by its name (an `Event` finds itself too: it hashes and compares as its name)."""

_OPEN_EVENTS: dict[OrderStatus, tuple[Event, ...]] = {
    status: tuple(_EVENT[name] for name in MACHINE.get_triggers(status.value))
    for status in OrderStatus
}
"""The events the machine offers from each status, asked once: an illegal move names them."""


def _event(event: Event | str) -> Event:
    found = _EVENT.get(event) if isinstance(event, str) else None
    if found is None:
        known = ", ".join(e.value for e in Event)
        raise ValueError(f"Unknown event {event!r}; known events: {known}.")
    return found


def _status(raw: OrderStatus | str) -> OrderStatus:
    status = _STATUS.get(raw) if isinstance(raw, str) else None
    return OrderStatus(raw) if status is None else status  # its ValueError names the value


def fire(order: HasStatus, event: Event | str, **context: bool) -> OrderStatus:
    """Move an order by one event through the shared `transitions` machine.

    Args:
        order: the order; its `status` is read and, on success, replaced.
        event: the event, as an `Event` or its name.
        **context: the truth of the event's guards, by guard name (e.g. `address_ok=True`).
            A guard not supplied does not hold.

    Returns:
        The order's new status.

    Raises:
        IllegalTransition: the order's status does not allow the event.
        GuardFailed: the status allows it but a guard does not hold.
        ValueError: the event name or the order's status is unknown.
    """
    event = _event(event)
    status = _status(order.status)
    trigger = MACHINE.events.get(event.value)
    if trigger is None:  # an event with no transition at all (creation)
        raise IllegalTransition(status, event, _OPEN_EVENTS[status])
    holder = _Holder(status.value)
    try:
        moved = trigger.trigger(holder, **context)
    except MachineError:  # the machine has no transition for this event from this state
        raise IllegalTransition(status, event, _OPEN_EVENTS[status]) from None
    if not moved:  # the transition exists, but one of its conditions refused
        raise GuardFailed(status, event, holder.denied)
    order.status = new = _STATUS[holder.status]
    return new


def can_fire(status: OrderStatus | str, event: Event | str) -> bool:
    """Tell whether the machine has a move for this status and event (guards aside)."""
    trigger = MACHINE.events.get(_event(event).value)
    return trigger is not None and _status(status).value in trigger.transitions


def legal_events(
    order_or_status: HasStatus | OrderStatus | str, actor: Actor | None = None
) -> tuple[LegalEvent, ...]:
    """List the moves the machine offers an order now, with who may make them.

    Args:
        order_or_status: an order (anything with `status`) or a status.
        actor: only the events this actor causes, if given.

    Returns:
        The open events in table order.
    """
    raw = order_or_status if isinstance(order_or_status, str) else order_or_status.status
    status = _status(raw)
    found: list[LegalEvent] = []
    for name in MACHINE.get_triggers(status.value):
        event = Event(name)
        if actor is not None and actor_of(event) is not actor:
            continue
        for transition in MACHINE.events[name].transitions[status.value]:
            dest = status if transition.dest is None else _STATUS[transition.dest]
            guards = tuple(
                c.func.guard for c in transition.conditions if isinstance(c.func, GuardCondition)
            )
            found.append(LegalEvent(event, actor_of(event), dest, guards))
    return tuple(found)


@attrs.frozen
class _Bulk:
    """One event compiled for the bulk path: status to status, and the guards it needs."""

    moves: dict[OrderStatus, OrderStatus]
    guards: tuple[GuardCondition, ...]


def _compile_bulk() -> dict[Event, _Bulk]:
    compiled: dict[Event, _Bulk] = {}
    for row in TRANSITIONS:
        moves = {source: row.dest_from(source) for source in sorted(row.sources)}
        compiled[row.event] = _Bulk(moves, tuple(GuardCondition(g) for g in row.guards))
    return compiled


_BULK: dict[Event, _Bulk] = _compile_bulk()
"""The bulk path's lookups, compiled once from the same table as the machine."""

_NO_MOVES = _Bulk({}, ())
"""What the bulk path knows of an event with no transition (creation): nothing moves."""


def apply_bulk(
    orders: Iterable[HasStatus], event: Event | str, **context: bool
) -> tuple[list[HasStatus], list[HasStatus]]:
    """Apply one event to many orders with a table lookup each, bypassing `transitions`.

    Guards are checked once for the whole call, since the context is shared.

    Args:
        orders: the orders to move.
        event: the event every order receives.
        **context: guard truths, as for `fire`.

    Returns:
        `(moved, refused)`: the orders whose status changed (or stayed, for an internal
        event) and those whose status does not allow the event, each in input order.

    Raises:
        GuardFailed: a guard of the event does not hold (no order is moved).
        ValueError: the event name is unknown.
    """
    event = _event(event)
    bulk = _BULK.get(event, _NO_MOVES)
    for condition in bulk.guards:
        if not condition.holds(context):
            raise GuardFailed(min(bulk.moves), event, condition.guard)
    moved: list[HasStatus] = []
    refused: list[HasStatus] = []
    lookup = bulk.moves.get
    for order in orders:
        dest = lookup(order.status)
        if dest is None:
            refused.append(order)
        else:
            order.status = dest
            moved.append(order)
    return moved, refused


def destinations(event: Event | str) -> Mapping[OrderStatus, OrderStatus]:
    """Map each status an event may start from to where the event leads."""
    return dict(_BULK.get(_event(event), _NO_MOVES).moves)
