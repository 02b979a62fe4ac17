"""Orders, fulfillments and their parts as attrs classes, field for field as the API sends them.

Field names are the JSON names. Entities (`Order`, `Consumer`, `Fulfillment`) are mutable and
compare by identity; their parts are frozen values. `lifecycle._convert` turns them into JSON.
"""

from __future__ import annotations

import datetime as dt  # noqa: TC003 - attrs.resolve_types below needs it at run time
import enum

import attrs

from lifecycle._status import OrderStatus

# Every class is keyword-only: the API marks a handful of fields required and lists them
# between optional ones, and keeping the API's field order keeps the JSON in that order.


@attrs.frozen(kw_only=True)
class ShippingAddress:
    """Where an order's package goes."""

    address1: str
    address2: str | None = None
    city: str
    province_name: str
    province_code: str | None = None
    """ISO 3166-2 subdivision code."""
    postal_code: str
    country_name: str
    country_code: str | None = None
    """ISO 3166-1 alpha-2 country code."""


@attrs.define(eq=False, kw_only=True)
class Consumer:
    """The person an order is made for, as embedded in the order."""

    created_at: dt.datetime
    updated_at: dt.datetime
    id: str
    client_id: str
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone_number: str | None = None
    """E.164 phone number."""
    client_custom_consumer_id: str | None = None
    crm_account_id: str | None = None
    crm_id: str | None = None


@attrs.frozen(kw_only=True)
class PouchingSummary:
    """How many pouches of an order line are taken at one time of administration."""

    toa: str
    """The time of administration, e.g. "Morning"."""
    pouch_count: float


@attrs.frozen(kw_only=True)
class PouchContent:
    """One product, and how much of it, inside a pouch."""

    id: str
    pouch_id: str
    client_product_id: str
    serving_size: int | None = None
    crm_id: str | None = None


@attrs.frozen(kw_only=True)
class Pouch:
    """One pouch of an order line: when it is taken and what it holds."""

    id: str
    order_line_id: str
    time_of_administration: str | None = None
    """One of Morning, Midday or Evening."""
    custom_label: str | None = None
    pack_id: str | None = None
    cycle: str | None = None
    cycle_length: int | None = None
    """7 or 10 days."""
    duration: int | None = None
    crm_id: str | None = None
    set_id: str | None = None
    contents: tuple[PouchContent, ...] = ()


@attrs.frozen(kw_only=True)
class OrderLine:
    """One pack of an order, with its pouches."""

    id: str
    pouching_summary: tuple[PouchingSummary, ...] = ()
    order_id: str | None = None
    batch_id: str | None = None
    fulfillment_id: str | None = None
    packaging_asset_group_id: str | None = None
    product_line_id: str | None = None
    kit_id: str | None = None
    client_custom_pack_name: str | None = None
    discount_amount: float | None = None
    name: str | None = None
    physician_name: str | None = None
    duration: int | None = None
    total: float | None = None
    unit_price: float | None = None
    client_custom_line_ids: str | None = None
    client_custom_order_line_id: str | None = None
    replacement_order_line_id: str | None = None
    warnings: str | None = None
    lot_information: str | None = None
    children_count: float | None = None
    children_tracking_numbers: str | None = None
    crm_id: str | None = None
    pouches: tuple[Pouch, ...] = ()
    is_expedited: bool | None = None
    is_priority_shipping: bool | None = None
    is_priority_production: bool | None = None
    has_special_handling: bool | None = None
    special_handling_instructions: str | None = None
    share_url: str | None = None
    custom_text_1: str | None = None
    custom_text_2: str | None = None
    custom_text_3: str | None = None
    source_line_item_ids: tuple[str | int | float, ...] = ()
    """The integrator's own line item ids, which may be strings or numbers."""
    is_static_item: bool | None = None
    contains_standalone: bool | None = None
    set_id: str | None = None
    status: str | None = None
    """The line's own status text; not an `OrderStatus`."""
    order_acceptance_date: dt.date | None = None


@attrs.define(eq=False, kw_only=True)
class Order:
    """A client's order; `status` is the attribute the lifecycle machine reads and writes."""

    created_at: dt.datetime
    updated_at: dt.datetime
    id: str
    client_id: str
    name: str | None = None
    batch_id: str | None = None
    batch_ids: str | None = None
    """Comma-separated batch ids."""
    source_client_order_id: str | None = None
    client_custom_order_id: str | None = None
    billing_status: str | None = None
    state: str | None = None
    """OK Capsule's internal processing state, coarser and older than `status`."""
    # A new order is Pending until a client or OK Capsule moves it.
    status: OrderStatus = OrderStatus.PENDING
    source: str | None = None
    order_type: str | None = None
    email: str | None = None
    phone_number: str | None = None
    note: str | None = None
    pack_builder_id: str | None = None
    okc_affiliate_id: str | None = None
    total_pouch_count: float | None = None
    created_by: str | None = None
    updated_by: str | None = None
    composition: str | None = None
    """Derived from the lines' contents, e.g. "Roll Only" or "Mixed"."""
    consumer: Consumer | None = None
    shipping_address: ShippingAddress | None = None
    order_lines: tuple[OrderLine, ...] = ()
    submission_date: dt.datetime | None = None
    total: float | None = None
    discount_total: float | None = None
    fulfillment_fee_total: float | None = None
    shipping_fee_total: float | None = None
    comments: str | None = None
    engineering_notes: str | None = None
    crm_id: str | None = None


@attrs.frozen(kw_only=True)
class TrackingInfo:
    """How to follow a shipped package."""

    shipping_carrier: str | None = None
    shipping_method: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None


@attrs.frozen(kw_only=True)
class FulfillmentLine:
    """An order line as a fulfillment lists it."""

    id: str
    order_id: str | None = None
    fulfillment_id: str | None = None
    discount_amount: float | None = None
    name: str | None = None
    supplement_pack_name: str | None = None
    physician_name: str | None = None
    custom_text_1: str | None = None
    custom_text_2: str | None = None
    custom_text_3: str | None = None
    serving_size: int | None = None
    duration: int | None = None
    total: float | None = None
    unit_price: float | None = None
    client_custom_line_ids: str | None = None
    client_custom_order_line_id: str | None = None
    replacement_order_line_id: str | None = None
    warnings: str | None = None
    lot_information: str | None = None
    children_count: float | None = None
    children_tracking_numbers: str | None = None
    crm_id: str | None = None
    source_line_item_ids: tuple[str | int | float, ...] = ()
    is_priority_shipping: bool | None = None


@attrs.define(eq=False, kw_only=True)
class Fulfillment:
    """One shipment of (part of) an order."""

    created_at: dt.datetime
    updated_at: dt.datetime
    id: str
    order_id: str | None = None
    consumer_id: str | None = None
    status_id: str | None = None
    delivery_date: dt.datetime | None = None
    pickup_date: dt.datetime | None = None
    tracking_info: TrackingInfo | None = None
    shipment_order_id: str | None = None
    shipment_order_number: str | None = None
    label_url: str | None = None
    shipper_okc_product_id: str | None = None
    shipping_net_charge: float | None = None
    shipping_charge_model: str | None = None
    weight: float | None = None
    external_fulfillment_id: str | None = None
    order_lines: tuple[FulfillmentLine, ...] = ()
    crm_id: str | None = None


class Absent(enum.Enum):
    """What an order document shows for a field that has no value (see `WhenAbsent`)."""

    NULL = "null"
    """`null`: the provider's schema marks the field `nullable`."""
    LEFT_OUT = "left out"
    """The key is not written: the provider's schema does not allow `null` there."""
    ALWAYS = "always set"
    """OK Capsule always gives the field a value; a model without one leaves it out."""


@attrs.frozen
class WhenAbsent:
    """The null rule for one optional field: what stands in for a missing value, and why."""

    value: object
    """An `Absent` marker, or the value OK Capsule gives the field when none is sent."""
    why: str


_N, _OUT, _ALWAYS = Absent.NULL, Absent.LEFT_OUT, Absent.ALWAYS
_SENT = "unless the client sends it"
_NO = WhenAbsent(False, "false unless the client says otherwise")  # noqa: FBT003 - a value
_INTERNAL = "internal to OK Capsule; the simulator never sets it"

NULL_RULE: dict[str, dict[str, WhenAbsent]] = {
    "Order": {
        "name": WhenAbsent(_N, "nullable; every order gets its OR- name when created"),
        "batch_id": WhenAbsent(_OUT, "set when a batch accepts the order"),
        "batch_ids": WhenAbsent(_OUT, "set when a batch accepts the order"),
        "source_client_order_id": WhenAbsent(_OUT, _SENT),
        "client_custom_order_id": WhenAbsent(_OUT, _SENT),
        "billing_status": WhenAbsent(_ALWAYS, "Pending, then as the events set it"),
        "state": WhenAbsent(_ALWAYS, "derived from the status"),
        "source": WhenAbsent(_ALWAYS, "the provider's default when the create names none"),
        "order_type": WhenAbsent(_ALWAYS, "the provider's default when the create names none"),
        "email": WhenAbsent(_OUT, _SENT),
        "phone_number": WhenAbsent(_OUT, _SENT),
        "note": WhenAbsent(_OUT, _SENT),
        "pack_builder_id": WhenAbsent(_OUT, _SENT),
        "okc_affiliate_id": WhenAbsent(_OUT, _SENT),
        "total_pouch_count": WhenAbsent(_ALWAYS, "worked out from the lines"),
        "created_by": WhenAbsent(_ALWAYS, "the creating client's id"),
        "updated_by": WhenAbsent(_ALWAYS, "the last client to change it"),
        "composition": WhenAbsent(_N, "nullable; null while the order has no pouches"),
        "consumer": WhenAbsent(_ALWAYS, "a create needs one"),
        "shipping_address": WhenAbsent(_ALWAYS, "a create needs one"),
        "submission_date": WhenAbsent(_OUT, "set when a batch accepts (submits) the order"),
        "total": WhenAbsent(_ALWAYS, "worked out from the lines and fees"),
        "discount_total": WhenAbsent(_ALWAYS, "0, the simulator gives no discounts"),
        "fulfillment_fee_total": WhenAbsent(_ALWAYS, "worked out from the lines"),
        "shipping_fee_total": WhenAbsent(_ALWAYS, "the flat shipping fee"),
        "comments": WhenAbsent(_OUT, _SENT),
        "engineering_notes": WhenAbsent(_OUT, _SENT),
        "crm_id": WhenAbsent(_OUT, _INTERNAL),
    },
    "ShippingAddress": {
        "address2": WhenAbsent(_OUT, _SENT),
        "province_code": WhenAbsent(_OUT, _SENT),
        "country_code": WhenAbsent(_OUT, _SENT),
    },
    "Consumer": {
        "email": WhenAbsent(_OUT, _SENT),
        "first_name": WhenAbsent(_OUT, _SENT),
        "last_name": WhenAbsent(_OUT, _SENT),
        "phone_number": WhenAbsent(_OUT, _SENT),
        "client_custom_consumer_id": WhenAbsent(_OUT, _SENT),
        "crm_account_id": WhenAbsent(_OUT, _INTERNAL),
        "crm_id": WhenAbsent(_OUT, _INTERNAL),
    },
    "OrderLine": {
        "order_id": WhenAbsent(_ALWAYS, "its order's id"),
        "batch_id": WhenAbsent(_OUT, "set when a batch accepts the order"),
        "fulfillment_id": WhenAbsent(_OUT, "set when the order ships (or as the client sent it)"),
        "packaging_asset_group_id": WhenAbsent(_OUT, _SENT),
        "product_line_id": WhenAbsent(_OUT, _INTERNAL),
        "kit_id": WhenAbsent(_OUT, _SENT),
        "client_custom_pack_name": WhenAbsent(_OUT, _SENT),
        "discount_amount": WhenAbsent(0.0, "the simulator gives no discounts"),
        "name": WhenAbsent(_OUT, _SENT),
        "physician_name": WhenAbsent(_OUT, _SENT),
        "duration": WhenAbsent(30, "the provider's default: 30 days"),
        "total": WhenAbsent(_ALWAYS, "worked out from the pouches"),
        "unit_price": WhenAbsent(_ALWAYS, "worked out from the pouches"),
        "client_custom_line_ids": WhenAbsent(_OUT, _SENT),
        "client_custom_order_line_id": WhenAbsent(_OUT, _SENT),
        "replacement_order_line_id": WhenAbsent(_OUT, "only a replacement order's lines have one"),
        "warnings": WhenAbsent(_OUT, _INTERNAL),
        "lot_information": WhenAbsent(_OUT, _INTERNAL),
        "children_count": WhenAbsent(_OUT, _INTERNAL),
        "children_tracking_numbers": WhenAbsent(_OUT, _INTERNAL),
        "crm_id": WhenAbsent(_OUT, _INTERNAL),
        "is_expedited": _NO,
        "is_priority_shipping": _NO,
        "is_priority_production": _NO,
        "has_special_handling": _NO,
        "special_handling_instructions": WhenAbsent(_OUT, _SENT),
        "share_url": WhenAbsent(_OUT, _SENT),
        "custom_text_1": WhenAbsent(_OUT, _SENT),
        "custom_text_2": WhenAbsent(_OUT, _SENT),
        "custom_text_3": WhenAbsent(_OUT, _SENT),
        "is_static_item": _NO,
        "contains_standalone": _NO,
        "set_id": WhenAbsent(_N, "nullable; null after set explosion, as the provider has it"),
        "status": WhenAbsent(_N, "nullable; null until a batch accepts the order"),
        "order_acceptance_date": WhenAbsent(_OUT, "set when a batch accepts the order"),
    },
    "Pouch": {
        "time_of_administration": WhenAbsent("Morning", "what a pouch without one is priced as"),
        "custom_label": WhenAbsent(_OUT, _SENT),
        "pack_id": WhenAbsent(_OUT, "sent instead of contents, or left out"),
        "cycle": WhenAbsent("daily", "the provider's default cycle"),
        "cycle_length": WhenAbsent(_OUT, "only a cycle of days has a length (7 or 10)"),
        "duration": WhenAbsent(_OUT, "the line's duration applies"),
        "crm_id": WhenAbsent(_OUT, _INTERNAL),
        "set_id": WhenAbsent(_N, "nullable; null after set explosion, as the provider has it"),
    },
    "PouchContent": {
        "serving_size": WhenAbsent(1, "one serving unless the client says otherwise"),
        "crm_id": WhenAbsent(_OUT, _INTERNAL),
    },
}
"""The null rule of an order document, per model class and optional field: `null` only where
the provider's schema says `nullable: true`; elsewhere the value OK Capsule would give, or the
key left out. `order_to_json` writes a missing value by this rule (null where `NULL`, the
key left out elsewhere: it invents no values); the simulator fills in the values, and its
OpenAPI document requires the fields it always sets."""


# The annotations are strings (postponed evaluation); resolve them once here so that cattrs,
# Hypothesis and `attrs.fields(...)` see real types.
for _cls in (
    ShippingAddress,
    Consumer,
    PouchingSummary,
    PouchContent,
    Pouch,
    OrderLine,
    Order,
    TrackingInfo,
    FulfillmentLine,
    Fulfillment,
):
    attrs.resolve_types(_cls)
del _cls
