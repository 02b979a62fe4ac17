"""Tests for the simulator engine's Python API: `simulator.Simulator`."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from payloads import BAD_ADDRESSES, HOLD_STREET_ADDRESS, address, order_payload

from lifecycle import (
    FINAL,
    IllegalTransition,
    OrderStatus,
    UpdateRejected,
    ViolationCode,
    actor_of,
    check_history,
)
from simulator import (
    BadRequest,
    ClockRefused,
    NotFound,
    Simulator,
    StoreError,
    Unauthorized,
    parse_profile,
    validate_address,
    validate_tracking_number,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from simulator import OperationsProfile

START = "2026-03-02T12:00:00Z"
"""A Monday, 04:00 in Los Angeles; the first batch is Tuesday 2026-03-03 00:00 PST."""
FIRST_BATCH = datetime(2026, 3, 3, 8, tzinfo=UTC)
ALICE = ("alice@example.com", "alice-secret")
BOB = ("bob@example.com", "bob-secret")
DAY = 86_400


class FakeMonotonic:
    """A real-time source the test moves by hand; optionally, every read lets `step` pass."""

    def __init__(self) -> None:
        """Start at an arbitrary real time."""
        self.value = 5_000.0
        self.step = 0.0

    def __call__(self) -> float:
        """Read the fake real time."""
        self.value += self.step
        return self.value


def make_sim(start: str = START, seed: int = 7, **settings: Any) -> Simulator:
    """A frozen simulator with two clients, Alice (the default) and Bob."""
    return Simulator(start=start, seed=seed, clients=(ALICE, BOB), **settings)


@pytest.fixture
def sim() -> Iterator[Simulator]:
    """A fresh two-client simulator at START."""
    world = make_sim()
    yield world
    world.close()


def create(sim: Simulator, client: str | None = None, **fields: Any) -> dict[str, Any]:
    """Create a valid order for a client (Alice by default), with fields changed."""
    product = sim.list_products(client)[0]["id"]
    return sim.create_order(order_payload(product, **fields), client)


def instant(text: str) -> datetime:
    """Parse an instant the simulator wrote."""
    return datetime.fromisoformat(text)


def statuses(sim: Simulator, order_id: str) -> list[str]:
    """The statuses an order has been through, oldest first."""
    return [entry["to"] for entry in sim.history(order_id)]


def reached(sim: Simulator, order_id: str, status: OrderStatus) -> datetime:
    """When an order reached a status (it must have)."""
    for entry in sim.history(order_id):
        if entry["to"] == status.value:
            return instant(entry["at"])
    pytest.fail(f"order never reached {status.value}: {statuses(sim, order_id)}")


def violations(error: pytest.ExceptionInfo[UpdateRejected]) -> list[tuple[str, ViolationCode]]:
    """The (field, code) pairs of a rejection."""
    return [(v.field, v.code) for v in error.value.violations]


def legal(sim: Simulator, order_id: str) -> list[Any]:
    """`check_history` on an order's complete history, on the simulator's calendar."""
    entries = [(instant(e["at"]), e["to"]) for e in sim.history(order_id)]
    return check_history(entries, calendar=sim.calendar)


def profile(text: str) -> OperationsProfile:
    """An operations profile from TOML laid over the default."""
    return parse_profile(text, source="test")


class TestCreate:
    """Creating orders: status, address review, references."""

    def test_valid_order_is_pending(self, sim: Simulator) -> None:
        """A valid order starts Pending, named and stamped at the simulated now."""
        order = create(sim)
        assert order["status"] == "Pending"
        assert order["created_at"] == order["updated_at"] == START
        assert sim.get_order(order["id"]) == order
        assert statuses(sim, order["id"]) == ["Pending"]

    @pytest.mark.parametrize(
        ("problem", "words"),
        [
            ("po_box", "PO box"),
            ("postal_code_state_mismatch", "is not in California"),
            ("postal_code_format", "is not a US ZIP code"),
        ],
    )
    def test_address_needing_review_puts_order_on_hold(
        self, sim: Simulator, problem: str, words: str
    ) -> None:
        """An address that fails a check creates the order On Hold, the reason in its history."""
        order = create(sim, shipping_address=BAD_ADDRESSES[problem])
        assert order["status"] == "On Hold"
        (entry,) = sim.history(order["id"])
        assert entry["to"] == "On Hold"
        assert "address needs review" in entry["reason"]
        assert words in entry["reason"]

    def test_hold_street_trigger_puts_order_on_hold(self, sim: Simulator) -> None:
        """The `1 Hold Street` address (any case and spacing) needs review though it is valid."""
        order = create(sim, shipping_address=HOLD_STREET_ADDRESS)
        assert order["status"] == "On Hold"
        assert "test trigger" in sim.history(order["id"])[0]["reason"]

    def test_client_may_create_on_hold(self, sim: Simulator) -> None:
        """A create asking for On Hold starts On Hold, and the batch leaves it alone."""
        order = create(sim, status="On Hold")
        sim.advance(seconds=2 * DAY)
        assert statuses(sim, order["id"]) == ["On Hold"]

    def test_unknown_product_rejected_naming_the_path(self, sim: Simulator) -> None:
        """A product outside the client's catalogue (here Bob's) is refused, naming its path."""
        bobs_product = sim.list_products(BOB[0])[0]["id"]
        with pytest.raises(UpdateRejected) as error:
            sim.create_order(order_payload(bobs_product))
        assert violations(error) == [
            (
                "order_lines[0].pouches[0].contents[0].client_product_id",
                ViolationCode.UNKNOWN_REFERENCE,
            )
        ]
        assert sim.count_orders() == 0

    def test_duplicate_client_custom_order_id_rejected(self, sim: Simulator) -> None:
        """A second order with the same client_custom_order_id is refused for that client only."""
        first = create(sim, client_custom_order_id="shop-1")
        with pytest.raises(UpdateRejected) as error:
            create(sim, client_custom_order_id="shop-1")
        assert violations(error) == [("client_custom_order_id", ViolationCode.DUPLICATE)]
        assert first["id"] in str(error.value)
        assert create(sim, BOB[0], client_custom_order_id="shop-1")["status"] == "Pending"
        assert sim.count_orders() == 1

    def test_existing_consumer_by_id(self, sim: Simulator) -> None:
        """An order may name an existing consumer of the client by id."""
        consumer = sim.create_consumer({"first_name": "Grace", "last_name": "Hopper"})
        order = create(sim, consumer={"id": consumer["id"]})
        assert order["consumer"]["id"] == consumer["id"]
        assert order["consumer"]["last_name"] == "Hopper"
        assert len(sim.list_consumers()) == 1

    @pytest.mark.parametrize("owner", ["nobody", "bob"])
    def test_unknown_consumer_id_rejected(self, sim: Simulator, owner: str) -> None:
        """A consumer id the client does not have (unknown, or Bob's) is refused."""
        if owner == "bob":
            consumer_id = sim.create_consumer({"first_name": "B", "last_name": "B"}, BOB[0])["id"]
        else:
            consumer_id = "00000000-0000-4000-8000-000000000001"
        with pytest.raises(UpdateRejected) as error:
            create(sim, consumer={"id": consumer_id})
        assert violations(error) == [("consumer.id", ViolationCode.UNKNOWN_REFERENCE)]

    def test_misspelt_trigger_rejected(self, sim: Simulator) -> None:
        """An unknown `okc-test:` token is refused rather than silently ignored."""
        with pytest.raises(UpdateRejected) as error:
            create(sim, note="please okc-test:holdd")
        assert violations(error) == [("note", ViolationCode.MALFORMED)]
        assert "okc-test:hold" in str(error.value)

    def test_order_by_client_order_id(self, sim: Simulator) -> None:
        """An order is found by its client_custom_order_id."""
        order = create(sim, client_custom_order_id="shop-9")
        assert sim.get_order_by_client_order_id("shop-9")["id"] == order["id"]
        with pytest.raises(NotFound):
            sim.get_order_by_client_order_id("shop-10")


class TestUpdate:
    """Client updates: fields, address review, the edit window."""

    def test_address_change_while_pending(self, sim: Simulator) -> None:
        """A valid new address is stored, the order stays Pending and the change is logged."""
        order = create(sim)
        sim.advance(seconds=60)
        new = address(address1="1 Market Street", postal_code="94103")
        updated = sim.update_order(order["id"], {"shipping_address": new})
        assert updated["status"] == "Pending"
        assert updated["shipping_address"]["address1"] == "1 Market Street"
        assert updated["updated_at"] == "2026-03-02T12:01:00Z"
        columns = [row["column_name"] for row in sim.transaction_logs(order["id"])]
        assert columns == ["status", "shipping_address"]

    def test_bad_address_puts_pending_order_on_hold(self, sim: Simulator) -> None:
        """A Pending order whose address changes to a failing one goes On Hold, with the reason."""
        order = create(sim)
        updated = sim.update_order(order["id"], {"shipping_address": BAD_ADDRESSES["po_box"]})
        assert updated["status"] == "On Hold"
        last = sim.history(order["id"])[-1]
        assert (last["from"], last["to"], last["actor"]) == ("Pending", "On Hold", "operations")
        assert "PO box" in last["reason"]

    def test_release_refused_while_address_fails(self, sim: Simulator) -> None:
        """Setting a held order back to Pending is refused while its address still fails."""
        order = create(sim, shipping_address=BAD_ADDRESSES["postal_code_format"])
        with pytest.raises(UpdateRejected) as error:
            sim.update_order(order["id"], {"status": "Pending"})
        assert violations(error) == [("status", ViolationCode.ADDRESS_NEEDS_REVIEW)]
        assert sim.get_order(order["id"])["status"] == "On Hold"

    def test_release_refusal_says_why_and_what_to_do(self, sim: Simulator) -> None:
        """The refused release names the address problem and the way out of On Hold."""
        bad = BAD_ADDRESSES["postal_code_format"]
        order = create(sim, shipping_address=bad)
        with pytest.raises(UpdateRejected) as error:
            sim.update_order(order["id"], {"status": "Pending"})
        review = "; ".join(problem.message for problem in validate_address(bad))
        expected = (
            f"The order stays On Hold: its shipping address needs review ({review}). "
            "Fix shipping_address, then set status to Pending."
        )
        assert [v.message for v in error.value.violations] == [expected]

    def test_release_accepted_after_fixing_the_address(self, sim: Simulator) -> None:
        """Fixing the address keeps the order On Hold; then the client may release it."""
        order = create(sim, shipping_address=BAD_ADDRESSES["po_box"])
        fixed = sim.update_order(order["id"], {"shipping_address": address()})
        assert fixed["status"] == "On Hold"
        assert sim.update_order(order["id"], {"status": "Pending"})["status"] == "Pending"
        sim.advance(to=FIRST_BATCH)
        assert statuses(sim, order["id"]) == ["On Hold", "Pending", "Accepted"]

    def test_fix_and_release_in_one_request(self, sim: Simulator) -> None:
        """A new valid address and status Pending in one request release the order."""
        order = create(sim, shipping_address=HOLD_STREET_ADDRESS)
        released = sim.update_order(
            order["id"], {"shipping_address": address(), "status": "Pending"}
        )
        assert released["status"] == "Pending"

    @pytest.mark.parametrize("field", ["total", "source", "state", "name", "created_at"])
    def test_read_only_field_rejected(self, sim: Simulator, field: str) -> None:
        """Sending a read-only field is refused, naming the field."""
        order = create(sim)
        with pytest.raises(UpdateRejected) as error:
            sim.update_order(order["id"], {field: "x"})
        assert violations(error) == [(field, ViolationCode.READ_ONLY)]

    def test_edit_after_accepted_says_contact_support(self, sim: Simulator) -> None:
        """An edit to an Accepted order is refused with 'contact support'."""
        order = create(sim)
        sim.advance(to=FIRST_BATCH)
        with pytest.raises(UpdateRejected) as error:
            sim.update_order(order["id"], {"note": "gift wrap"})
        assert violations(error) == [("order", ViolationCode.CONTACT_SUPPORT)]
        assert "contact OK Capsule support" in str(error.value)

    def test_edit_in_production_not_editable(self, sim: Simulator) -> None:
        """An edit to an order In Production is refused as no longer editable."""
        order = create(sim)
        sim.force(order["id"], "accept")
        sim.force(order["id"], "start_production")
        with pytest.raises(UpdateRejected) as error:
            sim.update_order(order["id"], {"note": "gift wrap"})
        assert violations(error) == [("order", ViolationCode.NOT_EDITABLE)]

    def test_no_op_update_changes_nothing(self, sim: Simulator) -> None:
        """An update that changes no value leaves updated_at and the log alone."""
        order = create(sim)
        sim.advance(seconds=60)
        same = sim.update_order(order["id"], {"note": None, "status": "Pending"})
        assert same["updated_at"] == START
        assert len(sim.transaction_logs(order["id"])) == 1

    def test_client_hold_and_release(self, sim: Simulator) -> None:
        """A client may hold a Pending order (the batch skips it) and release it again."""
        order = create(sim)
        sim.update_order(order["id"], {"status": "On Hold"})
        sim.advance(to=FIRST_BATCH)
        assert sim.get_order(order["id"])["status"] == "On Hold"
        sim.update_order(order["id"], {"status": "Pending"})
        sim.advance(seconds=DAY)
        assert statuses(sim, order["id"]) == ["Pending", "On Hold", "Pending", "Accepted"]

    @pytest.mark.parametrize("owner", ["nobody", "bob"])
    def test_unknown_consumer_id_rejected(self, sim: Simulator, owner: str) -> None:
        """An update naming a consumer the client does not have is refused, not NotFound."""
        order = create(sim)
        if owner == "bob":
            consumer_id = sim.create_consumer({"first_name": "B", "last_name": "B"}, BOB[0])["id"]
        else:
            consumer_id = "00000000-0000-4000-8000-000000000001"
        with pytest.raises(UpdateRejected) as error:
            sim.update_order(order["id"], {"consumer": {"id": consumer_id}, "note": "x"})
        assert violations(error) == [("consumer.id", ViolationCode.UNKNOWN_REFERENCE)]
        assert sim.get_order(order["id"]) == order

    def test_switch_to_another_existing_consumer(self, sim: Simulator) -> None:
        """An update may point the order at another of the client's consumers."""
        order = create(sim)
        other = sim.create_consumer({"first_name": "Grace", "last_name": "Hopper"})
        updated = sim.update_order(order["id"], {"consumer": {"id": other["id"]}})
        assert updated["consumer"]["id"] == other["id"]

    def test_unknown_product_rejected(self, sim: Simulator) -> None:
        """An update with a product outside the client's catalogue is refused, naming its path."""
        order = create(sim)
        lines = order_payload(sim.list_products(BOB[0])[0]["id"])["order_lines"]
        with pytest.raises(UpdateRejected) as error:
            sim.update_order(order["id"], {"order_lines": lines})
        assert violations(error) == [
            (
                "order_lines[0].pouches[0].contents[0].client_product_id",
                ViolationCode.UNKNOWN_REFERENCE,
            )
        ]

    def test_transaction_log_has_a_row_per_changed_field(self, sim: Simulator) -> None:
        """The log holds the create, each change's old and new text ("" for none), and the batch."""
        order = create(sim, note="first")
        sim.update_order(order["id"], {"note": "second", "phone_number": "+14155550100"})
        sim.advance(to=FIRST_BATCH)
        rows = [
            (r["column_name"], r["old_data"], r["new_data"], r["event_type"], r["actor"])
            for r in sim.transaction_logs(order["id"])
        ]
        assert rows == [
            ("status", "", "Pending", "INSERT", "client"),
            ("note", "first", "second", "UPDATE", "client"),
            ("phone_number", "", "+14155550100", "UPDATE", "client"),
            ("status", "Pending", "Accepted", "UPDATE", "batch"),
        ]
        done_by = [r["done_by"] for r in sim.transaction_logs(order["id"])]
        assert done_by[:3] == [sim.client_id()] * 3
        assert done_by[3] != sim.client_id()

    def test_unknown_order_not_found(self, sim: Simulator) -> None:
        """Updating an order that does not exist is NotFound."""
        with pytest.raises(NotFound):
            sim.update_order("00000000-0000-4000-8000-000000000009", {"note": "x"})


class TestCancel:
    """Client cancellation under the status rules."""

    @pytest.mark.parametrize("start_status", ["Pending", "On Hold"])
    def test_cancel_while_editable(self, sim: Simulator, start_status: str) -> None:
        """A Pending or On Hold order can be canceled; the batch then leaves it alone."""
        order = create(sim, status=start_status)
        assert sim.cancel_order(order["id"])["status"] == "Canceled by Client"
        sim.advance(seconds=2 * DAY)
        assert statuses(sim, order["id"])[-1] == "Canceled by Client"

    def test_cancel_after_accepted_says_contact_support(self, sim: Simulator) -> None:
        """Canceling an Accepted order is refused, telling the client to contact support."""
        order = create(sim)
        sim.advance(to=FIRST_BATCH)
        with pytest.raises(UpdateRejected) as error:
            sim.cancel_order(order["id"])
        assert violations(error) == [("order", ViolationCode.CONTACT_SUPPORT)]
        assert "to cancel it now, contact OK Capsule support" in str(error.value)
        assert sim.get_order(order["id"])["status"] == "Accepted"

    def test_canceled_is_final(self, sim: Simulator) -> None:
        """A canceled order can be neither canceled again nor released."""
        order = create(sim)
        sim.cancel_order(order["id"])
        for request in ({"status": "Canceled by Client"}, {"status": "Pending"}):
            with pytest.raises(UpdateRejected) as error:
                sim.update_order(order["id"], request)
            assert violations(error) == [("order", ViolationCode.NOT_EDITABLE)]
        with pytest.raises(IllegalTransition):
            sim.force(order["id"], "release")
        assert statuses(sim, order["id"]) == ["Pending", "Canceled by Client"]


class TestNightlyBatch:
    """The batch at 00:00 Los Angeles wall time."""

    def test_created_one_microsecond_before_midnight_is_accepted_at_midnight(self) -> None:
        """An order created 1 µs before the batch is Accepted exactly at the batch."""
        sim = make_sim(start="2026-03-03T07:59:59.999999Z")
        order = create(sim)
        result = sim.advance(seconds=0.000001)
        assert result.now == FIRST_BATCH
        assert result.events_applied == 1
        assert reached(sim, order["id"], OrderStatus.ACCEPTED) == FIRST_BATCH
        assert sim.get_order(order["id"])["updated_at"] == "2026-03-03T08:00:00Z"

    def test_created_at_the_batch_instant_waits_for_the_next_night(self) -> None:
        """An order created exactly at the batch instant is accepted by the next night's batch."""
        sim = make_sim(start="2026-03-03T08:00:00Z")
        order = create(sim)
        sim.advance(seconds=DAY - 1)
        assert sim.get_order(order["id"])["status"] == "Pending"
        sim.advance(seconds=1)
        assert reached(sim, order["id"], OrderStatus.ACCEPTED) == FIRST_BATCH + timedelta(days=1)

    def test_released_at_the_batch_instant_waits_for_the_next_night(self, sim: Simulator) -> None:
        """An order released exactly at the batch instant is accepted by the next night's batch."""
        order = create(sim, status="On Hold")
        sim.advance(to=FIRST_BATCH)
        sim.update_order(order["id"], {"status": "Pending"})
        sim.advance(seconds=DAY - 1)
        assert sim.get_order(order["id"])["status"] == "Pending"
        sim.advance(seconds=1)
        assert sim.get_order(order["id"])["status"] == "Accepted"

    @pytest.mark.parametrize(
        ("created", "batch"),
        [
            ("2026-03-07T12:00:00Z", "2026-03-08T08:00:00Z"),  # last PST midnight
            ("2026-03-08T12:00:00Z", "2026-03-09T07:00:00Z"),  # first PDT midnight
            ("2026-10-31T12:00:00Z", "2026-11-01T07:00:00Z"),  # last PDT midnight
            ("2026-11-01T12:00:00Z", "2026-11-02T08:00:00Z"),  # first PST midnight
        ],
    )
    def test_batch_follows_daylight_saving(self, created: str, batch: str) -> None:
        """Around the DST switches the batch runs at local midnight: 08:00 or 07:00 UTC."""
        sim = make_sim(start=created)
        order = create(sim)
        sim.advance(seconds=2 * DAY)
        assert reached(sim, order["id"], OrderStatus.ACCEPTED) == instant(batch)
        assert sim.clock_state()["timezone"] == "America/Los_Angeles"

    def test_fixed_pst_batch_ignores_daylight_saving(self) -> None:
        """With the fixed UTC-8 zone the batch stays at 08:00 UTC in summer."""
        sim = make_sim(start="2026-03-08T12:00:00Z", timezone="UTC-8")
        order = create(sim)
        assert sim.clock_state()["next_batch_at"] == "2026-03-09T08:00:00Z"
        sim.advance(seconds=2 * DAY)
        assert reached(sim, order["id"], OrderStatus.ACCEPTED) == instant("2026-03-09T08:00:00Z")

    def test_batch_accepts_every_clients_pending_orders_only(self, sim: Simulator) -> None:
        """The batch accepts every Pending order of every client, and no held or canceled one."""
        pending = [create(sim)["id"], create(sim, BOB[0])["id"]]
        held = create(sim, status="On Hold")["id"]
        canceled = create(sim)["id"]
        sim.cancel_order(canceled)
        result = sim.advance(to=FIRST_BATCH)
        assert result.events_applied == 2
        assert [sim.history(i)[-1]["actor"] for i in pending] == ["batch", "batch"]
        assert [statuses(sim, i)[-1] for i in pending] == ["Accepted", "Accepted"]
        assert statuses(sim, held) == ["On Hold"]
        assert statuses(sim, canceled) == ["Pending", "Canceled by Client"]

    def test_advance_refuses_to_go_backwards(self, sim: Simulator) -> None:
        """Time never moves backwards: an earlier target or a negative amount is refused."""
        with pytest.raises(ClockRefused):
            sim.advance(to="2026-03-02T11:59:59Z")
        with pytest.raises(ClockRefused):
            sim.advance(seconds=-1)
        assert sim.now == instant(START)

    @pytest.mark.parametrize(
        "request_",
        [
            {"to": datetime(2026, 3, 4)},
            {"to": "2026-03-04T00:00:00"},
            {"seconds": 1e20},
            {"seconds": float("nan")},
            {"seconds": 1, "to": "2026-03-04T00:00:00Z"},
            {},
        ],
    )
    def test_unusable_advance_refused(self, sim: Simulator, request_: dict[str, Any]) -> None:
        """A naive target, an amount past the calendar's end, or not one argument is refused."""
        with pytest.raises(ValueError) as error:
            sim.advance(**request_)
        assert isinstance(error.value, (ClockRefused, BadRequest))
        assert sim.now == instant(START)


class TestTicks:
    """After acceptance: 6-hourly ticks, business days, holidays."""

    def test_operations_steps_fall_on_business_day_ticks(self) -> None:
        """Production and shipping happen at ticks on business days, delivery at any tick."""
        sim = make_sim(start="2026-11-20T18:00:00Z")
        ids = []
        for _ in range(16):
            ids.append(create(sim)["id"])
            sim.advance(seconds=DAY // 2 + 3_600)
        sim.advance(seconds=20 * DAY)
        seen: set[str] = set()
        for order_id in ids:
            assert statuses(sim, order_id)[-1] == "Delivered"
            assert legal(sim, order_id) == []
            for entry in sim.history(order_id)[2:]:
                at = instant(entry["at"])
                seen.add(entry["event"])
                assert sim.calendar.is_status_tick(at), entry
                if entry["event"] in {"start_production", "ship"}:
                    assert sim.calendar.business_day_of(at), entry
                    assert sim.calendar.local_date(at) != date(2026, 11, 26), entry
        assert seen == {"start_production", "ship", "deliver"}

    @pytest.mark.parametrize(
        ("holidays", "production_starts"),
        [
            ("", "2026-11-27T08:00:00Z"),  # Thanksgiving skipped: Friday 00:00 PST
            ("holidays = []", "2026-11-26T14:00:00Z"),  # no holidays: Thursday 06:00 PST
        ],
    )
    def test_thanksgiving_from_the_profile_is_honoured(
        self, holidays: str, production_starts: str
    ) -> None:
        """An order accepted on Thanksgiving starts production on the next business day."""
        ops = profile(f"production_start_business_days = [0, 0]\n{holidays}")
        sim = make_sim(start="2026-11-25T20:00:00Z", profile=ops)
        order = create(sim)
        sim.advance(seconds=3 * DAY)
        assert reached(sim, order["id"], OrderStatus.ACCEPTED) == instant("2026-11-26T08:00:00Z")
        assert reached(sim, order["id"], OrderStatus.IN_PRODUCTION) == instant(production_starts)

    def test_custom_holiday_from_the_profile_is_honoured(self) -> None:
        """A holiday the profile adds holds production back a business day."""
        ops = profile('production_start_business_days = [0, 0]\nholidays = ["2026-03-03"]')
        sim = make_sim(profile=ops)
        order = create(sim)
        sim.advance(seconds=2 * DAY)
        # Accepted at the Tuesday batch; Tuesday is the holiday, so Wednesday 00:00 PST.
        assert reached(sim, order["id"], OrderStatus.IN_PRODUCTION) == instant(
            "2026-03-04T08:00:00Z"
        )

    def test_weekend_acceptance_waits_for_monday(self) -> None:
        """An order accepted on Saturday starts production no earlier than Monday."""
        sim = make_sim(start="2026-03-06T20:00:00Z")  # Friday
        order = create(sim)
        sim.advance(seconds=5 * DAY)
        assert reached(sim, order["id"], OrderStatus.ACCEPTED) == instant("2026-03-07T08:00:00Z")
        started = reached(sim, order["id"], OrderStatus.IN_PRODUCTION)
        assert started >= instant("2026-03-09T07:00:00Z")
        assert sim.calendar.local_date(started).weekday() < 5


class TestRandomOperations:
    """The profile's rates of random holds and cancellations."""

    @pytest.mark.parametrize(
        ("rates", "outcome"),
        [
            ("okc_cancel_rate = 1.0", "Canceled by OKC"),
            ("okc_hold_rate = 1.0", "On Hold"),
            ("", "Delivered"),
        ],
    )
    def test_rates_decide_every_orders_fate(self, rates: str, outcome: str) -> None:
        """At rate 1 every order is held or canceled after acceptance; at 0 (default) none is."""
        sim = make_sim(profile=profile(rates))
        ids = [create(sim)["id"] for _ in range(10)]
        sim.advance(seconds=20 * DAY)
        for order_id in ids:
            assert statuses(sim, order_id)[:2] == ["Pending", "Accepted"]
            assert statuses(sim, order_id)[-1] == outcome
            assert legal(sim, order_id) == []


def twin_orders(note: str, start: str = START) -> tuple[Simulator, str, Simulator, str]:
    """Two worlds with the same seed and calls; the first order carries `note`, the other none."""
    worlds = []
    for text in (note, None):
        world = make_sim(start=start)
        worlds.append((world, create(world, note=text)["id"]))
    (marked, marked_id), (plain, plain_id) = worlds
    assert marked_id == plain_id
    return marked, marked_id, plain, plain_id


class TestTriggers:
    """Test triggers in the note reach their documented outcome."""

    @pytest.mark.parametrize(
        ("note", "path"),
        [
            ("okc-test:cancel", ["Pending", "Accepted", "Canceled by OKC"]),
            ("okc-test:hold", ["Pending", "Accepted", "On Hold"]),
            ("okc-test:fail", ["Pending", "Accepted", "In Production", "Error"]),
            ("okc-test:return", ["Pending", "Accepted", "In Production", "Shipped", "Returned"]),
        ],
    )
    def test_trigger_reaches_its_status(self, sim: Simulator, note: str, path: list[str]) -> None:
        """Each outcome trigger takes the order to its documented status, and it stays there."""
        order = create(sim, note=f"Test order: {note.upper()}.")
        sim.advance(seconds=30 * DAY)
        assert statuses(sim, order["id"]) == path
        assert all(e["actor"] == "operations" for e in sim.history(order["id"])[2:])
        assert legal(sim, order["id"]) == []

    def test_address_review_trigger_holds_at_create(self, sim: Simulator) -> None:
        """The address-review trigger puts the order On Hold when it is created."""
        order = create(sim, note="okc-test:address-review")
        assert order["status"] == "On Hold"
        with pytest.raises(UpdateRejected):
            sim.update_order(order["id"], {"status": "Pending"})

    def test_delay_production_starts_n_business_days_later(self) -> None:
        """delay-production=3 starts production 3 business days later than without it."""
        marked, marked_id, plain, plain_id = twin_orders("okc-test:delay-production=3")
        for world in (marked, plain):
            world.advance(seconds=15 * DAY)
        late = reached(marked, marked_id, OrderStatus.IN_PRODUCTION)
        usual = reached(plain, plain_id, OrderStatus.IN_PRODUCTION)
        expected_day = plain.calendar.add_business_days(plain.calendar.local_date(usual), 3)
        assert marked.calendar.local_date(late) == expected_day
        assert statuses(marked, marked_id)[-1] == "Delivered"

    def test_delay_delivery_adds_n_days_in_transit(self) -> None:
        """delay-delivery=4 delivers exactly 4 days later than without it."""
        marked, marked_id, plain, plain_id = twin_orders(
            "okc-test:delay-delivery=4", start="2026-04-06T12:00:00Z"
        )
        for world in (marked, plain):
            world.advance(seconds=20 * DAY)
        assert reached(marked, marked_id, OrderStatus.SHIPPED) == reached(
            plain, plain_id, OrderStatus.SHIPPED
        )
        late = reached(marked, marked_id, OrderStatus.DELIVERED)
        assert late - reached(plain, plain_id, OrderStatus.DELIVERED) == timedelta(days=4)
        (fulfillment,) = marked.list_fulfillments(marked_id)
        assert instant(fulfillment["delivery_date"]) == late

    def test_trigger_added_by_update_applies(self, sim: Simulator) -> None:
        """A trigger written into the note by an update takes effect."""
        order = create(sim)
        sim.update_order(order["id"], {"note": "okc-test:cancel"})
        sim.advance(seconds=5 * DAY)
        assert statuses(sim, order["id"])[-1] == "Canceled by OKC"


class TestFulfillments:
    """Fulfillments appear when an order ships and are dated at delivery."""

    def test_fulfillment_created_at_ship_with_valid_tracking(self, sim: Simulator) -> None:
        """Shipping creates one fulfillment with a valid tracking number and dates."""
        order = create(sim)
        sim.advance(to=FIRST_BATCH)
        while sim.get_order(order["id"])["status"] != "Shipped":
            assert sim.list_fulfillments(order["id"]) == []
            sim.advance(seconds=6 * 3600)
        shipped = reached(sim, order["id"], OrderStatus.SHIPPED)
        (fulfillment,) = sim.list_fulfillments(order["id"])
        tracking = fulfillment["tracking_info"]
        assert validate_tracking_number(tracking["shipping_carrier"], tracking["tracking_number"])
        assert tracking["tracking_number"] in tracking["tracking_url"]
        assert tracking["shipping_method"]
        assert instant(fulfillment["pickup_date"]) == shipped
        expected = instant(fulfillment["delivery_date"])
        assert expected > shipped
        assert sim.calendar.is_status_tick(expected)
        assert fulfillment["order_id"] == order["id"]
        assert sim.get_fulfillment(fulfillment["id"]) == fulfillment
        assert sim.list_fulfillments() == [fulfillment]

        sim.advance(to=expected - timedelta(microseconds=1))
        assert sim.get_order(order["id"])["status"] == "Shipped"
        on_its_way = sim.get_fulfillment(fulfillment["id"])
        assert on_its_way["updated_at"] == on_its_way["pickup_date"]
        sim.advance(to=expected)
        assert reached(sim, order["id"], OrderStatus.DELIVERED) == expected
        delivered = sim.get_fulfillment(fulfillment["id"])
        assert instant(delivered["delivery_date"]) == expected
        assert delivered["updated_at"] == delivered["delivery_date"]

    def test_many_shipments_have_valid_tracking(self, sim: Simulator) -> None:
        """Every parcel's tracking number is valid for its carrier, across the carrier mix."""
        ids = [create(sim)["id"] for _ in range(20)]
        sim.advance(seconds=20 * DAY)
        fulfillments = sim.list_fulfillments()
        assert sorted(f["order_id"] for f in fulfillments) == sorted(ids)
        carriers = set()
        for fulfillment in fulfillments:
            tracking = fulfillment["tracking_info"]
            carriers.add(tracking["shipping_carrier"])
            assert validate_tracking_number(
                tracking["shipping_carrier"], tracking["tracking_number"]
            ), tracking
            delivered = reached(sim, fulfillment["order_id"], OrderStatus.DELIVERED)
            assert instant(fulfillment["delivery_date"]) == delivered
        assert len(carriers) > 1

    def test_unknown_fulfillment_not_found(self, sim: Simulator) -> None:
        """A fulfillment id that does not exist is NotFound."""
        with pytest.raises(NotFound):
            sim.get_fulfillment("00000000-0000-4000-8000-000000000000")


class TestListing:
    """Listing and counting orders: filters, limits, stable cursors."""

    @pytest.fixture
    def orders(self, sim: Simulator) -> list[dict[str, Any]]:
        """Four orders an hour apart: Pending, On Hold, Canceled, Pending (custom id 'c-4')."""
        made = [create(sim)]
        sim.advance(seconds=3600)
        made.append(create(sim, status="On Hold"))
        sim.advance(seconds=3600)
        made.append(create(sim, source="Shopify"))
        sim.cancel_order(made[-1]["id"])
        sim.advance(seconds=3600)
        made.append(create(sim, client_custom_order_id="c-4"))
        return made

    @staticmethod
    def names(sim: Simulator, filters: dict[str, Any] | None) -> list[str]:
        """The names of the orders one unpaged listing returns."""
        page = sim.list_orders(filters, limit=250)
        assert page["next_cursor"] is None
        assert sim.count_orders(filters) == len(page["orders"])
        return [order["name"] for order in page["orders"]]

    @pytest.mark.parametrize(
        ("filters", "expected"),
        [
            (None, [0, 1, 2, 3]),
            ({"status": "Pending"}, [0, 3]),
            ({"status": "On Hold,Canceled by Client"}, [1, 2]),
            ({"status": ["On Hold"]}, [1]),
            ({"source": "Shopify"}, [2]),
            ({"source": "v2 API"}, [0, 1, 3]),
            ({"client_custom_order_id": "c-4"}, [3]),
            ({"created_at": {"gte": "2026-03-02T13:00:00Z"}}, [1, 2, 3]),
            ({"created_at": {"gt": "2026-03-02T13:00:00Z"}}, [2, 3]),
            ({"created_at": {"lt": "2026-03-02T13:00:00Z"}}, [0]),
            (
                {"created_at": {"gte": "2026-03-02T13:00:00Z", "lte": "2026-03-02T14:00:00Z"}},
                [1, 2],
            ),
            ({"created_at": {"lte": datetime(2026, 3, 2, 12, tzinfo=UTC)}}, [0]),
            ({"updated_at": {"gte": "2026-03-02T14:00:00Z"}}, [2, 3]),
            ({"status": "Pending", "created_at": {"gt": "2026-03-02T12:00:00Z"}}, [3]),
        ],
    )
    def test_filters(
        self,
        sim: Simulator,
        orders: list[dict[str, Any]],
        filters: dict[str, Any] | None,
        expected: list[int],
    ) -> None:
        """Each filter (and their combination) selects exactly the matching orders, oldest first."""
        assert self.names(sim, filters) == [orders[i]["name"] for i in expected]

    def test_filter_by_name(self, sim: Simulator, orders: list[dict[str, Any]]) -> None:
        """The name filter finds one order by its OR- number."""
        assert self.names(sim, {"name": orders[2]["name"]}) == [orders[2]["name"]]

    @pytest.mark.parametrize(
        ("filters", "named"),
        [
            ({"colour": "red"}, "filter[colour]"),
            ({"status": "Lost"}, "filter[status]"),
            ({"status": ""}, "filter[status]"),
            ({"name": []}, "filter[name]"),
            ({"created_at": "2026-03-02"}, "filter[created_at]"),
            ({"created_at": {"since": "2026-03-02T00:00:00Z"}}, "filter[created_at][since]"),
            ({"updated_at": {"gte": "yesterday"}}, "filter[updated_at][gte]"),
            ({"updated_at": {"gte": "2026-03-02T00:00:00"}}, "filter[updated_at][gte]"),
            ({"updated_at": {"lt": datetime(2026, 3, 2)}}, "filter[updated_at][lt]"),
            ({"created_at": {"lt": 17}}, "filter[created_at][lt]"),
        ],
    )
    def test_bad_filter_names_it(self, sim: Simulator, filters: dict[str, Any], named: str) -> None:
        """A bad filter, operator or value is BadRequest naming the filter, for list and count."""
        with pytest.raises(BadRequest) as listing:
            sim.list_orders(filters)
        assert listing.value.field == named
        assert named in str(listing.value)
        with pytest.raises(BadRequest) as counting:
            sim.count_orders(filters)
        assert counting.value.field == named

    @pytest.mark.parametrize("limit", [0, -1, 251, 1.5, True, "10"])
    def test_limit_out_of_bounds(self, sim: Simulator, limit: Any) -> None:
        """A limit that is not a whole number from 1 to 250 is BadRequest naming 'limit'."""
        with pytest.raises(BadRequest) as error:
            sim.list_orders(limit=limit)
        assert error.value.field == "limit"

    def test_limit_bounds_accepted(self, sim: Simulator, orders: list[dict[str, Any]]) -> None:
        """Limits 1 and 250 are accepted; the default is 50."""
        assert len(sim.list_orders(limit=1)["orders"]) == 1
        assert len(sim.list_orders(limit=250)["orders"]) == len(orders)
        for _ in range(50):
            create(sim)
        page = sim.list_orders()
        assert len(page["orders"]) == 50
        assert page["next_cursor"] is not None

    def test_paging_visits_every_order_once_in_order(self, sim: Simulator) -> None:
        """Following cursors returns every order exactly once, oldest first."""
        made = [create(sim)["id"] for _ in range(7)]
        seen: list[str] = []
        cursor = None
        while True:
            page = sim.list_orders(limit=3, cursor=cursor)
            seen.extend(order["id"] for order in page["orders"])
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == made

    def test_paging_is_stable_while_orders_change(self, sim: Simulator) -> None:
        """Orders Pending at page 1 are all listed once even after the batch accepts them."""
        pending = [create(sim)["id"] for _ in range(5)]
        held = create(sim, status="On Hold")["id"]
        first = sim.list_orders({"status": "Pending"}, limit=2)
        assert first["next_cursor"] is not None
        seen = [order["id"] for order in first["orders"]]

        sim.update_order(held, {"status": "Pending"})  # matches only after page 1
        sim.advance(to=FIRST_BATCH)
        late = create(sim)["id"]  # created after page 1
        assert sim.count_orders({"status": "Pending"}) == 1

        cursor = first["next_cursor"]
        while cursor is not None:
            page = sim.list_orders({"status": "Pending"}, limit=2, cursor=cursor)
            seen.extend(order["id"] for order in page["orders"])
            assert all(order["status"] == "Accepted" for order in page["orders"])
            cursor = page["next_cursor"]
        assert seen == pending
        assert late not in seen

    def test_paging_by_updated_at_is_stable(self, sim: Simulator) -> None:
        """An updated_at range is judged as of page 1, so touched orders are not skipped."""
        made = [create(sim)["id"] for _ in range(4)]
        window = {"updated_at": {"lte": START}}
        first = sim.list_orders(window, limit=1)
        sim.advance(seconds=60)
        for order_id in made:
            sim.update_order(order_id, {"note": "changed"})
        seen = [order["id"] for order in first["orders"]]
        cursor = first["next_cursor"]
        while cursor is not None:
            page = sim.list_orders(window, limit=1, cursor=cursor)
            seen.extend(order["id"] for order in page["orders"])
            cursor = page["next_cursor"]
        assert seen == made

    @pytest.mark.usefixtures("orders")
    def test_forged_cursor_refused(self, sim: Simulator) -> None:
        """A cursor the world did not issue, or one altered, is BadRequest naming 'cursor'."""
        cursor = sim.list_orders(limit=1)["next_cursor"]
        assert cursor is not None
        altered = cursor[:-2] + ("AA" if cursor[-2:] != "AA" else "BB")
        for forged in ("not-a-cursor", "", "é", altered):
            with pytest.raises(BadRequest) as error:
                sim.list_orders(limit=1, cursor=forged)
            assert error.value.field == "cursor"

    @pytest.mark.usefixtures("orders")
    def test_other_clients_cursor_refused(self, sim: Simulator) -> None:
        """Alice's cursor is refused to Bob."""
        cursor = sim.list_orders(limit=1)["next_cursor"]
        with pytest.raises(BadRequest, match="another client"):
            sim.list_orders(limit=1, cursor=cursor, client=BOB[0])

    @pytest.mark.usefixtures("orders")
    def test_cursor_for_other_filters_refused(self, sim: Simulator) -> None:
        """A cursor is refused when the next request's filters differ from the first's."""
        cursor = sim.list_orders(limit=1)["next_cursor"]
        with pytest.raises(BadRequest, match="other filters"):
            sim.list_orders({"status": "Pending"}, limit=1, cursor=cursor)

    @pytest.mark.usefixtures("orders")
    def test_cursor_from_before_reset_refused(self, sim: Simulator) -> None:
        """A cursor issued before a reset is refused after it."""
        cursor = sim.list_orders(limit=1)["next_cursor"]
        sim.reset()
        with pytest.raises(BadRequest) as error:
            sim.list_orders(limit=1, cursor=cursor)
        assert error.value.field == "cursor"

    @pytest.mark.usefixtures("orders")
    def test_count(self, sim: Simulator) -> None:
        """count_orders counts the client's orders that match now."""
        assert sim.count_orders() == 4
        assert sim.count_orders({"status": "Pending"}) == 2
        sim.advance(to=FIRST_BATCH)
        assert sim.count_orders({"status": "Pending"}) == 0
        assert sim.count_orders({"status": "Accepted"}) == 2
        assert sim.count_orders(client=BOB[0]) == 0


class TestTenantIsolation:
    """One client never sees or touches another's data."""

    @pytest.fixture
    def alices(self, sim: Simulator) -> dict[str, Any]:
        """An order of Alice's that has shipped, with a custom id."""
        order = create(sim, client_custom_order_id="alice-1")
        sim.advance(seconds=5 * DAY)
        assert sim.list_fulfillments(order["id"])
        return order

    def test_bob_cannot_reach_alices_order(self, sim: Simulator, alices: dict[str, Any]) -> None:
        """Get, update, cancel, logs and fulfillments of Alice's order are NotFound for Bob."""
        bob = BOB[0]
        order_id = alices["id"]
        (fulfillment,) = sim.list_fulfillments(order_id)
        calls: list[Callable[[], object]] = [
            lambda: sim.get_order(order_id, bob),
            lambda: sim.get_order_by_client_order_id("alice-1", bob),
            lambda: sim.update_order(order_id, {"note": "mine"}, bob),
            lambda: sim.cancel_order(order_id, bob),
            lambda: sim.transaction_logs(order_id, bob),
            lambda: sim.list_fulfillments(order_id, bob),
            lambda: sim.get_fulfillment(fulfillment["id"], bob),
        ]
        for call in calls:
            with pytest.raises(NotFound):
                call()
        assert "note" not in sim.get_order(order_id)

    def test_bob_lists_and_counts_only_his_own(
        self, sim: Simulator, alices: dict[str, Any]
    ) -> None:
        """Bob's list, count, fulfillments and consumers hold none of Alice's data."""
        bob = BOB[0]
        assert sim.list_orders(client=bob) == {"orders": [], "next_cursor": None}
        assert sim.count_orders(client=bob) == 0
        assert sim.list_fulfillments(client=bob) == []
        assert sim.list_consumers(bob) == []
        mine = create(sim, bob)
        assert [o["id"] for o in sim.list_orders(client=bob)["orders"]] == [mine["id"]]
        assert [o["id"] for o in sim.list_orders()["orders"]] == [alices["id"]]

    def test_orders_carry_their_clients_id(self, sim: Simulator) -> None:
        """Each order is stamped with the id of the client that created it."""
        assert create(sim)["client_id"] == sim.client_id(ALICE[0])
        assert create(sim, BOB[0])["client_id"] == sim.client_id(BOB[0])
        assert sim.client_id(ALICE[0]) != sim.client_id(BOB[0])

    def test_unknown_client_not_found(self, sim: Simulator) -> None:
        """A client the simulator does not know is NotFound."""
        with pytest.raises(NotFound):
            sim.list_orders(client="eve@example.com")


class TestTokens:
    """Authentication on the simulated clock."""

    def test_authenticate_and_authorize(self, sim: Simulator) -> None:
        """Good credentials give a bearer token that maps back to the client."""
        tokens = sim.authenticate(*BOB)
        assert tokens["token_type"] == "Bearer"
        assert tokens["expires_in"] == DAY
        assert sim.authorize(tokens["access_token"]) == sim.client_id(BOB[0])

    @pytest.mark.parametrize(
        "credentials", [(ALICE[0], BOB[1]), ("eve@example.com", "x"), (ALICE[0], "")]
    )
    def test_bad_credentials_refused(self, sim: Simulator, credentials: tuple[str, str]) -> None:
        """A wrong password or unknown email is Unauthorized."""
        with pytest.raises(Unauthorized):
            sim.authenticate(*credentials)

    def test_access_token_expires_after_24_simulated_hours(self, sim: Simulator) -> None:
        """An access token works for 24 simulated hours and not a microsecond longer."""
        token = sim.authenticate(*ALICE)["access_token"]
        sim.advance(seconds=DAY - 0.000001)
        assert sim.authorize(token) == sim.client_id()
        sim.advance(seconds=0.000001)
        with pytest.raises(Unauthorized, match="expired"):
            sim.authorize(token)

    def test_refresh_issues_a_working_access_token(self, sim: Simulator) -> None:
        """A refresh token gives a new access token after the old one expired."""
        tokens = sim.authenticate(*ALICE)
        sim.advance(seconds=2 * DAY)
        fresh = sim.refresh(tokens["refresh_token"])
        assert fresh["access_token"] != tokens["access_token"]
        assert sim.authorize(fresh["access_token"]) == sim.client_id()
        with pytest.raises(Unauthorized):
            sim.refresh(tokens["access_token"])
        with pytest.raises(Unauthorized):
            sim.authorize(tokens["refresh_token"])

    def test_reset_invalidates_tokens(self, sim: Simulator) -> None:
        """Access and refresh tokens issued before a reset stop working."""
        tokens = sim.authenticate(*ALICE)
        sim.reset()
        with pytest.raises(Unauthorized):
            sim.authorize(tokens["access_token"])
        with pytest.raises(Unauthorized):
            sim.refresh(tokens["refresh_token"])
        assert sim.authorize(sim.authenticate(*ALICE)["access_token"]) == sim.client_id()


# Operator event -> the forced events that first bring an order to where it is legal.
ROUTES: dict[str, tuple[str, ...]] = {
    "hold": (),
    "okc_hold": ("accept",),
    "release": ("hold",),
    "accept": (),
    "start_production": ("accept",),
    "ship": ("accept", "start_production"),
    "deliver": ("accept", "start_production", "ship"),
    "cancel_by_okc": ("accept", "start_production"),
    "void": ("accept",),
    "fail": ("accept", "start_production"),
    "return": ("accept", "start_production", "ship"),
    "replace": ("accept", "start_production", "ship", "deliver"),
}
OUTCOME: dict[str, str] = {
    "hold": "On Hold",
    "okc_hold": "On Hold",
    "release": "Pending",
    "accept": "Accepted",
    "start_production": "In Production",
    "ship": "Shipped",
    "deliver": "Delivered",
    "cancel_by_okc": "Canceled by OKC",
    "void": "Voided",
    "fail": "Error",
    "return": "Returned",
    "replace": "Replaced",
}


class TestOperatorEvents:
    """Operator events forced through `Simulator.force`."""

    @pytest.mark.parametrize("event", list(ROUTES))
    def test_forced_event_where_legal(self, sim: Simulator, event: str) -> None:
        """Each operator event moves an order to its status, logged with the table's actor."""
        order_id = create(sim)["id"]
        for step in ROUTES[event]:
            sim.force(order_id, step)
        forced = sim.force(order_id, event, "ops ticket 42")
        assert forced["status"] == OUTCOME[event]
        last = sim.history(order_id)[-1]
        meant = sim.operations.operator_event(event)  # "hold" and "release" mean OKC's
        expected = (actor_of(meant).value, meant.value, "ops ticket 42", START)
        assert (last["actor"], last["event"], last["reason"], last["at"]) == expected
        if OUTCOME[event] in FINAL:
            sim.advance(seconds=30 * DAY)
            assert sim.get_order(order_id)["status"] == OUTCOME[event]

    def test_forced_ship_creates_a_fulfillment(self, sim: Simulator) -> None:
        """A forced ship creates a fulfillment picked up now, and delivery follows on its own."""
        order_id = create(sim)["id"]
        for step in ("accept", "start_production", "ship"):
            sim.force(order_id, step)
        (fulfillment,) = sim.list_fulfillments(order_id)
        tracking = fulfillment["tracking_info"]
        assert fulfillment["pickup_date"] == START
        assert validate_tracking_number(tracking["shipping_carrier"], tracking["tracking_number"])
        sim.advance(seconds=20 * DAY)
        assert statuses(sim, order_id)[-1] == "Delivered"
        assert reached(sim, order_id, OrderStatus.DELIVERED) == instant(
            fulfillment["delivery_date"]
        )

    def test_forced_deliver_dates_the_fulfillment_now(self, sim: Simulator) -> None:
        """A delivery forced before the expected date becomes the fulfillment's delivery_date."""
        order_id = create(sim)["id"]
        for step in ("accept", "start_production", "ship"):
            sim.force(order_id, step)
        sim.advance(seconds=3600)
        sim.force(order_id, "deliver")
        (fulfillment,) = sim.list_fulfillments(order_id)
        assert fulfillment["delivery_date"] == "2026-03-02T13:00:00Z"
        sim.advance(seconds=20 * DAY)
        assert statuses(sim, order_id)[-1] == "Delivered"
        assert sim.list_fulfillments(order_id) == [fulfillment]

    def test_forced_accept_is_followed_by_production(self, sim: Simulator) -> None:
        """A forced accept off the batch schedules production as if accepted naturally."""
        order_id = create(sim)["id"]
        sim.force(order_id, "accept")
        sim.advance(seconds=10 * DAY)
        assert statuses(sim, order_id) == [
            "Pending",
            "Accepted",
            "In Production",
            "Shipped",
            "Delivered",
        ]

    @pytest.mark.parametrize(("event", "status"), [("ship", "Pending"), ("release", "Pending")])
    def test_illegal_event_refused(self, sim: Simulator, event: str, status: str) -> None:
        """An event the state machine forbids is IllegalTransition and changes nothing."""
        order_id = create(sim)["id"]
        with pytest.raises(IllegalTransition):
            sim.force(order_id, event)
        assert statuses(sim, order_id) == [status]
        assert sim.list_fulfillments(order_id) == []

    @pytest.mark.parametrize("event", ["cancel", "update", "unknown"])
    def test_client_or_unknown_event_is_value_error(self, sim: Simulator, event: str) -> None:
        """A client's event (cancel, update) or an unknown name is a ValueError."""
        order_id = create(sim)["id"]
        with pytest.raises(ValueError, match="not an operator event"):
            sim.force(order_id, event)
        assert statuses(sim, order_id) == ["Pending"]

    def test_force_on_unknown_order_not_found(self, sim: Simulator) -> None:
        """Forcing an event on an order that does not exist is NotFound."""
        with pytest.raises(NotFound):
            sim.force("00000000-0000-4000-8000-000000000009", "accept")


class TestReset:
    """Resetting the world."""

    def test_reset_empties_the_world_and_keeps_settings(self, sim: Simulator) -> None:
        """After a reset nothing is left, the clock keeps its time and ids are new."""
        old = create(sim, client_custom_order_id="x")
        create(sim, BOB[0])
        sim.advance(seconds=5 * DAY)
        now, bob, calendar = sim.now, sim.client_id(BOB[0]), sim.calendar
        sim.reset()
        assert sim.now == now
        assert (sim.client_id(BOB[0]), sim.calendar, sim.seed) == (bob, calendar, 7)
        for client in (ALICE[0], BOB[0]):
            assert sim.count_orders(client=client) == 0
            assert sim.list_fulfillments(client=client) == []
            assert sim.list_consumers(client) == []
        with pytest.raises(NotFound):
            sim.get_order(old["id"])
        new = create(sim, client_custom_order_id="x")
        assert new["id"] != old["id"]
        assert new["created_at"] == "2026-03-07T12:00:00Z"
        assert sim.authorize(sim.authenticate(*BOB)["access_token"]) == sim.client_id(BOB[0])


class TestSnapshot:
    """Snapshots and restores."""

    def test_round_trip(self, sim: Simulator, tmp_path: Path) -> None:
        """Restoring a snapshot brings back its orders, fulfillments, logs and clock time."""
        ids = [create(sim)["id"], create(sim, BOB[0])["id"]]
        sim.advance(seconds=3 * DAY)
        before = world_state(sim, ids)
        path = tmp_path / "snap.db"
        sim.snapshot(path)
        sim.advance(seconds=10 * DAY)
        create(sim)
        sim.restore(path)
        assert world_state(sim, ids) == before
        assert sim.count_orders() == 1
        sim.advance(seconds=10 * DAY)
        assert all(statuses(sim, i)[-1] == "Delivered" for i in ids)

    def test_restore_into_a_fresh_simulator(self, sim: Simulator, tmp_path: Path) -> None:
        """A snapshot restores into another simulator with the same seed."""
        ids = [create(sim)["id"]]
        sim.advance(seconds=DAY)
        sim.snapshot(tmp_path / "snap.db")
        other = make_sim(start="2026-01-01T00:00:00Z")
        other.restore(tmp_path / "snap.db")
        assert world_state(other, ids) == world_state(sim, ids)

    def test_snapshot_from_another_seed_refused_and_world_kept(
        self, sim: Simulator, tmp_path: Path
    ) -> None:
        """Restoring another seed's snapshot is refused and leaves the world as it was."""
        ids = [create(sim)["id"]]
        before = world_state(sim, ids)
        stranger = make_sim(seed=8)
        create(stranger)
        stranger.snapshot(tmp_path / "other.db")
        with pytest.raises(ValueError, match="seed"):
            sim.restore(tmp_path / "other.db")
        assert world_state(sim, ids) == before

    def test_not_a_snapshot_refused(self, sim: Simulator, tmp_path: Path) -> None:
        """A file that is not a snapshot is StoreError."""
        path = tmp_path / "junk.db"
        path.write_bytes(b"not sqlite at all" * 100)
        with pytest.raises(StoreError):
            sim.restore(path)


def world_state(sim: Simulator, ids: list[str]) -> str:
    """Everything observable about some orders and the clock, as JSON text."""
    orders = []
    for order_id in ids:
        owner = _owner(sim, order_id)
        orders.append(
            {
                "history": sim.history(order_id),
                "order": sim.get_order(order_id, owner),
                "fulfillments": sim.list_fulfillments(order_id, owner),
                "logs": sim.transaction_logs(order_id, owner),
            }
        )
    return json.dumps({"now": sim.now.isoformat(), "orders": orders}, sort_keys=True)


def _owner(sim: Simulator, order_id: str) -> str:
    """The id of the client that owns an order."""
    for client in sim.clients:
        try:
            sim.get_order(order_id, client.id)
        except NotFound:
            continue
        return client.id
    pytest.fail(f"nobody owns {order_id}")


class TestDurable:
    """A world kept in a SQLite file."""

    def test_close_and_reopen_keeps_orders_and_time(self, tmp_path: Path) -> None:
        """Reopening the file gives the same orders, and time resumes from where it stopped."""
        path = tmp_path / "world.db"
        first = make_sim(start="2030-03-04T12:00:00Z", db=path)
        ids = [create(first)["id"], create(first, BOB[0])["id"]]
        before = world_state(first, ids)
        first.close()
        again = make_sim(start="2030-03-04T11:00:00Z", db=path)
        assert world_state(again, ids) == before
        again.advance(seconds=DAY)
        assert [statuses(again, i)[-1] for i in ids] == ["Accepted", "Accepted"]
        again.close()

    def test_reopen_without_start_never_moves_time_back(self, tmp_path: Path) -> None:
        """A world reopened without a start resumes at its saved time even if it is ahead."""
        path = tmp_path / "world.db"
        first = make_sim(start="2999-01-01T00:00:00Z", db=path)
        create(first)
        first.close()
        again = Simulator(seed=7, clients=(ALICE, BOB), db=path)
        assert again.now == datetime(2999, 1, 1, tzinfo=UTC)
        again.close()

    def test_reopen_later_runs_the_work_due_meanwhile(self, tmp_path: Path) -> None:
        """Reopening at a later start runs the batches that fell due in between, on time."""
        path = tmp_path / "world.db"
        first = make_sim(db=path)
        order_id = create(first)["id"]
        first.close()
        again = make_sim(start="2026-03-05T12:00:00Z", db=path)
        assert reached(again, order_id, OrderStatus.ACCEPTED) == FIRST_BATCH
        again.close()

    def test_reopened_world_carries_on_as_if_never_closed(self, tmp_path: Path) -> None:
        """Ids, the clock and pending work continue across a reopen exactly as in one session."""
        path = tmp_path / "world.db"
        first = make_sim(db=path)
        ids = [create(first)["id"]]
        first.advance(seconds=DAY)
        first.close()
        again = make_sim(db=path)
        ids.append(create(again)["id"])
        again.advance(seconds=10 * DAY)

        continuous = make_sim()
        same = [create(continuous)["id"]]
        continuous.advance(seconds=DAY)
        same.append(create(continuous)["id"])
        continuous.advance(seconds=10 * DAY)
        assert ids == same
        assert world_state(again, ids) == world_state(continuous, ids)
        again.close()

    def test_reopen_with_another_seed_refused(self, tmp_path: Path) -> None:
        """A durable world refuses to open with another seed."""
        path = tmp_path / "world.db"
        make_sim(db=path).close()
        with pytest.raises(ValueError, match="seed 7"):
            make_sim(seed=8, db=path)

    def test_file_is_a_sound_database(self, tmp_path: Path) -> None:
        """The file passes SQLite's integrity check after a busy session."""
        path = tmp_path / "world.db"
        world = make_sim(db=path)
        for _ in range(5):
            create(world)
        world.advance(seconds=10 * DAY)
        world.close()
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def scenario(seed: int) -> tuple[list[str], str]:
    """A busy session on a fresh simulator: the order ids and everything seeded, as JSON.

    Tokens and cursors are left out: they are signed with keys drawn at random for each world.
    """
    sim = make_sim(seed=seed)
    ids = [
        create(sim)["id"],
        create(sim, BOB[0], note="okc-test:return")["id"],
        create(sim, shipping_address=BAD_ADDRESSES["po_box"])["id"],
        create(sim, note="okc-test:delay-delivery=2")["id"],
        create(sim, client_custom_order_id="z")["id"],
    ]
    sim.update_order(ids[2], {"shipping_address": address(), "status": "Pending"})
    sim.cancel_order(ids[4])
    sim.advance(seconds=DAY)
    sim.force(ids[0], "start_production")
    tokens = sim.authenticate(*ALICE)
    sim.advance(seconds=12 * DAY)
    state = {
        "world": world_state(sim, ids),
        "list": sim.list_orders(limit=2)["orders"],
        "fulfillments": sim.list_fulfillments(),
        "token_lifetime": tokens["expires_in"],
        "products": sim.list_products(),
        "consumers": sim.list_consumers(),
    }
    return ids, json.dumps(state, sort_keys=True)


class TestDeterminism:
    """Same seed and calls, same world."""

    def test_same_seed_same_world_byte_for_byte(self) -> None:
        """Two simulators with one seed and the same calls produce identical JSON."""
        assert scenario(3) == scenario(3)

    def test_different_seed_different_ids(self) -> None:
        """Another seed gives other ids."""
        ids, _ = scenario(3)
        other, _ = scenario(4)
        assert not set(ids) & set(other)


class TestRunningClock:
    """A clock that follows (fake) real time."""

    def test_world_catches_up_before_answering(self) -> None:
        """Once real time passes midnight at speed 3600, a read shows the order Accepted."""
        real = FakeMonotonic()
        sim = make_sim(mode="running", speed=3600, monotonic=real)
        order_id = create(sim)["id"]
        real.value += 19.9  # 19.9 simulated hours: 07:54 UTC, before the batch
        assert sim.get_order(order_id)["status"] == "Pending"
        real.value += 0.2  # 20.1 hours: past 08:00 UTC
        assert sim.get_order(order_id)["status"] == "Accepted"
        assert reached(sim, order_id, OrderStatus.ACCEPTED) == FIRST_BATCH
        state = sim.clock_state()
        assert state["mode"] == "running"
        assert instant(state["now"]) > FIRST_BATCH

    def test_a_change_never_dodges_a_batch_the_clock_runs_past(self) -> None:
        """A cancel whose call spans midnight is stamped before the batch, or refused after it."""
        real = FakeMonotonic()
        sim = make_sim(mode="running", speed=3600, monotonic=real)
        order_id = create(sim)["id"]
        real.value += 19.98  # 07:58:48 UTC
        real.step = 0.015  # each read of real time lets 54 simulated seconds pass
        sim.cancel_order(order_id)
        real.step = 0
        (created, canceled) = sim.history(order_id)
        assert canceled["to"] == "Canceled by Client"
        assert instant(created["at"]) < instant(canceled["at"]) < FIRST_BATCH

    def test_freezing_stops_time(self) -> None:
        """A running clock frozen with set_clock stops following real time."""
        real = FakeMonotonic()
        sim = make_sim(mode="running", speed=3600, monotonic=real)
        real.value += 1
        sim.set_clock(mode="frozen")
        frozen = sim.now
        real.value += 100
        assert sim.now == frozen == instant("2026-03-02T13:00:00Z")
        with pytest.raises(ClockRefused):
            sim.set_clock(speed=0)
