"""Tests for check_history: legal histories pass, each kind of breakage is named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from payloads import order_payload

from lifecycle import FINAL, Calendar, HistoryProblem, OrderStatus, check_history
from lifecycle.testing import legal_histories
from simulator import Simulator

S = OrderStatus
# 2026-11-24 00:00 in Los Angeles (PST, UTC-8).
BATCH = datetime(2026, 11, 24, 8, tzinfo=UTC)
BEFORE = BATCH - timedelta(hours=5)


def problems(entries: list[tuple[datetime, str]], **kwargs: object) -> list[HistoryProblem]:
    """The problem codes check_history reports, in order."""
    return [v.problem for v in check_history(entries, **kwargs)]  # type: ignore[arg-type]


class TestLegal:
    """Histories the lifecycle allows pass."""

    def test_happy_path(self) -> None:
        """Pending, Accepted at the batch, then production, shipping and delivery pass."""
        entries = [
            (BEFORE, "Pending"),
            (BATCH, "Accepted"),
            (BATCH + timedelta(hours=6), "In Production"),
            (BATCH + timedelta(days=1), "Shipped"),
            (BATCH + timedelta(days=4), "Delivered"),
        ]
        assert check_history(entries) == []

    def test_repeated_observations_are_not_changes(self) -> None:
        """A poller recording the same status twice is fine."""
        entries = [
            (BEFORE, "Pending"),
            (BEFORE + timedelta(hours=1), "Pending"),
            (BATCH, "Accepted"),
        ]
        assert check_history(entries) == []

    @given(legal_histories())
    def test_drawn_histories_pass(self, history: list[tuple[datetime, OrderStatus]]) -> None:
        """Every history drawn from lifecycle.testing.legal_histories passes."""
        assert check_history(history) == []

    @given(legal_histories(Calendar.fixed_pst()))
    def test_drawn_histories_pass_in_fixed_pst(
        self, history: list[tuple[datetime, OrderStatus]]
    ) -> None:
        """Histories drawn for the fixed UTC-8 calendar pass against that calendar."""
        assert check_history(history, calendar=Calendar.fixed_pst()) == []


class TestBroken:
    """Each kind of breakage is reported with its code."""

    def test_impossible_move(self) -> None:
        """Pending straight to Shipped is not one move."""
        assert problems([(BEFORE, "Pending"), (BATCH, "Shipped")]) == [
            HistoryProblem.IMPOSSIBLE_MOVE
        ]

    def test_accepted_off_batch(self) -> None:
        """Accepted at 09:00 UTC (01:00 Pacific) is not a batch instant."""
        found = check_history([(BEFORE, "Pending"), (BATCH + timedelta(hours=1), "Accepted")])
        assert [v.problem for v in found] == [HistoryProblem.ACCEPTED_OFF_BATCH]
        assert "00:00 America/Los_Angeles" in found[0].message

    def test_change_after_final(self) -> None:
        """Nothing follows Canceled by Client."""
        entries = [
            (BEFORE, "Pending"),
            (BEFORE + timedelta(hours=1), "Canceled by Client"),
            (BATCH, "Accepted"),
        ]
        assert problems(entries) == [HistoryProblem.CHANGE_AFTER_FINAL]

    def test_time_reversed(self) -> None:
        """An entry earlier than its predecessor is reported."""
        entries = [(BATCH, "Pending"), (BEFORE, "On Hold")]
        assert problems(entries) == [HistoryProblem.TIME_REVERSED]

    def test_bad_start_and_unknown_status(self) -> None:
        """A complete history must start Pending or On Hold; unknown strings are named."""
        assert problems([(BATCH, "Accepted")]) == [HistoryProblem.BAD_START]
        assert problems([(BEFORE, "Pending"), (BATCH, "Shipping")]) == [
            HistoryProblem.UNKNOWN_STATUS
        ]

    @given(legal_histories(), st.data())
    def test_mutated_histories_fail(
        self, history: list[tuple[datetime, OrderStatus]], data: st.DataObject
    ) -> None:
        """A legal history plus a change after its final status, or an impossible jump, fails."""
        last_at, last = history[-1]
        if last in FINAL:
            mutated = [*history, (last_at + timedelta(hours=1), S.PENDING)]
            expected = HistoryProblem.CHANGE_AFTER_FINAL
        else:
            # No status leads back to On Hold from Delivered and beyond; from earlier ones,
            # jumping to Delivered skips steps.
            target = S.ON_HOLD if last in {S.SHIPPED, S.DELIVERED, S.IN_PRODUCTION} else S.DELIVERED
            if last is S.ON_HOLD and target is S.DELIVERED:
                target = S.SHIPPED
            mutated = [
                *history,
                (last_at + timedelta(minutes=data.draw(st.integers(1, 99))), target),
            ]
            expected = HistoryProblem.IMPOSSIBLE_MOVE
        assert expected in [v.problem for v in check_history(mutated)]


class TestSampled:
    """A poller's samples may skip statuses, but not batches."""

    def test_skipped_statuses_are_fine(self) -> None:
        """Pending then Shipped two days later passes when sampled, with a batch in between."""
        entries = [(BEFORE, "Pending"), (BATCH + timedelta(days=2), "Shipped")]
        assert check_history(entries, complete=False) == []

    def test_no_batch_in_between(self) -> None:
        """Pending then In Production within the same Pacific day needs a batch that did not run."""
        entries = [(BEFORE, "Pending"), (BEFORE + timedelta(hours=2), "In Production")]
        assert problems(entries, complete=False) == [HistoryProblem.ACCEPTED_OFF_BATCH]

    def test_cancel_needs_no_batch(self) -> None:
        """Pending then Canceled by OKC needs no acceptance, so no batch."""
        entries = [(BEFORE, "Pending"), (BEFORE + timedelta(hours=1), "Canceled by OKC")]
        assert check_history(entries, complete=False) == []

    @pytest.mark.parametrize("complete", [True, False])
    def test_backwards_is_impossible_either_way(self, complete: bool) -> None:
        """Delivered back to Pending is impossible, sampled or not."""
        entries = [
            (BEFORE, "Pending"),
            (BATCH, "Accepted"),
            (BATCH + timedelta(days=5), "Delivered"),
            (BATCH + timedelta(days=6), "Pending"),
        ]
        assert HistoryProblem.IMPOSSIBLE_MOVE in problems(entries, complete=complete)


class TestWhatTheSimulatorGives:
    """check_history takes the simulator's history rows and ISO 8601 text as they come."""

    def test_simulator_history_rows(self) -> None:
        """The rows of Simulator.history() go in as they are, and a legal life passes."""
        sim = Simulator(start=BEFORE)
        try:
            product = sim.list_products()[0]["id"]
            order_id = sim.create_order(order_payload(product))["id"]
            sim.advance(to=BATCH)
            rows = sim.history(order_id)
        finally:
            sim.close()
        assert [row["to"] for row in rows] == ["Pending", "Accepted"]
        assert isinstance(rows[0]["at"], str)
        assert check_history(rows) == []

    def test_rows_are_judged_by_where_they_went(self) -> None:
        """A row counts as (at, to): an acceptance off the batch is found, with its time."""
        rows: list[dict[str, Any]] = [
            {"at": "2026-11-24T03:00:00Z", "from": None, "to": "Pending", "event": "create"},
            {"at": "2026-11-24T09:00:00Z", "from": "Pending", "to": "Accepted", "event": "accept"},
        ]
        (violation,) = check_history(rows)
        assert violation.problem is HistoryProblem.ACCEPTED_OFF_BATCH
        assert violation.at == BATCH + timedelta(hours=1)

    def test_iso_text_pairs(self) -> None:
        """(ISO 8601 text, status) pairs pass like (datetime, status) pairs; offsets count."""
        entries = [
            ("2026-11-23T22:00:00-05:00", "Pending"),
            ("2026-11-24T00:00:00-08:00", "Accepted"),
        ]
        assert check_history(entries) == []

    @pytest.mark.parametrize("at", ["yesterday", "2026-11-24T08:00:00", 1_764_000_000])
    def test_bad_time_names_the_entry(self, at: object) -> None:
        """Text that is not an instant with an offset raises ValueError naming the entry."""
        with pytest.raises(ValueError, match=r"History entry 1: 'at'"):
            check_history([(BEFORE, "Pending"), (at, "Accepted")])  # type: ignore[list-item]
