"""The library's errors: each carries a code, the field or event concerned, and a sentence."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from collections.abc import Iterable

    from lifecycle._status import OrderStatus
    from lifecycle._table import Event, Guard


class LifecycleError(Exception):
    """Base class of every error this library raises on purpose."""


class ViolationCode(enum.StrEnum):
    """Why one part of a request breaks the rules."""

    READ_ONLY = "read_only"
    """The field is set by OK Capsule; a client may never send it."""
    NOT_UPDATABLE = "not_updatable"
    """The field is not one a client can change (or is unknown)."""
    NOT_EDITABLE = "not_editable"
    """The order's status no longer allows client edits."""
    STATUS_NOT_ALLOWED = "status_not_allowed"
    """A client may set status only to Pending, On Hold or Canceled by Client."""
    CONTACT_SUPPORT = "contact_support"
    """The order is Accepted: only OK Capsule support can cancel or change it now."""
    MALFORMED = "malformed"
    """The value has the wrong type or shape."""
    REQUIRED = "required"
    """A field the request needs is missing."""
    ADDRESS_NEEDS_REVIEW = "address_needs_review"
    """The shipping address fails validation, so the order cannot leave On Hold."""
    DUPLICATE = "duplicate"
    """The value must be unique for the client and another record already has it."""
    UNKNOWN_REFERENCE = "unknown_reference"
    """The value names a record (a consumer, a product) the client does not have."""


@attrs.frozen
class Violation:
    """One broken rule: which field, why (a stable code) and a sentence a person can act on."""

    field: str
    code: ViolationCode
    message: str


class UpdateRejected(LifecycleError):
    """A create or update request breaks one or more rules; carries all of them at once."""

    def __init__(self, violations: Iterable[Violation]) -> None:
        """Collect the violations.

        Args:
            violations: every rule the request breaks, in the order found.
        """
        self.violations: tuple[Violation, ...] = tuple(violations)
        super().__init__(self.summary)

    @property
    def summary(self) -> str:
        """One line naming every violation."""
        return "; ".join(f"{v.field}: {v.message}" for v in self.violations)


class IllegalTransition(LifecycleError):
    """An event was fired at an order whose status does not allow it."""

    def __init__(
        self,
        status: OrderStatus,
        event: Event,
        legal: Iterable[Event] = (),
        detail: str = "",
    ) -> None:
        """Describe the refused move.

        Args:
            status: the order's status when the event arrived.
            event: the event that was refused.
            legal: the events the order does allow now, for the message.
            detail: an extra sentence explaining the refusal.
        """
        self.status = status
        self.event = event
        self.legal: tuple[Event, ...] = tuple(legal)
        message = f"Event '{event.value}' is not allowed for an order in status '{status.value}'"
        if self.legal or not detail:
            allowed = ", ".join(e.value for e in self.legal) or "none"
            message += f" (allowed now: {allowed})"
        message += "."
        if detail:
            message += f" {detail}"
        super().__init__(message)


class GuardFailed(IllegalTransition):
    """An event's source status fits but one of its guards does not hold."""

    def __init__(self, status: OrderStatus, event: Event, guard: Guard, detail: str = "") -> None:
        """Describe the failed guard.

        Args:
            status: the order's status.
            event: the event that was refused.
            guard: the guard that did not hold.
            detail: an extra sentence explaining the refusal.
        """
        self.guard = guard
        text = f"Guard '{guard.value}' does not hold."
        super().__init__(status, event, (), f"{text} {detail}".strip())
