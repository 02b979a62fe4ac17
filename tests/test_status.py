"""Tests for the statuses and the client's edit and cancel rules, row by row."""

from __future__ import annotations

import pytest

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
from lifecycle._table import BY_EVENT, CREATION, TRANSITIONS, Actor, Event

# The provider's table, verbatim: status, client may edit, client may cancel.
STATUS_TABLE = [
    ("Pending", True, CancelPolicy.YES),
    ("On Hold", True, CancelPolicy.YES),
    ("Accepted", False, CancelPolicy.CONTACT_SUPPORT),
    ("In Production", False, CancelPolicy.NO),
    ("Shipped", False, CancelPolicy.NO),
    ("Delivered", False, CancelPolicy.NO),
    ("Canceled by Client", False, CancelPolicy.NO),
    ("Canceled by OKC", False, CancelPolicy.NO),
    ("Replaced", False, CancelPolicy.NO),
    ("Voided", False, CancelPolicy.NO),
    ("Returned", False, CancelPolicy.NO),
    ("Error", False, CancelPolicy.NO),
]


class TestOrderStatus:
    """The enum carries the API's exact strings."""

    def test_values_are_the_api_strings(self) -> None:
        """All twelve statuses, spelt as the API spells them."""
        assert [s.value for s in OrderStatus] == [row[0] for row in STATUS_TABLE]

    def test_is_a_string(self) -> None:
        """A status compares equal to its API string, for JSON and SQL."""
        held: str = OrderStatus.ON_HOLD
        assert held == "On Hold"
        assert OrderStatus("Canceled by OKC") is OrderStatus.CANCELED_BY_OKC

    def test_groups(self) -> None:
        """Final, OKC-only and client-target groups hold what the provider documents."""
        assert {OrderStatus.CANCELED_BY_CLIENT, OrderStatus.CANCELED_BY_OKC} <= FINAL
        assert {"Replaced", "Voided", "Returned", "Error"} == OKC_ONLY
        assert {"Pending", "On Hold", "Canceled by Client"} == CLIENT_STATUS_TARGETS


class TestClientRules:
    """`can_edit` and `can_cancel` follow the provider's status table."""

    @pytest.mark.parametrize(("status", "editable", "_cancel"), STATUS_TABLE)
    def test_can_edit(self, status: str, editable: bool, _cancel: CancelPolicy) -> None:
        """Only Pending and On Hold orders are editable."""
        assert can_edit(status) is editable
        assert can_edit(OrderStatus(status)) is editable

    @pytest.mark.parametrize(("status", "_editable", "cancel"), STATUS_TABLE)
    def test_can_cancel(self, status: str, _editable: bool, cancel: CancelPolicy) -> None:
        """Cancel is yes while editable, contact support once Accepted, no after that."""
        assert can_cancel(status) is cancel

    def test_unknown_status(self) -> None:
        """A misspelt status is a ValueError, not a silent False."""
        with pytest.raises(ValueError, match="On hold"):
            can_edit("On hold")


class TestGroupsFromTheTable:
    """Each status group equals what the transition table implies, so neither can drift."""

    def test_editable_is_where_client_events_start(self) -> None:
        """EDITABLE is where an update starts, and where every client event starts."""
        client_sources = {
            s for row in TRANSITIONS if row.actor is Actor.CLIENT for s in row.sources
        }
        assert EDITABLE == BY_EVENT[Event.UPDATE].sources == client_sources

    def test_client_cancelable_is_where_cancel_starts(self) -> None:
        """CLIENT_CANCELABLE is exactly the sources of the client's cancel."""
        assert BY_EVENT[Event.CANCEL].sources == CLIENT_CANCELABLE

    def test_client_targets_are_where_client_events_lead(self) -> None:
        """CLIENT_STATUS_TARGETS is every status a client event moves an order to."""
        targets = {
            row.dest for row in TRANSITIONS if row.actor is Actor.CLIENT and row.dest is not None
        }
        assert targets == CLIENT_STATUS_TARGETS

    def test_final_is_where_no_event_starts(self) -> None:
        """FINAL is every status no row leaves, and only those."""
        left = {s for row in TRANSITIONS for s in row.sources}
        assert set(OrderStatus) - left == FINAL

    def test_okc_only_is_reached_by_operations_alone(self) -> None:
        """OKC_ONLY is the final statuses only operations reach, but OKC's own cancel.

        Canceled by OKC is the one such status the provider's client table lists.
        """
        reached_by: dict[OrderStatus, set[Actor]] = {}
        for row in TRANSITIONS:
            for source in row.sources:
                reached_by.setdefault(row.dest_from(source), set()).add(row.actor)
        operations_only = {
            status
            for status, actors in reached_by.items()
            if actors == {Actor.OPERATIONS} and status in FINAL
        }
        assert operations_only - {BY_EVENT[Event.CANCEL_BY_OKC].dest} == OKC_ONLY

    def test_orders_are_created_where_clients_may_edit(self) -> None:
        """Creation starts an order in a status the client may still edit, never a final one."""
        assert CREATION.statuses <= EDITABLE
        assert not CREATION.statuses & FINAL
