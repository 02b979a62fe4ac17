"""A fake OK Capsule v2 server built on `lifecycle`: one simulated clock, time-driven work.

Layering: leaf modules (`_clock`, `_address`, `_carriers`, `_profile`, `_store`) know
nothing of each other; the table modules (`_rows`, `_changes`, `_consumers`, ...) own the SQL;
`_operations` and `_timeline` run each order's time-driven work; `_world` ties settings,
store, clock and ids together and is the one way in; the rooms (`_order_writes`,
`_order_reads`, `_moves`, `_consumer_book`, `_accounts`) do the calls; `_simulator` is the
facade over them. The HTTP app, the CLI and the pytest plugin sit on top of `Simulator`.
See docs/architecture.md.
"""

from __future__ import annotations

from simulator._address import (
    HOLD_STREET,
    TRIGGERS,
    AddressProblem,
    ProblemCode,
    Trigger,
    TriggerError,
    TriggerKind,
    test_trigger,
    validate_address,
)
from simulator._carriers import CARRIERS, Carrier, Service, validate_tracking_number
from simulator._clock import ClockError, ClockMode, ClockState, SimClock
from simulator._errors import BadRequest, ClockRefused, NotFound, SimulatorError, Unauthorized
from simulator._profile import (
    OperationsProfile,
    ProfileError,
    ShippingOption,
    load_profile,
    parse_profile,
)
from simulator._simulator import AdvanceResult, ClientAccount, Simulator
from simulator._store import StoreError, StoreFull, StoreLost

__all__ = [
    "CARRIERS",
    "HOLD_STREET",
    "TRIGGERS",
    "AddressProblem",
    "AdvanceResult",
    "BadRequest",
    "Carrier",
    "ClientAccount",
    "ClockError",
    "ClockMode",
    "ClockRefused",
    "ClockState",
    "NotFound",
    "OperationsProfile",
    "ProblemCode",
    "ProfileError",
    "Service",
    "ShippingOption",
    "SimClock",
    "Simulator",
    "SimulatorError",
    "StoreError",
    "StoreFull",
    "StoreLost",
    "Trigger",
    "TriggerError",
    "TriggerKind",
    "Unauthorized",
    "load_profile",
    "parse_profile",
    "test_trigger",
    "validate_address",
    "validate_tracking_number",
]
