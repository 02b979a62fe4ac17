"""The provider's API under `/v2`: authentication, orders, fulfillments, products, consumers.

Each handler makes one engine call and wraps the result in the provider's envelope; orders
come from the engine as UTF-8 JSON, so they are wrapped as bytes too.
"""

from __future__ import annotations

from typing import Any

from simulator._listing import DEFAULT_LIMIT, MAX_LIMIT, SORTABLE, sort_values
from simulator.http._endpoints import Auth, Call, Operation, RawJson, Reply
from simulator.http._errors import ApiError, Invalid, Problem, invalid
from simulator.http._query import (
    Param,
    order_filter_params,
    order_filters,
    page_limit,
    single,
)

# --- authentication ---------------------------------------------------------------------------


def issue_token(call: Call) -> Reply:
    """POST /v2/authentication/token: trade an email (or username) and password for tokens."""
    body = _object(call.body)
    login_field = "email" if "email" in body else "username"
    problems = [
        problem
        for problem in (
            _text_problem(body, login_field, "'email' (or 'username') is required."),
            _text_problem(body, "password", "'password' is required."),
        )
        if problem is not None
    ]
    if problems:
        raise Invalid(problems)
    tokens = call.sim.authenticate(body[login_field], body["password"])
    call.visit.logged_in = call.sim.client_id(body[login_field])
    return Reply(200, tokens)


def refresh_token(call: Call) -> Reply:
    """POST /v2/authentication/refresh-token: a new access token for a refresh token."""
    body = _object(call.body)
    problem = _text_problem(body, "refresh_token", "'refresh_token' is required.")
    if problem is not None:
        raise Invalid([problem])
    return Reply(200, call.sim.refresh(body["refresh_token"]))


# --- orders -----------------------------------------------------------------------------------


def create_order(call: Call) -> Reply:
    """POST /v2/orders."""
    order = call.sim.create_order(call.body, call.client)
    call.visit.observe([order["id"]])
    return Reply(201, {"order": order})


def list_orders(call: Call) -> Reply:
    """GET /v2/orders: one page, oldest first, and the cursor of the next."""
    seen: list[str] = []
    page = call.sim.list_orders_json(
        order_filters(call.query),
        page_limit(call.query),
        single(call.query, "cursor"),
        call.client,
        seen,
        sort_by=single(call.query, "sort_by"),
        q=single(call.query, "q"),
    )
    call.visit.observe(seen)
    return Reply(200, RawJson(page))


def count_orders(call: Call) -> Reply:
    """GET /v2/orders/count."""
    filters = order_filters(call.query)
    found = call.sim.count_orders(filters, call.client, single(call.query, "q"))
    return Reply(200, {"count": found})


def get_order_by_client_order_id(call: Call) -> Reply:
    """GET /v2/orders/by-client-order-id/{client_custom_order_id}."""
    custom = call.path["client_custom_order_id"]
    seen: list[str] = []
    data = call.sim.get_order_by_client_order_id_json(custom, call.client, seen)
    call.visit.observe(seen)
    return _order(data)


def get_order(call: Call) -> Reply:
    """GET /v2/orders/{id}."""
    data = call.sim.get_order_json(call.path["id"], call.client)
    call.visit.observe([call.path["id"]])
    return _order(data)


def _order(data: bytes) -> Reply:
    return Reply(200, RawJson(b"".join((b'{"order":', data, b"}"))))


def update_order(call: Call) -> Reply:
    """PUT /v2/orders/{id}: a partial update under the client rules."""
    order = call.sim.update_order(call.path["id"], call.body, call.client)
    call.visit.observe([order["id"]])
    return Reply(200, {"order": order})


def cancel_order(call: Call) -> Reply:
    """DELETE /v2/orders/{id}: cancel, under the same rules as setting the status."""
    call.sim.cancel_order(call.path["id"], call.client)
    return Reply(204)


# --- fulfillments -----------------------------------------------------------------------------


def list_order_fulfillments(call: Call) -> Reply:
    """GET /v2/orders/{id}/fulfillments."""
    found = call.sim.list_fulfillments(call.path["id"], call.client)
    return Reply(200, {"fulfillments": found})


def list_fulfillments(call: Call) -> Reply:
    """GET /v2/fulfillments, optionally of one order."""
    given = {single(call.query, "order_id"), single(call.query, "filter[order_id]")} - {None}
    if len(given) > 1:
        raise ApiError(
            400, "bad_request", "'order_id' and 'filter[order_id]' name different orders."
        )
    order_id = given.pop() if given else None
    return Reply(200, {"fulfillments": call.sim.list_fulfillments(order_id, call.client)})


def get_fulfillment(call: Call) -> Reply:
    """GET /v2/fulfillments/{id}."""
    return Reply(200, {"fulfillment": call.sim.get_fulfillment(call.path["id"], call.client)})


# --- products, consumers, transaction logs ----------------------------------------------------


def list_products(call: Call) -> Reply:
    """GET /v2/products: the client's seeded catalogue."""
    return Reply(200, {"products": call.sim.list_products(call.client)})


def create_consumer(call: Call) -> Reply:
    """POST /v2/consumers."""
    return Reply(201, {"consumer": call.sim.create_consumer(call.body, call.client)})


def list_consumers(call: Call) -> Reply:
    """GET /v2/consumers."""
    return Reply(200, {"consumers": call.sim.list_consumers(call.client)})


def get_consumer(call: Call) -> Reply:
    """GET /v2/consumers/{id}."""
    return Reply(200, {"consumer": call.sim.get_consumer(call.path["id"], call.client)})


def update_consumer(call: Call) -> Reply:
    """PUT /v2/consumers/{id}."""
    consumer = call.sim.update_consumer(call.path["id"], call.body, call.client)
    return Reply(200, {"consumer": consumer})


def list_transaction_logs(call: Call) -> Reply:
    """GET /v2/order-transaction-logs?filter[entity_id]=<order id> (or q=entity_id:<id>)."""
    order_id = single(call.query, "filter[entity_id]")
    found = call.sim.transaction_logs(order_id, call.client, single(call.query, "q"))
    return Reply(200, {"transactions": found})


# --- request checks ---------------------------------------------------------------------------


def _object(body: object) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise invalid("", "malformed", "The request body must be a JSON object.")
    return body


def _text_problem(body: dict[str, Any], field: str, missing: str) -> Problem | None:
    value = body.get(field)
    if value is None or value == "":
        return Problem(field, "required", missing)
    if not isinstance(value, str):
        return Problem(field, "malformed", f"'{field}' must be text.")
    return None


# --- the route table --------------------------------------------------------------------------

_LIMIT = Param(
    "limit",
    f"Orders per page, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT}).",
    {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
)
_CURSOR = Param("cursor", "The `next_cursor` of the previous page, with the same filters.")
_ORDER_SORT = Param(
    "sort_by",
    "`created_at` (the default) or `name`, which list in the same order; `-created_at` or "
    "`created_at:desc` lists newest first. Paging never skips an order either way.",
    {"type": "string", "enum": sort_values(SORTABLE)},
)
_ORDER_Q = Param(
    "q",
    "A subset of query_string: `field:value` terms, all of which must hold, over the fields "
    'of the equality filters (quote a value with spaces: `source:"v2 API"`).',
)
INTERNAL_Q = Param(
    "q",
    "For OK Capsule's internal users, who name a client in it; a client's request is always "
    "about its own orders, so it is accepted and ignored.",
)
_ORDER_ID = {"id": "order"}

OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "POST",
        "/v2/authentication/token",
        issue_token,
        "Get access, id and refresh tokens",
        "Authentication",
        200,
        "Token",
        Auth.NONE,
        body="TokenRequest",
        description="Send `email` (or `username`) and `password`. Access tokens expire "
        "86400 simulated seconds later.",
    ),
    Operation(
        "POST",
        "/v2/authentication/refresh-token",
        refresh_token,
        "Get a new access token",
        "Authentication",
        200,
        "Token",
        Auth.NONE,
        body="RefreshRequest",
    ),
    Operation(
        "POST",
        "/v2/orders",
        create_order,
        "Create an order",
        "Orders",
        201,
        "OrderEnvelope",
        Auth.CLIENT,
        body="OrderCreate",
        query=(INTERNAL_Q,),
        description="The order starts Pending, or On Hold when its address needs review.",
    ),
    Operation(
        "GET",
        "/v2/orders",
        list_orders,
        "List orders, oldest first",
        "Orders",
        200,
        "OrderPage",
        Auth.CLIENT,
        query=(_LIMIT, _CURSOR, _ORDER_SORT, _ORDER_Q, *order_filter_params()),
        description="Paging is stable: every order that matched when the first page was "
        "asked for is listed, however it changes meanwhile.",
        inline=True,
    ),
    Operation(
        "GET",
        "/v2/orders/count",
        count_orders,
        "Count orders",
        "Orders",
        200,
        "Count",
        Auth.CLIENT,
        query=(_ORDER_Q, *order_filter_params()),
    ),
    Operation(
        "GET",
        "/v2/orders/by-client-order-id/{client_custom_order_id}",
        get_order_by_client_order_id,
        "Get an order by the client's own id",
        "Orders",
        200,
        "OrderEnvelope",
        Auth.CLIENT,
        errors=(404,),
        inline=True,
    ),
    Operation(
        "GET",
        "/v2/orders/{id}",
        get_order,
        "Get an order",
        "Orders",
        200,
        "OrderEnvelope",
        Auth.CLIENT,
        query=(INTERNAL_Q,),
        ids=_ORDER_ID,
        inline=True,
    ),
    Operation(
        "PUT",
        "/v2/orders/{id}",
        update_order,
        "Update an order (partial)",
        "Orders",
        200,
        "OrderEnvelope",
        Auth.CLIENT,
        body="OrderUpdate",
        query=(INTERNAL_Q,),
        ids=_ORDER_ID,
        description="Only while Pending or On Hold; `status` may be set to Pending, On Hold "
        "or Canceled by Client.",
    ),
    Operation(
        "DELETE",
        "/v2/orders/{id}",
        cancel_order,
        "Cancel an order",
        "Orders",
        204,
        None,
        Auth.CLIENT,
        query=(INTERNAL_Q,),
        ids=_ORDER_ID,
        errors=(422,),
        description="Same rules as setting the status to Canceled by Client.",
    ),
    Operation(
        "GET",
        "/v2/orders/{id}/fulfillments",
        list_order_fulfillments,
        "List an order's fulfillments",
        "Fulfillments",
        200,
        "FulfillmentList",
        Auth.CLIENT,
        ids=_ORDER_ID,
    ),
    Operation(
        "GET",
        "/v2/fulfillments",
        list_fulfillments,
        "List fulfillments",
        "Fulfillments",
        200,
        "FulfillmentList",
        Auth.CLIENT,
        query=(
            Param("order_id", "Only this order's fulfillments.", {"type": "string"}),
            Param("filter[order_id]", "Same as `order_id`.", {"type": "string"}),
        ),
        errors=(404,),
    ),
    Operation(
        "GET",
        "/v2/fulfillments/{id}",
        get_fulfillment,
        "Get a fulfillment",
        "Fulfillments",
        200,
        "FulfillmentEnvelope",
        Auth.CLIENT,
        ids={"id": "fulfillment"},
        inline=True,
    ),
    Operation(
        "GET",
        "/v2/products",
        list_products,
        "List the client's products",
        "Products",
        200,
        "ProductList",
        Auth.CLIENT,
        inline=True,
    ),
    Operation(
        "POST",
        "/v2/consumers",
        create_consumer,
        "Create a consumer",
        "Consumers",
        201,
        "ConsumerEnvelope",
        Auth.CLIENT,
        body="ConsumerInput",
    ),
    Operation(
        "GET",
        "/v2/consumers",
        list_consumers,
        "List consumers",
        "Consumers",
        200,
        "ConsumerList",
        Auth.CLIENT,
    ),
    Operation(
        "GET",
        "/v2/consumers/{id}",
        get_consumer,
        "Get a consumer",
        "Consumers",
        200,
        "ConsumerEnvelope",
        Auth.CLIENT,
        ids={"id": "consumer"},
        inline=True,
    ),
    Operation(
        "PUT",
        "/v2/consumers/{id}",
        update_consumer,
        "Update a consumer",
        "Consumers",
        200,
        "ConsumerEnvelope",
        Auth.CLIENT,
        body="ConsumerInput",
        ids={"id": "consumer"},
    ),
    Operation(
        "GET",
        "/v2/order-transaction-logs",
        list_transaction_logs,
        "An order's transaction log",
        "Orders",
        200,
        "TransactionList",
        Auth.CLIENT,
        query=(
            Param(
                "filter[entity_id]",
                "The order whose log to read (or name it in `q`).",
                {"type": "string", "format": "uuid"},
            ),
            Param(
                "q",
                "`field:value` terms over `entity_id`, `column_name`, `event_type`, `event` and "
                "`actor`, all of which a row must match; `entity_id:<order id>` names the order.",
            ),
        ),
        errors=(404,),
        description="One row per changed field, status changes included, oldest first. One "
        "order's log at a time: name it in `filter[entity_id]` or `q`.",
    ),
)
