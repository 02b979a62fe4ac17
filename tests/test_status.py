"""Tests for the statuses and the client's edit and cancel rules, row by row."""

from __future__ import annotations

import pytest

from lifecycle._status import (
    CLIENT_STATUS_TARGETS,
    FINAL,
    OKC_ONLY,
    CancelPolicy,
    OrderStatus,
    can_cancel,
    can_edit,
)

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
        status: str = OrderStatus.ON_HOLD
        assert status == "On Hold"
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
