"""Hypothesis strategies for property-testing code that talks to the OK Capsule v2 API.

Statuses, events, request payloads (valid and invalid), orders, and legal status histories,
as docs/testing.md describes them. Needs the `testing` extra:
`pip install "okc-lifecycle[testing]"`.
"""

from lifecycle._strategies import (
    addresses,
    consumers,
    contents,
    create_payloads,
    emails,
    events,
    invalid_update_payloads,
    legal_histories,
    notes,
    order_lines,
    order_statuses,
    orders,
    phone_numbers,
    pouches,
    us_addresses,
    uuids,
    valid_update_payloads,
)

__all__ = [
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
