"""The OK Capsule v2 order lifecycle: statuses, rules, the state machine and the calendar.

Layering: `_status` and `_table` are plain data; `_machine`, `_diagram` and `_history` are
derived from the table; `_calendar` is the Pacific-time clock arithmetic; `_validation`,
`_models` and `_convert` speak the provider's JSON. Nothing here does I/O or reads a clock.
`lifecycle.testing` (Hypothesis strategies) needs the `testing` extra.
"""

from __future__ import annotations

from lifecycle._calendar import (
    PACIFIC,
    Calendar,
    EditWindowClosed,
    edit_window_closes_at,
    is_batch_instant,
    is_business_day,
    next_batch_at,
    next_status_tick,
)
from lifecycle._convert import (
    MalformedDocument,
    fulfillment_from_json,
    fulfillment_to_json,
    order_from_json,
    order_to_json,
)
from lifecycle._diagram import lifecycle_page, mermaid
from lifecycle._errors import (
    GuardFailed,
    IllegalTransition,
    LifecycleError,
    UpdateRejected,
    Violation,
    ViolationCode,
)
from lifecycle._history import HistoryProblem, HistoryViolation, check_history
from lifecycle._machine import (
    HasStatus,
    LegalEvent,
    apply_bulk,
    can_fire,
    destinations,
    fire,
    legal_events,
)
from lifecycle._models import (
    Consumer,
    Fulfillment,
    FulfillmentLine,
    Order,
    OrderLine,
    Pouch,
    PouchContent,
    PouchingSummary,
    ShippingAddress,
    TrackingInfo,
)
from lifecycle._status import (
    CLIENT_CANCELABLE,
    CLIENT_STATUS_TARGETS,
    EDITABLE,
    FINAL,
    OKC_ONLY,
    CancelPolicy,
    OrderStatus,
    can_cancel,
    can_edit,
)
from lifecycle._table import (
    CREATION,
    TRANSITIONS,
    Actor,
    Creation,
    Event,
    Guard,
    Transition,
    actor_of,
)
from lifecycle._validation import (
    READ_ONLY_FIELDS,
    UPDATABLE_FIELDS,
    ValidatedCreate,
    ValidatedUpdate,
    validate_create,
    validate_update,
)

__all__ = [
    "CLIENT_CANCELABLE",
    "CLIENT_STATUS_TARGETS",
    "CREATION",
    "EDITABLE",
    "FINAL",
    "OKC_ONLY",
    "PACIFIC",
    "READ_ONLY_FIELDS",
    "TRANSITIONS",
    "UPDATABLE_FIELDS",
    "Actor",
    "Calendar",
    "CancelPolicy",
    "Consumer",
    "Creation",
    "EditWindowClosed",
    "Event",
    "Fulfillment",
    "FulfillmentLine",
    "Guard",
    "GuardFailed",
    "HasStatus",
    "HistoryProblem",
    "HistoryViolation",
    "IllegalTransition",
    "LegalEvent",
    "LifecycleError",
    "MalformedDocument",
    "Order",
    "OrderLine",
    "OrderStatus",
    "Pouch",
    "PouchContent",
    "PouchingSummary",
    "ShippingAddress",
    "TrackingInfo",
    "Transition",
    "UpdateRejected",
    "ValidatedCreate",
    "ValidatedUpdate",
    "Violation",
    "ViolationCode",
    "actor_of",
    "apply_bulk",
    "can_cancel",
    "can_edit",
    "can_fire",
    "check_history",
    "destinations",
    "edit_window_closes_at",
    "fire",
    "fulfillment_from_json",
    "fulfillment_to_json",
    "is_batch_instant",
    "is_business_day",
    "legal_events",
    "lifecycle_page",
    "mermaid",
    "next_batch_at",
    "next_status_tick",
    "order_from_json",
    "order_to_json",
    "validate_create",
    "validate_update",
]
