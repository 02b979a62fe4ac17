"""The transition table: every lifecycle event as plain data, the single source of truth.

The `transitions` machine, the bulk path, `legal_events`, the diagram and the tests are all
derived from `TRANSITIONS`; nothing else in the package lists a move.
"""

from __future__ import annotations

import enum

import attrs

from lifecycle._status import OrderStatus as S


class Actor(enum.StrEnum):
    """Who causes an event."""

    CLIENT = "client"
    """The integrator, through the API."""
    BATCH = "batch"
    """The nightly batch at 00:00 Pacific."""
    OPERATIONS = "operations"
    """OK Capsule's production, shipping and support staff (and their carriers)."""


class Event(enum.StrEnum):
    """A named lifecycle event."""

    CREATE = "create"
    """The order comes into being (`CREATION`); no transition row starts from it."""
    UPDATE = "update"
    HOLD = "hold"
    RELEASE = "release"
    CANCEL = "cancel"
    ACCEPT = "accept"
    START_PRODUCTION = "start_production"
    SHIP = "ship"
    DELIVER = "deliver"
    OKC_HOLD = "okc_hold"
    OKC_RELEASE = "okc_release"
    CANCEL_BY_OKC = "cancel_by_okc"
    REPLACE = "replace"
    VOID = "void"
    RETURN = "return"
    FAIL = "fail"


class Guard(enum.StrEnum):
    """A named condition an event needs; the caller supplies its truth as a context flag."""

    ADDRESS_OK = "address_ok"
    """The shipping address passes validation (no review needed)."""


@attrs.frozen
class Creation:
    """How an order comes into being: the event, who causes it, the statuses it may start in."""

    event: Event
    actor: Actor
    statuses: frozenset[S]
    description: str = ""


@attrs.frozen
class Transition:
    """One row of the table: an event, where it may start, where it leads, who causes it."""

    event: Event
    sources: frozenset[S]
    dest: S | None
    """None for an internal event that keeps the status (a client's update)."""
    actor: Actor
    guards: tuple[Guard, ...] = ()
    description: str = ""

    def dest_from(self, source: S) -> S:
        """Return the status an order in `source` has after this event."""
        return source if self.dest is None else self.dest


_EDITABLE = frozenset({S.PENDING, S.ON_HOLD})

CREATION = Creation(
    Event.CREATE,
    Actor.CLIENT,
    frozenset({S.PENDING, S.ON_HOLD}),
    description="client creates the order: Pending, or On Hold when asked or when its "
    "address needs review",
)
"""Where orders start: the one event that is not a row of `TRANSITIONS`."""
_BEFORE_SHIPPING = frozenset({S.PENDING, S.ON_HOLD, S.ACCEPTED, S.IN_PRODUCTION})
_AFTER_SHIPPING = frozenset({S.SHIPPED, S.DELIVERED})

TRANSITIONS: tuple[Transition, ...] = (
    Transition(Event.UPDATE, _EDITABLE, None, Actor.CLIENT, description="client edits the order"),
    Transition(
        Event.HOLD,
        frozenset({S.PENDING}),
        S.ON_HOLD,
        Actor.CLIENT,
        description="client sets status On Hold, or an address needs review",
    ),
    Transition(
        Event.RELEASE,
        frozenset({S.ON_HOLD}),
        S.PENDING,
        Actor.CLIENT,
        (Guard.ADDRESS_OK,),
        description="client sets status back to Pending",
    ),
    Transition(
        Event.CANCEL,
        _EDITABLE,
        S.CANCELED_BY_CLIENT,
        Actor.CLIENT,
        description="client cancels",
    ),
    Transition(
        Event.ACCEPT,
        frozenset({S.PENDING}),
        S.ACCEPTED,
        Actor.BATCH,
        description="nightly batch at 00:00 Pacific",
    ),
    Transition(
        Event.START_PRODUCTION,
        frozenset({S.ACCEPTED}),
        S.IN_PRODUCTION,
        Actor.OPERATIONS,
        description="production starts on a business day",
    ),
    Transition(
        Event.SHIP,
        frozenset({S.IN_PRODUCTION}),
        S.SHIPPED,
        Actor.OPERATIONS,
        description="handed to the carrier; a fulfillment is created",
    ),
    Transition(
        Event.DELIVER,
        frozenset({S.SHIPPED}),
        S.DELIVERED,
        Actor.OPERATIONS,
        description="the carrier delivers",
    ),
    Transition(
        Event.OKC_HOLD,
        frozenset({S.PENDING, S.ACCEPTED}),
        S.ON_HOLD,
        Actor.OPERATIONS,
        description="OKC holds the order for review",
    ),
    Transition(
        Event.OKC_RELEASE,
        frozenset({S.ON_HOLD}),
        S.PENDING,
        Actor.OPERATIONS,
        description="OKC releases a held order",
    ),
    Transition(
        Event.CANCEL_BY_OKC,
        _BEFORE_SHIPPING,
        S.CANCELED_BY_OKC,
        Actor.OPERATIONS,
        description="OKC cancels",
    ),
    Transition(
        Event.REPLACE,
        _AFTER_SHIPPING,
        S.REPLACED,
        Actor.OPERATIONS,
        description="OKC sends a replacement order",
    ),
    Transition(
        Event.VOID,
        _BEFORE_SHIPPING,
        S.VOIDED,
        Actor.OPERATIONS,
        description="OKC voids the order",
    ),
    Transition(
        Event.RETURN,
        _AFTER_SHIPPING,
        S.RETURNED,
        Actor.OPERATIONS,
        description="the parcel comes back",
    ),
    Transition(
        Event.FAIL,
        frozenset({S.ACCEPTED, S.IN_PRODUCTION}),
        S.ERROR,
        Actor.OPERATIONS,
        description="production fails irrecoverably",
    ),
)

BY_EVENT: dict[Event, Transition] = {row.event: row for row in TRANSITIONS}
"""Each event's row; every event but `CREATION`'s has exactly one."""

ACTORS: dict[Event, Actor] = {CREATION.event: CREATION.actor} | {
    row.event: row.actor for row in TRANSITIONS
}
"""Who causes each event, creation included: what order history records as the actor."""


def actor_of(event: Event | str) -> Actor:
    """Return who causes an event, as the table says (`create` is the client's).

    Raises:
        ValueError: the event name is unknown.
    """
    return ACTORS[Event(event)]


DEST: dict[tuple[S, Event], S] = {
    (source, row.event): row.dest_from(source) for row in TRANSITIONS for source in row.sources
}
"""The whole table flattened to `(status, event) -> status`: the bulk path's lookup."""
