"""The validation spec agrees with the provider's request schemas: names, types and limits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from lifecycle._validation import (
    CONSUMER_FIELDS,
    CONSUMER_READ_ONLY,
    CREATE_SPEC,
    FORMATS,
    READ_ONLY_FIELDS,
    UPDATE_SPEC,
    Field,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

PROVIDER: dict[str, Any] = json.loads(
    (Path(__file__).parent / "data" / "provider_requests.json").read_text(encoding="utf-8")
)

_SHARED = "one spec for new and existing items: the other request's schema names it"
DEPARTURES: dict[tuple[str, str], str] = {
    **{
        (request, path): "the provider's order carries it, and the address checks read it"
        for request in ("create", "update")
        for path in ("shipping_address.province_code", "shipping_address.country_code")
    },
    **{
        (request, "consumer.client_custom_consumer_id"): "a consumer's own field (`/v2/consumers`)"
        for request in ("create", "update")
    },
    **{
        ("create", f"order_lines[].{item}{member}"): _SHARED
        for item in ("", "pouches[].", "pouches[].contents[].")
        for member in ("id", "is_deleted")
    },
    ("create", "order_lines[].fulfillment_id"): _SHARED,
    **{
        ("update", path): _SHARED
        for path in (
            "consumer.phone_number",
            "order_lines[].is_static_item",
            "order_lines[].share_url",
            "order_lines[].pouches[].duration",
            "order_lines[].pouches[].protocol_id",
            "order_lines[].pouches[].custom_label",
        )
    },
    **{
        (request, "order_lines[].pouches[].time_of_administration"): (
            "the three values its description lists"
        )
        for request in ("create", "update")
    },
    **{
        (request, "phone_number"): "a phone number's shape, as the consumer's (none stated)"
        for request in ("create", "update")
    },
    **{
        (request, "note"): "at most NOTE_MAX_LENGTH characters (no limit stated)"
        for request in ("create", "update")
    },
    ("create", "consumer.phone_number"): "E.164 as `/v2/consumers` states it (`phone`)",
}
"""Where the spec departs from a provider request schema (extra fields, tighter rules), and why."""

_TYPES = {"string": "string", "integer": "integer", "boolean": "boolean", "object": "object"}


def leaves(
    spec: Mapping[str, Field], schema: dict[str, Any], path: str = ""
) -> list[tuple[str, Field, Any]]:
    """`(path, our field, the provider's schema or None)` for every field of the spec."""
    found: list[tuple[str, Field, Any]] = []
    properties = schema.get("properties", {})
    for name, field in spec.items():
        at = f"{path}.{name}" if path else name
        theirs = properties.get(name)
        found.append((at, field, theirs))
        part, their_part, suffix = field, theirs, ""
        while part.items is not None:  # into arrays
            part, suffix = part.items, suffix + "[]"
            their_part = (their_part or {}).get("items")
        if part.shape is not None:
            found += leaves(part.shape.fields, their_part or {}, at + suffix)
    return found


def described(field: Field) -> dict[str, Any]:
    """Our field in the provider's words, for the keys both state."""
    if field.type == "string_or_number":
        return {"oneOf": [{"type": "string"}, {"type": "number"}]}
    facts: dict[str, Any] = {"type": "array" if field.type == "array" else _TYPES[field.type]}
    if field.nullable:
        facts["nullable"] = True
    if field.max_length is not None:
        facts["maxLength"] = field.max_length
    if field.enum:
        facts["enum"] = list(field.enum)
    if field.type == "integer":
        facts["minimum"], facts["maximum"] = field.minimum, field.maximum
    if field.format == "label":
        facts["pattern"] = f"^{FORMATS['label'][0].pattern}$"
    elif field.format is not None:
        facts["format"] = field.format
    return facts


def theirs_described(schema: dict[str, Any]) -> dict[str, Any]:
    """The provider's schema, for the keys our fields state."""
    keys = ("type", "nullable", "maxLength", "enum", "pattern", "format", "oneOf")
    facts = {key: schema[key] for key in keys if key in schema}
    if schema.get("type") == "integer":
        facts["minimum"], facts["maximum"] = schema.get("minimum"), schema.get("maximum")
    return facts


CASES = [
    ("create", CREATE_SPEC, PROVIDER["CreateOrderRequest"]),
    ("update", UPDATE_SPEC, PROVIDER["UpdateOrderRequest"]),
]


class TestAgainstTheProvider:
    """Field names, types and limits, read off the provider's published request schemas."""

    @pytest.mark.parametrize(("request_name", "spec", "schema"), CASES, ids=["create", "update"])
    def test_order_fields_agree(
        self, request_name: str, spec: Mapping[str, Field], schema: dict[str, Any]
    ) -> None:
        """Every field an order request spec names is the provider's, with its type and limits."""
        problems = [
            f"{path}: ours {described(field)}, theirs {theirs}"
            for path, field, theirs in leaves(spec, schema)
            if (request_name, path) not in DEPARTURES
            and (theirs is None or described(field) != theirs_described(theirs))
        ]
        assert problems == []

    def test_departures_are_still_departures(self) -> None:
        """Each listed departure still departs: a stale entry would hide a future drift."""
        found = {
            (request_name, path)
            for request_name, spec, schema in CASES
            for path, field, theirs in leaves(spec, schema)
            if theirs is None or described(field) != theirs_described(theirs)
        }
        assert set(DEPARTURES) <= found

    def test_consumer_fields_agree(self) -> None:
        """`/v2/consumers` fields are the provider's, with a phone number's shape for E.164."""
        schema = PROVIDER["CreateConsumerRequest"]
        for path, field, theirs in leaves(CONSUMER_FIELDS, schema):
            expected = theirs_described(theirs) | (
                {"format": "phone"} if theirs.get("format") == "E.164" else {}
            )
            assert described(field) == expected, path

    def test_internal_fields_are_refused(self) -> None:
        """Fields the provider marks internal in a line, a pouch or a consumer are read-only."""
        line = CREATE_SPEC["order_lines"].items
        assert line is not None
        assert line.shape is not None
        pouch = line.shape.fields["pouches"].items
        assert pouch is not None
        assert pouch.shape is not None
        request = PROVIDER["CreateOrderRequest"]["properties"]["order_lines"]["items"]
        # A line's `status` follows its order's: the provider's schema says so, unmarked.
        for shape, schema, also in (
            (line.shape, request, {"status"}),
            (pouch.shape, request["properties"]["pouches"]["items"], set()),
        ):
            internal = {k for k, v in schema["properties"].items() if v.get("x-internal")}
            assert internal | also == shape.read_only
        consumer = PROVIDER["CreateConsumerRequest"]["properties"]
        internal = {k for k, v in consumer.items() if v.get("x-internal")}
        assert internal <= CONSUMER_READ_ONLY

    def test_top_level_internal_fields_are_refused_on_update(self) -> None:
        """The provider's internal order fields are read-only for a client's update.

        Except `status`, which the contract lets a client move (to Pending, On Hold, Canceled).
        """
        request = PROVIDER["UpdateOrderRequest"]["properties"]
        internal = {k for k, v in request.items() if v.get("x-internal")}
        assert internal - {"status"} <= READ_ONLY_FIELDS
