"""One shared `transitions` machine derived from the table, behind a small typed facade.

Orders are never added to the machine: every call passes the order in, and the machine
reads and writes its `status` attribute. The bulk path skips `transitions` entirely and
uses the flattened table, for the nightly batch that touches every Pending order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import attrs
from transitions import EventData, Machine

from lifecycle._errors import GuardFailed, IllegalTransition
from lifecycle._status import OrderStatus
from lifecycle._table import BY_EVENT, DEST, TRANSITIONS, Actor, Event, Guard

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping


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


def _guard_holds(guard: Guard) -> Any:  # noqa: ANN401 - transitions' condition signature
    def check(event_data: EventData) -> bool:
        return bool(event_data.kwargs.get(guard.value, False))

    check.__name__ = f"guard_{guard.value}"
    return check


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
        conditions = [_guard_holds(guard) for guard in row.guards]
        for source in sorted(row.sources):
            machine.add_transition(
                row.event.value,
                source.value,
                row.dest_from(source).value if row.dest is not None else "=",
                conditions=conditions,
            )
    return machine


MACHINE: Machine = _build_machine()
"""The one machine every order goes through."""


def _event(event: Event | str) -> Event:
    try:
        return Event(event)
    except ValueError:
        known = ", ".join(e.value for e in Event)
        raise ValueError(f"Unknown event {event!r}; known events: {known}.") from None


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
        ValueError: the event name is unknown.
    """
    event = _event(event)
    status = OrderStatus(order.status)
    row = BY_EVENT.get(event)
    if row is None or status not in row.sources:
        raise IllegalTransition(status, event, (e.event for e in legal_events(status)))
    for guard in row.guards:
        if not context.get(guard.value, False):
            raise GuardFailed(status, event, guard)
    # The machine works on the plain API strings; the order gets the enum back afterwards.
    order.status = status.value  # type: ignore[assignment]
    try:
        moved = MACHINE.events[event.value].trigger(order, **context)
    finally:
        order.status = OrderStatus(order.status)
    if not moved:  # pragma: no cover - the checks above make this unreachable
        raise IllegalTransition(status, event, (e.event for e in legal_events(status)))
    return order.status


def can_fire(status: OrderStatus | str, event: Event | str) -> bool:
    """Tell whether the table has a move for this status and event (guards aside)."""
    return (OrderStatus(status), _event(event)) in DEST


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
    row = BY_EVENT.get(event)
    if row is None:  # creation: no order already made can take it
        return [], list(orders)
    for guard in row.guards:
        if not context.get(guard.value, False):
            raise GuardFailed(OrderStatus(next(iter(sorted(row.sources)))), event, guard)
    table = {source: dest for (source, ev), dest in DEST.items() if ev is event}
    moved: list[HasStatus] = []
    refused: list[HasStatus] = []
    lookup = table.get
    for order in orders:
        dest = lookup(order.status)
        if dest is None:
            refused.append(order)
        else:
            order.status = dest
            moved.append(order)
    return moved, refused


def legal_events(
    order_or_status: HasStatus | OrderStatus | str, actor: Actor | None = None
) -> tuple[LegalEvent, ...]:
    """List the moves open to an order now, with who may make them.

    Args:
        order_or_status: an order (anything with `status`) or a status.
        actor: only the events this actor causes, if given.

    Returns:
        The open events in table order.
    """
    raw = order_or_status if isinstance(order_or_status, str) else order_or_status.status
    status = OrderStatus(raw)
    return tuple(
        LegalEvent(row.event, row.actor, row.dest_from(status), row.guards)
        for row in TRANSITIONS
        if status in row.sources and (actor is None or row.actor is actor)
    )


def destinations(event: Event | str) -> Mapping[OrderStatus, OrderStatus]:
    """Map each status an event may start from to where the event leads."""
    event = _event(event)
    return {source: dest for (source, ev), dest in DEST.items() if ev is event}
