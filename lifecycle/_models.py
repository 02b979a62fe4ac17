"""Orders, fulfillments and their parts as attrs classes, field for field as the API sends them.

Field names are the JSON names. Entities (`Order`, `Consumer`, `Fulfillment`) are mutable and
compare by identity; their parts are frozen values. `lifecycle._convert` turns them into JSON.
"""

from __future__ import annotations

import datetime as dt  # noqa: TC003 - attrs.resolve_types below needs it at run time

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
