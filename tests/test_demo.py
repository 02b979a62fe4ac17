"""Tests for the demo world of `okc-sim serve --demo`."""

from __future__ import annotations

from datetime import datetime

import pytest

from lifecycle import OrderStatus
from simulator import Simulator
from simulator._demo import DEMO_SPAN, DemoSummary, demo_start, load_demo

# A Monday morning, a Sunday, the batch instant itself (00:00 Pacific), the minute before a
# batch, Christmas week, and a summer (daylight saving) Saturday.
ENDS = [
    "2026-01-05T17:00:00Z",
    "2026-03-08T10:30:00Z",
    "2026-12-26T08:00:00Z",
    "2026-11-27T07:59:00Z",
    "2026-12-24T20:00:00Z",
    "2027-06-19T12:00:00Z",
]


def demo_world(end: str, seed: int = 0) -> tuple[Simulator, DemoSummary]:
    """A frozen simulator with the demo loaded so that it ends at `end`."""
    sim = Simulator(start=demo_start(datetime.fromisoformat(end)), seed=seed)
    return sim, load_demo(sim)


class TestLoadDemo:
    """What the demo leaves in the world."""

    @pytest.mark.parametrize("end", ENDS)
    def test_every_advertised_status(self, end: str) -> None:
        """Twelve orders: 2 Pending, 1 On Hold, and Accepted to Delivered, whenever it ends."""
        sim, summary = demo_world(end)
        try:
            assert summary.by_status == {
                OrderStatus.PENDING.value: 2,
                OrderStatus.ON_HOLD.value: 1,
                OrderStatus.ACCEPTED.value: 2,
                OrderStatus.IN_PRODUCTION.value: 1,
                OrderStatus.SHIPPED.value: 2,
                OrderStatus.DELIVERED.value: 3,
                OrderStatus.CANCELED_BY_CLIENT.value: 1,
            }
            assert sim.count_orders() == 12
        finally:
            sim.close()

    def test_ends_at_the_requested_instant(self) -> None:
        """The clock ends DEMO_SPAN after it started, still frozen."""
        sim, _ = demo_world(ENDS[0])
        try:
            assert sim.now == datetime.fromisoformat(ENDS[0])
            assert sim.now - demo_start(sim.now) == DEMO_SPAN
            assert sim.clock_state()["mode"] == "frozen"
        finally:
            sim.close()

    def test_on_hold_order_has_a_po_box(self) -> None:
        """The On Hold order is held for its PO box address."""
        sim, _ = demo_world(ENDS[0])
        try:
            held = sim.list_orders({"status": "On Hold"})["orders"]
            assert len(held) == 1
            assert held[0]["shipping_address"]["address1"].startswith("PO Box")
        finally:
            sim.close()

    def test_shipped_and_delivered_orders_have_fulfillments(self) -> None:
        """Orders that shipped carry tracking information, as the API would show."""
        sim, _ = demo_world(ENDS[0])
        try:
            shipped = [
                order
                for order in sim.list_orders(limit=250)["orders"]
                if order["status"] in {"Shipped", "Delivered"}
            ]
            for order in shipped:
                fulfillments = sim.list_fulfillments(order_id=order["id"])
                assert fulfillments
                assert fulfillments[0]["tracking_info"]["tracking_number"]
        finally:
            sim.close()

    def test_same_world_for_the_same_seed_and_end(self) -> None:
        """The demo is deterministic: same seed and end, same orders."""
        first, _ = demo_world(ENDS[1])
        second, _ = demo_world(ENDS[1])
        try:
            assert first.list_orders(limit=250) == second.list_orders(limit=250)
        finally:
            first.close()
            second.close()

    def test_running_clock_is_refused(self) -> None:
        """The demo needs a frozen clock to line its waves up."""
        sim = Simulator(start=ENDS[0], mode="running")
        try:
            with pytest.raises(ValueError, match="frozen"):
                load_demo(sim)
        finally:
            sim.close()


class TestDemoSummary:
    """The banner line."""

    def test_describe_in_lifecycle_order(self) -> None:
        """Statuses are listed in the lifecycle's order with the total first."""
        summary = DemoSummary({"Delivered": 3, "Pending": 2, "On Hold": 1})
        assert summary.orders == 6
        assert summary.describe() == "6 orders: 2 Pending, 1 On Hold, 3 Delivered"
