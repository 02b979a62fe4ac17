"""Stateful property tests of the simulator engine: random sessions keep the lifecycle rules."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
)
from payloads import BAD_ADDRESSES, HOLD_STREET_ADDRESS, SAN_FRANCISCO, order_payload

from lifecycle import (
    FINAL,
    HistoryProblem,
    IllegalTransition,
    OrderStatus,
    UpdateRejected,
    ViolationCode,
    actor_of,
    check_history,
)
from simulator import BadRequest, NotFound, Simulator, load_profile, validate_tracking_number

CLIENTS = (("alice@example.com", "a"), ("bob@example.com", "b"))
PROFILE = load_profile()
"""The default operations profile, read once rather than for every world."""
EMAILS = tuple(email for email, _ in CLIENTS)

STARTS = (
    "2026-03-07T07:59:00Z",  # Friday 23:59 PST; DST starts Sunday 02:00
    "2026-03-08T06:30:00Z",  # Saturday night, the last PST midnight is near
    "2026-10-31T06:00:00Z",  # Friday 23:00 PDT; DST ends Sunday 02:00
    "2026-11-25T07:00:00Z",  # Tuesday 23:00 PST, the night before the day before Thanksgiving
    "2026-12-31T20:00:00Z",  # New Year's Eve, a holiday follows
    "2027-07-02T18:00:00Z",  # Friday before the observed Independence Day
)
"""Start instants near a DST switch, a weekend or a holiday."""

ADDRESSES: dict[str, dict[str, Any]] = {
    "valid": SAN_FRANCISCO,
    **BAD_ADDRESSES,
    "hold_street": HOLD_STREET_ADDRESS,
}
ADDRESS_KINDS = st.sampled_from(["valid"] * 4 + sorted(ADDRESSES))

NOTES = st.sampled_from(
    [
        None,
        None,
        "leave at the door",
        "okc-test:hold",
        "okc-test:cancel",
        "okc-test:fail",
        "okc-test:return",
        "okc-test:delay-production=2",
        "okc-test:delay-delivery=3",
        "okc-test:address-review",
    ]
)

OPERATOR_EVENTS = st.sampled_from(
    [
        "hold",
        "release",
        "accept",
        "start_production",
        "ship",
        "deliver",
        "cancel_by_okc",
        "okc_hold",
        "okc_release",
        "replace",
        "void",
        "return",
        "fail",
    ]
)

UPDATES = st.sampled_from(
    [
        "address_ok",
        "address_bad",
        "note",
        "trigger_note",
        "status_pending",
        "status_on_hold",
        "cancel",
    ]
)

ADVANCES = st.one_of(
    st.sampled_from(["next_batch", "just_before_batch", "next_tick"]),
    st.integers(1, 3 * 86_400),
)
"""Whole seconds from 1 s to 3 days, or a jump exactly to the next batch or tick."""

# Statuses an order leaves only on OK Capsule's timeline or by an operator, never by a client.
FORCED = "property test"
"""The reason every forced event of a session gives: how its history rows are told apart."""
AFTER_ACCEPTANCE = frozenset({"Accepted", "In Production", "Shipped", "Delivered"})
BUSINESS_DAY_EVENTS = frozenset({"start_production", "ship"})
EXPECTED_FAILURES = (UpdateRejected, IllegalTransition, NotFound, BadRequest)


def outcome(result: object) -> str:
    """A call's result as canonical JSON text (reprs for what JSON cannot hold)."""
    return json.dumps(result, sort_keys=True, default=repr)


class Recorder:
    """Runs calls on a simulator and keeps them, with their outcomes, for a replay."""

    def __init__(self, sim: Simulator) -> None:
        """Record calls made on `sim`."""
        self.sim = sim
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.outcomes: list[str] = []

    def __call__(self, method: str, *args: Any) -> Any:
        """Call `sim.<method>(*args)`, record it, and return its result or raise its error."""
        self.calls.append((method, args))
        try:
            result = getattr(self.sim, method)(*args)
        except EXPECTED_FAILURES as error:
            self.outcomes.append(f"{type(error).__name__}: {error}")
            raise
        self.outcomes.append(outcome(result))
        return result


def replay(start: str, seed: int, calls: list[tuple[str, tuple[Any, ...]]]) -> list[str]:
    """The outcomes of the same calls on a fresh simulator with the same start and seed."""
    sim = Simulator(start=start, seed=seed, profile=PROFILE, clients=CLIENTS)
    outcomes = []
    for method, args in calls:
        try:
            outcomes.append(outcome(getattr(sim, method)(*args)))
        except EXPECTED_FAILURES as error:
            outcomes.append(f"{type(error).__name__}: {error}")
    sim.close()
    return outcomes


# Thirty steps reach every status (three-day jumps take an order from creation to delivery in
# a few steps) while keeping the checks, which grow with the square of the steps, within the
# suite's time budget under the `ci` profile.
@settings(stateful_step_count=30)
class SimulatorSession(RuleBasedStateMachine):
    """Two clients create, edit, cancel and hold orders; operators force events; time moves.

    Properties checked after every step: final statuses never change; an order is Accepted
    only from Pending and, unless an operator forced it, only by the batch at a batch
    instant; an order Pending at a batch instant is Accepted by that batch; after
    acceptance the timeline changes statuses only at status ticks, starting production and
    shipping only on business days; every order that shipped has a fulfillment with a
    valid tracking number; every history is a legal complete history (an operator's forced
    accept being the one sanctioned off-batch move); each client sees exactly its own
    orders. At the end, replaying the recorded calls on a fresh simulator with the same
    seed gives the same outcomes, byte for byte.
    """

    orders = Bundle("orders")

    def __init__(self) -> None:
        """Nothing yet: `begin` builds the world."""
        super().__init__()
        self.sim: Simulator | None = None
        self.call: Recorder | None = None
        self.start_at = ""
        self.seed = 0
        self.owner: dict[str, str] = {}
        self.final: dict[str, str] = {}

    @property
    def world(self) -> Simulator:
        """The simulator under test."""
        assert self.sim is not None
        return self.sim

    @property
    def api(self) -> Recorder:
        """The recording caller."""
        assert self.call is not None
        return self.call

    @initialize(target=orders, start=st.sampled_from(STARTS), seed=st.integers(0, 3))
    def begin(self, start: str, seed: int) -> Any:
        """A frozen two-client world at an interesting instant, with an order per client."""
        self.start_at, self.seed = start, seed
        self.sim = Simulator(start=start, seed=seed, profile=PROFILE, clients=CLIENTS)
        self.call = Recorder(self.sim)
        return multiple(*(self.create(client, "valid", None, on_hold=False) for client in EMAILS))

    # --- rules ------------------------------------------------------------------------------

    @rule(
        target=orders,
        client=st.sampled_from(EMAILS),
        address=ADDRESS_KINDS,
        note=NOTES,
        on_hold=st.booleans(),
    )
    def create(self, client: str, address: str, note: str | None, on_hold: bool) -> Any:
        """Create an order: mostly valid, sometimes a bad address, a trigger or On Hold."""
        product = self.world.list_products(client)[0]["id"]
        fields: dict[str, Any] = {"shipping_address": ADDRESSES[address], "note": note}
        if on_hold:
            fields["status"] = "On Hold"
        try:
            order = self.api("create_order", order_payload(product, **fields), client)
        except UpdateRejected:
            # Only one test trigger per order: the hold street plus a note trigger is refused.
            assert address == "hold_street"
            assert note is not None
            assert "okc-test:" in note
            return multiple()
        should_hold = on_hold or address != "valid" or note == "okc-test:address-review"
        assert order["status"] == ("On Hold" if should_hold else "Pending")
        self.owner[order["id"]] = client
        return order["id"]

    @rule(order_id=orders, change=UPDATES)
    def update(self, order_id: str, change: str) -> None:
        """Update an order as its owner; refusals must be for a reason the rules give."""
        before = self.world.get_order(order_id, self.owner[order_id])["status"]
        requests: dict[str, dict[str, Any]] = {
            "address_ok": {"shipping_address": SAN_FRANCISCO},
            "address_bad": {"shipping_address": BAD_ADDRESSES["po_box"]},
            "note": {"note": "ring twice"},
            "trigger_note": {"note": "okc-test:delay-delivery=1"},
            "status_pending": {"status": "Pending"},
            "status_on_hold": {"status": "On Hold"},
            "cancel": {"status": "Canceled by Client"},
        }
        payload = requests[change]
        try:
            after = self.api("update_order", order_id, payload, self.owner[order_id])
        except UpdateRejected as error:
            codes = {v.code for v in error.violations}
            if before == "Accepted":
                assert codes == {ViolationCode.CONTACT_SUPPORT}
            elif before not in {"Pending", "On Hold"}:
                assert codes == {ViolationCode.NOT_EDITABLE}
            else:
                # A release while the address fails; or a trigger note on the hold street.
                assert codes <= {ViolationCode.ADDRESS_NEEDS_REVIEW, ViolationCode.MALFORMED}
            assert self.world.get_order(order_id, self.owner[order_id])["status"] == before
            return
        assert before in {"Pending", "On Hold"}
        if change == "cancel":
            assert after["status"] == "Canceled by Client"
        elif change in {"status_on_hold", "address_bad"}:
            assert after["status"] == "On Hold"
        elif change == "status_pending":
            assert after["status"] == "Pending"
        else:
            assert after["status"] == before

    @rule(order_id=orders, event=OPERATOR_EVENTS)
    def force(self, order_id: str, event: str) -> None:
        """Force an operator event; the state machine may refuse it."""
        before = self.world.history(order_id)
        try:
            self.api("force", order_id, event, FORCED)
        except IllegalTransition:
            assert self.world.history(order_id) == before
            return
        last = self.world.history(order_id)[-1]
        meant = self.world.operations.operator_event(event)
        assert (last["event"], last["actor"], last["reason"]) == (meant, actor_of(meant), FORCED)
        assert len(self.world.history(order_id)) == len(before) + 1

    @rule(order_id=orders, intruder=st.sampled_from(EMAILS))
    def trespass(self, order_id: str, intruder: str) -> None:
        """A client other than the owner cannot read or change the order."""
        if intruder == self.owner[order_id]:
            return
        for method, args in (
            ("get_order", (order_id, intruder)),
            ("update_order", (order_id, {"status": "Canceled by Client"}, intruder)),
            ("list_fulfillments", (order_id, intruder)),
            ("transaction_logs", (order_id, intruder)),
        ):
            try:
                self.api(method, *args)
            except NotFound:
                continue
            raise AssertionError(f"{intruder} reached another client's order via {method}")

    @rule(step=ADVANCES)
    def advance(self, step: str | int) -> None:
        """Move the clock: some seconds up to 3 days, or exactly to the next batch or tick."""
        now = self.world.now
        if step == "next_batch":
            target = self.world.calendar.next_batch_at(now)
        elif step == "just_before_batch":
            target = self.world.calendar.next_batch_at(now) - timedelta(microseconds=1)
        elif step == "next_tick":
            target = self.world.calendar.next_status_tick(now)
        else:
            target = now + timedelta(seconds=int(step))
        result = self.api("advance", None, target)
        assert result.now == target == self.world.now

    @rule(days=st.integers(1, 3))
    def wait(self, days: int) -> None:
        """Let whole days pass, so orders live their whole lives within a session."""
        self.advance(days * 86_400)

    # --- invariants -------------------------------------------------------------------------

    @invariant()
    def lifecycle_rules_hold(self) -> None:
        """Every order, after every step, keeps the rules in the class docstring."""
        current = self.check_isolation()
        for order_id, client in self.owner.items():
            history = self.world.history(order_id)
            assert history[-1]["to"] == current[order_id]
            self.check_final(order_id, current[order_id])
            self.check_timing(order_id, history)
            self.check_legal(order_id, history)
            if any(entry["to"] == "Shipped" for entry in history):
                self.check_tracking(order_id, client)

    def check_final(self, order_id: str, status: str) -> None:
        """An order that reached a final status keeps it."""
        if order_id in self.final:
            assert status == self.final[order_id], order_id
        elif OrderStatus(status) in FINAL:
            self.final[order_id] = status

    def check_timing(self, order_id: str, history: list[dict[str, Any]]) -> None:
        """Accepted only from Pending at a batch (or forced); later steps on (business) ticks."""
        calendar = self.world.calendar
        for entry in history:
            at = datetime.fromisoformat(entry["at"])
            if entry["to"] == "Accepted":
                assert entry["from"] == "Pending", entry
                if entry["reason"] != FORCED:
                    assert entry["actor"] == "batch", entry
                    assert calendar.is_batch_instant(at), entry
            natural = entry["reason"] != FORCED
            if natural and entry["actor"] == "operations" and entry["from"] in AFTER_ACCEPTANCE:
                assert calendar.is_status_tick(at), (order_id, entry)
                if entry["event"] in BUSINESS_DAY_EVENTS:
                    assert calendar.business_day_of(at), (order_id, entry)
        self.check_no_batch_missed(order_id, history)

    def check_no_batch_missed(self, order_id: str, history: list[dict[str, Any]]) -> None:
        """An order Pending at a batch instant is Accepted by that batch, not later or never."""
        now = self.world.now
        for entry, following in zip(history, [*history[1:], None], strict=True):
            if entry["to"] != "Pending":
                continue
            batch = self.world.calendar.next_batch_at(datetime.fromisoformat(entry["at"]))
            if following is None:
                assert now < batch, (order_id, history)
                continue
            until = datetime.fromisoformat(following["at"])
            by_batch = following["actor"] == "batch" and until == batch
            assert until < batch or by_batch, (order_id, history)

    def check_legal(self, order_id: str, history: list[dict[str, Any]]) -> None:
        """The history passes check_history as complete, bar an operator's forced accepts."""
        entries = [(datetime.fromisoformat(e["at"]), e["to"]) for e in history]
        problems = [
            problem
            for problem in check_history(entries, calendar=self.world.calendar)
            if not (
                problem.problem is HistoryProblem.ACCEPTED_OFF_BATCH
                and history[problem.index]["reason"] == FORCED
            )
        ]
        assert problems == [], (order_id, history)

    def check_tracking(self, order_id: str, client: str) -> None:
        """An order that has shipped has a fulfillment with a valid tracking number."""
        fulfillments = self.world.list_fulfillments(order_id, client)
        assert fulfillments, order_id
        for fulfillment in fulfillments:
            tracking = fulfillment["tracking_info"]
            assert validate_tracking_number(
                tracking["shipping_carrier"], tracking["tracking_number"]
            )
            assert fulfillment["pickup_date"] <= fulfillment["delivery_date"]

    def check_isolation(self) -> dict[str, str]:
        """Each client's list and count hold exactly its own orders.

        Returns:
            Every order's status now, read from its owner's listing.
        """
        current: dict[str, str] = {}
        for client in EMAILS:
            mine = [order_id for order_id, owner in self.owner.items() if owner == client]
            listed = self.world.list_orders(limit=250, client=client)["orders"]
            assert sorted(order["id"] for order in listed) == sorted(mine)
            assert self.world.count_orders(client=client) == len(mine)
            current.update((order["id"], order["status"]) for order in listed)
        return current

    def teardown(self) -> None:
        """Replaying the recorded calls on a fresh world with the same seed gives the same."""
        if self.sim is None:
            return
        self.sim.close()
        assert self.call is not None
        assert replay(self.start_at, self.seed, self.call.calls) == self.call.outcomes


TestSimulatorSession = pytest.mark.slow(SimulatorSession.TestCase)
