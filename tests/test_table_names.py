"""The simulator records and writes only names the transition table and the enums export."""

from __future__ import annotations

import ast
import contextlib
import random
import re
from collections import Counter
from pathlib import Path

from payloads import BAD_ADDRESSES, order_payload

from lifecycle import Actor, Event, IllegalTransition, OrderStatus, UpdateRejected, actor_of
from simulator import Simulator, load_profile
from simulator._listing import MAX_LIMIT
from simulator._store import Store
from simulator._timeline import _ANY_WAITING_SQL, _BATCH_LOG_SQL, _BATCH_MOVE_SQL

SIMULATOR = Path(__file__).resolve().parent.parent / "simulator"

NAMES = frozenset(status.value for status in OrderStatus) | frozenset(e.value for e in Event)
"""The twelve status strings and every event name."""

QUOTED = re.compile(
    "|".join(f"'{re.escape(name)}'|\"{re.escape(name)}\"" for name in sorted(NAMES, key=len)[::-1])
)
"""A name quoted inside a longer string: a SQL literal, or JSON written by hand."""

SPELT_ALIKE: dict[tuple[str, str], str] = {
    ("_address.py", "hold"): "okc-test trigger token",
    ("_address.py", "cancel"): "okc-test trigger token",
    ("_address.py", "fail"): "okc-test trigger token",
    ("_address.py", "return"): "okc-test trigger token",
    ("_orders.py", "Pending"): "the provider's billing status of a new order",
    ("_consumer_addresses.py", "return"): "the provider's address_type of a return address",
    ("http/_schemas.py", "Error"): "the OpenAPI component of an error response",
    ("http/_openapi.py", "Error"): "the OpenAPI component of an error response",
}
"""Literals that are spelt like a status or an event but name something else."""

MONTH_DAYS = 30
ORDERS_PER_DAY = 4
FORCES_PER_DAY = 3
NOTES = (None, None, "okc-test:hold", "okc-test:cancel", "okc-test:fail", "okc-test:return")
OPERATOR_EVENTS = ("hold", "release", *(e.value for e in Event if e is not Event.CREATE))
"""What an operator may ask for (client events included: the simulator refuses those)."""


def _docstrings(tree: ast.Module) -> set[int]:
    """The ids of the docstring nodes of a module, its classes and functions."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _literal_offenders(path: Path) -> list[str]:
    """Each string literal of a module that is, or quotes, a status or an event name."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = _docstrings(tree)
    where = path.relative_to(SIMULATOR).as_posix()
    offenders: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
            continue
        if id(node) in docs:
            continue
        text = node.value
        named = text if text in NAMES else None
        quoted = QUOTED.search(text)
        if named is not None and (where, named) in SPELT_ALIKE:
            continue
        if named is not None or quoted is not None:
            offenders.append(f"{where}:{node.lineno}: {text[:60]!r}")
    return offenders


def _simulated_month(seed: int) -> Simulator:
    """A month in-process: orders created daily, client status changes, forced operator events.

    Each day some orders are held, released or canceled by their client, and random operator
    events are forced on random orders; refused ones write nothing.
    """
    sim = Simulator(start="2026-03-02T17:00:00Z", seed=seed, profile=load_profile())
    rng = random.Random(seed)
    product = sim.list_products()[0]["id"]
    orders: list[str] = []
    for _day in range(MONTH_DAYS):
        for _ in range(ORDERS_PER_DAY):
            fields: dict[str, object] = {"note": rng.choice(NOTES)}
            if rng.random() < 0.1:
                fields["shipping_address"] = dict(next(iter(BAD_ADDRESSES.values())))
            orders.append(sim.create_order(order_payload(product, **fields))["id"])
        target = rng.choice(
            (OrderStatus.ON_HOLD, OrderStatus.PENDING, OrderStatus.CANCELED_BY_CLIENT)
        )
        with contextlib.suppress(UpdateRejected):  # a closed order, or a held address
            sim.update_order(rng.choice(orders), {"status": target.value})
        for _ in range(FORCES_PER_DAY):
            # Refused when the order's status does not allow it, or for a client's event.
            with contextlib.suppress(IllegalTransition, ValueError):
                sim.force(rng.choice(orders), rng.choice(OPERATOR_EVENTS), "month test")
        sim.advance(seconds=86_400)
    return sim


class TestHistoryNames:
    """Every event the simulator records is an `Event`, and its actor the table's `Actor`."""

    def test_a_simulated_month_records_only_enum_members(self) -> None:
        """Over a month with random operator events, each row's actor is its event's, per table."""
        sim = _simulated_month(seed=11)
        events = {e.value for e in Event}
        rows = [
            (entry["event"], entry["actor"], entry["reason"])
            for order in sim.list_orders(limit=MAX_LIMIT)["orders"]
            for entry in sim.history(order["id"])
        ]
        assert len(rows) > MONTH_DAYS * ORDERS_PER_DAY  # the month did happen (one page holds it)
        strays = Counter(
            (event, actor)
            for event, actor, _ in rows
            if event not in events or actor != actor_of(event).value
        )
        assert not strays, f"history rows off the table, (event, actor): count = {strays}"


class TestNoNameLiterals:
    """No module of the simulator spells a status or an event: it takes them from the table."""

    def test_no_status_or_event_literal_in_the_simulator(self) -> None:
        """Reading every module finds no status or event name as a literal, nor quoted in SQL."""
        offenders = [
            offender
            for path in sorted(SIMULATOR.rglob("*.py"))
            for offender in _literal_offenders(path)
        ]
        assert not offenders, "status or event literals:\n" + "\n".join(offenders)

    def test_spelt_alike_literals_still_exist(self) -> None:
        """Each allowed look-alike is still in its module, so the allowance cannot go stale."""
        for where, literal in SPELT_ALIKE:
            tree = ast.parse((SIMULATOR / where).read_text(encoding="utf-8"))
            values = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)}
            assert literal in values, f"{where} no longer has {literal!r}"


class TestBoundStatuses:
    """Statuses bound as SQL parameters keep the store's partial index in use."""

    def test_index_predicate_is_rendered_from_the_enum(self) -> None:
        """The `orders_pending` index holds the orders in `OrderStatus.PENDING`, as spelt."""
        store = Store(None)
        (sql,) = store.conn.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'orders_pending'"
        ).fetchone()
        assert sql.endswith(f"WHERE status = '{OrderStatus.PENDING.value}'")

    def test_batch_queries_use_the_partial_index(self) -> None:
        """The batch's bound-status queries are planned on `orders_pending`, not a scan."""
        conn = Store(None).conn
        params = {
            "src": OrderStatus.PENDING.value,
            "at": 0,
            "dest": OrderStatus.ACCEPTED.value,
            "event": Event.ACCEPT.value,
            "actor": Actor.BATCH.value,
        }
        for sql, bound in (
            (_BATCH_LOG_SQL, params),
            (_BATCH_MOVE_SQL, params),
            (_ANY_WAITING_SQL, (OrderStatus.PENDING.value,)),
        ):
            plan = " ".join(row[-1] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", bound))
            assert "orders_pending" in plan, (sql, plan)
