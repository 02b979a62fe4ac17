"""One order's status moves, each through `lifecycle.fire`: a client's, a hold, an operator's.

Who causes a move comes from the transition table; `fire`'s refusals become the API's errors
(a 422 `UpdateRejected` for a client, `IllegalTransition` (a 409) for an operator).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from lifecycle._errors import (
    GuardFailed,
    IllegalTransition,
    UpdateRejected,
    Violation,
    ViolationCode,
)
from lifecycle._machine import can_fire, fire
from lifecycle._table import BY_EVENT, CREATION, Actor, Event, actor_of
from simulator._operations import parse_trigger
from simulator._timeline import DueOrder, StatusRecord

if TYPE_CHECKING:
    from lifecycle._status import OrderStatus
    from simulator._world import World

_CLIENT_REASONS = {
    Event.CANCEL: "canceled by client",
    Event.RELEASE: "released by client",
    Event.HOLD: "held by client",
}
"""The history's reason for each status a client may ask for."""


@attrs.frozen
class Move:
    """One status move of one order, as its history records it."""

    event: Event
    actor: Actor
    source: OrderStatus
    dest: OrderStatus
    reason: str | None


def start_status(requested: OrderStatus, review: str) -> OrderStatus:
    """The status a new order starts in: the one asked for, held when its address needs review.

    Both are among the statuses the table lets an order start in (`CREATION.statuses`).

    Args:
        requested: the status the create asked for (validated).
        review: why the address needs review, or "" when it passes.

    Raises:
        ValueError: the table does not let an order start in that status (a caller's bug:
            validation allows only those).
    """
    status = requested
    if review and can_fire(requested, Event.OKC_HOLD):
        status = fire(StatusRecord(requested), Event.OKC_HOLD, address_ok=False)
    if status not in CREATION.statuses:
        raise ValueError(f"An order cannot start {status.value}.")
    return status


def edit(status: OrderStatus) -> None:
    """Check through the machine that a client may edit an order in `status`.

    Raises:
        UpdateRejected: the status no longer allows edits.
    """
    try:
        fire(StatusRecord(status), Event.UPDATE)
    except IllegalTransition as error:
        raise _client_refusal(error, "") from None


def client_move(status: OrderStatus, requested: Event | None, review: str) -> Move | None:
    """The status move of a client's update: the move it asked for, or an address hold.

    Args:
        status: the order's status before the update.
        requested: the event the update's `status` means, or None.
        review: why the address (as updated) needs review, or "" when it passes.

    Returns:
        The move, or None when the status stays.

    Raises:
        UpdateRejected: the machine refuses the move, such as a release while the address
            still needs review.
    """
    if requested is not None:
        event, reason = requested, _CLIENT_REASONS.get(requested)
    elif review and can_fire(status, Event.OKC_HOLD):
        event, reason = Event.OKC_HOLD, f"address needs review: {review}"
    else:
        return None
    record = StatusRecord(status)
    try:
        fire(record, event, address_ok=not review)
    except IllegalTransition as error:
        raise _client_refusal(error, review) from None
    return Move(event, actor_of(event), status, record.status, reason)


def _client_refusal(error: IllegalTransition, review: str) -> UpdateRejected:
    """The 422 a client gets when the machine refuses its move."""
    if isinstance(error, GuardFailed):
        wanted = BY_EVENT[error.event].dest_from(error.status)
        return UpdateRejected(
            [
                Violation(
                    "status",
                    ViolationCode.ADDRESS_NEEDS_REVIEW,
                    f"The order stays {error.status.value}: its shipping address needs review "
                    f"({review}). Fix shipping_address, then set status to {wanted.value}.",
                )
            ]
        )
    return UpdateRejected([Violation("order", ViolationCode.NOT_EDITABLE, str(error))])


def force(world: World, order_id: str, event: Event | str, reason: str | None) -> dict[str, Any]:
    """Force an operations event on an order now (`Simulator.force`).

    Raises:
        NotFound: no such order.
        ValueError: the event is unknown or is a client's event.
        IllegalTransition: the machine does not allow it from the order's status.
    """
    chosen = world.operations.operator_event(event)
    with world.writing as conn:
        row = world.load(order_id, None)
        fire(StatusRecord(row.status), chosen, address_ok=True)  # refuses before any write
        now = world.stamp()
        outcome = attrs.evolve(
            world.operations.after_forced(row.id, chosen, now, parse_trigger(row.trigger)),
            reason=reason or "forced by operator",
        )
        order = DueOrder(row.seq, row.id, row.client_id, row.status, row.updated_at)
        world.timeline.apply(conn, [(order, outcome)], now)
        return world.load(order_id, None).document()
