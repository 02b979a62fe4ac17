"""The provider's API under `/v2`: authentication, orders, fulfillments, products, consumers.

Each handler makes one engine call and wraps the result in the provider's envelope; orders
come from the engine as UTF-8 JSON, so they are wrapped as bytes too.
"""

from __future__ import annotations

from typing import Any

from simulator._browse import Listed
from simulator._listing import DEFAULT_LIMIT, EQUALITY_FILTERS, MAX_LIMIT, SEARCHED, SORTABLE
from simulator._order_reads import LOG_SEARCH, LOG_WORDS
from simulator._terms import check_client_q
from simulator.http._endpoints import Auth, Call, Operation, RawJson, Reply
from simulator.http._errors import ApiError, Invalid, Problem, invalid
from simulator.http._query import (
    BLANK,
    CURSOR,
    Param,
    collection_filters,
    collection_params,
    order_filter_params,
    order_filters,
    page_limit,
    q_param,
    single,
    sort_param,
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
    own_client(call, "order")
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
    own_client(call, "order")
    data = call.sim.get_order_json(call.path["id"], call.client)
    call.visit.observe([call.path["id"]])
    return _order(data)


def _order(data: bytes) -> Reply:
    return Reply(200, RawJson(b"".join((b'{"order":', data, b"}"))))


def update_order(call: Call) -> Reply:
    """PUT /v2/orders/{id}: a partial update under the client rules."""
    own_client(call, "order")
    order = call.sim.update_order(call.path["id"], call.body, call.client)
    call.visit.observe([order["id"]])
    return Reply(200, {"order": order})


def cancel_order(call: Call) -> Reply:
    """DELETE /v2/orders/{id}: cancel, under the same rules as setting the status."""
    own_client(call, "order")
    call.sim.cancel_order(call.path["id"], call.client)
    return Reply(204)


# --- fulfillments -----------------------------------------------------------------------------


def list_order_fulfillments(call: Call) -> Reply:
    """GET /v2/orders/{id}/fulfillments: one page of an order's fulfillments."""
    return _page(call, "fulfillments", call.path["id"])


def list_fulfillments(call: Call) -> Reply:
    """GET /v2/fulfillments: one page, optionally of one order."""
    return _page(call, "fulfillments", _fulfillments_order(call))


def count_fulfillments(call: Call) -> Reply:
    """GET /v2/fulfillments/count: with the list's filters."""
    return _count(call, "fulfillments", _fulfillments_order(call))


def _fulfillments_order(call: Call) -> str | None:
    """The order whose fulfillments to list: `order_id` or `filter[order_id]`, or None."""
    given = {single(call.query, "order_id"), single(call.query, "filter[order_id]")} - {None}
    if len(given) > 1:
        raise ApiError(
            400, "bad_request", "'order_id' and 'filter[order_id]' name different orders."
        )
    return given.pop() if given else None


def get_fulfillment(call: Call) -> Reply:
    """GET /v2/fulfillments/{id}."""
    own_client(call, "fulfillment")
    return Reply(200, {"fulfillment": call.sim.get_fulfillment(call.path["id"], call.client)})


def get_fulfillment_label(call: Call) -> Reply:
    """GET /v2/fulfillments/{id}/label: a label URL that expires 15 simulated minutes later."""
    own_client(call, "fulfillment")
    return Reply(200, call.sim.fulfillment_label(call.path["id"], call.client))


# --- products, consumers, addresses, the user, transaction logs -------------------------------


def get_user(call: Call) -> Reply:
    """GET /v2/authentication/user: the user the access token was issued to."""
    return Reply(200, call.sim.user(call.client))


def list_products(call: Call) -> Reply:
    """GET /v2/products: a page of the client's seeded catalogue."""
    return _page(call, "products")


def count_products(call: Call) -> Reply:
    """GET /v2/products/count."""
    return _count(call, "products")


def get_product(call: Call) -> Reply:
    """GET /v2/products/{id}."""
    own_client(call, "product")
    return Reply(200, {"product": call.sim.get_product(call.path["id"], call.client)})


def create_consumer(call: Call) -> Reply:
    """POST /v2/consumers."""
    own_client(call, "consumer")
    return Reply(201, {"consumer": call.sim.create_consumer(call.body, call.client)})


def list_consumers(call: Call) -> Reply:
    """GET /v2/consumers: one page."""
    return _page(call, "consumers")


def count_consumers(call: Call) -> Reply:
    """GET /v2/consumers/count."""
    return _count(call, "consumers")


def get_consumer(call: Call) -> Reply:
    """GET /v2/consumers/{id}."""
    own_client(call, "consumer")
    return Reply(200, {"consumer": call.sim.get_consumer(call.path["id"], call.client)})


def update_consumer(call: Call) -> Reply:
    """PUT /v2/consumers/{id}."""
    own_client(call, "consumer")
    consumer = call.sim.update_consumer(call.path["id"], call.body, call.client)
    return Reply(200, {"consumer": consumer})


def list_addresses(call: Call) -> Reply:
    """GET /v2/consumers/{consumerId}/addresses: one page of a consumer's addresses."""
    return _page(call, "addresses", call.path["consumerId"])


def count_addresses(call: Call) -> Reply:
    """GET /v2/consumers/{consumerId}/addresses/count."""
    return _count(call, "addresses", call.path["consumerId"])


def create_address(call: Call) -> Reply:
    """POST /v2/consumers/{consumerId}/addresses."""
    own_client(call, "consumer")
    address = call.sim.create_address(call.path["consumerId"], call.body, call.client)
    return Reply(201, {"address": address})


def get_address(call: Call) -> Reply:
    """GET /v2/consumers/{consumerId}/addresses/{id}."""
    own_client(call, "address")
    address = call.sim.get_address(call.path["consumerId"], call.path["id"], call.client)
    return Reply(200, {"address": address})


def update_address(call: Call) -> Reply:
    """PUT /v2/consumers/{consumerId}/addresses/{id}."""
    own_client(call, "address")
    path = call.path
    address = call.sim.update_address(path["consumerId"], path["id"], call.body, call.client)
    return Reply(200, {"address": address})


def delete_address(call: Call) -> Reply:
    """DELETE /v2/consumers/{consumerId}/addresses/{id}."""
    own_client(call, "address")
    call.sim.delete_address(call.path["consumerId"], call.path["id"], call.client)
    return Reply(204)


def _page(call: Call, listed: str, scope: str | None = None) -> Reply:
    """One page of a collection beside orders, from the route's query parameters."""
    query = call.query
    page = call.sim.list_page(
        listed,
        call.client,
        scope=scope,
        filters=_filters(call),
        q=single(query, "q"),
        sort_by=single(query, "sort_by"),
        limit=page_limit(query),
        cursor=single(query, "cursor"),
    )
    return Reply(200, page)


def _count(call: Call, listed: str, scope: str | None = None) -> Reply:
    count = call.sim.count_listed(
        listed, call.client, scope=scope, filters=_filters(call), q=single(call.query, "q")
    )
    return Reply(200, {"count": count})


def _filters(call: Call) -> dict[str, Any]:
    filters = collection_filters(call.query)
    filters.pop("order_id", None)  # the fulfillments' scope, read apart
    return filters


def own_client(call: Call, noun: str) -> None:
    """Check a single-resource route's `q` (internal users name a client with it)."""
    check_client_q(single(call.query, "q"), call.client, noun)


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
_ORDER_SORT = sort_param(
    SORTABLE,
    "Default: oldest first; both fields list in the same order (names are numbered so), and "
    "paging never skips an order either way.",
)
_ORDER_Q = q_param(EQUALITY_FILTERS, SEARCHED)
_ORDER_ID = {"id": "order"}
_CONSUMER_ID = {"consumerId": "consumer"}
_ORDER_SCOPE = frozenset({"order_id"})
_FULFILLMENTS_ORDER = (
    Param("order_id", "Only this order's fulfillments.", {"type": "string", "format": "uuid"}),
    Param("filter[order_id]", "Same as `order_id`.", {"type": "string", "format": "uuid"}),
)
INTERNAL_Q = Param(
    "q",
    "For the provider's internal users, who name a client so: `client_id:<id>`. A client may "
    "send its own id (nothing changes); another client's id reads as not found. Empty or "
    "blank: as if not sent.",
    {"type": "string", "pattern": f"^[{BLANK}]*$|^client_id:[0-9a-f-]{{36}}$"},
)
_PAGING = (
    "Oldest first unless `sort_by` says otherwise; `next_cursor` is null on the last page. "
    "Paging is stable: every item that matched when the first page was asked for is listed, "
    "however it changes meanwhile."
)


def _list_params(listed: Listed, leave_out: frozenset[str] = frozenset()) -> tuple[Param, ...]:
    return tuple(collection_params(listed.collection, paged=True, leave_out=leave_out))


def _count_params(listed: Listed, leave_out: frozenset[str] = frozenset()) -> tuple[Param, ...]:
    return tuple(collection_params(listed.collection, paged=False, leave_out=leave_out))


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
        "GET",
        "/v2/authentication/user",
        get_user,
        "Get the user the access token was issued to",
        "Authentication",
        200,
        "User",
        Auth.CLIENT,
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
        query=(_LIMIT, CURSOR, _ORDER_SORT, _ORDER_Q, *order_filter_params()),
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
        "FulfillmentPage",
        Auth.CLIENT,
        query=_list_params(Listed.FULFILLMENTS, leave_out=_ORDER_SCOPE),
        ids=_ORDER_ID,
        description=_PAGING,
    ),
    Operation(
        "GET",
        "/v2/fulfillments",
        list_fulfillments,
        "List fulfillments",
        "Fulfillments",
        200,
        "FulfillmentPage",
        Auth.CLIENT,
        query=(*_FULFILLMENTS_ORDER, *_list_params(Listed.FULFILLMENTS, leave_out=_ORDER_SCOPE)),
        errors=(404,),
        description=_PAGING,
    ),
    Operation(
        "GET",
        "/v2/fulfillments/count",
        count_fulfillments,
        "Count fulfillments",
        "Fulfillments",
        200,
        "Count",
        Auth.CLIENT,
        query=(*_FULFILLMENTS_ORDER, *_count_params(Listed.FULFILLMENTS, leave_out=_ORDER_SCOPE)),
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
        query=(INTERNAL_Q,),
        ids={"id": "fulfillment"},
        inline=True,
    ),
    Operation(
        "GET",
        "/v2/fulfillments/{id}/label",
        get_fulfillment_label,
        "Get a fulfillment's signed label URL",
        "Fulfillments",
        200,
        "Label",
        Auth.CLIENT,
        query=(INTERNAL_Q,),
        ids={"id": "fulfillment"},
        description="The URL is signed at the simulated now and expires 900 simulated seconds "
        "(15 minutes) later (`X-Amz-Date`, `X-Amz-Expires`); the same seed, fulfillment and "
        "instant give the same URL.",
    ),
    Operation(
        "GET",
        "/v2/products",
        list_products,
        "List the client's products",
        "Products",
        200,
        "ProductPage",
        Auth.CLIENT,
        query=_list_params(Listed.PRODUCTS),
        description=_PAGING,
        inline=True,
    ),
    Operation(
        "GET",
        "/v2/products/count",
        count_products,
        "Count the client's products",
        "Products",
        200,
        "Count",
        Auth.CLIENT,
        query=_count_params(Listed.PRODUCTS),
    ),
    Operation(
        "GET",
        "/v2/products/{id}",
        get_product,
        "Get a product",
        "Products",
        200,
        "ProductEnvelope",
        Auth.CLIENT,
        query=(INTERNAL_Q,),
        ids={"id": "product"},
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
        body="ConsumerCreate",
        query=(INTERNAL_Q,),
    ),
    Operation(
        "GET",
        "/v2/consumers",
        list_consumers,
        "List consumers",
        "Consumers",
        200,
        "ConsumerPage",
        Auth.CLIENT,
        query=_list_params(Listed.CONSUMERS),
        description=_PAGING,
    ),
    Operation(
        "GET",
        "/v2/consumers/count",
        count_consumers,
        "Count consumers",
        "Consumers",
        200,
        "Count",
        Auth.CLIENT,
        query=_count_params(Listed.CONSUMERS),
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
        query=(INTERNAL_Q,),
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
        query=(INTERNAL_Q,),
        ids={"id": "consumer"},
    ),
    Operation(
        "GET",
        "/v2/consumers/{consumerId}/addresses",
        list_addresses,
        "List a consumer's addresses",
        "Consumers",
        200,
        "AddressPage",
        Auth.CLIENT,
        query=_list_params(Listed.ADDRESSES),
        ids=_CONSUMER_ID,
        description=_PAGING,
    ),
    Operation(
        "POST",
        "/v2/consumers/{consumerId}/addresses",
        create_address,
        "Save an address for a consumer",
        "Consumers",
        201,
        "AddressEnvelope",
        Auth.CLIENT,
        body="AddressInput",
        query=(INTERNAL_Q,),
        ids=_CONSUMER_ID,
        description="A consumer's first address is its default unless `is_default` is false; "
        "a new default makes the others not the default.",
    ),
    Operation(
        "GET",
        "/v2/consumers/{consumerId}/addresses/count",
        count_addresses,
        "Count a consumer's addresses",
        "Consumers",
        200,
        "Count",
        Auth.CLIENT,
        query=_count_params(Listed.ADDRESSES),
        ids=_CONSUMER_ID,
    ),
    Operation(
        "GET",
        "/v2/consumers/{consumerId}/addresses/{id}",
        get_address,
        "Get one of a consumer's addresses",
        "Consumers",
        200,
        "AddressEnvelope",
        Auth.CLIENT,
        query=(INTERNAL_Q,),
        ids={**_CONSUMER_ID, "id": "address"},
    ),
    Operation(
        "PUT",
        "/v2/consumers/{consumerId}/addresses/{id}",
        update_address,
        "Update one of a consumer's addresses",
        "Consumers",
        200,
        "AddressEnvelope",
        Auth.CLIENT,
        body="AddressInput",
        query=(INTERNAL_Q,),
        ids={**_CONSUMER_ID, "id": "address"},
        description="Send `address1`, `city` and `country_name` with any other changes; "
        "`null` clears `province_name` or `postal_code`.",
    ),
    Operation(
        "DELETE",
        "/v2/consumers/{consumerId}/addresses/{id}",
        delete_address,
        "Delete one of a consumer's addresses",
        "Consumers",
        204,
        None,
        Auth.CLIENT,
        query=(INTERNAL_Q,),
        ids={**_CONSUMER_ID, "id": "address"},
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
            q_param(LOG_SEARCH, LOG_WORDS),
        ),
        errors=(404,),
        description="One row per changed field, status changes included, oldest first. One "
        "order's log at a time: name it in `filter[entity_id]` or in `q` (`entity_id:<order id>`).",
    ),
)
