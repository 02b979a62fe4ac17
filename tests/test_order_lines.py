"""Tests that updating order lines edits the items named by id and loses nothing else."""

from __future__ import annotations

from typing import Any

import pytest

from lifecycle import UpdateRejected, ViolationCode
from simulator import Simulator

ADDRESS = {
    "address1": "742 Evergreen Terrace",
    "city": "Portland",
    "province_code": "OR",
    "postal_code": "97201",
    "country_name": "United States",
}


@pytest.fixture
def sim() -> Simulator:
    """A frozen world on a Monday morning."""
    return Simulator(start="2026-11-23T17:00:00Z", seed=3)


def create(sim: Simulator, **line: Any) -> dict[str, Any]:
    """An order with one line of one Morning pouch of the first catalogue product."""
    product = sim.list_products()[0]["id"]
    pouch = {"time_of_administration": "Morning", "contents": [{"client_product_id": product}]}
    body = {
        "consumer": {"first_name": "Ann", "last_name": "Lee"},
        "shipping_address": ADDRESS,
        "order_lines": [{"pouches": [pouch], **line}],
    }
    return sim.create_order(body)


class TestMerge:
    """Items with an id are edited in place; the rest stays."""

    def test_editing_a_pouch_keeps_its_contents(self, sim: Simulator) -> None:
        """Changing a pouch's time of administration keeps its supplements and the price."""
        order = create(sim)
        line = order["order_lines"][0]
        pouch = line["pouches"][0]
        change = {
            "id": line["id"],
            "pouches": [{"id": pouch["id"], "time_of_administration": "Evening"}],
        }
        updated = sim.update_order(order["id"], {"order_lines": [change]})
        edited = updated["order_lines"][0]["pouches"][0]
        assert edited["time_of_administration"] == "Evening"
        assert edited["contents"] == pouch["contents"]
        assert updated["total"] == order["total"]

    def test_a_line_without_id_is_added(self, sim: Simulator) -> None:
        """A new line joins the existing one, and the total grows."""
        order = create(sim)
        product = sim.list_products()[1]["id"]
        new = {"pouches": [{"contents": [{"client_product_id": product}]}]}
        updated = sim.update_order(order["id"], {"order_lines": [new]})
        assert updated["order_lines"][0]["id"] == order["order_lines"][0]["id"]
        assert len(updated["order_lines"]) == 2
        assert updated["total"] > order["total"]

    def test_is_deleted_removes_a_line(self, sim: Simulator) -> None:
        """`is_deleted: true` removes the line it names."""
        order = create(sim)
        line_id = order["order_lines"][0]["id"]
        updated = sim.update_order(
            order["id"], {"order_lines": [{"id": line_id, "is_deleted": True}]}
        )
        assert updated["order_lines"] == []

    def test_unknown_id_is_refused_and_nothing_changes(self, sim: Simulator) -> None:
        """An id the order does not have is a 422 naming its path; the order is unchanged."""
        order = create(sim)
        stranger = create(sim)["order_lines"][0]["id"]  # another order's line
        with pytest.raises(UpdateRejected) as caught:
            sim.update_order(order["id"], {"order_lines": [{"id": stranger, "duration": 5}]})
        (violation,) = caught.value.violations
        assert violation.field == "order_lines[0].id"
        assert violation.code is ViolationCode.UNKNOWN_REFERENCE
        assert sim.get_order(order["id"]) == order

    def test_ids_sent_on_create_are_replaced(self, sim: Simulator) -> None:
        """The server gives ids; one sent with a new line is not kept."""
        chosen = "d290f1ee-6c54-4b01-90e6-d701748f0851"
        order = create(sim, id=chosen)
        assert order["order_lines"][0]["id"] != chosen
