"""Order statuses exactly as the OK Capsule v2 API spells them, and their groups.

The groups name what the transition table implies (`lifecycle._table` builds on this module,
so cannot feed it); tests/test_status.py derives each group from the table and compares.
"""

from __future__ import annotations

import enum


class OrderStatus(enum.StrEnum):
    """An order's status; the value is the exact string the API sends and accepts."""

    PENDING = "Pending"
    ON_HOLD = "On Hold"
    ACCEPTED = "Accepted"
    IN_PRODUCTION = "In Production"
    SHIPPED = "Shipped"
    DELIVERED = "Delivered"
    CANCELED_BY_CLIENT = "Canceled by Client"
    CANCELED_BY_OKC = "Canceled by OKC"
    # Reached only through an OKC operator event, never by a client.
    REPLACED = "Replaced"
    VOIDED = "Voided"
    RETURNED = "Returned"
    ERROR = "Error"


class CancelPolicy(enum.StrEnum):
    """Whether a client may cancel an order in a given status."""

    YES = "yes"
    CONTACT_SUPPORT = "contact support"
    NO = "no"


EDITABLE: frozenset[OrderStatus] = frozenset({OrderStatus.PENDING, OrderStatus.ON_HOLD})
"""Statuses in which a client may update an order (and cancel it)."""

CLIENT_CANCELABLE: frozenset[OrderStatus] = EDITABLE
"""Statuses in which a client may cancel an order."""

FINAL: frozenset[OrderStatus] = frozenset(
    {
        OrderStatus.CANCELED_BY_CLIENT,
        OrderStatus.CANCELED_BY_OKC,
        OrderStatus.REPLACED,
        OrderStatus.VOIDED,
        OrderStatus.RETURNED,
        OrderStatus.ERROR,
    }
)
"""Statuses no event leaves."""

OKC_ONLY: frozenset[OrderStatus] = frozenset(
    {OrderStatus.REPLACED, OrderStatus.VOIDED, OrderStatus.RETURNED, OrderStatus.ERROR}
)
"""Statuses only an OKC operator event reaches; never a client."""

CLIENT_STATUS_TARGETS: frozenset[OrderStatus] = frozenset(
    {OrderStatus.PENDING, OrderStatus.ON_HOLD, OrderStatus.CANCELED_BY_CLIENT}
)
"""The values a client may write to an order's `status` field."""


def can_edit(status: OrderStatus | str) -> bool:
    """Tell whether a client may update an order in this status.

    Args:
        status: an `OrderStatus` or its exact API string.

    Returns:
        True for Pending and On Hold, False otherwise.

    Raises:
        ValueError: the string is not a known status.
    """
    return OrderStatus(status) in EDITABLE


def can_cancel(status: OrderStatus | str) -> CancelPolicy:
    """Tell whether a client may cancel an order in this status.

    Args:
        status: an `OrderStatus` or its exact API string.

    Returns:
        `CancelPolicy.YES` while Pending or On Hold, `CONTACT_SUPPORT` once Accepted,
        `NO` otherwise.

    Raises:
        ValueError: the string is not a known status.
    """
    status = OrderStatus(status)
    if status in CLIENT_CANCELABLE:
        return CancelPolicy.YES
    if status is OrderStatus.ACCEPTED:
        return CancelPolicy.CONTACT_SUPPORT
    return CancelPolicy.NO
