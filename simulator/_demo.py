"""The demo world of `okc-sim serve --demo`: a dozen orders spread over the lifecycle.

Every order is made the way an integrator's would be, through the engine, with time driven
forward between them; nothing is written to the store directly.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import attrs

from lifecycle import Event, OrderStatus

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from simulator._simulator import Simulator

DEMO_SPAN = timedelta(days=21)
"""How far the demo drives the clock: start a world this long before the instant it should
reach (see `demo_start`)."""

_RECENT = timedelta(days=2)
"""How long before the end the second wave is created: always long enough for one batch."""

_IN_TRANSIT_DAYS = 45
"""Extra transit days for the orders meant to be Shipped still when the demo ends."""

_NOT_BEFORE_DAYS = 30
"""Production delay (business days) for the orders meant to be Accepted still at the end."""

# (name, address1, city, state code, ZIP): real street shapes, ZIPs that match their state.
_CUSTOMERS: tuple[tuple[str, str, str, str, str], ...] = (
    ("Ada Lovelace", "500 Market St", "San Francisco", "CA", "94105"),
    ("Grace Hopper", "200 Congress Ave", "Austin", "TX", "78701"),
    ("Alan Turing", "350 5th Ave", "New York", "NY", "10118"),
    ("Katherine Johnson", "233 S Wacker Dr", "Chicago", "IL", "60606"),
    ("Edsger Dijkstra", "400 Broad St", "Seattle", "WA", "98109"),
    ("Barbara Liskov", "1 Cambridge Ctr", "Cambridge", "MA", "02142"),
    ("Donald Knuth", "1000 Vin Scully Ave", "Los Angeles", "CA", "90012"),
    ("Frances Allen", "700 Clark Ave", "St. Louis", "MO", "63102"),
    ("John Backus", "1 Ferry Building", "San Francisco", "CA", "94111"),
    ("Radia Perlman", "1200 Getty Center Dr", "Los Angeles", "CA", "90049"),
    ("Ken Thompson", "600 Montgomery St", "San Francisco", "CA", "94111"),
    ("Hedy Lamarr", "100 Universal City Plz", "Universal City", "CA", "91608"),
)


@attrs.frozen
class DemoSummary:
    """What the demo made: how many orders ended in each status."""

    by_status: Mapping[str, int]

    @property
    def orders(self) -> int:
        """How many orders the demo made."""
        return sum(self.by_status.values())

    def describe(self) -> str:
        """One line for the server's banner, e.g. "12 orders: 3 Delivered, 2 Shipped, ..."."""
        order = {status.value: index for index, status in enumerate(OrderStatus)}
        parts = sorted(self.by_status.items(), key=lambda item: order.get(item[0], len(order)))
        return f"{self.orders} orders: " + ", ".join(f"{n} {status}" for status, n in parts)


def demo_start(end: datetime) -> datetime:
    """The instant to start a world at so that `load_demo` finishes at `end`."""
    return end - DEMO_SPAN


class _Maker:
    """Creates the demo's orders one after the other, each for the next customer."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.product_ids = [product["id"] for product in sim.list_products()]
        self.made = 0

    def order(self, *, note: str | None = None, po_box: bool = False) -> str:
        """Create the next customer's order; return its id."""
        name, street, city, state, postal_code = _CUSTOMERS[self.made % len(_CUSTOMERS)]
        first, last = name.split(" ", 1)
        products = self.product_ids[self.made % len(self.product_ids) :][:2] or self.product_ids
        self.made += 1
        address = {
            "addressee": name,
            "address1": "PO Box 1234" if po_box else street,
            "city": city,
            "province_code": state,
            "postal_code": postal_code,
            "country_code": "US",
            "country_name": "United States",
        }
        payload: dict[str, Any] = {
            "consumer": {"first_name": first, "last_name": last},
            "shipping_address": address,
            "email": f"{first.lower()}.{last.lower().replace(' ', '')}@example.com",
            "client_custom_order_id": f"DEMO-{self.made:04d}",
            "order_lines": [
                {
                    "duration": 30,
                    "pouches": [
                        {
                            "time_of_administration": "Morning",
                            "contents": [{"client_product_id": pid} for pid in products],
                        }
                    ],
                }
            ],
        }
        if note is not None:
            payload["note"] = note
        order: dict[str, Any] = self.sim.create_order(payload)
        return str(order["id"])


def load_demo(sim: Simulator) -> DemoSummary:
    """Fill a world with 12 orders, driving its clock forward `DEMO_SPAN` from its now.

    Three waves: five orders at the start (three get all the way to Delivered; two stay
    Shipped through the test trigger `okc-test:delay-delivery`); four orders two days
    before the end, past one nightly batch (two held at Accepted by
    `okc-test:delay-production`, one canceled by its client before the batch, and one an
    operator starts producing at the end, so it is In Production); and three at the end
    itself: two Pending and one On Hold because its address is a PO box.

    Args:
        sim: a simulator whose clock is frozen; the caller sets its mode afterwards.

    Returns:
        How many orders ended in each status.

    Raises:
        ValueError: the simulator's clock is running (the waves would not line up).
    """
    if sim.clock_state()["mode"] != "frozen":
        raise ValueError("The demo needs a frozen clock; set the clock's mode after loading it.")
    end = sim.now + DEMO_SPAN
    make = _Maker(sim)
    for _ in range(3):
        make.order()
    for _ in range(2):
        make.order(note=f"In transit a while: okc-test:delay-delivery={_IN_TRANSIT_DAYS}")
    sim.advance(to=end - _RECENT)
    accepted_note = f"Produce later: okc-test:delay-production={_NOT_BEFORE_DAYS}"
    for _ in range(2):
        make.order(note=accepted_note)
    producing = make.order(note=accepted_note)
    canceled = make.order(note="Changed my mind.")
    sim.cancel_order(canceled)
    sim.advance(to=end)
    sim.force(producing, Event.START_PRODUCTION, "demo: production started early")
    for _ in range(2):
        make.order(note="Leave at the front desk.")
    make.order(po_box=True)
    counts = Counter(order["status"] for order in _all_orders(sim))
    return DemoSummary(dict(counts))


def _all_orders(sim: Simulator) -> list[dict[str, Any]]:
    """Every order of the default client, following the pages."""
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page = sim.list_orders(limit=250, cursor=cursor)
        found.extend(page["orders"])
        cursor = page.get("next_cursor")
        if not cursor:
            return found
