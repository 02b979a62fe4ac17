"""Tests for the order and fulfillment models and their JSON converters."""

from __future__ import annotations

import copy
import datetime as dt
import json
import types
import typing
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lifecycle._convert import (
    MalformedDocument,
    converter,
    fulfillment_from_json,
    fulfillment_to_json,
    order_from_json,
    order_to_json,
)
from lifecycle._errors import ViolationCode
from lifecycle._machine import fire
from lifecycle._models import (
    Consumer,
    Fulfillment,
    Order,
    OrderLine,
    Pouch,
    PouchContent,
    ShippingAddress,
)
from lifecycle._status import OrderStatus
from lifecycle._table import Event

if TYPE_CHECKING:
    from attrs import AttrsInstance

_M = TypeVar("_M", bound="AttrsInstance")

SCHEMAS: dict[str, Any] = json.loads(
    (Path(__file__).parent / "data" / "provider_schemas.json").read_text(encoding="utf-8")
)

ORDER_ID = "0d4f7a3e-2b1c-4e5f-8a9b-1c2d3e4f5a6b"
LINE_ID = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
POUCH_ID = "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e"
CLIENT_ID = "3c4d5e6f-7a8b-4c9d-8e1f-2a3b4c5d6e7f"

FULL_ORDER: dict[str, Any] = {
    "created_at": "2026-03-20T09:12:28Z",
    "updated_at": "2026-03-21T10:00:00.250000Z",
    "id": ORDER_ID,
    "client_id": CLIENT_ID,
    "name": "March pack",
    "batch_id": "4d5e6f7a-8b9c-4d0e-9f2a-3b4c5d6e7f80",
    "batch_ids": "4d5e6f7a-8b9c-4d0e-9f2a-3b4c5d6e7f80,5e6f7a8b-9c0d-4e1f-8a3b-4c5d6e7f8091",
    "source_client_order_id": "shop-1001",
    "client_custom_order_id": "CUST-1001",
    "billing_status": "Unbilled",
    "state": "Submitted",
    "status": "On Hold",
    "source": "api",
    "order_type": "standard",
    "email": "ada@example.com",
    "phone_number": "+12135550100",
    "note": "Leave at the door",
    "pack_builder_id": "6f7a8b9c-0d1e-4f2a-9b4c-5d6e7f8091a2",
    "okc_affiliate_id": "aff-7",
    "total_pouch_count": 60,
    "created_by": "7a8b9c0d-1e2f-4a3b-8c5d-6e7f8091a2b3",
    "updated_by": "7a8b9c0d-1e2f-4a3b-8c5d-6e7f8091a2b3",
    "composition": "Roll Only",
    "consumer": {
        "created_at": "2026-01-02T03:04:05Z",
        "updated_at": "2026-01-02T03:04:05Z",
        "id": "8b9c0d1e-2f3a-4b4c-9d6e-7f8091a2b3c4",
        "client_id": CLIENT_ID,
        "email": "ada@example.com",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "phone_number": "+12135550100",
        "client_custom_consumer_id": "C-42",
        "crm_account_id": "crm-acc-1",
        "crm_id": "crm-1",
    },
    "shipping_address": {
        "address1": "1 Main St",
        "address2": "Apt 2",
        "city": "Los Angeles",
        "province_name": "California",
        "province_code": "US-CA",
        "postal_code": "90001",
        "country_name": "United States",
        "country_code": "US",
    },
    "order_lines": [
        {
            "id": LINE_ID,
            "pouching_summary": [{"toa": "Morning", "pouch_count": 30}],
            "order_id": ORDER_ID,
            "batch_id": "4d5e6f7a-8b9c-4d0e-9f2a-3b4c5d6e7f80",
            "fulfillment_id": "9c0d1e2f-3a4b-4c5d-8e7f-8091a2b3c4d5",
            "packaging_asset_group_id": "0d1e2f3a-4b5c-4d6e-9f80-91a2b3c4d5e6",
            "product_line_id": "1e2f3a4b-5c6d-4e7f-8091-a2b3c4d5e6f7",
            "kit_id": "kit-1",
            "client_custom_pack_name": "Morning energy",
            "discount_amount": 2.5,
            "name": "Morning energy pack",
            "physician_name": "Dr. Who",
            "duration": 30,
            "total": 49.99,
            "unit_price": 52.49,
            "client_custom_line_ids": "a,b",
            "client_custom_order_line_id": "L-1",
            "replacement_order_line_id": "2f3a4b5c-6d7e-4f80-91a2-b3c4d5e6f708",
            "warnings": "none",
            "lot_information": "lot 7",
            "children_count": 0,
            "children_tracking_numbers": "",
            "crm_id": "crm-line-1",
            "pouches": [
                {
                    "id": POUCH_ID,
                    "order_line_id": LINE_ID,
                    "time_of_administration": "Morning",
                    "custom_label": "AM",
                    "pack_id": "3a4b5c6d-7e8f-4091-a2b3-c4d5e6f70819",
                    "cycle": "1",
                    "cycle_length": 7,
                    "duration": 30,
                    "crm_id": "crm-pouch-1",
                    "set_id": "4b5c6d7e-8f90-41a2-b3c4-d5e6f708192a",
                    "contents": [
                        {
                            "id": "5c6d7e8f-9001-42a3-84c5-d6e7f8091a2b",
                            "pouch_id": POUCH_ID,
                            "client_product_id": "6d7e8f90-0112-43a4-95d6-e7f8091a2b3c",
                            "serving_size": 2,
                            "crm_id": "crm-content-1",
                        }
                    ],
                }
            ],
            "is_expedited": False,
            "is_priority_shipping": True,
            "is_priority_production": False,
            "has_special_handling": True,
            "special_handling_instructions": "Fragile",
            "share_url": "https://example.com/share/1",
            "custom_text_1": "one",
            "custom_text_2": "two",
            "custom_text_3": "three",
            "source_line_item_ids": ["li-1", 1002, 3.5],
            "is_static_item": False,
            "contains_standalone": False,
            "set_id": "4b5c6d7e-8f90-41a2-b3c4-d5e6f708192a",
            "status": "Active",
            "order_acceptance_date": "2026-03-22",
        }
    ],
    "submission_date": "2026-03-20T09:30:00Z",
    "total": 49.99,
    "discount_total": 2.5,
    "fulfillment_fee_total": 3,
    "shipping_fee_total": 4.25,
    "comments": "VIP",
    "engineering_notes": "migrated",
    "crm_id": "crm-order-1",
}

FULL_FULFILLMENT: dict[str, Any] = {
    "created_at": "2026-03-25T08:00:00Z",
    "updated_at": "2026-03-26T08:00:00Z",
    "id": "7e8f9001-1223-44b5-a6e7-f8091a2b3c4d",
    "order_id": ORDER_ID,
    "consumer_id": "8b9c0d1e-2f3a-4b4c-9d6e-7f8091a2b3c4",
    "status_id": "8f900112-2334-45c6-b7f8-091a2b3c4d5e",
    "delivery_date": "2026-03-28T17:45:00Z",
    "pickup_date": "2026-03-26T12:00:00Z",
    "tracking_info": {
        "shipping_carrier": "USPS",
        "shipping_method": "Priority",
        "tracking_number": "9400100000000000000000",
        "tracking_url": "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400100000000000000000",
    },
    "shipment_order_id": "so-1",
    "shipment_order_number": "SO-0001",
    "label_url": "https://example.com/label.pdf",
    "shipper_okc_product_id": "90011223-3445-46d7-88f9-1a2b3c4d5e6f",
    "shipping_net_charge": 7.8,
    "shipping_charge_model": "flat",
    "weight": 0.4,
    "external_fulfillment_id": "ext-1",
    "order_lines": [
        {
            "id": LINE_ID,
            "order_id": ORDER_ID,
            "fulfillment_id": "7e8f9001-1223-44b5-a6e7-f8091a2b3c4d",
            "discount_amount": 0,
            "name": "Morning energy pack",
            "supplement_pack_name": "Morning energy",
            "physician_name": "Dr. Who",
            "custom_text_1": "one",
            "custom_text_2": "two",
            "custom_text_3": "three",
            "serving_size": 2,
            "duration": 30,
            "total": 49.99,
            "unit_price": 52.49,
            "client_custom_line_ids": "a,b",
            "client_custom_order_line_id": "L-1",
            "replacement_order_line_id": "2f3a4b5c-6d7e-4f80-91a2-b3c4d5e6f708",
            "warnings": "none",
            "lot_information": "lot 7",
            "children_count": 0,
            "children_tracking_numbers": "",
            "crm_id": "crm-line-1",
            "source_line_item_ids": ["li-1", 1002],
            "is_priority_shipping": True,
        }
    ],
    "crm_id": "crm-ff-1",
}

MINIMAL_ORDER: dict[str, Any] = {
    "created_at": "2026-03-20T09:12:28Z",
    "updated_at": "2026-03-20T09:12:28Z",
    "id": ORDER_ID,
    "client_id": CLIENT_ID,
}


def _set(doc: dict[str, Any], path: tuple[str | int, ...], value: object) -> dict[str, Any]:
    """Return a deep copy of `doc` with the value at `path` replaced (or removed if ...)."""
    out = copy.deepcopy(doc)
    node: Any = out
    for step in path[:-1]:
        node = node[step]
    if value is ...:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


def _json_text_round_trip(doc: dict[str, Any]) -> dict[str, Any]:
    """Send a document through real JSON text, as a client and server would."""
    loaded: dict[str, Any] = json.loads(json.dumps(doc))
    return loaded


# --- A tiny checker for the subset of JSON Schema the vendored shapes use. ----------------


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


def _schema_errors(
    value: object, schema: dict[str, Any], path: str, *, strict: bool, complete: bool = True
) -> list[str]:
    """List where `value` departs from `schema`.

    With `strict`, null is allowed only where the schema says `nullable`; without it, null
    is also allowed for any property the schema does not require (the fulfillment converter
    writes an absent optional field as null). With `complete`, every property must be there;
    without it, a property the schema does not require may be left out (the order null rule).
    """
    if value is None:
        return [] if schema.get("nullable") or not strict else [f"{path}: null not allowed"]
    if "oneOf" in schema:
        if any(
            not _schema_errors(value, s, path, strict=strict, complete=complete)
            for s in schema["oneOf"]
        ):
            return []
        return [f"{path}: {value!r} matches no alternative"]
    kind = schema.get("type")
    # bool is an int in Python but never a number in JSON.
    if kind is not None and (
        not isinstance(value, _JSON_TYPES[kind]) or (kind != "boolean" and isinstance(value, bool))
    ):
        return [f"{path}: expected {kind}, got {type(value).__name__} {value!r}"]
    errors = _format_errors(value, schema.get("format"), path)
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: {value!r} not in {schema['enum']}")
    if isinstance(value, list):
        for index, item in enumerate(value):
            errors += _schema_errors(
                item, schema["items"], f"{path}[{index}]", strict=strict, complete=complete
            )
    if isinstance(value, dict):
        errors += _object_errors(value, schema, path, strict=strict, complete=complete)
    return errors


def _object_errors(
    value: dict[str, Any], schema: dict[str, Any], path: str, *, strict: bool, complete: bool
) -> list[str]:
    """Check an object's keys are the schema's properties (all of them if `complete`)."""
    properties: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", ()))
    errors = [f"{path}.{key}: not in the schema" for key in value.keys() - properties]
    errors += [
        f"{path}.{key}: missing"
        for key in properties.keys() - value.keys()
        if complete or key in required
    ]
    for key, sub in properties.items():
        if key in value:
            item_strict = strict or key in required
            errors += _schema_errors(
                value[key], sub, f"{path}.{key}", strict=item_strict, complete=complete
            )
    return errors


def _format_errors(value: object, fmt: str | None, path: str) -> list[str]:
    """Check the formats the converters are responsible for."""
    if not isinstance(value, str):
        return []
    try:
        if fmt == "date-time":
            parsed = dt.datetime.fromisoformat(value)
            assert value.endswith("Z"), "not UTC with a Z suffix"
            assert parsed.utcoffset() == dt.timedelta(0)
        elif fmt == "date":
            dt.date.fromisoformat(value)
        elif fmt == "uuid":
            uuid.UUID(value)
    except (AssertionError, ValueError) as exc:
        return [f"{path}: {value!r} is not a valid {fmt} ({exc})"]
    return []


# --- Strategies that mirror the vendored schema, field by field. ---------------------------

_OFFSETS = st.integers(-14 * 60, 14 * 60).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))
# Hypothesis takes naive bounds and attaches the drawn zone itself.
_DATETIMES = st.datetimes(
    min_value=dt.datetime(2000, 1, 1),
    max_value=dt.datetime(2100, 1, 1),
    timezones=_OFFSETS,
)
_FLOATS = st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(10**9), 10**9)
_INTS = st.integers(-(10**9), 10**9)
_TEXT = st.text(max_size=8)


def _optional_inner(type_: Any) -> Any:
    """Return X for `X | None`, else None."""
    args = typing.get_args(type_)
    if typing.get_origin(type_) in {types.UnionType, typing.Union} and type(None) in args:
        return next(a for a in args if a is not type(None))
    return None


def _value_strategy(type_: Any, schema: dict[str, Any], *, full: bool) -> st.SearchStrategy[Any]:
    """Build values of `type_` that the schema allows; `full` fills every optional field."""
    inner = _optional_inner(type_)
    if inner is not None:
        present = _value_strategy(inner, schema, full=full)
        return present if full else st.none() | present
    if attrs.has(type_):
        return _class_strategy(type_, schema, full=full)
    if typing.get_origin(type_) is tuple:
        item_type = typing.get_args(type_)[0]
        items = _value_strategy(item_type, schema["items"], full=full)
        return st.lists(items, min_size=1 if full else 0, max_size=2).map(tuple)
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if schema.get("format") == "uuid":
        return st.uuids().map(str)
    scalars: dict[Any, st.SearchStrategy[Any]] = {
        str: _TEXT,
        float: _FLOATS,
        int: _INTS,
        bool: st.booleans(),
        dt.datetime: _DATETIMES,
        dt.date: st.dates(),
        OrderStatus: st.sampled_from(OrderStatus),
        str | int | float: _TEXT | _INTS | _FLOATS,
    }
    return scalars[type_]


def _class_strategy(cls: type[_M], schema: dict[str, Any], *, full: bool) -> st.SearchStrategy[_M]:
    """Build instances of a model class, each field drawn as its schema property allows."""
    properties = schema["properties"]
    fields = {
        f.name: _value_strategy(f.type, properties[f.name], full=full) for f in attrs.fields(cls)
    }
    return st.builds(cls, **fields)


def orders(*, full: bool = False) -> st.SearchStrategy[Order]:
    """Orders whose every field fits the provider's Order schema."""
    return _class_strategy(Order, SCHEMAS["Order"], full=full)


def fulfillments(*, full: bool = False) -> st.SearchStrategy[Fulfillment]:
    """Fulfillments whose every field fits the provider's Fulfillment schema."""
    return _class_strategy(Fulfillment, SCHEMAS["Fulfillment"], full=full)


# --- Tests. ---------------------------------------------------------------------------------


class TestVendoredSchemas:
    """The vendored provider shapes are complete enough to test against."""

    def test_all_shapes_present(self) -> None:
        """Every shape the project relies on is in the data file."""
        assert set(SCHEMAS) == {
            "Order",
            "Fulfillment",
            "OrderTransactionLogs",
            "Count",
            "TokenResponse",
            "RefreshTokenResponse",
            "ErrorModel",
            "ValidationError",
        }

    def test_no_prose_or_references(self) -> None:
        """The file holds shapes only: no descriptions, examples or unresolved references."""
        text = json.dumps(SCHEMAS)
        for word in ('"description"', '"example"', '"examples"', '"$ref"', '"allOf"'):
            assert word not in text


class TestOrderShape:
    """`order_to_json` writes exactly the provider's Order fields, with its JSON types."""

    def test_keys_are_the_schema_properties_in_order(self) -> None:
        """A full order's keys are the schema's properties, in the schema's order."""
        emitted = order_to_json(order_from_json(FULL_ORDER))
        assert list(emitted) == list(SCHEMAS["Order"]["properties"])

    def test_sparse_keys_keep_the_schema_order(self) -> None:
        """A sparse order's keys are some of the schema's properties, still in its order."""
        emitted = order_to_json(order_from_json(MINIMAL_ORDER))
        assert list(emitted) == [k for k in SCHEMAS["Order"]["properties"] if k in emitted]

    def test_nested_keys_match_the_schema(self) -> None:
        """Consumer, address, line, pouch and content objects carry exactly their properties."""
        assert (
            _schema_errors(
                order_to_json(order_from_json(FULL_ORDER)), SCHEMAS["Order"], "$", strict=True
            )
            == []
        )

    def test_minimal_order_follows_the_null_rule(self) -> None:
        """A sparse order has null only where nullable, other absent fields left out, [] lists."""
        emitted = order_to_json(order_from_json(MINIMAL_ORDER))
        errors = _schema_errors(emitted, SCHEMAS["Order"], "$", strict=True, complete=False)
        assert errors == []
        assert emitted["name"] is None
        assert "consumer" not in emitted
        assert "batch_id" not in emitted
        assert emitted["order_lines"] == []
        assert emitted["status"] == "Pending"

    def test_checker_catches_wrong_types(self) -> None:
        """The schema checker itself reports a wrong type, a missing key and an extra key."""
        doc = _set(FULL_ORDER, ("total",), "49.99")
        doc = _set(doc, ("consumer", "first_name"), ...)
        doc["surprise"] = 1
        errors = _schema_errors(doc, SCHEMAS["Order"], "$", strict=True)
        assert len(errors) == 3
        assert any("$.total" in e for e in errors)
        assert any("$.consumer.first_name: missing" in e for e in errors)
        assert any("$.surprise" in e for e in errors)

    @given(orders(full=True))
    def test_full_orders_fit_the_schema_and_read_back_unchanged(self, order: Order) -> None:
        """Property: a full order writes a strictly schema-valid document that reads back as is."""
        doc = _json_text_round_trip(order_to_json(order))
        assert _schema_errors(doc, SCHEMAS["Order"], "$", strict=True) == []
        assert json.dumps(order_to_json(order_from_json(doc))) == json.dumps(doc)


class TestFulfillmentShape:
    """`fulfillment_to_json` writes exactly the provider's Fulfillment fields and types."""

    def test_keys_are_the_schema_properties_in_order(self) -> None:
        """The emitted keys, tracking_info included, are the schema's properties in order."""
        emitted = fulfillment_to_json(fulfillment_from_json(FULL_FULFILLMENT))
        schema = SCHEMAS["Fulfillment"]
        assert list(emitted) == list(schema["properties"])
        tracking = schema["properties"]["tracking_info"]["properties"]
        assert list(emitted["tracking_info"]) == list(tracking)

    def test_full_document_fits_strictly(self) -> None:
        """A fully populated fulfillment is written as a document the schema accepts."""
        emitted = fulfillment_to_json(fulfillment_from_json(FULL_FULFILLMENT))
        assert _schema_errors(emitted, SCHEMAS["Fulfillment"], "$", strict=True) == []

    @given(fulfillments(full=True))
    def test_full_fulfillments_fit_the_schema_and_read_back_unchanged(
        self, fulfillment: Fulfillment
    ) -> None:
        """Property: a full fulfillment writes a strictly schema-valid document that reads back."""
        doc = _json_text_round_trip(fulfillment_to_json(fulfillment))
        assert _schema_errors(doc, SCHEMAS["Fulfillment"], "$", strict=True) == []
        assert json.dumps(fulfillment_to_json(fulfillment_from_json(doc))) == json.dumps(doc)


class TestRoundTrip:
    """Reading and writing loses nothing."""

    def test_full_order_document(self) -> None:
        """A complete order document is written back exactly, through JSON text too."""
        assert order_to_json(order_from_json(FULL_ORDER)) == FULL_ORDER
        again = order_to_json(order_from_json(_json_text_round_trip(FULL_ORDER)))
        assert json.dumps(again) == json.dumps(FULL_ORDER)

    def test_full_fulfillment_document(self) -> None:
        """A complete fulfillment document is written back exactly, through JSON text too."""
        assert fulfillment_to_json(fulfillment_from_json(FULL_FULFILLMENT)) == FULL_FULFILLMENT
        again = fulfillment_to_json(fulfillment_from_json(_json_text_round_trip(FULL_FULFILLMENT)))
        assert json.dumps(again) == json.dumps(FULL_FULFILLMENT)

    def test_reads_into_the_model_types(self) -> None:
        """Values arrive as the model's types: enum status, UTC datetimes, tuples of values."""
        order = order_from_json(FULL_ORDER)
        assert order.status is OrderStatus.ON_HOLD
        assert order.created_at == dt.datetime(2026, 3, 20, 9, 12, 28, tzinfo=dt.UTC)
        assert order.created_at.tzinfo is dt.UTC
        assert isinstance(order.consumer, Consumer)
        assert isinstance(order.shipping_address, ShippingAddress)
        line = order.order_lines[0]
        assert isinstance(line, OrderLine)
        assert line.order_acceptance_date == dt.date(2026, 3, 22)
        assert line.source_line_item_ids == ("li-1", 1002, 3.5)
        assert line.pouches[0].contents[0] == PouchContent(
            id="5c6d7e8f-9001-42a3-84c5-d6e7f8091a2b",
            pouch_id=POUCH_ID,
            client_product_id="6d7e8f90-0112-43a4-95d6-e7f8091a2b3c",
            serving_size=2,
            crm_id="crm-content-1",
        )

    def test_integer_numbers_stay_integers(self) -> None:
        """A whole number in a number field is written back as 60, not 60.0."""
        emitted = json.dumps(order_to_json(order_from_json(FULL_ORDER)))
        assert '"total_pouch_count": 60,' in emitted
        assert '"fulfillment_fee_total": 3,' in emitted

    def test_status_is_written_as_a_plain_string(self) -> None:
        """The status is written as the API string itself, not the enum member."""
        emitted = order_to_json(order_from_json(FULL_ORDER))
        assert type(emitted["status"]) is str
        assert emitted["status"] == "On Hold"

    def test_missing_fields_take_defaults(self) -> None:
        """Fields left out are None, lists are empty and the status is Pending."""
        order = order_from_json(MINIMAL_ORDER)
        assert order.status is OrderStatus.PENDING
        assert order.name is None
        assert order.total is None
        assert order.order_lines == ()

    def test_null_lists_read_as_empty(self) -> None:
        """A null in place of a list reads as an empty list."""
        order = order_from_json({**MINIMAL_ORDER, "order_lines": None})
        assert order.order_lines == ()

    def test_unknown_fields_are_ignored(self) -> None:
        """Fields the model does not know are dropped, so a newer API does not break reading."""
        order = order_from_json({**MINIMAL_ORDER, "brand_new_field": {"x": 1}})
        assert "brand_new_field" not in order_to_json(order)

    @given(orders())
    def test_order_survives_json(self, order: Order) -> None:
        """Property: any order fits the schema's keys and types and survives JSON unchanged."""
        doc = order_to_json(order)
        assert _schema_errors(doc, SCHEMAS["Order"], "$", strict=True, complete=False) == []
        read = order_from_json(_json_text_round_trip(doc))
        assert order_to_json(read) == doc
        # Entities compare by identity; compare their fields (datetimes as instants).
        assert attrs.asdict(read) == attrs.asdict(order)

    @given(fulfillments())
    def test_fulfillment_survives_json(self, fulfillment: Fulfillment) -> None:
        """Property: any fulfillment fits the schema and survives JSON text field for field."""
        doc = fulfillment_to_json(fulfillment)
        assert _schema_errors(doc, SCHEMAS["Fulfillment"], "$", strict=False) == []
        read = fulfillment_from_json(_json_text_round_trip(doc))
        assert fulfillment_to_json(read) == doc
        assert attrs.asdict(read) == attrs.asdict(fulfillment)


class TestDatetimes:
    """Datetimes are read from any ISO 8601 offset and written as UTC with a Z."""

    @pytest.mark.parametrize(
        ("text", "written"),
        [
            ("2026-03-20T09:12:28Z", "2026-03-20T09:12:28Z"),
            ("2026-03-20T09:12:28+00:00", "2026-03-20T09:12:28Z"),
            ("2026-03-20T11:12:28+02:00", "2026-03-20T09:12:28Z"),
            ("2026-03-20T02:12:28-07:00", "2026-03-20T09:12:28Z"),
            ("2026-03-20T05:42:28.5-03:30", "2026-03-20T09:12:28.500000Z"),
            ("2026-03-19T23:12:28-10:00", "2026-03-20T09:12:28Z"),
        ],
    )
    def test_offsets_normalised_to_utc(self, text: str, written: str) -> None:
        """Any offset is converted to UTC, written with Z and microseconds only if non-zero."""
        order = order_from_json({**MINIMAL_ORDER, "created_at": text})
        assert order.created_at.utcoffset() == dt.timedelta(0)
        assert order_to_json(order)["created_at"] == written

    def test_naive_datetime_is_refused_on_reading(self) -> None:
        """A date-time without an offset is ambiguous and refused, naming the field."""
        with pytest.raises(MalformedDocument, match=r"created_at: .*offset"):
            order_from_json({**MINIMAL_ORDER, "created_at": "2026-03-20T09:12:28"})

    def test_naive_datetime_is_refused_on_writing(self) -> None:
        """An order holding a naive datetime cannot be written, rather than guessing a zone."""
        order = order_from_json(MINIMAL_ORDER)
        order.updated_at = dt.datetime(2026, 3, 20, 9, 12, 28)
        with pytest.raises(ValueError, match="naive"):
            order_to_json(order)

    def test_aware_datetimes_of_other_libraries(self) -> None:
        """A pendulum datetime in a local zone is written as the same instant in UTC."""
        order = order_from_json(MINIMAL_ORDER)
        order.submission_date = pendulum.datetime(2026, 3, 20, 2, 12, 28, tz="America/Los_Angeles")
        assert order_to_json(order)["submission_date"] == "2026-03-20T09:12:28Z"

    @given(_DATETIMES)
    def test_any_offset_round_trips_to_the_same_instant(self, moment: dt.datetime) -> None:
        """Property: a datetime at any offset is written as Z and read back as the same instant."""
        written = converter.unstructure(moment, dt.datetime)
        assert written.endswith("Z")
        read = converter.structure(written, dt.datetime)
        assert read == moment
        assert read.tzinfo is dt.UTC


class TestWrongTypes:
    """Wrong JSON types are refused with the path of the field, never coerced."""

    @pytest.mark.parametrize(
        ("path", "value", "field"),
        [
            (("id",), 5, "id"),
            (("client_id",), None, "client_id"),
            (("total",), "49.99", "total"),
            (("total",), True, "total"),
            (("total",), float("nan"), "total"),
            (("name",), 7, "name"),
            (("status",), "Cancelled", "status"),
            (("status",), 1, "status"),
            (("consumer",), "Ada", "consumer"),
            (("consumer", "first_name"), ["Ada"], "consumer.first_name"),
            (("shipping_address", "city"), {"name": "LA"}, "shipping_address.city"),
            (("order_lines",), "line", "order_lines"),
            (("order_lines", 0, "duration"), "30", "order_lines[0].duration"),
            (("order_lines", 0, "duration"), 30.5, "order_lines[0].duration"),
            (("order_lines", 0, "is_expedited"), "false", "order_lines[0].is_expedited"),
            (("order_lines", 0, "is_expedited"), 0, "order_lines[0].is_expedited"),
            (
                ("order_lines", 0, "source_line_item_ids", 1),
                False,
                "order_lines[0].source_line_item_ids[1]",
            ),
            (
                ("order_lines", 0, "order_acceptance_date"),
                "22/03/2026",
                "order_lines[0].order_acceptance_date",
            ),
            (
                ("order_lines", 0, "pouches", 0, "contents", 0, "serving_size"),
                "2",
                "order_lines[0].pouches[0].contents[0].serving_size",
            ),
            (("submission_date",), 1711000000, "submission_date"),
        ],
    )
    def test_wrong_type_names_the_field(
        self, path: tuple[str | int, ...], value: object, field: str
    ) -> None:
        """The error names the offending field by its path and says what was expected."""
        with pytest.raises(MalformedDocument) as caught:
            order_from_json(_set(FULL_ORDER, path, value))
        violations = caught.value.violations
        assert [v.field for v in violations] == [field]
        assert violations[0].code is ViolationCode.MALFORMED
        assert f"{field}: expected" in str(caught.value)

    def test_missing_required_field(self) -> None:
        """A missing required field is reported as such, with its path."""
        doc = _set(FULL_ORDER, ("order_lines", 0, "pouches", 0, "order_line_id"), ...)
        with pytest.raises(MalformedDocument) as caught:
            order_from_json(doc)
        (violation,) = caught.value.violations
        assert violation.field == "order_lines[0].pouches[0].order_line_id"
        assert violation.code is ViolationCode.REQUIRED

    def test_every_violation_reported_at_once(self) -> None:
        """Several bad fields give one error listing all of them, in document order."""
        doc = _set(FULL_ORDER, ("id",), 1)
        doc = _set(doc, ("order_lines", 0, "total"), "x")
        doc = _set(doc, ("crm_id",), 2)
        with pytest.raises(MalformedDocument) as caught:
            order_from_json(doc)
        fields = [v.field for v in caught.value.violations]
        assert fields == ["id", "order_lines[0].total", "crm_id"]

    @pytest.mark.parametrize("document", [[MINIMAL_ORDER], "order", None, 3])
    def test_document_not_an_object(self, document: object) -> None:
        """A document that is not a JSON object is refused as a whole."""
        with pytest.raises(MalformedDocument, match=r"\$: expected an object"):
            order_from_json(document)

    def test_fulfillment_wrong_type(self) -> None:
        """Fulfillments are checked the same way, e.g. a number as the tracking number."""
        doc = _set(FULL_FULFILLMENT, ("tracking_info", "tracking_number"), 9400)
        with pytest.raises(MalformedDocument, match=r"tracking_info\.tracking_number: expected"):
            fulfillment_from_json(doc)

    def test_error_is_a_value_error(self) -> None:
        """Callers that only know `ValueError` still catch a malformed document."""
        with pytest.raises(ValueError, match="Malformed Order document"):
            order_from_json({})

    def test_long_values_are_shortened_in_messages(self) -> None:
        """A huge wrong value does not flood the message."""
        with pytest.raises(MalformedDocument) as caught:
            order_from_json({**MINIMAL_ORDER, "name": list(range(1000))})
        assert len(str(caught.value)) < 200


class TestEntities:
    """Orders, consumers and fulfillments are mutable entities with identity."""

    def test_identity_equality(self) -> None:
        """Two orders read from the same document are distinct entities."""
        first, second = order_from_json(FULL_ORDER), order_from_json(FULL_ORDER)
        assert first != second
        assert first == first  # noqa: PLR0124 - identity is the point
        assert len({first, second}) == 2

    def test_values_compare_by_value(self) -> None:
        """Two equal pouches are equal and hashable, since pouches are values."""
        first = order_from_json(FULL_ORDER).order_lines[0].pouches[0]
        second = order_from_json(FULL_ORDER).order_lines[0].pouches[0]
        assert isinstance(first, Pouch)
        assert first == second
        assert hash(first) == hash(second)

    def test_values_are_frozen(self) -> None:
        """A value object refuses changes; build a new one with `attrs.evolve` instead."""
        address = order_from_json(FULL_ORDER).shipping_address
        assert address is not None
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            address.city = "Paris"  # type: ignore[misc]
        assert attrs.evolve(address, city="Paris").city == "Paris"

    def test_status_is_driven_by_the_shared_machine(self) -> None:
        """The lifecycle machine moves an Order's `status`, and the JSON follows."""
        order = order_from_json(MINIMAL_ORDER)
        assert fire(order, Event.HOLD) is OrderStatus.ON_HOLD
        assert order.status is OrderStatus.ON_HOLD
        assert order_to_json(order)["status"] == "On Hold"
