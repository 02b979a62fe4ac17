"""Tests that the public Hypothesis strategies draw what they promise."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given

import lifecycle
import lifecycle.testing as strategies
from lifecycle import (
    Actor,
    Event,
    Order,
    OrderStatus,
    UpdateRejected,
    order_from_json,
    order_to_json,
    validate_create,
    validate_update,
)
from lifecycle._table import BY_EVENT
from simulator import validate_address


class TestPayloads:
    """Request payload strategies agree with the validator."""

    @given(strategies.create_payloads())
    def test_create_payloads_are_accepted(self, payload: dict[str, object]) -> None:
        """Every drawn create request passes validate_create."""
        validate_create(payload)

    @given(strategies.valid_update_payloads(), strategies.order_statuses())
    def test_valid_updates_pass_while_editable(
        self, payload: dict[str, object], status: OrderStatus
    ) -> None:
        """Valid updates pass for Pending and On Hold orders."""
        if status in lifecycle.EDITABLE:
            validate_update(status, payload)

    @given(strategies.invalid_update_payloads(), strategies.order_statuses())
    def test_invalid_updates_always_fail(
        self, payload: dict[str, object], status: OrderStatus
    ) -> None:
        """Invalid updates fail in every status."""
        with pytest.raises(UpdateRejected):
            validate_update(status, payload)

    @given(strategies.us_addresses())
    def test_us_addresses_pass_address_review(self, address: dict[str, object]) -> None:
        """Deliverable addresses raise no address problem in the simulator."""
        assert validate_address(address) == ()

    @given(strategies.create_payloads(["p-1", "p-2"], deliverable=True))
    def test_catalogue_products_are_used(self, payload: dict[str, object]) -> None:
        """With product ids given, every pouch content names one of them."""
        for line in payload["order_lines"]:  # type: ignore[attr-defined]
            for pouch in line["pouches"]:
                assert {c["client_product_id"] for c in pouch["contents"]} <= {"p-1", "p-2"}


class TestDomainStrategies:
    """Events, orders and histories."""

    @given(strategies.events(Actor.CLIENT))
    def test_events_by_actor(self, event: Event) -> None:
        """Filtering by actor draws only that actor's events."""
        assert BY_EVENT[event].actor is Actor.CLIENT

    @given(strategies.orders())
    def test_orders_round_trip(self, order: Order) -> None:
        """Drawn orders survive the JSON round trip."""
        assert order_to_json(order_from_json(order_to_json(order))) == order_to_json(order)

    @given(strategies.legal_histories())
    def test_histories_are_time_ordered(self, history: list[tuple[datetime, OrderStatus]]) -> None:
        """Histories start Pending or On Hold and never go back in time."""
        assert history[0][1] in {OrderStatus.PENDING, OrderStatus.ON_HOLD}
        times = [at for at, _ in history]
        assert times == sorted(times)
