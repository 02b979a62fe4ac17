"""A fake OK Capsule v2 server built on `lifecycle`: one simulated clock, time-driven work.

Layering: leaf modules (`_clock`, `_address`, `_carriers`, `_profile`, `_store`) know
nothing of each other; `_operations` turns the profile into each order's timeline;
`_simulator` ties clock, store and operations together behind the Python API; the HTTP
app, the CLI and the pytest plugin sit on top of `Simulator`.
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
