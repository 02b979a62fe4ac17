"""The timeline's bulk path: planned orders move in SQL exactly as one-at-a-time steps would."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import pytest
from payloads import order_payload

from lifecycle import OrderStatus, check_history
from simulator import Simulator, parse_profile

if TYPE_CHECKING:
    from collections.abc import Iterator

START = "2026-03-02T12:00:00Z"
"""A Monday morning in Los Angeles."""
DAY = 86_400
NOTES = (
    None,
    "okc-test:delay-production=2",
    "okc-test:delay-delivery=3",
    "okc-test:return",
    "okc-test:fail",
    "okc-test:cancel",
    "okc-test:hold",
)
"""One order of each path, the planned and the unplanned ones."""


def _world(*, bulk: bool) -> Simulator:
    sim = Simulator(start=START, seed=11)
    if not bulk:
        # The bulk path off: every planned order meets its steps one at a time in Python.
        sim.timeline._planned_steps = lambda _conn, _at: 0  # type: ignore[method-assign,assignment]
    return sim


def _run(sim: Simulator, days: int = 21) -> list[str]:
    product = sim.list_products()[0]["id"]
    ids = []
    for day in range(5):
        for note in NOTES:
            fields: dict[str, Any] = {} if note is None else {"note": note}
            ids.append(sim.create_order(order_payload(product, **fields))["id"])
        sim.advance(seconds=DAY + 3_600 * day)
    sim.advance(seconds=days * DAY)
    return ids


def _story(sim: Simulator, order_id: str) -> list[tuple[Any, ...]]:
    """What a client sees of an order: its history, and its parcels but for their ids."""
    history = [tuple(change.values()) for change in sim.history(order_id)]
    parcels = [
        (f["tracking_info"], f["pickup_date"], f["delivery_date"], f["updated_at"], f["weight"])
        for f in sim.list_fulfillments(order_id)
    ]
    return [*history, *parcels]


@pytest.fixture
def worlds() -> Iterator[tuple[Simulator, Simulator, list[str]]]:
    """The same calls on a world with the bulk path and on one without."""
    bulk, single = _world(bulk=True), _world(bulk=False)
    ids = _run(bulk)
    assert _run(single) == ids
    yield bulk, single, ids
    bulk.close()
    single.close()


class TestBulkPath:
    """The planned steps in SQL against the same steps one order at a time."""

    def test_same_histories_and_parcels(
        self, worlds: tuple[Simulator, Simulator, list[str]]
    ) -> None:
        """Every order has the same status changes, at the same instants, and the same parcel."""
        bulk, single, ids = worlds
        for order_id in ids:
            assert _story(bulk, order_id) == _story(single, order_id)

    def test_histories_are_legal_and_orders_settle(
        self, worlds: tuple[Simulator, Simulator, list[str]]
    ) -> None:
        """Each history passes the checker; no order is left on its way after three weeks."""
        bulk, _single, ids = worlds
        ends = set()
        for order_id in ids:
            history = bulk.history(order_id)
            entries = [(datetime.fromisoformat(c["at"]), c["to"]) for c in history]
            assert check_history(entries, calendar=bulk.calendar) == []
            ends.add(history[-1]["to"])
        assert ends == {
            OrderStatus.DELIVERED,
            OrderStatus.RETURNED,
            OrderStatus.ERROR,
            OrderStatus.CANCELED_BY_OKC,
            OrderStatus.ON_HOLD,
        }

    def test_the_bulk_path_carries_the_planned_orders(
        self, worlds: tuple[Simulator, Simulator, list[str]]
    ) -> None:
        """Production, shipping and delivery of the untriggered orders ran in SQL."""
        bulk, _single, ids = worlds
        plain = ids[:: len(NOTES)]
        for order_id in plain:
            steps = [change["reason"] for change in bulk.history(order_id)]
            assert steps[2:] == ["production started", "shipped", "delivered by the carrier"]
        (left,) = bulk.store.query("SELECT COUNT(*) FROM plans")[0]
        assert left == 0  # delivered, returned and voided plans are all gone


class TestPlans:
    """A plan holds only while nothing else moves its order."""

    def test_an_operator_hold_voids_the_plan(self) -> None:
        """Held after planning, released and accepted again, the order ships on a new plan."""
        sim = Simulator(start=START, seed=3)
        product = sim.list_products()[0]["id"]
        profile = sim.profile
        assert profile.production_start_business_days[1] >= 1
        order = sim.create_order(order_payload(product, note="okc-test:delay-production=3"))
        sim.advance(seconds=DAY)  # accepted; planned at the first business tick
        sim.advance(seconds=DAY)
        planned = sim.store.query("SELECT COUNT(*) FROM plans")[0][0]
        assert planned == 1
        sim.force(order["id"], "hold", "checking the address")
        assert sim.store.query("SELECT COUNT(*) FROM plans")[0][0] == 0
        sim.force(order["id"], "release")
        sim.advance(seconds=20 * DAY)
        history = [change["to"] for change in sim.history(order["id"])]
        assert history[-1] == OrderStatus.DELIVERED
        assert len(sim.list_fulfillments(order["id"])) == 1
        sim.close()

    def test_zero_production_delay_starts_at_the_first_business_tick(self) -> None:
        """With no delay, planning and starting production are one step."""
        profile = parse_profile("production_start_business_days = [0, 0]\n")
        sim = Simulator(start=START, seed=5, profile=profile)
        product = sim.list_products()[0]["id"]
        order = sim.create_order(order_payload(product))
        sim.advance(seconds=10 * DAY)
        reasons = [change["reason"] for change in sim.history(order["id"])]
        assert reasons[2] == "production started"
        assert reasons[-1] == "delivered by the carrier"
        sim.close()

    def test_review_rates_of_zero_pass_the_draws_over(self) -> None:
        """With no review, its two draws are skipped, not dropped: the rest draw as before.

        A world whose rates are too small for any draw to fall below plans every order as
        the default world, which skips the review draws uncomputed, does.
        """
        never = parse_profile("okc_hold_rate = 1e-300\nokc_cancel_rate = 1e-300\n")
        default, drawn = (
            Simulator(start=START, seed=11),
            Simulator(start=START, seed=11, profile=never),
        )
        ids = _run(default)
        assert _run(drawn) == ids
        for order_id in ids:
            assert _story(default, order_id) == _story(drawn, order_id)
        default.close()
        drawn.close()


class TestBatchRows:
    """The nightly batch schedules one row for the night, not one step per order."""

    def test_one_row_for_the_night_then_every_order_planned(self) -> None:
        """One `batches` row for the night, kept (planned) after its tick; every order planned."""
        sim = Simulator(start=START, seed=2)
        product = sim.list_products()[0]["id"]
        ids = [sim.create_order(order_payload(product))["id"] for _ in range(5)]
        sim.advance(to="2026-03-03T08:00:00Z")  # Tuesday 00:00 Pacific: the batch
        assert sim.store.query("SELECT COUNT(*) FROM batches")[0][0] == 1
        unscheduled = sim.store.query("SELECT COUNT(*) FROM orders WHERE next_event IS NULL")
        assert unscheduled[0][0] == 5
        sim.advance(seconds=6 * 3_600)  # the first business tick after the batch
        planned = sim.store.query("SELECT COUNT(*) FROM batches WHERE plan_at IS NULL")
        assert planned[0][0] == 1  # kept, as the provider keeps its batches
        steps = sim.store.query("SELECT next_event FROM orders ORDER BY seq")
        assert {step for (step,) in steps} <= {"begin_production", "ship"}
        assert sim.store.query("SELECT COUNT(*) FROM plans")[0][0] == len(ids)
        sim.close()

    def test_an_order_moved_before_its_first_step_is_left_alone(self) -> None:
        """An operator's move between the batch and the plan tick is not undone or repeated."""
        sim = Simulator(start=START, seed=2)
        product = sim.list_products()[0]["id"]
        moved, other = (sim.create_order(order_payload(product))["id"] for _ in range(2))
        sim.advance(to="2026-03-03T08:00:00Z")
        sim.force(moved, "start_production", "rushed")
        sim.advance(seconds=10 * DAY)
        reasons = [change["reason"] for change in sim.history(moved)]
        assert reasons.count("rushed") == 1
        assert "production started" not in reasons
        assert reasons[-1] == "delivered by the carrier"
        assert sim.history(other)[-1]["to"] == OrderStatus.DELIVERED
        sim.close()
