"""Request bodies for the simulator's tests: valid create payloads and addresses to vary.

Shared by `test_simulator.py`, `test_simulator_properties.py` and the durability writer
(tests is not a package; pytest and the writer script both put this directory on sys.path).
"""

from __future__ import annotations

from typing import Any

SAN_FRANCISCO: dict[str, Any] = {
    "address1": "500 Howard Street",
    "city": "San Francisco",
    "province_code": "CA",
    "postal_code": "94105",
    "country_name": "United States",
    "country_code": "US",
}
"""A US address that passes every check."""

BAD_ADDRESSES: dict[str, dict[str, Any]] = {
    "po_box": {**SAN_FRANCISCO, "address1": "PO Box 12"},
    "postal_code_state_mismatch": {**SAN_FRANCISCO, "postal_code": "10001"},
    "postal_code_format": {**SAN_FRANCISCO, "postal_code": "9410"},
}
"""Addresses that need review, by the problem code the simulator reports."""

HOLD_STREET_ADDRESS: dict[str, Any] = {**SAN_FRANCISCO, "address1": "  1  hold STREET "}
"""Valid, but the `1 Hold Street` test trigger (any case and spacing) forces review."""


def address(**changes: Any) -> dict[str, Any]:
    """The San Francisco address with some fields changed."""
    return {**SAN_FRANCISCO, **changes}


def order_payload(product_id: str, **fields: Any) -> dict[str, Any]:
    """A valid create-order body for one product, with extra or replaced top-level fields."""
    body: dict[str, Any] = {
        "consumer": {"first_name": "Ada", "last_name": "Lovelace"},
        "shipping_address": dict(SAN_FRANCISCO),
        "order_lines": [
            {
                "pouches": [
                    {
                        "time_of_administration": "Morning",
                        "contents": [{"client_product_id": product_id}],
                    }
                ]
            }
        ],
    }
    body.update(fields)
    return body
