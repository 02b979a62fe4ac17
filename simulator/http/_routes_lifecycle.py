"""The provider's routes next to the order lifecycle: statuses, batches, an order line, a log row.

Each is tenant-scoped: a client sees the batches that accepted its orders, its orders' lines
and its orders' log rows, and gets a 404 for anyone else's.
"""

from __future__ import annotations

from simulator._lifecycle_reads import (
    BATCH_FILTERS,
    BATCH_SORTABLE,
    BATCH_WORDS,
    STATUS_FIELDS,
    STATUS_WORDS,
)
from simulator._listing import DEFAULT_LIMIT, MAX_LIMIT
from simulator.http._endpoints import Auth, Call, Operation, Reply
from simulator.http._query import (
    CURSOR,
    TEXT_VALUES_SCHEMA,
    Param,
    order_filters,
    page_limit,
    q_param,
    single,
    sort_param,
)
from simulator.http._routes_v2 import INTERNAL_Q, own_client

# --- handlers -----------------------------------------------------------------------------------


def list_statuses(call: Call) -> Reply:
    """GET /v2/statuses: every order status, in the provider's `Status` shape."""
    return Reply(200, {"statuses": call.sim.statuses(single(call.query, "q"), call.client)})


def list_batches(call: Call) -> Reply:
    """GET /v2/batches: one page of the batches that accepted the client's orders."""
    page = call.sim.list_batches(
        order_filters(call.query),
        page_limit(call.query),
        single(call.query, "cursor"),
        call.client,
        sort_by=single(call.query, "sort_by"),
        q=single(call.query, "q"),
    )
    return Reply(200, page)


def count_batches(call: Call) -> Reply:
    """GET /v2/batches/count."""
    found = call.sim.count_batches(order_filters(call.query), call.client, single(call.query, "q"))
    return Reply(200, {"count": found})


def get_batch(call: Call) -> Reply:
    """GET /v2/batches/{id}."""
    return Reply(200, {"batch": call.sim.get_batch(call.path["id"], call.client)})


def get_order_line(call: Call) -> Reply:
    """GET /v2/order-lines/{id}: one line of one of the client's orders, as the order shows it."""
    own_client(call, "order line")
    return Reply(200, {"order_line": call.sim.get_order_line(call.path["id"], call.client)})


def get_transaction_log(call: Call) -> Reply:
    """GET /v2/order-transaction-logs/{id}: one row of one of the client's orders' logs."""
    own_client(call, "transaction log row")
    found = call.sim.get_transaction_log(call.path["id"], call.client)
    return Reply(200, {"transaction": found})


# --- the route table ----------------------------------------------------------------------------

_BATCH_PARAMS = (
    *(
        Param(
            f"filter[{field}]",
            f"Only batches whose {field} is this value (several: comma-separated or repeated).",
            TEXT_VALUES_SCHEMA,
            repeatable=True,
        )
        for field in BATCH_FILTERS
    ),
    q_param(BATCH_FILTERS, BATCH_WORDS),
)

OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        "/v2/statuses",
        list_statuses,
        "List the order statuses",
        "Lifecycle",
        200,
        "StatusList",
        Auth.CLIENT,
        query=(q_param(STATUS_FIELDS, STATUS_WORDS),),
        description="Every status an order can have, numbered in the lifecycle's order.",
    ),
    Operation(
        "GET",
        "/v2/batches",
        list_batches,
        "List the batches that accepted the client's orders",
        "Lifecycle",
        200,
        "BatchPage",
        Auth.CLIENT,
        query=(
            Param(
                "limit",
                f"Batches per page, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT}).",
                {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
            ),
            CURSOR,
            sort_param(
                BATCH_SORTABLE, "Default: oldest first; both fields list in the same order."
            ),
            *_BATCH_PARAMS,
        ),
        description="One batch a night (and one per operator's forced accept), oldest first. "
        "Paging is stable: every batch that matched when the first page was asked for is "
        "listed, judged by its status then.",
    ),
    Operation(
        "GET",
        "/v2/batches/count",
        count_batches,
        "Count the batches that accepted the client's orders",
        "Lifecycle",
        200,
        "Count",
        Auth.CLIENT,
        query=_BATCH_PARAMS,
    ),
    Operation(
        "GET",
        "/v2/batches/{id}",
        get_batch,
        "Get a batch",
        "Lifecycle",
        200,
        "BatchEnvelope",
        Auth.CLIENT,
        query=(INTERNAL_Q,),
        ids={"id": "batch"},
    ),
    Operation(
        "GET",
        "/v2/order-lines/{id}",
        get_order_line,
        "Get an order line",
        "Orders",
        200,
        "OrderLineEnvelope",
        Auth.CLIENT,
        query=(INTERNAL_Q,),
        ids={"id": "order line"},
        description="The line as its order shows it now, lifecycle fields included.",
    ),
    Operation(
        "GET",
        "/v2/order-transaction-logs/{id}",
        get_transaction_log,
        "Get one row of an order's transaction log",
        "Orders",
        200,
        "TransactionEnvelope",
        Auth.CLIENT,
        ids={"id": "order transaction log"},
    ),
)
