"""Writing orders through the engine: a client's create and update, checked and logged."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lifecycle._errors import UpdateRejected, Violation, ViolationCode
from lifecycle._status import OrderStatus
from lifecycle._table import CREATION, Event, actor_of
from lifecycle._validation import validate_create, validate_update
from simulator import (
    _catalogue,
    _changes,
    _consumers,
    _moves,
    _order_lifecycle,
    _orders,
    _rows,
)
from simulator._address import Trigger, TriggerKind, validate_address
from simulator._operations import encode_trigger, parse_trigger
from simulator._timefmt import iso

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Callable

    from simulator._rows import OrderRow
    from simulator._world import World

_CREATED, _CREATOR = CREATION.event.value, CREATION.actor.value
"""The event and actor of a new order's first history row, as the table has them."""


def create(world: World, payload: object, client: str | None) -> dict[str, Any]:
    """Create an order (`Simulator.create_order`).

    Raises:
        NotFound: no such client.
        UpdateRejected: every rule the request breaks.
    """
    client_id = world.client(client)
    valid = validate_create(payload)
    prices = _catalogue.prices(world.seed, client_id)
    other = dict(valid.other_fields)
    ids = world.ids
    with world.writing as conn:
        now = world.stamp()
        problems = _reference_problems(world, conn, client_id, valid.consumer, other)
        problems.extend(_unknown_products(valid.order_lines, prices))
        trigger = _trigger(world, other.get("note"), valid.shipping_address, problems)
        if problems:
            raise UpdateRejected(problems)
        consumer = _order_consumer(world, conn, client_id, valid.consumer, now, save=False)
        # Issued now, saved once below: an order makes up to a dozen ids.
        order_id = ids.issue("order")
        seq = ids.last("order")
        address = _orders.shipping_address(valid.shipping_address)
        review = _address_review(address, trigger)
        status = _moves.start_status(valid.status, review)
        stamp = iso(now)
        doc = _orders.new_order_document(
            {
                **other,
                "id": order_id,
                "client_id": client_id,
                "name": f"OR-{10000 + ids.last('order')}",
                "source": valid.source,
                "order_type": valid.order_type,
                "consumer": _orders.embedded_consumer(consumer),
                "shipping_address": address,
                "order_lines": _orders.build_lines(
                    order_id, valid.order_lines, _id_maker(world, seq, [], conn=None), prices
                ),
                "created_at": stamp,
                "created_by": client_id,
                "updated_by": client_id,
            }
        )
        _orders.price_order(doc)
        ids.save(conn)
        _rows.insert(conn, seq, doc, status, now=now, trigger=_stored_trigger(trigger))
        reason = f"created; address needs review: {review}" if review else "created"
        conn.execute(
            _changes.LOG_ROW_INSERT,
            (seq, now, "status", None, status.value, _CREATED, _CREATOR, reason, None),
        )
    return _orders.overlay(doc, status, stamp)


def update(world: World, order_id: str, payload: object, client: str | None) -> dict[str, Any]:
    """Apply a client's partial update under the client rules (`Simulator.update_order`).

    Raises:
        NotFound: no such order for this client.
        UpdateRejected: every rule the request breaks, including a status that no longer
            allows edits, and releasing a hold while the address still fails.
    """
    client_id = world.client(client)
    with world.writing as conn:
        row = world.load(order_id, client_id)
        valid = validate_update(row.status, payload)
        now = world.stamp()
        prices = _catalogue.prices(world.seed, client_id)
        problems = _unknown_products(valid.changes.get("order_lines") or (), prices)
        consumer = valid.changes.get("consumer") or {}
        unknown = _reference_problems(world, conn, client_id, consumer, {})
        problems.extend(unknown)
        # An unknown consumer cannot be looked up; the other fields are still checked.
        wanted = {k: v for k, v in valid.changes.items() if k != "consumer" or not unknown}
        changes = _new_values(world, conn, row, wanted, prices=prices, now=now)
        doc = _orders.settle(
            "Order", {**row.doc, **{key: new for key, (_old, new) in changes.items()}}
        )
        trigger = (
            _trigger(world, doc.get("note"), doc["shipping_address"], problems)
            if "note" in changes or "shipping_address" in changes
            else parse_trigger(row.trigger)
        )
        if problems:
            raise UpdateRejected(problems)
        review = _address_review(doc["shipping_address"], trigger)
        move = _moves.client_move(row.status, valid.event, review)
        if not changes and move is None:
            return row.document()
        if changes:
            _moves.edit(row.status)
            if "order_lines" in changes:
                _orders.price_order(doc)
            doc["updated_by"] = client_id
        _changes.record(conn, *_log(row, now, changes, move))
        status = row.status if move is None else move.dest
        released = status is not row.status and status is OrderStatus.PENDING
        stored = _stored_trigger(trigger)
        _rows.save(conn, row.seq, doc, status, now=now, trigger=stored, released=released)
    return _order_lifecycle.overlay(doc, status, iso(now), row.lifecycle)


def _log(
    row: OrderRow, now: int, changes: Mapping[str, tuple[Any, Any]], move: _moves.Move | None
) -> list[_changes.Change]:
    """The log rows of an update: one per changed field, then the status move if any."""
    edit, editor = Event.UPDATE.value, actor_of(Event.UPDATE).value
    log = [
        _changes.Change(row.seq, now, key, old, new, edit, editor, None, row.updated_at)
        for key, (old, new) in changes.items()
    ]
    if move is not None:
        log.append(
            _changes.Change(
                row.seq,
                now,
                "status",
                move.source,
                move.dest,
                move.event.value,
                move.actor.value,
                move.reason,
                row.updated_at,
            )
        )
    return log


def _stored_trigger(trigger: Trigger | None) -> str | None:
    return None if trigger is None else encode_trigger(trigger)


def _new_values(  # noqa: PLR0913 - the world, the order, and the update's values
    world: World,
    conn: sqlite3.Connection,
    row: OrderRow,
    changes: Mapping[str, Any],
    *,
    prices: Mapping[str, float],
    now: int,
) -> dict[str, tuple[Any, Any]]:
    """`field -> (old, new)` for every field the update really changes.

    Raises:
        UpdateRejected: an item id the order does not have.
    """
    found: dict[str, tuple[Any, Any]] = {}
    for key, value in changes.items():
        old = row.doc.get(key)
        if key == "shipping_address":
            new: Any = _orders.shipping_address(value)
        elif key == "consumer":
            new = _orders.embedded_consumer(_order_consumer(world, conn, row.client_id, value, now))
        elif key == "order_lines":
            new, unknown = _orders.merge_lines(
                row.id, old or [], value, _id_maker(world, row.seq, old or [], conn=conn), prices
            )
            if unknown:
                raise UpdateRejected(
                    Violation(
                        path,
                        ViolationCode.UNKNOWN_REFERENCE,
                        f"This order has no item with the id sent at {path}; send no id "
                        "to add an item.",
                    )
                    for path in unknown
                )
        else:
            new = value
        if new != old:
            found[key] = (old, new)
    return found


def _id_maker(
    world: World,
    order_seq: int,
    lines: list[dict[str, Any]],
    *,
    conn: sqlite3.Connection | None,
) -> Callable[[str], str]:
    """Makes the ids of an order's new parts: lines numbered on from its existing ones.

    Args:
        world: the world.
        order_seq: the order's number.
        lines: its lines now.
        conn: the transaction to save the id counters in, or None when the caller saves them.
    """
    codec, ids = world.ids.codec, world.ids
    numbers = itertools.count(
        max((_orders.line_key(codec, line["id"])[1] for line in lines), default=0) + 1
    )

    def make(kind: str) -> str:
        if kind == _orders.LINE_ID_KIND:
            return _orders.line_id(codec, order_seq, next(numbers))
        return ids.issue(kind) if conn is None else ids.next(conn, kind)

    return make


def _reference_problems(
    world: World,
    conn: sqlite3.Connection,
    client_id: str,
    consumer: Mapping[str, Any],
    other: Mapping[str, Any],
) -> list[Violation]:
    """What a create refers to that does not exist, or that must be unique and is not."""
    problems: list[Violation] = []
    custom = other.get("client_custom_order_id")
    if custom is not None:
        owner = _rows.custom_id_owner(conn, client_id, custom)
        if owner is not None:
            problems.append(
                Violation(
                    "client_custom_order_id",
                    ViolationCode.DUPLICATE,
                    f"Order {owner} already has client_custom_order_id '{custom}'; "
                    "each order needs its own.",
                )
            )
    consumer_id = consumer.get("id")
    if consumer_id is not None and not _consumers.exists(
        conn, world.consumer_key(consumer_id), client_id
    ):
        problems.append(
            Violation(
                "consumer.id",
                ViolationCode.UNKNOWN_REFERENCE,
                f"No consumer with id '{consumer_id}'; create it first or send "
                "first_name and last_name instead.",
            )
        )
    return problems


def _order_consumer(  # noqa: PLR0913 - the world, the order's client, and its consumer
    world: World,
    conn: sqlite3.Connection,
    client_id: str,
    consumer: Mapping[str, Any],
    now: int,
    *,
    save: bool = True,
) -> dict[str, Any]:
    """The consumer an order embeds: an existing one (updated with any fields sent) or new.

    With `save=False` a new consumer's id is issued but the id counters are left for the
    caller to save in the same transaction.
    """
    fields = {k: v for k, v in consumer.items() if k in _consumers.FIELDS}
    consumer_id = consumer.get("id")
    if consumer_id is not None:
        return _consumers.update(conn, world.consumer_key(consumer_id), client_id, fields, now)
    ids = world.ids
    new_id = ids.next(conn, "consumer") if save else ids.issue("consumer")
    return _consumers.insert(conn, (ids.last("consumer"), new_id), client_id, fields, now)


def _trigger(
    world: World, note: object, address: Mapping[str, Any], problems: list[Violation]
) -> Trigger | None:
    """The order's test trigger, from its note or address; a bad note adds a problem."""
    try:
        return world.operations.trigger(note, address)
    except ValueError as error:
        problems.append(Violation("note", ViolationCode.MALFORMED, str(error)))
        return None


def _address_review(address: Mapping[str, Any], trigger: Trigger | None) -> str:
    """Why the address needs review, or "" when it passes."""
    reasons = [problem.message for problem in validate_address(address)]
    if trigger is not None and trigger.kind is TriggerKind.ADDRESS_REVIEW:
        reasons.append("test trigger: this order's address always needs review")
    return "; ".join(reasons)


def _unknown_products(lines: Any, prices: Mapping[str, float]) -> list[Violation]:  # noqa: ANN401
    """A violation for each pouch content whose product is not in the client's catalogue."""
    problems: list[Violation] = []
    for i, line in enumerate(lines):
        if not isinstance(line, Mapping) or not _orders.is_live(line):
            continue
        for j, pouch in enumerate(line.get("pouches") or ()):
            if not isinstance(pouch, Mapping) or not _orders.is_live(pouch):
                continue
            for k, content in enumerate(pouch.get("contents") or ()):
                product = content.get("client_product_id") if isinstance(content, Mapping) else None
                if product is not None and product not in prices:
                    problems.append(
                        Violation(
                            f"order_lines[{i}].pouches[{j}].contents[{k}].client_product_id",
                            ViolationCode.UNKNOWN_REFERENCE,
                            f"No product with id '{product}' in this client's catalogue "
                            "(GET /v2/products lists them).",
                        )
                    )
    return problems
