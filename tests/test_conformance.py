"""Conformance: a whole lifecycle over HTTP, every response checked against the provider's schemas.

One real server on a real socket, its simulated clock driven through the control API, serves
every status a client can see (the rare ones forced by operator events), every implemented
route and every error class. Each response must validate against the provider's response
schema for its operation and status (or `default`); what does not is either one of the
deviations docs/conformance.md lists, or a failure. See docs/conformance.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Self

import attrs
import httpx
import pytest
from conformance_support import (
    PROVIDER_DOCUMENT,
    Mismatch,
    documented_deviations,
    mismatches,
    template_of,
    to_json_schema,
)
from test_http_support import EMAIL, OTHER_EMAIL, OTHER_PASSWORD, PASSWORD, address, new_sim

from lifecycle import OrderStatus
from simulator._server import LiveServer

JSON_TYPE = {"Content-Type": "application/json"}
UNKNOWN_UUID = "00000000-0000-4000-8000-0000000000ff"
MAX_BODY_BYTES = 65_536
RATE_LIMIT = 5
"""Requests per simulated hour on the second server, which exists to answer a 429."""
ERROR_CLASSES = {400, 401, 404, 405, 413, 415, 422, 429, 501}
DAY = 86_400


@attrs.frozen
class Exchange:
    """One request to the provider's API and the answer it got."""

    method: str
    path: str
    status: int
    body: bytes


class Client:
    """An HTTP client of one live server that records every `/v2` exchange."""

    def __init__(self, url: str, exchanges: list[Exchange]) -> None:
        """Talk to `url`; append each `/v2` exchange to `exchanges`."""
        self.http = httpx.Client(base_url=url, timeout=60)
        self.exchanges = exchanges
        self.credentials = (EMAIL, PASSWORD)

    def __enter__(self) -> Self:
        """The client, to close after use."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Close the connections."""
        self.http.close()

    def call(self, method: str, path: str, expect: int | None = None, **kwargs: Any) -> Any:
        """Send a request (JSON Content-Type on writes), record it, check the status if given."""
        if method in {"POST", "PUT", "PATCH"}:
            kwargs["headers"] = JSON_TYPE | kwargs.get("headers", {})
        response = self.http.request(method, path, **kwargs)
        if path.startswith("/v2/"):
            exchange = Exchange(method, response.url.path, response.status_code, response.content)
            self.exchanges.append(exchange)
        assert expect is None or response.status_code == expect, (method, path, response.text)
        return response.json() if response.content else None

    def login(self, email: str = EMAIL, password: str = PASSWORD) -> dict[str, Any]:
        """Get tokens and send the access token from now on."""
        body = {"email": email, "password": password}
        tokens: dict[str, Any] = self.call("POST", "/v2/authentication/token", 200, json=body)
        self.http.headers["Authorization"] = f"Bearer {tokens['access_token']}"
        self.credentials = (email, password)
        return tokens

    def advance(self, seconds: int) -> None:
        """Move the simulated clock, then log in again (tokens last a simulated day)."""
        self.call("POST", "/_sim/clock/advance", 200, json={"seconds": seconds})
        self.login(*self.credentials)

    def force(self, order_id: str, event: str) -> None:
        """An operator event, through the control API."""
        self.call("POST", f"/_sim/orders/{order_id}/events", 200, json={"event": event})

    def order(self, order_id: str) -> dict[str, Any]:
        """An order now, read through the provider's route (and so checked)."""
        order: dict[str, Any] = self.call("GET", f"/v2/orders/{order_id}", 200)["order"]
        return order

    def create_order(self, **fields: Any) -> dict[str, Any]:
        """Create an order for the client's first product, with these top-level fields."""
        product = self.call("GET", "/v2/products", 200)["products"][0]["id"]
        body = {
            "consumer": {"first_name": "Ada", "last_name": "Lovelace"},
            "shipping_address": address(),
            "order_lines": [
                {
                    "pouches": [
                        {
                            "time_of_administration": "Morning",
                            "contents": [{"client_product_id": product, "quantity": 1}],
                        }
                    ]
                }
            ],
            **fields,
        }
        order: dict[str, Any] = self.call("POST", "/v2/orders", 201, json=body)["order"]
        return order


def drive_lifecycle(api: Client) -> None:
    """Everything a client does and sees, from tokens to delivery and the rare statuses."""
    tokens = api.login()
    api.call(
        "POST", "/v2/authentication/refresh-token", json={"refresh_token": tokens["refresh_token"]}
    )
    api.call("GET", "/v2/authentication/user")
    read_catalogue_and_consumers(api)
    order = api.create_order(client_custom_order_id="CONF-1", note="conformance")
    read_order(api, order)
    edit_while_open(api)
    statuses_by_operator_events(api)
    run_the_clock(api, order["id"])
    read_after_shipping(api, order["id"])
    meet_every_error(api, order["id"])


def read_catalogue_and_consumers(api: Client) -> None:
    """Products, consumers and a consumer's addresses: lists, counts, reads and writes."""
    products = api.call("GET", "/v2/products", 200)["products"]
    api.call("GET", "/v2/products", params={"limit": 1})
    api.call("GET", "/v2/products/count")
    api.call("GET", f"/v2/products/{products[0]['id']}")
    consumer = api.call(
        "POST", "/v2/consumers", 201, json={"first_name": "Grace", "last_name": "Hopper"}
    )["consumer"]
    consumer_path = f"/v2/consumers/{consumer['id']}"
    api.call("GET", "/v2/consumers")
    api.call("GET", "/v2/consumers/count")
    api.call("GET", consumer_path)
    api.call("PUT", consumer_path, json={"email": "grace@example.com"})
    # Only the fields the provider's address body has (no country or province code).
    street = {k: v for k, v in address().items() if not k.endswith("_code") or k == "postal_code"}
    created = api.call("POST", f"{consumer_path}/addresses", json=street)
    api.call("GET", f"{consumer_path}/addresses")
    api.call("GET", f"{consumer_path}/addresses/count")
    if isinstance(created, dict) and isinstance(created.get("address"), dict):
        api.call("GET", f"{consumer_path}/addresses/{created['address']['id']}")
    # The provider's body takes a return address, which its response's enum leaves out.
    returning = {**street, "address_type": "return", "phone_number": "+15125550100"}
    back = api.call("POST", f"{consumer_path}/addresses", 201, json=returning)["address"]
    api.call("GET", f"{consumer_path}/addresses/{back['id']}")
    api.call("GET", f"{consumer_path}/addresses")
    api.call("GET", "/v2/statuses")


def read_order(api: Client, order: dict[str, Any]) -> None:
    """Every read of one order: by id, by the client's id, in a list page, counted, its lines."""
    api.call("GET", f"/v2/orders/{order['id']}", 200)
    api.call("GET", "/v2/orders/by-client-order-id/CONF-1", 200)
    api.create_order()
    page = api.call("GET", "/v2/orders", 200, params={"limit": 1})
    if page.get("next_cursor"):
        api.call("GET", "/v2/orders", 200, params={"limit": 1, "cursor": page["next_cursor"]})
    api.call("GET", "/v2/orders/count", 200)
    api.call("GET", "/v2/orders/count", 200, params={"filter[status]": "Pending"})
    api.call("GET", f"/v2/order-lines/{order['order_lines'][0]['id']}")
    logs = api.call(
        "GET", "/v2/order-transaction-logs", 200, params={"filter[entity_id]": order["id"]}
    )
    if logs.get("transactions"):
        api.call("GET", f"/v2/order-transaction-logs/{logs['transactions'][0]['id']}")


def edit_while_open(api: Client) -> None:
    """Pending and On Hold orders: edits, holds, releases, cancels (by PUT and by DELETE)."""
    held = api.create_order(shipping_address=address(address1="PO Box 123"))
    assert api.order(held["id"])["status"] == OrderStatus.ON_HOLD
    api.call("PUT", f"/v2/orders/{held['id']}", 200, json={"note": "held"})
    api.call("PUT", f"/v2/orders/{held['id']}", 422, json={"status": "Pending"})
    api.call("PUT", f"/v2/orders/{held['id']}", 200, json={"status": "Canceled by Client"})
    api.call("DELETE", f"/v2/orders/{held['id']}", 422)
    pending = api.create_order()
    api.call("PUT", f"/v2/orders/{pending['id']}", 200, json={"status": "On Hold"})
    api.call("PUT", f"/v2/orders/{pending['id']}", 200, json={"status": "Pending"})
    api.call("DELETE", f"/v2/orders/{pending['id']}", 204)
    api.order(pending["id"])


def statuses_by_operator_events(api: Client) -> None:
    """The statuses only OK Capsule's operators cause, each on its own order, read back."""
    paths = {
        OrderStatus.CANCELED_BY_OKC: ["cancel_by_okc"],
        OrderStatus.VOIDED: ["void"],
        OrderStatus.ERROR: ["accept", "fail"],
        OrderStatus.REPLACED: ["accept", "start_production", "ship", "replace"],
        OrderStatus.RETURNED: ["accept", "start_production", "ship", "deliver", "return"],
    }
    for status, events in paths.items():
        order = api.create_order()
        for event in events:
            api.force(order["id"], event)
        assert api.order(order["id"])["status"] == status


def run_the_clock(api: Client, order_id: str) -> None:
    """Advance hour by hour (bounded) until the order is Delivered, reading it at every step."""
    for _ in range(24 * 30):
        status = api.order(order_id)["status"]
        if status == OrderStatus.DELIVERED:
            return
        if status == OrderStatus.ACCEPTED:
            api.call("PUT", f"/v2/orders/{order_id}", 422, json={"note": "too late"})
            api.call("DELETE", f"/v2/orders/{order_id}", 422)
        api.advance(3600)
    pytest.fail("The order was not delivered within 30 simulated days.")


def read_after_shipping(api: Client, order_id: str) -> None:
    """Fulfillments, their label and count, batches and the order's log, once delivered."""
    fulfillments = api.call("GET", f"/v2/orders/{order_id}/fulfillments", 200)["fulfillments"]
    api.call("GET", "/v2/fulfillments", 200)
    api.call("GET", "/v2/fulfillments", 200, params={"order_id": order_id})
    api.call("GET", "/v2/fulfillments/count")
    api.call("GET", f"/v2/fulfillments/{fulfillments[0]['id']}", 200)
    api.call("GET", f"/v2/fulfillments/{fulfillments[0]['id']}/label")
    batches = api.call("GET", "/v2/batches")
    api.call("GET", "/v2/batches/count")
    if isinstance(batches, dict) and batches.get("batches"):
        api.call("GET", f"/v2/batches/{batches['batches'][0]['id']}")
    api.call("GET", "/v2/order-transaction-logs", 200, params={"filter[entity_id]": order_id})


def meet_every_error(api: Client, order_id: str) -> None:
    """One request of each error class a client can cause."""
    api.call("GET", "/v2/orders", 400, params={"limit": "many"})
    api.call("GET", "/v2/orders", 400, params={"colour": "blue"})
    api.call("POST", "/v2/orders", 400, content=b'{"note": }')
    api.call("GET", "/v2/orders", 401, headers={"Authorization": "Bearer nonsense"})
    api.call("POST", "/v2/authentication/token", 401, json={"email": EMAIL, "password": "wrong"})
    api.call("GET", f"/v2/orders/{UNKNOWN_UUID}", 404)
    api.call("GET", f"/v2/fulfillments/{UNKNOWN_UUID}", 404)
    api.call("GET", "/v2/orders/by-client-order-id/NO-SUCH", 404)
    api.call("GET", "/v2/nothing", 404)
    api.call("PATCH", f"/v2/orders/{order_id}", 405)
    api.call("POST", "/v2/orders", 413, content=b" " * (MAX_BODY_BYTES + 1))
    api.call("POST", "/v2/orders", 415, content=b"{}", headers={"Content-Type": "text/plain"})
    api.call("POST", "/v2/orders", 422, json={"total": 3})
    api.call("POST", "/v2/consumers", 422, json={"id": "mine"})
    api.call("POST", "/v2/authentication/token", 422, json={"email": EMAIL})
    api.call("PUT", f"/v2/orders/{order_id}", 422, json={"note": "delivered already"})
    api.call("DELETE", f"/v2/orders/{order_id}", 422)
    api.call("POST", "/v2/batches", 501)
    api.call("DELETE", f"/v2/consumers/{UNKNOWN_UUID}", 501)


def meet_the_rate_limit(api: Client) -> None:
    """On a server limited to RATE_LIMIT requests an hour: the one after them is a 429."""
    api.login(OTHER_EMAIL, OTHER_PASSWORD)
    for _ in range(RATE_LIMIT):
        api.call("GET", "/v2/orders/count", 200)
    api.call("GET", "/v2/orders/count", 429)


@pytest.fixture(scope="module")
def exchanges() -> Iterator[list[Exchange]]:
    """Every `/v2` exchange of the whole lifecycle, and of the rate-limited server."""
    recorded: list[Exchange] = []
    world, limited = new_sim(), new_sim()
    try:
        with (
            LiveServer(world, max_body_bytes=MAX_BODY_BYTES) as server,
            Client(server.url, recorded) as api,
        ):
            drive_lifecycle(api)
        with (
            LiveServer(limited, rate_limit=RATE_LIMIT) as server,
            Client(server.url, recorded) as api,
        ):
            meet_the_rate_limit(api)
        yield recorded
    finally:
        world.close()
        limited.close()


def found_mismatches(exchanges: list[Exchange]) -> set[Mismatch]:
    """Every mismatch of every exchange, once."""
    return {m for e in exchanges for m in mismatches(e.method, e.path, e.status, e.body)}


def listing(found: set[Mismatch]) -> str:
    """One mismatch a line, to read in a failure."""
    return "\n".join(
        f"{m.operation} {m.status} {m.field or '(body)'}: {m.problem}" for m in sorted(found)
    )


@pytest.mark.slow
class TestConformance:
    """Every response of the lifecycle is what the provider's document says it is."""

    def test_no_mismatch_beyond_the_documented_deviations(self, exchanges: list[Exchange]) -> None:
        """Each response validates against its schema, but for docs/conformance.md's list."""
        unexplained = found_mismatches(exchanges) - documented_deviations()
        assert not unexplained, "\n" + listing(unexplained)

    def test_every_documented_deviation_still_occurs(self, exchanges: list[Exchange]) -> None:
        """The deviation list is exact: each one it names is met in the lifecycle."""
        gone = documented_deviations() - found_mismatches(exchanges)
        assert not gone, "no longer found, take them off docs/conformance.md:\n" + listing(gone)

    def test_every_vendored_operation_succeeded(self, exchanges: list[Exchange]) -> None:
        """Each operation of the vendored document was served (a 2xx) at least once."""
        answered = {
            (e.method.lower(), template_of(e.path)) for e in exchanges if 200 <= e.status < 300
        }
        vendored = {(m, path) for path, item in PROVIDER_DOCUMENT["paths"].items() for m in item}
        assert vendored - answered == set(), sorted(vendored - answered)

    def test_every_status_a_client_can_see(self, exchanges: list[Exchange]) -> None:
        """An order was read in each of the twelve statuses."""
        seen = {
            status.value
            for e in exchanges
            for status in OrderStatus
            if e.method == "GET"
            and e.status == 200
            and f'"status":"{status.value}"'.encode() in e.body
        }
        assert seen == {status.value for status in OrderStatus}

    def test_every_error_class(self, exchanges: list[Exchange]) -> None:
        """Each error status a client can cause was met, a refused edit and cancel among them."""
        assert {e.status for e in exchanges} >= ERROR_CLASSES
        refused = {
            e.method for e in exchanges if e.status == 422 and e.path.startswith("/v2/orders/")
        }
        assert refused >= {"PUT", "DELETE"}


class TestOpenApiToJsonSchema:
    """The conversion the suite validates with."""

    def test_nullable_takes_null(self) -> None:
        """`nullable: true` on a typed schema accepts null; without it null is refused."""
        assert to_json_schema({"type": "string", "nullable": True}) == {"type": ["string", "null"]}
        assert to_json_schema({"type": "string", "nullable": False}) == {"type": "string"}

    def test_nullable_enum_takes_null(self) -> None:
        """A nullable enum lists null among its values."""
        converted = to_json_schema({"type": "integer", "enum": [7, 10], "nullable": True})
        assert converted == {"type": ["integer", "null"], "enum": [7, 10, None]}

    def test_nested_schemas_are_converted(self) -> None:
        """Properties, items and combinators are converted all the way down."""
        schema = {"properties": {"a": {"items": {"type": "number", "nullable": True}}}}
        assert to_json_schema(schema) == {
            "properties": {"a": {"items": {"type": ["number", "null"]}}}
        }


class TestMismatches:
    """How the suite names a departure from the provider's document."""

    def test_a_null_where_the_provider_says_string(self) -> None:
        """A null non-nullable field is a `type` mismatch at its path, indices as `[]`."""
        body = b'{"products": [{"id": "x", "name": null}]}'
        found = mismatches("GET", "/v2/products", 200, body)
        assert Mismatch("GET /v2/products", 200, "products[].name", "type") in found

    def test_a_missing_required_property(self) -> None:
        """A missing required property is named by its own path."""
        found = mismatches("GET", "/v2/orders", 200, b"{}")
        assert found == [Mismatch("GET /v2/orders", 200, "orders", "required")]

    def test_an_error_is_checked_against_the_error_model(self) -> None:
        """A 404 of an operation with a `default` is checked against it: `error` is required."""
        found = mismatches("GET", "/v2/orders/x", 404, b'{"message": "gone"}')
        assert found == [Mismatch("GET /v2/orders/{id}", 404, "error", "required")]

    def test_an_undocumented_path_is_checked_as_an_error(self) -> None:
        """A request on no vendored operation is an error checked against `ErrorModel`."""
        body = b'{"message": "m", "error": {"errorCode": "not_simulated", "message": "m"}}'
        assert mismatches("POST", "/v2/batches", 501, body) == []

    def test_the_deviation_list_is_read(self) -> None:
        """docs/conformance.md's deviation table parses into mismatches."""
        deviations = documented_deviations()
        assert Mismatch("POST /v2/authentication/token", 200, "expires_in", "type") in deviations
