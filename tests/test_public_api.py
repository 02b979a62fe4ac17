"""The public names of `lifecycle`, `lifecycle.testing` and `simulator`, pinned exactly.

A name added, removed or leaked (an import, a helper) fails here, so the API changes only on
purpose: update the list below in the same change, and the docs with it.
"""

from __future__ import annotations
import __future__

import re
import types
from pathlib import Path

import pytest

import lifecycle
import lifecycle.testing
import simulator
import simulator.clock_bridge
import simulator.recording

LIFECYCLE = [
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
TESTING = [
    "addresses",
    "consumers",
    "contents",
    "create_payloads",
    "emails",
    "events",
    "invalid_update_payloads",
    "legal_histories",
    "notes",
    "order_lines",
    "order_statuses",
    "orders",
    "phone_numbers",
    "pouches",
    "us_addresses",
    "uuids",
    "valid_update_payloads",
]
SIMULATOR = [
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
SUBMODULES = [
    (simulator.clock_bridge, ["ClockBridge"]),
    (
        simulator.recording,
        [
            "DIVERGENCE_KINDS",
            "Divergence",
            "RecordedEntry",
            "RecordingError",
            "check_recording",
            "load_har",
        ],
    ),
]
"""Public modules beside the packages' own names: their `__all__` is pinned."""
PINNED = [(lifecycle, LIFECYCLE), (lifecycle.testing, TESTING), (simulator, SIMULATOR)]
TESTING_PAGE = Path(__file__).parent.parent / "docs" / "testing.md"


def public_names(module: types.ModuleType) -> set[str]:
    """The names `dir()` shows without an underscore, but submodules and `__future__` flags.

    Importing `lifecycle.testing` sets `lifecycle.testing` on the package, and `from
    __future__ import annotations` binds `annotations`: neither is an export.
    """
    return {
        name
        for name in dir(module)
        if not name.startswith("_")
        and not isinstance(getattr(module, name), types.ModuleType | __future__._Feature)
    }


@pytest.mark.parametrize(
    ("module", "names"), PINNED, ids=lambda value: getattr(value, "__name__", "")
)
class TestPublicNames:
    """Each package's `__all__` is the pinned list, and it shows nothing else."""

    def test_all_is_the_pinned_list(self, module: types.ModuleType, names: list[str]) -> None:
        """`__all__` holds exactly the pinned names, in the pinned (sorted) order."""
        assert module.__all__ == names

    def test_dir_shows_only_all(self, module: types.ModuleType, names: list[str]) -> None:
        """No import or helper leaks: the public names `dir()` shows are `__all__`."""
        assert public_names(module) == set(names)


@pytest.mark.parametrize(
    ("module", "names"), SUBMODULES, ids=lambda value: getattr(value, "__name__", "")
)
def test_public_submodules_export_the_pinned_names(
    module: types.ModuleType, names: list[str]
) -> None:
    """`simulator.clock_bridge` and `simulator.recording` export exactly the pinned names."""
    assert module.__all__ == names
    assert all(hasattr(module, name) for name in names)


class TestTestingMatchesItsPage:
    """`lifecycle.testing` exports exactly the strategies docs/testing.md describes."""

    def test_page_table_lists_the_exports(self) -> None:
        """Every strategy in the page's table is exported, and every export is in the table."""
        page = TESTING_PAGE.read_text(encoding="utf-8")
        table = page.split("## The strategies", 1)[1].split("\n## ", 1)[0]
        described = set(re.findall(r"`(\w+)\(", table))
        assert described == set(lifecycle.testing.__all__)
