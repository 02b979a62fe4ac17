"""Tests for the shared machine, the bulk path and legal_events, all derived from the table."""

from __future__ import annotations

from typing import cast

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from transitions import MachineError

from lifecycle._errors import GuardFailed, IllegalTransition
from lifecycle._machine import (
    MACHINE,
    GuardCondition,
    apply_bulk,
    can_fire,
    destinations,
    fire,
    legal_events,
)
from lifecycle._status import FINAL, OKC_ONLY, OrderStatus
from lifecycle._table import (
    BY_EVENT,
    CREATION,
    DEST,
    TRANSITIONS,
    Actor,
    Event,
    Guard,
    actor_of,
)


@attrs.define(eq=False)
class Record:
    """A bare order stand-in: the machine needs only `status`."""

    status: OrderStatus


ALL_CONTEXT = {guard.value: True for guard in Guard}


class TestTable:
    """The table itself is consistent."""

    def test_one_row_per_event(self) -> None:
        """Every event but creation has exactly one row; creation has none."""
        events = sorted(row.event for row in TRANSITIONS)
        assert events == sorted(set(Event) - {CREATION.event})

    def test_creation_starts_in_client_statuses(self) -> None:
        """A client creates an order, Pending or On Hold, and no row leads into creation."""
        assert (CREATION.event, CREATION.actor) == (Event.CREATE, Actor.CLIENT)
        assert CREATION.statuses == {OrderStatus.PENDING, OrderStatus.ON_HOLD}
        assert CREATION.event not in BY_EVENT

    @pytest.mark.parametrize("event", list(Event))
    def test_actor_of_every_event(self, event: Event) -> None:
        """`actor_of` answers for every event: creation's actor or the event's row's."""
        expected = CREATION.actor if event is CREATION.event else BY_EVENT[event].actor
        assert actor_of(event) is expected
        assert actor_of(event.value) is expected

    def test_actor_of_forced_events(self) -> None:
        """Shipping is operations' event and accepting the batch's, whoever forces them."""
        assert (actor_of("ship"), actor_of("accept")) == (Actor.OPERATIONS, Actor.BATCH)

    def test_final_statuses_have_no_way_out(self) -> None:
        """No row starts from a final status."""
        assert not any(row.sources & FINAL for row in TRANSITIONS)

    def test_okc_only_statuses_are_not_reached_by_clients(self) -> None:
        """Only operations rows lead to Replaced, Voided, Returned or Error."""
        for row in TRANSITIONS:
            if row.dest in OKC_ONLY:
                assert row.actor is Actor.OPERATIONS

    def test_only_the_batch_accepts(self) -> None:
        """Accepted is reached by the batch's accept event alone."""
        into_accepted = {row.event for row in TRANSITIONS if row.dest is OrderStatus.ACCEPTED}
        assert into_accepted == {Event.ACCEPT}
        assert BY_EVENT[Event.ACCEPT].sources == {OrderStatus.PENDING}

    def test_client_events_start_only_from_editable_statuses(self) -> None:
        """A client moves an order only while it is Pending or On Hold."""
        for row in TRANSITIONS:
            if row.actor is Actor.CLIENT:
                assert row.sources <= {OrderStatus.PENDING, OrderStatus.ON_HOLD}

    def test_every_status_is_reachable_from_pending(self) -> None:
        """Walking the table from Pending reaches all twelve statuses."""
        seen = {OrderStatus.PENDING}
        frontier = [OrderStatus.PENDING]
        while frontier:
            current = frontier.pop()
            for (source, _event), dest in DEST.items():
                if source is current and dest not in seen:
                    seen.add(dest)
                    frontier.append(dest)
        assert seen == set(OrderStatus)


class TestFire:
    """`fire` moves one order through the shared transitions machine."""

    @pytest.mark.parametrize(
        ("source", "event", "dest"), sorted((s, e, d) for (s, e), d in DEST.items())
    )
    def test_every_table_move(self, source: OrderStatus, event: Event, dest: OrderStatus) -> None:
        """Each (status, event) pair of the table leads where the table says."""
        order = Record(source)
        assert fire(order, event, **ALL_CONTEXT) is dest
        assert order.status is dest

    def test_illegal_move_names_status_and_event(self) -> None:
        """Shipping a Pending order raises an error naming both, with the open events."""
        order = Record(OrderStatus.PENDING)
        with pytest.raises(IllegalTransition, match=r"'ship'.*'Pending'.*allowed now: update"):
            fire(order, Event.SHIP)
        assert order.status is OrderStatus.PENDING

    def test_guard_must_hold(self) -> None:
        """Releasing a held order needs the address to pass; the error names the guard."""
        order = Record(OrderStatus.ON_HOLD)
        with pytest.raises(GuardFailed, match="address_ok") as caught:
            fire(order, Event.RELEASE, address_ok=False)
        assert caught.value.guard is Guard.ADDRESS_OK
        assert order.status is OrderStatus.ON_HOLD
        assert fire(order, "release", address_ok=True) is OrderStatus.PENDING

    def test_accepts_plain_strings(self) -> None:
        """An integrator's record holding the API string and an event name both work."""
        order = Record(cast("OrderStatus", "Pending"))
        assert fire(order, "accept") is OrderStatus.ACCEPTED

    def test_unknown_event(self) -> None:
        """An unknown event name is a ValueError listing the known ones."""
        with pytest.raises(ValueError, match="known events: create, update"):
            fire(Record(OrderStatus.PENDING), "teleport")

    @pytest.mark.parametrize("status", list(OrderStatus))
    def test_creation_is_not_a_move(self, status: OrderStatus) -> None:
        """No order already made can be created again: `create` is an illegal move."""
        order = Record(status)
        with pytest.raises(IllegalTransition, match="'create'"):
            fire(order, Event.CREATE, **ALL_CONTEXT)
        assert order.status is status
        assert not can_fire(status, "create")
        assert Event.CREATE not in {e.event for e in legal_events(status)}

    def test_machine_is_shared_and_holds_no_orders(self) -> None:
        """Firing never adds the order to the machine as a model."""
        fire(Record(OrderStatus.PENDING), Event.ACCEPT)
        assert MACHINE.models == []


Outcome = tuple[str, object]
"""What one move came to: ("moved", status), ("refused", None) or ("guard", guard)."""


def _fired(status: OrderStatus, event: Event, context: dict[str, bool]) -> Outcome:
    """The outcome of `fire` on one order, which must stay put unless it moved."""
    order = Record(status)
    try:
        return ("moved", fire(order, event, **context))
    except GuardFailed as refusal:
        assert order.status is status
        return ("guard", refusal.guard)
    except IllegalTransition:
        assert order.status is status
        return ("refused", None)


def _bulked(status: OrderStatus, event: Event, context: dict[str, bool]) -> Outcome:
    """The outcome of the bulk path on one order, which must stay put unless it moved."""
    order = Record(status)
    try:
        moved, refused = apply_bulk([order], event, **context)
    except GuardFailed as refusal:
        assert order.status is status
        return ("guard", refusal.guard)
    assert len(moved) + len(refused) == 1
    return ("moved", order.status) if moved else ("refused", None)


GUARD_OUTCOMES = st.fixed_dictionaries({guard.value: st.booleans() for guard in Guard})


class TestAgreement:
    """The machine, the bulk path and the table agree everywhere."""

    @given(st.sampled_from(list(OrderStatus)), st.sampled_from(list(Event)), GUARD_OUTCOMES)
    def test_machine_and_bulk_agree(
        self, status: OrderStatus, event: Event, context: dict[str, bool]
    ) -> None:
        """For every status, event and guard outcome, `fire` and `apply_bulk` agree.

        The one difference allowed is the bulk path's: it checks the shared guards once for
        the whole call, so an order the machine refuses by status may meet a failed guard.
        """
        fired, bulked = _fired(status, event, context), _bulked(status, event, context)
        if fired[0] == "refused":
            assert bulked[0] in {"refused", "guard"}
        else:
            assert bulked == fired

    @given(st.sampled_from(list(OrderStatus)), st.sampled_from(list(Event)), GUARD_OUTCOMES)
    def test_machine_follows_the_table(
        self, status: OrderStatus, event: Event, context: dict[str, bool]
    ) -> None:
        """The machine moves exactly where the table's row leads, when all its guards hold."""
        row = BY_EVENT.get(event)
        fired = _fired(status, event, context)
        if row is None or status not in row.sources:
            assert fired == ("refused", None)
            assert not can_fire(status, event)
            return
        assert can_fire(status, event)
        denied = [guard for guard in row.guards if not context[guard.value]]
        assert fired == (("guard", denied[0]) if denied else ("moved", row.dest_from(status)))

    @given(st.sampled_from(list(OrderStatus)), st.sampled_from(list(Event)))
    def test_raw_machine_agrees(self, status: OrderStatus, event: Event) -> None:
        """Triggering the raw machine on a plain-string record matches the flattened table."""
        raw = Record(cast("OrderStatus", status.value))
        trigger = MACHINE.events.get(event.value)  # creation has no transition
        try:
            moved = trigger is not None and trigger.trigger(raw, **ALL_CONTEXT)
        except MachineError:
            moved = False
        assert (OrderStatus(raw.status) if moved else None) == DEST.get((status, event))


class TestTheMachineDecides:
    """The machine is built from the table, and its answers are the facade's."""

    def test_guards_are_the_machine_conditions(self) -> None:
        """Each machine transition carries its row's guards as conditions, nothing else."""
        for row in TRANSITIONS:
            for source in row.sources:
                (transition,) = MACHINE.get_transitions(row.event.value, source=source.value)
                checks = [condition.func for condition in transition.conditions]
                assert all(isinstance(check, GuardCondition) for check in checks)
                guards = [check.guard for check in checks if isinstance(check, GuardCondition)]
                assert guards == list(row.guards)

    def test_update_is_an_internal_transition(self) -> None:
        """A client's update keeps the status without leaving it (dest None)."""
        for source in BY_EVENT[Event.UPDATE].sources:
            (transition,) = MACHINE.get_transitions("update", source=source.value)
            assert transition.dest is None

    @pytest.mark.parametrize("status", list(OrderStatus))
    def test_legal_events_are_the_table_rows(self, status: OrderStatus) -> None:
        """What the machine offers from a status is the table's rows from it, in table order."""
        expected = tuple(
            (row.event, row.actor, row.dest_from(status), row.guards)
            for row in TRANSITIONS
            if status in row.sources
        )
        offered = legal_events(status)
        assert tuple((e.event, e.actor, e.dest, e.guards) for e in offered) == expected

    def test_illegal_move_lists_what_the_machine_offers(self) -> None:
        """The refusal of an illegal move lists the events open now, as `legal_events` does."""
        with pytest.raises(IllegalTransition) as caught:
            fire(Record(OrderStatus.ACCEPTED), Event.HOLD)
        assert caught.value.legal == tuple(e.event for e in legal_events(OrderStatus.ACCEPTED))

    def test_guard_failure_names_the_denied_guard(self) -> None:
        """A guard supplied False, or not supplied, is named by the refusal."""
        for context in ({"address_ok": False}, {}):
            with pytest.raises(GuardFailed) as caught:
                fire(Record(OrderStatus.ON_HOLD), Event.RELEASE, **context)
            assert (caught.value.guard, caught.value.status) == (
                Guard.ADDRESS_OK,
                OrderStatus.ON_HOLD,
            )

    def test_unknown_status_is_a_value_error(self) -> None:
        """A record with a status the API does not know is refused before the machine runs."""
        with pytest.raises(ValueError, match="Shipped-ish"):
            fire(Record(cast("OrderStatus", "Shipped-ish")), Event.DELIVER)


class TestApplyBulk:
    """The bulk path moves many orders by table lookup."""

    def test_moves_pending_and_refuses_others(self) -> None:
        """The batch accepts Pending orders and reports the rest, in input order."""
        plain = cast("OrderStatus", "Pending")  # an integrator's record holding the API string
        orders = [Record(s) for s in (OrderStatus.PENDING, OrderStatus.ON_HOLD, plain)]
        moved, refused = apply_bulk(orders, Event.ACCEPT)
        assert [o.status for o in moved] == [OrderStatus.ACCEPTED, OrderStatus.ACCEPTED]
        assert refused == [orders[1]]
        assert orders[1].status is OrderStatus.ON_HOLD

    def test_creation_moves_nothing(self) -> None:
        """No order already made takes `create` in bulk: every one is refused, none changes."""
        orders = [Record(status) for status in OrderStatus]
        moved, refused = apply_bulk(orders, Event.CREATE, **ALL_CONTEXT)
        assert (moved, refused) == ([], orders)
        assert [o.status for o in orders] == list(OrderStatus)
        assert destinations(Event.CREATE) == {}

    def test_guard_checked_once(self) -> None:
        """A failed guard moves no order at all."""
        orders = [Record(OrderStatus.ON_HOLD)]
        with pytest.raises(GuardFailed):
            apply_bulk(orders, Event.RELEASE)
        assert orders[0].status is OrderStatus.ON_HOLD


class TestLegalEvents:
    """`legal_events` lists the moves open now, with actors (like `supported_actions`)."""

    def test_pending(self) -> None:
        """A Pending order offers client, batch and operations events."""
        events = {e.event: e.actor for e in legal_events(OrderStatus.PENDING)}
        assert events[Event.CANCEL] is Actor.CLIENT
        assert events[Event.ACCEPT] is Actor.BATCH
        assert Event.SHIP not in events

    def test_filter_by_actor(self) -> None:
        """Filtering by the client leaves nothing once Accepted."""
        assert legal_events(Record(OrderStatus.ACCEPTED), Actor.CLIENT) == ()
        client = {e.event for e in legal_events("On Hold", Actor.CLIENT)}
        assert client == {Event.UPDATE, Event.RELEASE, Event.CANCEL}

    @pytest.mark.parametrize("status", sorted(FINAL))
    def test_final_statuses_offer_nothing(self, status: OrderStatus) -> None:
        """A final status has no legal event."""
        assert legal_events(status) == ()

    def test_destinations(self) -> None:
        """`destinations` maps each source of an event to its target."""
        assert destinations("accept") == {OrderStatus.PENDING: OrderStatus.ACCEPTED}
