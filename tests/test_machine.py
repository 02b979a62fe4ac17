"""Tests for the shared machine, the bulk path and legal_events, all derived from the table."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from transitions import MachineError

from lifecycle._errors import GuardFailed, IllegalTransition
from lifecycle._machine import MACHINE, apply_bulk, can_fire, destinations, fire, legal_events
from lifecycle._status import FINAL, OKC_ONLY, OrderStatus
from lifecycle._table import BY_EVENT, DEST, TRANSITIONS, Actor, Event, Guard


@attrs.define(eq=False)
class Record:
    """A bare order stand-in: the machine needs only `status`."""

    status: OrderStatus


ALL_CONTEXT = {guard.value: True for guard in Guard}


class TestTable:
    """The table itself is consistent."""

    def test_one_row_per_event(self) -> None:
        """Every event has exactly one row."""
        assert sorted(row.event for row in TRANSITIONS) == sorted(Event)

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
        order = Record("Pending")  # type: ignore[arg-type]
        assert fire(order, "accept") is OrderStatus.ACCEPTED

    def test_unknown_event(self) -> None:
        """An unknown event name is a ValueError listing the known ones."""
        with pytest.raises(ValueError, match="known events: update"):
            fire(Record(OrderStatus.PENDING), "teleport")

    def test_machine_is_shared_and_holds_no_orders(self) -> None:
        """Firing never adds the order to the machine as a model."""
        fire(Record(OrderStatus.PENDING), Event.ACCEPT)
        assert MACHINE.models == []


class TestAgreement:
    """The raw machine, the facade, the bulk path and the table agree everywhere."""

    @given(st.sampled_from(list(OrderStatus)), st.sampled_from(list(Event)))
    def test_machine_bulk_and_table_agree(self, status: OrderStatus, event: Event) -> None:
        """For every (status, event): the raw machine, `fire` and `apply_bulk` match `DEST`."""
        expected = DEST.get((status, event))

        raw = Record(status.value)  # type: ignore[arg-type]
        try:
            moved = MACHINE.events[event.value].trigger(raw, **ALL_CONTEXT)
        except MachineError:
            moved = False
        assert (OrderStatus(raw.status) if moved else None) == expected

        facade = Record(status)
        try:
            result: OrderStatus | None = fire(facade, event, **ALL_CONTEXT)
        except IllegalTransition:
            result = None
        assert result == expected

        bulk = Record(status)
        done, refused = apply_bulk([bulk], event, **ALL_CONTEXT)
        assert (bulk.status if done else None) == expected
        assert len(done) + len(refused) == 1
        assert can_fire(status, event) == (expected is not None)


class TestApplyBulk:
    """The bulk path moves many orders by table lookup."""

    def test_moves_pending_and_refuses_others(self) -> None:
        """The batch accepts Pending orders and reports the rest, in input order."""
        statuses: list[Any] = [OrderStatus.PENDING, OrderStatus.ON_HOLD, "Pending"]
        orders = [Record(s) for s in statuses]
        moved, refused = apply_bulk(orders, Event.ACCEPT)
        assert [o.status for o in moved] == [OrderStatus.ACCEPTED, OrderStatus.ACCEPTED]
        assert refused == [orders[1]]
        assert orders[1].status is OrderStatus.ON_HOLD

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
