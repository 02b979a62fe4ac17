"""Order documents in the provider's JSON shape: built from a validated request, then edited.

The store keeps each order as this document plus a few indexed columns; the columns that
change over time (status, updated_at) are authoritative and laid over the document on read,
with the fields the lifecycle's events set (`_order_lifecycle`). A document follows the
provider's null rule (`lifecycle._models.NULL_RULE`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import attrs

from lifecycle._convert import order_to_json
from lifecycle._models import NULL_RULE, Absent, Order, OrderLine, Pouch, ShippingAddress
from lifecycle._status import OrderStatus
from simulator import _json
from simulator._address import find_state

if TYPE_CHECKING:
    from simulator._idcodec import IdCodec

_STATE_RENAMED: dict[OrderStatus, str] = {
    OrderStatus.PENDING: "New",
    OrderStatus.ON_HOLD: "Warning",
    OrderStatus.ACCEPTED: "Submitted",
    OrderStatus.CANCELED_BY_CLIENT: "Canceled",
    OrderStatus.CANCELED_BY_OKC: "Canceled",
    OrderStatus.REPLACED: "Canceled",
    OrderStatus.VOIDED: "Canceled",
}
"""The statuses whose provider `state` has a name of its own."""

STATE_OF: dict[str, str] = {
    status: _STATE_RENAMED.get(status, status.value) for status in OrderStatus
}
"""The provider's internal `state` for each client-facing status: the status's own name,
unless `_STATE_RENAMED` gives another."""

INITIAL_BILLING_STATUS = "Pending"
"""The provider's `billing_status` of a new order: a billing status, not an `OrderStatus`,
though spelt like one."""

FULFILLMENT_FEE_PER_LINE = 2.5
SHIPPING_FEE = 5.95
PACK_PRICE_PER_POUCH = 0.35
"""What a pouch built from a pack (`pack_id`) costs per day; contents are priced per pill."""

NewId = Callable[[str], str]
"""Makes the next id of a kind ("line", "pouch", "content")."""

LINE_ID_KIND = "line"
_LINE_BITS = 20
_LINE_MASK = (1 << _LINE_BITS) - 1
"""A line's id reads back (`IdCodec`) to its order's `seq` and its number within the order:
the order's `seq` in the high bits, the line's in the low 20 (a million lines an order)."""


def line_id(codec: IdCodec, order_seq: int, number: int) -> str:
    """The id of an order's `number`-th line (from 1).

    Raises:
        ValueError: the order has had more lines than an id can number.
    """
    if not 0 < number <= _LINE_MASK:
        raise ValueError(f"line number {number} is outside 1..{_LINE_MASK}")
    return codec.make(LINE_ID_KIND, order_seq << _LINE_BITS | number)


def line_key(codec: IdCodec, text: object) -> tuple[int, int]:
    """The order `seq` and line number a line id reads back to; `(0, 0)` for no line's id."""
    number = codec.number(LINE_ID_KIND, text) or 0
    return number >> _LINE_BITS, number & _LINE_MASK


_PLACEHOLDER_TIME = datetime(2000, 1, 1, tzinfo=UTC)


def empty_order_document() -> dict[str, Any]:
    """An order with no values, by the null rule: required keys, nullable ones null, lists empty."""
    return order_to_json(
        Order(
            created_at=_PLACEHOLDER_TIME,
            updated_at=_PLACEHOLDER_TIME,
            id="",
            client_id="",
        )
    )


OVERLAID = (
    "status",
    "state",
    "updated_at",
    "billing_status",
    "batch_id",
    "batch_ids",
    "submission_date",
)
"""Document keys the store never keeps: they come from the order's columns (and, once a batch
accepted it, its log) on every read (`_order_lifecycle`)."""
LINE_OVERLAID = ("batch_id", "order_acceptance_date")
"""Line keys the store never keeps; `status` is kept as null and `fulfillment_id` as the client
sent it, and both are laid over once the order is accepted or shipped."""


def defaults(kind: str) -> dict[str, Any]:
    """What a new `kind` document holds before any value is given: `NULL_RULE`'s values and nulls.

    Args:
        kind: a model class's name in `NULL_RULE` ("Order", "OrderLine", "Pouch", ...).
    """
    found: dict[str, Any] = {}
    for field, rule in NULL_RULE[kind].items():
        if rule.value is Absent.NULL:
            found[field] = None
        elif not isinstance(rule.value, Absent):
            found[field] = rule.value
    return found


def settle(kind: str, doc: dict[str, Any]) -> dict[str, Any]:
    """Apply the null rule to the None values of a document (a client may send null to clear).

    A field the provider allows to be null keeps its null; another takes the rule's value or
    is left out. Returns the same document.
    """
    rules = NULL_RULE[kind]
    for key in [key for key, value in doc.items() if value is None]:
        rule = rules.get(key)
        if rule is None or rule.value is Absent.NULL:
            continue
        if isinstance(rule.value, Absent):
            del doc[key]
        else:
            doc[key] = rule.value
    return doc


def _client_keys(kind: type, *server: str) -> frozenset[str]:
    """The fields of a part a client's request may give (validation has checked them)."""
    return frozenset(field.name for field in attrs.fields(kind)) - set(server)


_EMPTY_ORDER = {k: v for k, v in empty_order_document().items() if k not in OVERLAID}
_LINE_KEYS = _client_keys(
    OrderLine,
    "id",
    "order_id",
    "pouching_summary",
    "pouches",
    "total",
    "unit_price",
    "status",
    *LINE_OVERLAID,
)
_LINE_DEFAULTS: dict[str, Any] = {
    "pouching_summary": [],
    **{k: v for k, v in defaults("OrderLine").items() if k not in LINE_OVERLAID},
    "pouches": [],
    "source_line_item_ids": [],
}
_POUCH_KEYS = _client_keys(Pouch, "id", "order_line_id", "contents", "crm_id")
_POUCH_DEFAULTS: dict[str, Any] = {**defaults("Pouch"), "contents": []}
_CONTENT_KEYS = ("client_product_id", "serving_size")
_ADDRESS_FIELDS = tuple(field.name for field in attrs.fields(ShippingAddress))
_ADDRESS_REQUIRED = tuple(
    field.name for field in attrs.fields(ShippingAddress) if field.default is attrs.NOTHING
)


def is_live(item: object) -> bool:
    """Whether a nested object of an update is kept (`is_deleted: true` removes it)."""
    if type(item) is dict:  # decoded JSON, nearly always: skip the slower ABC check
        return item.get("is_deleted") is not True
    return not (isinstance(item, Mapping) and item.get("is_deleted") is True)


def build_lines(
    order_id: str,
    lines: Any,  # noqa: ANN401 - validated JSON
    new_id: NewId,
    prices: Mapping[str, float],
) -> list[dict[str, Any]]:
    """Build the order's lines from a validated request, with ids, summaries and totals."""
    built: list[dict[str, Any]] = []
    for line in lines:
        if not is_live(line):
            continue
        line_id = new_id("line")  # ids are the server's to give
        doc: dict[str, Any] = {"id": line_id, "order_id": order_id}
        doc.update(_LINE_DEFAULTS)
        doc.update({k: v for k, v in line.items() if k in _LINE_KEYS})
        settle("OrderLine", doc)
        doc["pouches"] = [
            _build_pouch(line_id, pouch, new_id)
            for pouch in line.get("pouches", ())
            if is_live(pouch)
        ]
        _price_line(doc, prices)
        built.append(doc)
    return built


def merge_lines(
    order_id: str,
    current: list[dict[str, Any]],
    sent: Any,  # noqa: ANN401 - validated JSON
    new_id: NewId,
    prices: Mapping[str, float],
) -> tuple[list[dict[str, Any]], list[str]]:
    """Apply an update's `order_lines` to the order's lines, the way the provider does.

    An item with an `id` edits that item of the order (only the fields sent change; its
    nested arrays are merged the same way); `is_deleted: true` removes it; an item without
    an `id` is new. Items not mentioned stay as they are.

    Returns:
        The new lines, and the paths of items whose `id` the order does not have.
    """
    unknown: list[str] = []
    lines = _merge(
        current,
        sent,
        "order_lines",
        unknown,
        build=lambda line: build_lines(order_id, [line], new_id, prices)[0],
        edit=lambda old, line, path: _edit_line(old, line, path, new_id, unknown),
    )
    for line in lines:
        _price_line(line, prices)
    return lines, unknown


def _merge(  # noqa: PLR0913 - the two lists, where they are, and how to make and edit items
    current: list[dict[str, Any]],
    sent: Any,  # noqa: ANN401 - validated JSON
    path: str,
    unknown: list[str],
    *,
    build: Callable[[Mapping[str, Any]], dict[str, Any]],
    edit: Callable[[dict[str, Any], Mapping[str, Any], str], dict[str, Any]],
) -> list[dict[str, Any]]:
    merged = [dict(item) for item in current]
    for index, item in enumerate(sent):
        item_id = item.get("id")
        if item_id is None:
            if is_live(item):
                merged.append(build(item))
            continue
        position = next((i for i, old in enumerate(merged) if old["id"] == item_id), None)
        if position is None:
            unknown.append(f"{path}[{index}].id")
        elif not is_live(item):
            del merged[position]
        else:
            merged[position] = edit(merged[position], item, f"{path}[{index}]")
    return merged


def _edit_line(
    old: dict[str, Any], line: Mapping[str, Any], path: str, new_id: NewId, unknown: list[str]
) -> dict[str, Any]:
    doc = settle("OrderLine", {**old, **{k: v for k, v in line.items() if k in _LINE_KEYS}})
    if "pouches" in line:
        doc["pouches"] = _merge(
            old["pouches"],
            line["pouches"],
            f"{path}.pouches",
            unknown,
            build=lambda pouch: _build_pouch(old["id"], pouch, new_id),
            edit=lambda before, pouch, where: _edit_pouch(before, pouch, where, new_id, unknown),
        )
    return doc


def _edit_pouch(
    old: dict[str, Any], pouch: Mapping[str, Any], path: str, new_id: NewId, unknown: list[str]
) -> dict[str, Any]:
    doc = settle("Pouch", {**old, **{k: v for k, v in pouch.items() if k in _POUCH_KEYS}})
    if "contents" in pouch:
        doc["contents"] = _merge(
            old["contents"],
            pouch["contents"],
            f"{path}.contents",
            unknown,
            build=lambda content: _build_content(old["id"], content, new_id),
            edit=lambda before, content, _where: settle(
                "PouchContent",
                {**before, **{k: v for k, v in content.items() if k in _CONTENT_KEYS}},
            ),
        )
    return doc


def _build_content(pouch_id: str, content: Mapping[str, Any], new_id: NewId) -> dict[str, Any]:
    doc = {"id": new_id("content"), "pouch_id": pouch_id, **defaults("PouchContent")}
    doc.update({k: v for k, v in content.items() if k in _CONTENT_KEYS})
    return settle("PouchContent", doc)


def _build_pouch(line_id: str, pouch: Mapping[str, Any], new_id: NewId) -> dict[str, Any]:
    pouch_id = new_id("pouch")
    doc: dict[str, Any] = {"id": pouch_id, "order_line_id": line_id}
    doc.update(_POUCH_DEFAULTS)
    doc.update({k: v for k, v in pouch.items() if k in _POUCH_KEYS})
    settle("Pouch", doc)
    doc["contents"] = [
        _build_content(pouch_id, content, new_id)
        for content in pouch.get("contents", ())
        if is_live(content)
    ]
    return doc


def _price_line(line: dict[str, Any], prices: Mapping[str, float]) -> None:
    duration = int(line["duration"] or 30)
    per_day = 0.0
    summary: dict[str, int] = {}
    for pouch in line["pouches"]:
        toa = pouch["time_of_administration"]
        summary[toa] = summary.get(toa, 0) + duration
        if pouch["contents"]:
            per_day += sum(
                prices.get(c["client_product_id"], 0.0) * (c["serving_size"] or 1)
                for c in pouch["contents"]
            )
        else:
            per_day += PACK_PRICE_PER_POUCH
    line["pouching_summary"] = [{"toa": toa, "pouch_count": n} for toa, n in summary.items()]
    line["unit_price"] = round(per_day, 2)
    line["total"] = round(per_day * duration, 2)


def shipping_address(address: Mapping[str, Any]) -> dict[str, Any]:
    """The order's shipping address in the provider's shape (unknown keys dropped).

    The provider requires `province_name` and `postal_code`, which a client may leave out
    (an address abroad may have neither): the state's name is read from `province_code`
    where it names a US state, and an unknown one is empty text.
    """
    doc = {name: address[name] for name in _ADDRESS_FIELDS if address.get(name) is not None}
    if "province_name" not in doc:
        state = find_state(doc.get("province_code", ""))
        doc["province_name"] = "" if state is None else state.name
    for name in _ADDRESS_REQUIRED:
        doc.setdefault(name, "")
    return doc


def embedded_consumer(consumer: Mapping[str, Any]) -> dict[str, Any]:
    """The consumer as an order embeds it: by the null rule, its missing values left out."""
    return settle("Consumer", dict(consumer))


def price_order(doc: dict[str, Any]) -> None:
    """Fill the read-only money fields and the pouch count from the lines."""
    lines = doc["order_lines"]
    fees = FULFILLMENT_FEE_PER_LINE * len(lines)
    doc["fulfillment_fee_total"] = round(fees, 2)
    doc["shipping_fee_total"] = SHIPPING_FEE
    doc["discount_total"] = 0.0
    doc["total"] = round(sum(line["total"] or 0.0 for line in lines) + fees + SHIPPING_FEE, 2)
    doc["total_pouch_count"] = sum(
        entry["pouch_count"] for line in lines for entry in line["pouching_summary"]
    )
    kinds = {bool(p["contents"]) for line in lines for p in line["pouches"]}
    doc["composition"] = "Roll Only" if kinds == {True} else "Roll Kit" if kinds else None


def new_order_document(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A new order's document as stored: the given fields by the null rule, none overlaid."""
    doc = dict(_EMPTY_ORDER)
    doc.update(fields)
    return settle("Order", doc)


def stored_text(doc: Mapping[str, Any]) -> str:
    """The JSON text the store keeps for an order: the document without its overlaid keys."""
    if any(key in doc for key in OVERLAID):
        doc = {k: v for k, v in doc.items() if k not in OVERLAID}
    return _json.dumps(doc)


_OVERLAY_PREFIX = {
    status.value: '{"status":' + _json.dumps(status.value) + ',"state":' + _json.dumps(state) + ","
    for status, state in ((OrderStatus(k), v) for k, v in STATE_OF.items())
}


def document_head(
    status: str,
    updated_at: str,
    billing_status: str = INITIAL_BILLING_STATUS,
    batches: Mapping[str, str] | None = None,
) -> str:
    """The start of an order's API JSON, up to its stored keys: `{"status":...,"updated_at":...,`.

    Args:
        status: the order's status column.
        updated_at: its `updated_at`, already formatted (ISO 8601, no characters to escape).
        billing_status: its billing status (`_order_lifecycle.billing_status`).
        batches: its `batch_id` and `batch_ids`, once a batch accepted it.
    """
    head = f'{_OVERLAY_PREFIX[status]}"billing_status":{_json.dumps(billing_status)},'
    for key, value in (batches or {}).items():
        head += f"{_json.dumps(key)}:{_json.dumps(value)},"
    return f'{head}"updated_at":"{updated_at}",'


def document_text(stored: str, status: str, updated_at: str) -> str:
    """A never-accepted order's JSON as the API shows it, spliced from stored text undecoded.

    Args:
        stored: what `stored_text` made (a JSON object with at least one key).
        status: the order's status column.
        updated_at: its `updated_at`, already formatted (ISO 8601, no characters to escape).
    """
    return document_head(status, updated_at) + stored[1:]


def overlay(
    doc: dict[str, Any],
    status: str,
    updated_at: str,
    billing_status: str = INITIAL_BILLING_STATUS,
) -> dict[str, Any]:
    """Lay the authoritative columns over a stored document."""
    value = OrderStatus(status).value
    doc["status"] = value
    doc["state"] = STATE_OF[value]
    doc["billing_status"] = billing_status
    doc["updated_at"] = updated_at
    return doc
