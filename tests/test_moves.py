"""Tests for `simulator._moves`: one order's status moves, decided by `lifecycle.fire`."""

from __future__ import annotations

import pytest

from lifecycle import Actor, Event, OrderStatus, UpdateRejected, ViolationCode
from simulator._moves import Move, client_move, edit, start_status

REVIEW = "the postal code is not a US ZIP code"


class TestStartStatus:
    """The status a new order starts in."""

    def test_the_status_asked_for_when_the_address_passes(self) -> None:
        """A create that asks for Pending or On Hold with a good address gets it."""
        assert start_status(OrderStatus.PENDING, "") is OrderStatus.PENDING
        assert start_status(OrderStatus.ON_HOLD, "") is OrderStatus.ON_HOLD

    def test_held_when_the_address_needs_review(self) -> None:
        """An address that needs review starts the order On Hold, whatever was asked."""
        assert start_status(OrderStatus.PENDING, REVIEW) is OrderStatus.ON_HOLD
        assert start_status(OrderStatus.ON_HOLD, REVIEW) is OrderStatus.ON_HOLD

    def test_refuses_a_status_creation_does_not_allow(self) -> None:
        """An order cannot start Accepted: the table's creation statuses do not include it."""
        with pytest.raises(ValueError, match="cannot start Accepted"):
            start_status(OrderStatus.ACCEPTED, "")


class TestClientMove:
    """The status move of a client's update."""

    def test_a_requested_move_is_the_clients(self) -> None:
        """A client's cancel moves the order, recorded as the client's with its reason."""
        move = client_move(OrderStatus.PENDING, Event.CANCEL, "")
        assert move == Move(
            Event.CANCEL,
            Actor.CLIENT,
            OrderStatus.PENDING,
            OrderStatus.CANCELED_BY_CLIENT,
            "canceled by client",
        )

    def test_an_address_in_review_holds_a_pending_order_as_operations(self) -> None:
        """An update that leaves a Pending order's address in review holds it: OKC's hold."""
        move = client_move(OrderStatus.PENDING, None, REVIEW)
        assert move is not None
        assert (move.event, move.actor, move.dest) == (
            Event.OKC_HOLD,
            Actor.OPERATIONS,
            OrderStatus.ON_HOLD,
        )
        assert move.reason == f"address needs review: {REVIEW}"

    def test_no_move_without_a_request_or_a_review(self) -> None:
        """A held order with an address in review, and no status asked for, stays as it is."""
        assert client_move(OrderStatus.ON_HOLD, None, REVIEW) is None
        assert client_move(OrderStatus.PENDING, None, "") is None

    def test_a_release_needs_the_address_to_pass(self) -> None:
        """The machine's guard refuses a release in review: a 422 on status, saying why."""
        with pytest.raises(UpdateRejected) as error:
            client_move(OrderStatus.ON_HOLD, Event.RELEASE, REVIEW)
        [violation] = error.value.violations
        assert (violation.field, violation.code) == ("status", ViolationCode.ADDRESS_NEEDS_REVIEW)
        assert f"({REVIEW})" in violation.message

    def test_a_move_the_machine_forbids_is_a_422(self) -> None:
        """A client move the status does not allow is refused as not editable, not a 500."""
        with pytest.raises(UpdateRejected) as error:
            client_move(OrderStatus.ACCEPTED, Event.CANCEL, "")
        assert [v.code for v in error.value.violations] == [ViolationCode.NOT_EDITABLE]


class TestEdit:
    """Whether the machine lets a client edit an order."""

    def test_editable_statuses_pass(self) -> None:
        """Pending and On Hold orders may be edited."""
        edit(OrderStatus.PENDING)
        edit(OrderStatus.ON_HOLD)

    def test_other_statuses_are_refused(self) -> None:
        """A Shipped order cannot be edited: a 422, not editable."""
        with pytest.raises(UpdateRejected) as error:
            edit(OrderStatus.SHIPPED)
        assert [v.code for v in error.value.violations] == [ViolationCode.NOT_EDITABLE]
