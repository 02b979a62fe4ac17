"""The OpenAPI component schemas of every body the server reads or writes, written by hand.

Envelopes and control bodies are closed (`additionalProperties: false`) so drift is noticed.
"""

from __future__ import annotations

import datetime as dt
import typing
from typing import Any

import attrs

from lifecycle._models import (
    NULL_RULE,
    Absent,
    Consumer,
    Order,
    OrderLine,
    Pouch,
    PouchContent,
    PouchingSummary,
    ShippingAddress,
)
from lifecycle._status import OrderStatus
from lifecycle._validation import FORMATS
from simulator._clock import MAX_SPEED
from simulator._consumer_addresses import ADDRESS_TYPES, CLEARABLE
from simulator._consumer_addresses import REQUIRED as REQUIRED_ADDRESS
from simulator._consumer_addresses import TEXT_LIMITS as ADDRESS_LIMITS
from simulator._lifecycle_reads import BATCH_BILLED, BATCH_NEW
from simulator._order_lifecycle import BILLING_STATUSES
from simulator._orders import STATE_OF
from simulator.http._advice import KINDS as ADVICE_KINDS

Schema = dict[str, Any]

TEXT: Schema = {"type": "string"}
NUMBER: Schema = {"type": "number"}
INTEGER: Schema = {"type": "integer"}
BOOLEAN: Schema = {"type": "boolean"}
UUID: Schema = {"type": "string", "format": "uuid"}
INSTANT: Schema = {"type": "string", "format": "date-time"}


def ref(name: str) -> Schema:
    """A reference to another component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    """The schema, or null."""
    return {"anyOf": [schema, {"type": "null"}]}


def closed(required: tuple[str, ...], **properties: Schema) -> Schema:
    """An object with exactly these properties."""
    return {
        "type": "object",
        "required": list(required),
        "properties": properties,
        "additionalProperties": False,
    }


def open_object(required: tuple[str, ...], **properties: Schema) -> Schema:
    """An object with at least these properties (the provider may add more)."""
    return {"type": "object", "required": list(required), "properties": properties}


def array(items: Schema) -> Schema:
    """An array of one kind of item."""
    return {"type": "array", "items": items}


ORDER_STATUSES = tuple(status.value for status in OrderStatus)

_CONSUMER = open_object(
    ("id", "client_id", "crm_account_id", "crm_id", "created_at", "updated_at"),
    id=UUID,
    client_id=UUID,
    email=TEXT,
    first_name=TEXT,
    last_name=TEXT,
    phone_number=TEXT,
    client_custom_consumer_id=TEXT,
    crm_account_id=TEXT,
    crm_id=TEXT,
    created_at=INSTANT,
    updated_at=INSTANT,
)

_SCALARS: dict[object, Schema] = {
    str: TEXT,
    int: INTEGER,
    float: NUMBER,
    bool: BOOLEAN,
    dt.datetime: INSTANT,
    dt.date: {"type": "string", "format": "date"},
}
_MODEL_NAMES: dict[type, str] = {
    Consumer: "OrderConsumer",
    ShippingAddress: "ShippingAddress",
    OrderLine: "OrderLine",
    Pouch: "Pouch",
    PouchContent: "PouchContent",
    PouchingSummary: "PouchingSummary",
}
"""The order's parts, by the component schema each is described as."""


def _type_schema(kind: object) -> Schema:
    """The JSON schema of a model field's type, its None left aside (the null rule says)."""
    args = [arg for arg in typing.get_args(kind) if arg is not type(None)]
    origin = typing.get_origin(kind)
    if origin is tuple:
        return array(_type_schema(args[0]))
    if args and origin is not None:  # a union: `X | None`, or the line items' `str | int | float`
        found = [_type_schema(arg) for arg in args]
        return found[0] if len(found) == 1 else {"anyOf": found}
    if isinstance(kind, type) and kind in _MODEL_NAMES:
        return ref(_MODEL_NAMES[kind])
    return _SCALARS[kind]


def model_schema(model: type, **overrides: Schema) -> Schema:
    """A served order part's schema, from its model and `NULL_RULE`.

    What is always there is required, null is allowed only where the rule gives null, and
    every other field may be left out.
    """
    rules = NULL_RULE.get(model.__name__, {})
    required: list[str] = []
    properties: dict[str, Schema] = {}
    for field in attrs.fields(model):
        schema = overrides.get(field.name) or _type_schema(field.type)
        rule = rules.get(field.name)
        if rule is not None and rule.value is Absent.NULL:
            schema = nullable(schema)
        if rule is None or rule.value is not Absent.LEFT_OUT:
            required.append(field.name)
        properties[field.name] = schema
    return open_object(tuple(required), **properties)


_ORDER = model_schema(
    Order,
    id=UUID,
    client_id=UUID,
    status={"type": "string", "enum": list(ORDER_STATUSES)},
    state={"type": "string", "enum": sorted(set(STATE_OF.values()))},
    billing_status={"type": "string", "enum": list(BILLING_STATUSES)},
)
_ORDER_PARTS: dict[str, Schema] = {
    name: model_schema(model, **({"id": UUID} if "id" in attrs.fields_dict(model) else {}))
    for model, name in _MODEL_NAMES.items()
}

_TRACKING = open_object(
    ("shipping_carrier", "shipping_method", "tracking_number", "tracking_url"),
    shipping_carrier=TEXT,
    shipping_method=TEXT,
    tracking_number=TEXT,
    tracking_url=TEXT,
)

_FULFILLMENT_LINE = open_object(
    ("id", "order_id", "fulfillment_id"),
    id=UUID,
    order_id=UUID,
    fulfillment_id=UUID,
    name=TEXT,
    supplement_pack_name=TEXT,
    physician_name=TEXT,
    duration=INTEGER,
    total=NUMBER,
    unit_price=NUMBER,
    client_custom_order_line_id=TEXT,
    is_priority_shipping=BOOLEAN,
)

_FULFILLMENT = open_object(
    (
        "id",
        "order_id",
        "status_id",
        "delivery_date",
        "pickup_date",
        "tracking_info",
        "shipment_order_id",
        "shipment_order_number",
        "label_url",
        "shipper_okc_product_id",
        "shipping_net_charge",
        "shipping_charge_model",
        "weight",
        "external_fulfillment_id",
        "order_lines",
        "crm_id",
        "created_at",
        "updated_at",
    ),
    id=UUID,
    order_id=UUID,
    consumer_id=UUID,
    status_id={
        **UUID,
        "description": "Shipped, Delivered or Returned: see the conformance page's table.",
    },
    delivery_date={**INSTANT, "description": "Expected until delivered, then actual."},
    pickup_date=INSTANT,
    tracking_info=ref("TrackingInfo"),
    shipment_order_id=TEXT,
    shipment_order_number=TEXT,
    label_url={**nullable(TEXT), "description": "Null: ask `GET /v2/fulfillments/{id}/label`."},
    shipper_okc_product_id=UUID,
    shipping_net_charge=NUMBER,
    shipping_charge_model=TEXT,
    weight=NUMBER,
    external_fulfillment_id=nullable(TEXT),
    order_lines=array(_FULFILLMENT_LINE),
    crm_id=TEXT,
    created_at=INSTANT,
    updated_at=INSTANT,
)

_OKC_PRODUCT = open_object(
    ("id", "product_family", "supplement_category"),
    id=UUID,
    product_family=TEXT,
    supplement_category=TEXT,
)

_PRODUCT = open_object(
    (
        "id",
        "client_id",
        "okc_product_id",
        "product_line_id",
        "client_custom_product_id",
        "client_sku",
        "client_upc",
        "name",
        "product_name",
        "active",
        "price_per_pill",
        "price_per_unit",
        "serving_size",
        "time_of_administration",
        "product_assembly_type",
        "is_standalone_kit",
        "crm_id",
        "okc_product",
        "created_at",
        "updated_at",
    ),
    id=UUID,
    client_id=UUID,
    okc_product_id=UUID,
    product_line_id=UUID,
    client_custom_product_id=TEXT,
    client_sku=TEXT,
    client_upc={"type": "string", "pattern": "^[0-9]{12}$"},
    name=TEXT,
    product_name={"type": "string", "maxLength": 27},
    active=BOOLEAN,
    price_per_pill=NUMBER,
    price_per_unit=NUMBER,
    serving_size=INTEGER,
    time_of_administration=TEXT,
    product_assembly_type={"type": "string", "enum": ["PRODUCT", "ASSEMBLY", "SET"]},
    is_standalone_kit=BOOLEAN,
    crm_id=TEXT,
    okc_product=_OKC_PRODUCT,
    created_at=INSTANT,
    updated_at=INSTANT,
)

_CONSUMER_ADDRESS = open_object(
    ("id", "consumer_id", "is_default", "address_type", "address1", "city", "country_name"),
    id=UUID,
    consumer_id=UUID,
    is_default=BOOLEAN,
    address_type={"type": "string", "enum": list(ADDRESS_TYPES)},
    addressed_to=TEXT,
    address1=TEXT,
    address2=TEXT,
    city=TEXT,
    province_name=TEXT,
    province_code=TEXT,
    country_name=TEXT,
    country_code=TEXT,
    postal_code=TEXT,
    phone_number=TEXT,
    created_at=INSTANT,
    updated_at=INSTANT,
)


_EMAIL_PATTERN = f"^{FORMATS['email'][0].pattern}$"
PHONE_PATTERN = f"^{FORMATS['phone'][0].pattern}$"


def _address_text(name: str) -> Schema:
    """A text field of an address request: 1 to its most characters, not only spaces."""
    return {"type": "string", "minLength": 1, "maxLength": ADDRESS_LIMITS[name], "pattern": r"\S"}


_ADDRESS_INPUT = closed(
    REQUIRED_ADDRESS,
    is_default=BOOLEAN,
    address_type={"type": "string", "enum": list(ADDRESS_TYPES)},
    **{
        name: nullable(_address_text(name)) if name in CLEARABLE else _address_text(name)
        for name in ADDRESS_LIMITS
        if name != "phone_number"
    },
    phone_number={**_address_text("phone_number"), "pattern": PHONE_PATTERN},
)

_CONSUMER_FIELDS: dict[str, Schema] = {
    "email": {"type": "string", "maxLength": 100, "pattern": _EMAIL_PATTERN},
    "first_name": {"type": "string", "maxLength": 100},
    "last_name": {"type": "string", "maxLength": 100},
    "phone_number": {
        **nullable({"type": "string", "maxLength": 15, "pattern": PHONE_PATTERN}),
        "description": "null clears it.",
    },
    "client_custom_consumer_id": {**nullable(TEXT), "description": "null clears it."},
}

_USER = closed(
    (
        "id",
        "client_id",
        "user_type",
        "name",
        "username",
        "email",
        "locale",
        "roles",
        "phone_number",
        "last_login",
        "created_at",
        "updated_at",
    ),
    id=UUID,
    client_id=UUID,
    user_type={"type": "string", "enum": ["client", "internal"]},
    name=TEXT,
    username=UUID,
    email=TEXT,
    locale=TEXT,
    roles=array(TEXT),
    phone_number=nullable(TEXT),
    last_login=nullable(INSTANT),
    created_at=INSTANT,
    updated_at=INSTANT,
)


def _page_of(name: str, item: str) -> Schema:
    """A list route's body: one page of items and the next page's cursor."""
    return closed((name, "next_cursor"), **{name: array(ref(item))}, next_cursor=nullable(TEXT))


_TRANSACTION = open_object(
    (
        "id",
        "column_name",
        "old_data",
        "new_data",
        "event_type",
        "done_by",
        "client_id",
        "entity_id",
        "created_at",
        "event",
        "actor",
        "reason",
    ),
    id=UUID,
    column_name=TEXT,
    old_data={**TEXT, "description": "The old value as text; empty when there was none."},
    new_data={**TEXT, "description": "The new value as text; empty when there is none."},
    event_type={"type": "string", "enum": ["INSERT", "UPDATE"]},
    done_by=UUID,
    client_id=UUID,
    entity_id=UUID,
    created_at=INSTANT,
    event=TEXT,
    actor=TEXT,
    reason=nullable(TEXT),
)

_BATCH = closed(
    (
        "id",
        "client_id",
        "billing_id",
        "batch_status",
        "name",
        "crm_id",
        "created_at",
        "updated_at",
    ),
    id=UUID,
    client_id=UUID,
    billing_id={"type": "null", "description": "No bill records are simulated."},
    batch_status={"type": "string", "enum": [BATCH_NEW, BATCH_BILLED]},
    name=TEXT,
    crm_id={"type": "null", "description": "OK Capsule's own; never set."},
    created_at=INSTANT,
    updated_at=INSTANT,
)

_STATUS = closed(
    ("id", "name", "group", "created_at", "updated_at"),
    id=INTEGER,
    name={"type": "string", "enum": list(ORDER_STATUSES)},
    group={"type": "string", "const": "order"},
    created_at=INSTANT,
    updated_at=INSTANT,
)

_HISTORY_ENTRY = closed(
    ("at", "from", "to", "event", "actor", "reason"),
    at=INSTANT,
    **{"from": nullable(TEXT)},
    to=TEXT,
    event=TEXT,
    actor=TEXT,
    reason=nullable(TEXT),
)

_FAULT_KIND: Schema = {"type": "string", "enum": ["error", "latency", "drop", "rate_limit"]}
_FAULT_STAGE: Schema = {
    "type": "string",
    "enum": ["request", "response"],
    "description": "`request` (the default) strikes before the request is handled; "
    "`response` lets the server do the work, then fails, delays or drops its answer.",
}
_METHOD: Schema = {
    "type": "string",
    "enum": ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
}
_ERROR_STATUS: Schema = {"type": "integer", "enum": [500, 502, 503, 504]}

_REQUEST = closed(
    (
        "id",
        "at",
        "method",
        "path",
        "query",
        "status",
        "client_id",
        "duration_ms",
        "fault",
        "observed",
        "retry_after",
    ),
    id={**INTEGER, "description": "The request's number, from 1."},
    at=INSTANT,
    method=TEXT,
    path=TEXT,
    query=TEXT,
    status={**nullable(INTEGER), "description": "Null when a fault dropped the connection."},
    client_id=nullable(UUID),
    duration_ms=NUMBER,
    fault=nullable(closed(("id", "kind", "stage"), id=TEXT, kind=_FAULT_KIND, stage=_FAULT_STAGE)),
    observed={**array(UUID), "description": "The orders the response showed."},
    retry_after={**nullable(INTEGER), "description": "The `Retry-After` seconds of a 429."},
)

_FAULT_RULE = closed(
    ("kind",),
    kind=_FAULT_KIND,
    route={
        **TEXT,
        "default": "/v2/*",
        "description": "`*` (every route but `/_sim`), a path, `{name}` or `*` for one "
        "segment, or a final `*` for everything below.",
    },
    methods=nullable({"anyOf": [_METHOD, array(_METHOD)]}),
    status=nullable({**_ERROR_STATUS, "description": "Kind `error` only; default 503."}),
    latency_ms=nullable(
        {
            "type": "number",
            "minimum": 0,
            "maximum": 300_000,
            "description": "Real milliseconds to wait before answering; required for kind "
            "`latency`, allowed for every kind.",
        }
    ),
    retry_after=nullable(
        {
            "type": "integer",
            "minimum": 0,
            "maximum": 86_400,
            "description": "Kind `rate_limit` only: the `Retry-After` seconds; default 60.",
        }
    ),
    probability=nullable({"type": "number", "minimum": 0, "maximum": 1, "default": 1}),
    count=nullable({"type": "integer", "minimum": 1}),
    until=nullable({**INSTANT, "description": "A simulated instant; the rule stops there."}),
    for_seconds=nullable(
        {
            "type": "number",
            "exclusiveMinimum": 0,
            "description": "Simulated seconds from now; instead of `until`.",
        }
    ),
    stage=nullable(_FAULT_STAGE),
)

_FAULT = closed(
    (
        "id",
        "kind",
        "route",
        "methods",
        "status",
        "latency_ms",
        "retry_after",
        "probability",
        "count",
        "remaining",
        "until",
        "stage",
        "applied",
    ),
    id=TEXT,
    kind=_FAULT_KIND,
    route=TEXT,
    methods=nullable(array(_METHOD)),
    status=nullable(_ERROR_STATUS),
    latency_ms=nullable(NUMBER),
    retry_after=nullable(INTEGER),
    probability=NUMBER,
    count=nullable(INTEGER),
    remaining=nullable(INTEGER),
    until=nullable(INSTANT),
    stage=_FAULT_STAGE,
    applied={**INTEGER, "description": "How many requests the rule has struck."},
)

_VALIDATION_ERRORS: Schema = {
    "type": "array",
    "minItems": 1,
    "items": closed(("message", "type", "field"), message=TEXT, type=TEXT, field=TEXT),
}

SCHEMAS: dict[str, Schema] = {
    "Error": closed(
        ("message", "error"),
        message=TEXT,
        error=closed(("errorCode", "message"), errorCode=TEXT, message=TEXT),
    ),
    "ValidationError": closed(
        ("message", "errors", "error"),
        message=TEXT,
        errors=_VALIDATION_ERRORS,
        error=closed(
            ("errorCode", "message", "errors"),
            errorCode=TEXT,
            message=TEXT,
            errors=_VALIDATION_ERRORS,
        ),
    ),
    "TokenRequest": open_object(
        ("password",),
        email={**TEXT, "description": "The client's login; `username` is accepted instead."},
        username=TEXT,
        password=TEXT,
    ),
    "RefreshRequest": open_object(("refresh_token",), refresh_token=TEXT),
    "Token": closed(
        ("access_token", "refresh_token", "id_token", "token_type", "expires_in"),
        access_token=TEXT,
        refresh_token=TEXT,
        id_token=TEXT,
        token_type={"type": "string", "const": "Bearer"},
        expires_in={
            **INTEGER,
            "description": "Seconds (simulated) until the access token expires.",
        },
        permissions=TEXT,
    ),
    "Consumer": _CONSUMER,
    **_ORDER_PARTS,
    "Order": _ORDER,
    "OrderCreate": {
        "type": "object",
        "description": "The provider's create-order body: consumer, shipping_address, "
        "order_lines, and optional client fields.",
        "required": ["consumer", "shipping_address", "order_lines"],
    },
    "OrderUpdate": {
        "type": "object",
        "description": "Any of shipping_address, consumer, order_lines, email, phone_number, "
        "note and status (Pending, On Hold or Canceled by Client).",
    },
    "OrderEnvelope": closed(("order",), order=ref("Order")),
    "OrderPage": closed(
        ("orders", "next_cursor"), orders=array(ref("Order")), next_cursor=nullable(TEXT)
    ),
    "Count": closed(("count",), count=INTEGER),
    "TrackingInfo": _TRACKING,
    "Fulfillment": _FULFILLMENT,
    "FulfillmentEnvelope": closed(("fulfillment",), fulfillment=ref("Fulfillment")),
    "FulfillmentPage": _page_of("fulfillments", "Fulfillment"),
    "Label": closed(
        ("label_url",),
        label_url={**TEXT, "description": "Expires 900 simulated seconds after `X-Amz-Date`."},
    ),
    "Product": _PRODUCT,
    "ProductEnvelope": closed(("product",), product=ref("Product")),
    "ProductPage": _page_of("products", "Product"),
    "ConsumerCreate": closed(("first_name", "last_name"), **_CONSUMER_FIELDS),
    "ConsumerInput": closed((), **_CONSUMER_FIELDS),
    "ConsumerEnvelope": closed(("consumer",), consumer=ref("Consumer")),
    "ConsumerPage": _page_of("consumers", "Consumer"),
    "ConsumerAddress": _CONSUMER_ADDRESS,
    "AddressInput": _ADDRESS_INPUT,
    "AddressEnvelope": closed(("address",), address=ref("ConsumerAddress")),
    "AddressPage": _page_of("addresses", "ConsumerAddress"),
    "User": _USER,
    "Transaction": _TRANSACTION,
    "TransactionList": closed(("transactions",), transactions=array(ref("Transaction"))),
    "TransactionEnvelope": closed(("transaction",), transaction=ref("Transaction")),
    "OrderLineEnvelope": closed(("order_line",), order_line=ref("OrderLine")),
    "Batch": _BATCH,
    "BatchEnvelope": closed(("batch",), batch=ref("Batch")),
    "BatchPage": closed(
        ("batches", "next_cursor"), batches=array(ref("Batch")), next_cursor=nullable(TEXT)
    ),
    "Status": _STATUS,
    "StatusList": closed(("statuses",), statuses=array(ref("Status"))),
    "ClockState": closed(
        ("now", "mode", "speed", "timezone", "next_batch_at"),
        now=INSTANT,
        mode={"type": "string", "enum": ["frozen", "running"]},
        speed=NUMBER,
        timezone=TEXT,
        next_batch_at=INSTANT,
    ),
    "ClockSettings": closed(
        (),
        mode={"type": "string", "enum": ["frozen", "running"]},
        speed={"type": "number", "exclusiveMinimum": 0, "maximum": MAX_SPEED},
    ),
    "AdvanceRequest": {
        "oneOf": [
            closed(("seconds",), seconds={"type": "number", "minimum": 0}),
            closed(("to",), to=INSTANT),
        ]
    },
    "Advance": closed(("now", "events_applied"), now=INSTANT, events_applied=INTEGER),
    "HistoryEntry": _HISTORY_ENTRY,
    "History": closed(("history",), history=array(ref("HistoryEntry"))),
    "OperatorEvent": closed(
        ("event",),
        event={**TEXT, "description": "An operator event name, such as ship or cancel_by_okc."},
        reason=nullable(TEXT),
    ),
    "RequestRecord": _REQUEST,
    "RequestList": closed(("requests",), requests=array(ref("RequestRecord"))),
    "Advice": closed(
        ("kind", "client", "message", "evidence"),
        kind={"type": "string", "enum": list(ADVICE_KINDS)},
        client=UUID,
        message=TEXT,
        evidence={"type": "object", "description": "Request ids, simulated times, order ids."},
    ),
    "AdviceList": closed(("advice",), advice=array(ref("Advice"))),
    "FaultRule": _FAULT_RULE,
    "FaultRequest": {
        "oneOf": [
            ref("FaultRule"),
            closed(("faults",), faults={**array(ref("FaultRule")), "minItems": 1}),
        ]
    },
    "Fault": _FAULT,
    "FaultList": closed(("faults",), faults=array(ref("Fault"))),
    "OpenAPI": {"type": "object", "required": ["openapi", "paths"]},
}
