"""The events an operator may force through the control API, by the names it accepts."""

from __future__ import annotations

from lifecycle._table import Actor, Event, actor_of

OPERATOR_ALIASES: dict[str, Event] = {Event.HOLD: Event.OKC_HOLD, Event.RELEASE: Event.OKC_RELEASE}
"""An operator's `hold` and `release` mean OKC's own hold and release."""

OPERATOR_EVENT_NAMES: tuple[str, ...] = (
    *OPERATOR_ALIASES,
    *(event.value for event in Event if actor_of(event) is not Actor.CLIENT),
)
"""Every name `POST /_sim/orders/{id}/events` accepts: the aliases, then the table's events
that the client does not cause."""
