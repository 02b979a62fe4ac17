"""Products, consumers, addresses and fulfillments over a real socket: documents and lists.

No `null` where the provider's schema says non-nullable; the fulfillment's status follows
the events; every list takes `limit`, `cursor`, `sort_by`, `q` and the provider's filters,
and pages without skipping; the count, by-id, label, user and address routes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from test_http_support import (
    EMAIL,
    OTHER_EMAIL,
    OTHER_PASSWORD,
    PASSWORD,
    PROVIDER_SCHEMAS,
    UNKNOWN_UUID,
    address,
    new_sim,
)

from simulator._browse import Listed
from simulator._catalogue import RULE as PRODUCT_RULE
from simulator._collections import Kind
from simulator._consumer_addresses import RULE as ADDRESS_RULE
from simulator._consumers import RULE as CONSUMER_RULE
from simulator._fulfillments import LINE_RULE, STATUS_IDS
from simulator._fulfillments import RULE as FULFILLMENT_RULE
from simulator._lifecycle_reads import (
    BATCH_FILTERS,
    BATCH_SORTABLE,
    BATCH_WORDS,
    STATUS_FIELDS,
    STATUS_WORDS,
)
from simulator._listing import EQUALITY_FILTERS, RANGE_FILTERS, SEARCHED, SORTABLE
from simulator._order_reads import LOG_SEARCH, LOG_WORDS
from simulator._server import LiveServer

DAY = 86_400
DOCS = Path(__file__).parent.parent / "docs"
CONFORMANCE = DOCS / "conformance.md"


class Client:
    """A logged-in client of a live server, that logs in again after the clock moved."""

    def __init__(self, server: LiveServer, email: str = EMAIL, password: str = PASSWORD) -> None:
        """Log in to `server` as `email`."""
        self.url = server.url
        self.http = httpx.Client(base_url=server.url)
        self.credentials = {"email": email, "password": password}
        self.login()

    def login(self) -> None:
        """Get a fresh access token (tokens expire a simulated day after they are issued)."""
        tokens = self.http.post("/v2/authentication/token", json=self.credentials).json()
        self.http.headers["Authorization"] = f"Bearer {tokens['access_token']}"

    def get(self, url: str, **params: Any) -> httpx.Response:
        """GET with query parameters."""
        return self.http.get(url, params=params)

    def ok(self, url: str, **params: Any) -> dict[str, Any]:
        """GET that must answer 200; its JSON body."""
        response = self.get(url, **params)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def advance(self, seconds: int) -> None:
        """Move the simulated clock on, then log in again."""
        moved = self.http.post("/_sim/clock/advance", json={"seconds": seconds})
        assert moved.status_code == 200, moved.text
        self.login()

    def consumer(self, **fields: Any) -> dict[str, Any]:
        """Create a consumer and return it."""
        body = {"first_name": "Ada", "last_name": "Lovelace", **fields}
        response = self.http.post("/v2/consumers", json=body)
        assert response.status_code == 201, response.text
        consumer: dict[str, Any] = response.json()["consumer"]
        return consumer

    def order(self, **fields: Any) -> dict[str, Any]:
        """Create a Pending order with one line and return it."""
        product = self.ok("/v2/products", limit=1)["products"][0]["id"]
        body = {
            "consumer": {"first_name": "Ada", "last_name": "Lovelace"},
            "shipping_address": address(),
            "order_lines": [{"pouches": [{"contents": [{"client_product_id": product}]}]}],
            **fields,
        }
        response = self.http.post("/v2/orders", json=body)
        assert response.status_code == 201, response.text
        order: dict[str, Any] = response.json()["order"]
        return order

    def event(self, order_id: str, event: str) -> None:
        """Apply an operator event to an order."""
        response = self.http.post(f"/_sim/orders/{order_id}/events", json={"event": event})
        assert response.status_code == 200, response.text

    def address(self, consumer_id: str, **fields: Any) -> httpx.Response:
        """POST an address for a consumer."""
        body = {"address1": "1 Main St", "city": "Springfield", "country_name": "US", **fields}
        return self.http.post(f"/v2/consumers/{consumer_id}/addresses", json=body)


@pytest.fixture
def server() -> Iterator[LiveServer]:
    """A fresh simulator with two clients, served on a real socket without a rate limit."""
    sim = new_sim()
    try:
        with LiveServer(sim, rate_limit=None) as live:
            yield live
    finally:
        sim.close()


@pytest.fixture
def client(server: LiveServer) -> Iterator[Client]:
    """The first client, logged in."""
    api = Client(server)
    yield api
    api.http.close()


def shipped(client: Client, count: int = 1) -> list[str]:
    """Create orders and run them until they are shipped; their ids."""
    ids = [client.order()["id"] for _ in range(count)]
    for order_id in ids:
        for event in ("accept", "start_production", "ship"):
            client.event(order_id, event)
    return ids


def message(response: httpx.Response) -> str:
    """The message of a 400, failing on any other status."""
    assert response.status_code == 400, response.text
    text: str = response.json()["message"]
    return text


def nulls(value: object, path: str = "") -> list[str]:
    """Every place in a document that holds `null`."""
    if value is None:
        return [path]
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in nulls(item, f"{path}.{key}")]
    if isinstance(value, list):
        return [found for index, item in enumerate(value) for found in nulls(item, f"{path}[]")]
    return []


def non_nullable_nulls(value: object, schema: dict[str, Any], path: str = "") -> list[str]:
    """The places a document holds `null` where the provider's schema is not nullable."""
    if value is None:
        return [] if schema.get("nullable") else [path]
    found: list[str] = []
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for key, item in value.items():
            found += non_nullable_nulls(item, properties.get(key, {}), f"{path}.{key}")
    if isinstance(value, list):
        for item in value:
            found += non_nullable_nulls(item, schema.get("items", {}), f"{path}[]")
    return found


class TestNullRule:
    """No `null` where the provider's schema is not nullable; what the client sent comes back."""

    def test_consumer_shows_what_was_sent_and_no_null(self, client: Client) -> None:
        """A consumer sent with a null phone has no phone key, no null, and CRM ids."""
        consumer = client.consumer(email="ada@example.com", phone_number=None)
        assert nulls(consumer) == []
        assert "phone_number" not in consumer
        assert "client_custom_consumer_id" not in consumer
        assert consumer["email"] == "ada@example.com"
        assert re.fullmatch(r"001[0-9A-Za-z]{15}", consumer["crm_account_id"])
        assert re.fullmatch(r"003[0-9A-Za-z]{15}", consumer["crm_id"])
        again = client.ok(f"/v2/consumers/{consumer['id']}")["consumer"]
        assert again == consumer

    def test_null_clears_a_consumer_field(self, client: Client) -> None:
        """PUT with `phone_number: null` removes the key; the other fields stay as sent."""
        consumer = client.consumer(phone_number="+12133734253")
        assert consumer["phone_number"] == "+12133734253"
        url = f"/v2/consumers/{consumer['id']}"
        changed = client.http.put(url, json={"phone_number": None}).json()["consumer"]
        assert "phone_number" not in changed
        assert changed["first_name"] == "Ada"
        assert nulls(changed) == []

    def test_an_orders_consumer_follows_the_same_rule(self, client: Client) -> None:
        """The consumer an order embeds has no null either, and the same CRM ids."""
        order = client.order()
        embedded = order["consumer"]
        assert nulls(embedded) == []
        assert embedded == client.ok(f"/v2/consumers/{embedded['id']}")["consumer"]

    def test_products_have_no_null_and_valid_upcs(self, client: Client) -> None:
        """Every product has a 12-digit UPC-A whose check digit is right, and no null."""
        products = client.ok("/v2/products", limit=250)["products"]
        assert len(products) == 12
        for product in products:
            assert nulls(product) == []
            digits = [int(digit) for digit in product["client_upc"]]
            assert len(digits) == 12
            assert (sum(digits[0:11:2]) * 3 + sum(digits[1:11:2]) + digits[11]) % 10 == 0
            assert product["okc_product"]["product_family"] == "Supplement - Standard"

    def test_fulfillment_has_null_only_where_the_provider_allows(self, client: Client) -> None:
        """A shipped order's fulfillment fits the provider's schema with `nullable` honoured."""
        shipped(client)
        (fulfillment,) = client.ok("/v2/fulfillments")["fulfillments"]
        assert non_nullable_nulls(fulfillment, PROVIDER_SCHEMAS["Fulfillment"]) == []
        assert sorted(nulls(fulfillment)) == [".external_fulfillment_id", ".label_url"]

    def test_address_shows_what_was_sent_and_codes(self, client: Client) -> None:
        """An address keeps what was sent, derives the US codes, and has no null."""
        consumer = client.consumer()
        sent = {"province_name": "Ohio", "postal_code": "45501", "address2": "Apt. 2"}
        created = client.address(consumer["id"], **sent).json()["address"]
        assert nulls(created) == []
        assert {key: created[key] for key in sent} == sent
        assert (created["country_code"], created["province_code"]) == ("US", "OH")
        assert created["address_type"] == "shipping"
        assert "phone_number" not in created

    def test_the_page_lists_each_rule(self) -> None:
        """docs/conformance.md has a row for every field of every rule, with its value."""
        text = CONFORMANCE.read_text(encoding="utf-8")
        section = text.split("## The null rule: consumers, products, fulfillments, addresses")[1]
        section = section.split("\n## ")[0]
        rules = (CONSUMER_RULE, PRODUCT_RULE, FULFILLMENT_RULE, LINE_RULE, ADDRESS_RULE)
        for rule in rules:
            assert f"### {rule.document}\n" in section
            for field, shown, _why in rule.table():
                assert f"| `{field}` | {shown} |" in section, (rule.document, field)

    def test_the_page_lists_each_fulfillment_status(self) -> None:
        """docs/conformance.md gives the `status_id` of every fulfillment status."""
        text = CONFORMANCE.read_text(encoding="utf-8")
        for status, status_id in STATUS_IDS.items():
            assert f"| {status} | `{status_id}` |" in text


class TestFulfillmentStatus:
    """A fulfillment is made when its order ships; its status and dates change at delivery."""

    def test_made_at_ship_then_delivered(self, client: Client) -> None:
        """Shipped at ship with the expected date; Delivered at delivery, updated then."""
        order_id = client.order()["id"]
        for event in ("accept", "start_production"):
            client.event(order_id, event)
        assert client.ok("/v2/fulfillments")["fulfillments"] == []
        client.event(order_id, "ship")
        (parcel,) = client.ok(f"/v2/orders/{order_id}/fulfillments")["fulfillments"]
        assert parcel["status_id"] == STATUS_IDS["Shipped"]
        assert parcel["updated_at"] == parcel["created_at"] == parcel["pickup_date"]
        client.advance(10 * DAY)
        (delivered,) = client.ok(f"/v2/orders/{order_id}/fulfillments")["fulfillments"]
        assert delivered["status_id"] == STATUS_IDS["Delivered"]
        assert delivered["updated_at"] == delivered["delivery_date"]
        assert client.ok(f"/v2/orders/{order_id}")["order"]["status"] == "Delivered"

    def test_listed_as_read_by_id(self, client: Client) -> None:
        """Listed, filtered, sorted or one order's, a fulfillment reads as by its id, lines too."""
        (order_id,) = shipped(client)
        (parcel,) = client.ok("/v2/fulfillments")["fulfillments"]
        assert parcel == client.ok(f"/v2/fulfillments/{parcel['id']}")["fulfillment"]
        assert [line["order_id"] for line in parcel["order_lines"]] == [order_id]
        for params in (
            {"filter[status_id]": STATUS_IDS["Shipped"]},
            {"sort_by": "-delivery_date"},
            {"q": "SO"},
        ):
            assert client.ok("/v2/fulfillments", **params)["fulfillments"] == [parcel], params
        assert client.ok(f"/v2/orders/{order_id}/fulfillments")["fulfillments"] == [parcel]

    def test_returned(self, client: Client) -> None:
        """A parcel that comes back reads Returned, updated when it did."""
        (order_id,) = shipped(client)
        client.event(order_id, "return")
        (parcel,) = client.ok("/v2/fulfillments")["fulfillments"]
        assert parcel["status_id"] == STATUS_IDS["Returned"]


LISTS = {
    "products": "/v2/products",
    "consumers": "/v2/consumers",
    "fulfillments": "/v2/fulfillments",
}


def fill(client: Client) -> dict[str, str]:
    """Give the client five consumers, three shipped orders and five addresses; the URLs."""
    for name in ("Cobb", "Adams", "Eliot", "Byron", "Dunne"):
        client.consumer(last_name=name)
    orders = shipped(client, 3)
    consumer = client.consumer(last_name="Homer")["id"]
    for number in range(5):
        assert client.address(consumer, city=f"City {number}").status_code == 201
    return {
        **LISTS,
        "addresses": f"/v2/consumers/{consumer}/addresses",
        "order fulfillments": f"/v2/orders/{orders[0]}/fulfillments",
    }


def every_page(client: Client, url: str, key: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a list, two at a time, following `next_cursor` (at most 20 pages)."""
    found: list[dict[str, Any]] = []
    cursor = None
    for _ in range(20):
        page = client.ok(url, limit=2, **params, **({"cursor": cursor} if cursor else {}))
        found += page[key]
        cursor = page["next_cursor"]
        if cursor is None:
            return found
    pytest.fail("more than 20 pages")


class TestPaging:
    """Every list pages with `limit` and a signed `cursor`, skipping nothing."""

    def test_pages_list_everything_once(self, client: Client) -> None:
        """Two at a time, each list gives every item once, in the one-page order."""
        urls = fill(client)
        for name, url in urls.items():
            key = url.rsplit("/", 1)[1]
            whole = client.ok(url, limit=250)[key]
            assert whole, name
            assert every_page(client, url, key) == whole, name

    def test_damaged_and_foreign_cursors_are_400s(self, client: Client) -> None:
        """An altered cursor, another list's, or one with other filters is a 400 naming it."""
        fill(client)
        cursor = client.ok("/v2/consumers", limit=1)["next_cursor"]
        assert cursor is not None
        bad = [
            client.get(
                "/v2/consumers", cursor=cursor[:-2] + ("AA" if cursor[-2:] != "AA" else "BB")
            ),
            client.get("/v2/products", cursor=cursor),
            client.get("/v2/orders", cursor=cursor),
            client.get("/v2/consumers", cursor=cursor, sort_by="last_name"),
        ]
        for response in bad:
            assert "'cursor'" in message(response)

    def test_a_changed_consumer_is_not_skipped(self, client: Client) -> None:
        """Renaming a listed consumer between pages, so it sorts first, skips nothing."""
        fill(client)
        first = client.ok("/v2/consumers", limit=2, sort_by="last_name")
        names = [consumer["last_name"] for consumer in first["consumers"]]
        assert names == ["Adams", "Byron"]
        later = client.ok("/v2/consumers", limit=250, sort_by="last_name")["consumers"]
        eliot = next(consumer for consumer in later if consumer["last_name"] == "Eliot")
        client.http.put(f"/v2/consumers/{eliot['id']}", json={"last_name": "Aaron"})
        rest = client.ok(
            "/v2/consumers", limit=250, sort_by="last_name", cursor=first["next_cursor"]
        )["consumers"]
        assert [consumer["last_name"] for consumer in rest] == [
            "Cobb",
            "Dunne",
            "Eliot",
            "Homer",
            "Lovelace",
            "Lovelace",
            "Lovelace",
        ]

    def test_a_deleted_address_is_not_skipped(self, client: Client) -> None:
        """An address deleted between pages is still listed, as it was at the first page."""
        consumer = client.consumer()["id"]
        base = f"/v2/consumers/{consumer}/addresses"
        made = [client.address(consumer, city=f"City {n}").json()["address"] for n in range(4)]
        first = client.ok(base, limit=2)
        assert client.http.delete(f"{base}/{made[2]['id']}").status_code == 204
        rest = client.ok(base, limit=250, cursor=first["next_cursor"])["addresses"]
        assert [address["city"] for address in rest] == ["City 2", "City 3"]
        assert len(client.ok(base)["addresses"]) == 3

    def test_a_delivered_parcel_is_not_skipped(self, client: Client) -> None:
        """Parcels listed as Shipped stay listed while they are delivered between pages."""
        shipped(client, 3)
        shipped_id = STATUS_IDS["Shipped"]
        first = client.ok("/v2/fulfillments", limit=1, **{"filter[status_id]": shipped_id})
        client.advance(10 * DAY)
        rest = client.ok(
            "/v2/fulfillments",
            limit=250,
            cursor=first["next_cursor"],
            **{"filter[status_id]": shipped_id},
        )["fulfillments"]
        assert len(rest) == 2
        assert all(parcel["status_id"] == shipped_id for parcel in rest)
        now = client.ok("/v2/fulfillments/count", **{"filter[status_id]": shipped_id})
        assert now == {"count": 0}


class TestQueryParameters:
    """Filters, `q` and `sort_by` on every list and count; a bad one is a 400 naming it."""

    def test_filters(self, client: Client) -> None:
        """Equality on text, boolean and nested fields, and date ranges, narrow the list."""
        fill(client)
        by = {
            ("/v2/consumers", "filter[last_name]", "Cobb,Eliot"): 2,
            ("/v2/products", "filter[active]", "false"): 0,
            ("/v2/products", "filter[client_sku]", "VC-500"): 1,
            ("/v2/products", "filter[okcProduct.product_family]", "Supplement - Standard"): 12,
            ("/v2/products", "filter[product_assembly_type]", "PRODUCT,SET"): 12,
            ("/v2/fulfillments", "filter[tracking_info.shipping_carrier]", "Nobody"): 0,
            ("/v2/fulfillments", "filter[created_at][gte]", "2026-03-02T12:00:00Z"): 3,
            ("/v2/fulfillments", "filter[created_at][lt]", "2026-03-02T12:00:00Z"): 0,
        }
        for (url, name, value), expected in by.items():
            key = url.rsplit("/", 1)[1]
            listed = client.ok(url, limit=250, **{name: value})[key]
            assert len(listed) == expected, (url, name)
            assert client.ok(f"{url}/count", **{name: value}) == {"count": expected}

    def test_q_terms(self, client: Client) -> None:
        """`field:value`, a bare word and a quoted phrase all must hold."""
        assert len(client.ok("/v2/products", q="vitamin")["products"]) == 4
        assert len(client.ok("/v2/products", q='"vitamin c"')["products"]) == 1
        assert len(client.ok("/v2/products", q="vitamin client_sku:VC-500")["products"]) == 1
        assert client.ok("/v2/products/count", q="client_sku:VC-500") == {"count": 1}

    def test_bad_values_are_400s_naming_the_parameter(self, client: Client) -> None:
        """A bad filter value, `q` or `sort_by`, or an unknown parameter, is a 400."""
        cases = {
            ("filter[active]", "maybe"): "filter[active]",
            ("filter[created_at][gte]", "yesterday"): "filter[created_at][gte]",
            ("q", 'name:"open'): "q",
            ("q", "colour:red"): "q",
            ("q", "created_at:2026"): "q",
            ("sort_by", "price_per_pill"): "sort_by",
        }
        for (name, value), named in cases.items():
            assert named in message(client.get("/v2/products", **{name: value}))
        unknown = message(client.get("/v2/consumers", colour="red"))
        assert "'colour'" in unknown
        assert "filter[crm_account_id]" in unknown

    def test_sort_by(self, client: Client) -> None:
        """`sort_by=field` sorts ascending, `-field` descending, ties oldest first."""
        fill(client)
        names = [
            c["last_name"] for c in client.ok("/v2/consumers", sort_by="-last_name")["consumers"]
        ]
        assert names == ["Lovelace"] * 3 + ["Homer", "Eliot", "Dunne", "Cobb", "Byron", "Adams"]
        products = client.ok("/v2/products", sort_by="product_name", limit=250)["products"]
        shown = [product["product_name"].casefold() for product in products]
        assert shown == sorted(shown)

    def test_q_client_id_on_lists(self, client: Client, server: LiveServer) -> None:
        """On every list `q=client_id:<own id>` changes nothing; another client's lists none."""
        urls = fill(client)
        own = client.ok("/v2/authentication/user")["client_id"]
        other = Client(server, OTHER_EMAIL, OTHER_PASSWORD)
        theirs = other.ok("/v2/authentication/user")["client_id"]
        other.http.close()
        for url in urls.values():
            key = url.rsplit("/", 1)[1]
            assert client.ok(url, q=f"client_id:{own}") == client.ok(url), url
            assert client.ok(url, q=f"client_id:{theirs}")[key] == [], url
        assert client.ok("/v2/consumers/count", q=f"client_id:{theirs}") == {"count": 0}

    def test_the_guide_lists_each_lists_fields(self) -> None:
        """docs/http-api.md names in one table the fields each list filters, sorts, searches by."""
        text = (DOCS / "http-api.md").read_text(encoding="utf-8")

        def names(fields: Sequence[str]) -> str:
            return ", ".join(f"`{name}`" for name in fields) or "none"

        rows: list[tuple[str, Sequence[str], Sequence[str], Sequence[str], Sequence[str]]] = [
            ("orders", EQUALITY_FILTERS, RANGE_FILTERS, SORTABLE, SEARCHED),
            ("batches", BATCH_FILTERS, (), BATCH_SORTABLE, BATCH_WORDS),
            ("statuses", STATUS_FIELDS, (), (), STATUS_WORDS),
            ("transactions", LOG_SEARCH, (), (), LOG_WORDS),
        ]
        for listed in Listed:
            fields = list(listed.collection.fields)
            rows.append(
                (
                    listed.collection.name,
                    [field.name for field in fields if field.kind is not Kind.INSTANT],
                    [field.name for field in fields if field.kind is Kind.INSTANT],
                    [field.name for field in fields if field.sortable],
                    [field.name for field in fields if field.searched],
                )
            )
        for name, *columns in rows:
            row = "| " + " | ".join([name, *(names(cells) for cells in columns)]) + " |"
            assert row in text, name
        for parameter in ("q", "sort_by"):
            described = [
                line for line in text.splitlines() if line.startswith(f"| `{parameter}` |")
            ]
            assert len(described) == 1, f"{parameter} is described once, for every list"

    def test_q_on_single_resource_routes(self, client: Client, server: LiveServer) -> None:
        """`q=client_id:<own id>` is accepted; another client's id is a 404; other text a 400."""
        consumer = client.consumer()
        own = consumer["client_id"]
        other = Client(server, OTHER_EMAIL, OTHER_PASSWORD)
        theirs = other.ok("/v2/authentication/user")["client_id"]
        url = f"/v2/consumers/{consumer['id']}"
        assert client.ok(url, q=f"client_id:{own}")["consumer"] == consumer
        assert client.get(url, q=f"client_id:{theirs}").status_code == 404
        assert "q" in message(client.get(url, q="email:ada@example.com"))
        other.http.close()


class TestRoutes:
    """The count, by-id, label, user and address routes."""

    def test_product_by_id(self, client: Client) -> None:
        """A product of the list reads back by id; an unknown id is a 404."""
        product = client.ok("/v2/products", limit=1)["products"][0]
        assert client.ok(f"/v2/products/{product['id']}") == {"product": product}
        assert client.get(f"/v2/products/{UNKNOWN_UUID}").status_code == 404

    def test_label_expires_fifteen_simulated_minutes_later(self, client: Client) -> None:
        """The label URL is signed at the simulated now and expires 900 seconds later."""
        shipped(client)
        (parcel,) = client.ok("/v2/fulfillments")["fulfillments"]
        url = client.ok(f"/v2/fulfillments/{parcel['id']}/label")["label_url"]
        query = parse_qs(urlsplit(url).query)
        now = client.ok("/_sim/clock")["now"]
        assert query["X-Amz-Date"] == [re.sub(r"[-:]", "", now)]
        assert query["X-Amz-Expires"] == ["900"]
        assert urlsplit(url).path.endswith(f"/{parcel['id']}/{parcel['shipment_order_number']}.pdf")
        assert client.get(f"/v2/fulfillments/{UNKNOWN_UUID}/label").status_code == 404

    def test_label_is_the_same_for_the_same_seed(self) -> None:
        """Two worlds of one seed give one URL for the same parcel at the same instant."""
        urls = []
        for _ in range(2):
            sim = new_sim(seed=7)
            with LiveServer(sim, rate_limit=None) as live:
                api = Client(live)
                shipped(api)
                (parcel,) = api.ok("/v2/fulfillments")["fulfillments"]
                urls.append(api.ok(f"/v2/fulfillments/{parcel['id']}/label")["label_url"])
                api.http.close()
            sim.close()
        assert urls[0] == urls[1]

    def test_user(self, client: Client) -> None:
        """The user is the token's client, in the provider's shape."""
        user = client.ok("/v2/authentication/user")
        assert user["email"] == EMAIL
        assert user["user_type"] == "client"
        assert user["username"] == user["id"]
        consumer = client.consumer()
        assert user["client_id"] == consumer["client_id"]

    def test_addresses(self, client: Client) -> None:
        """Create, read, count, list and change a consumer's addresses; one default at a time."""
        consumer = client.consumer()["id"]
        base = f"/v2/consumers/{consumer}/addresses"
        first = client.address(consumer).json()["address"]
        second = client.address(consumer, is_default=True, city="Shelbyville").json()["address"]
        assert first["is_default"] is True
        assert client.ok(f"{base}/{first['id']}")["address"]["is_default"] is False
        assert client.ok(f"{base}/count") == {"count": 2}
        assert client.ok(f"{base}/count", **{"filter[is_default]": "true"}) == {"count": 1}
        listed = client.ok(base, sort_by="-city")["addresses"]
        assert [item["id"] for item in listed] == [first["id"], second["id"]]
        body = {"address1": "2 Main St", "city": "Springfield", "country_name": "US"}
        changed = client.http.put(f"{base}/{first['id']}", json={**body, "postal_code": None})
        assert changed.json()["address"]["address1"] == "2 Main St"

    def test_delete_an_address(self, client: Client) -> None:
        """A deleted address is gone (404) and no longer counted; deleting it again is a 404."""
        consumer = client.consumer()["id"]
        base = f"/v2/consumers/{consumer}/addresses"
        address_id = client.address(consumer).json()["address"]["id"]
        assert client.http.delete(f"{base}/{address_id}").status_code == 204
        assert client.get(f"{base}/{address_id}").status_code == 404
        assert client.ok(f"{base}/count") == {"count": 0}
        assert client.http.delete(f"{base}/{address_id}").status_code == 404

    def test_address_errors(self, client: Client) -> None:
        """Missing fields are a 422; an unknown consumer or address is a 404."""
        consumer = client.consumer()["id"]
        refused = client.http.post(f"/v2/consumers/{consumer}/addresses", json={"city": "X"})
        assert refused.status_code == 422
        fields = {error["field"] for error in refused.json()["errors"]}
        assert fields == {"address1", "country_name"}
        assert client.address(UNKNOWN_UUID).status_code == 404
        assert client.get(f"/v2/consumers/{consumer}/addresses/{UNKNOWN_UUID}").status_code == 404

    def test_count_routes_are_not_ids(self, client: Client) -> None:
        """`/count` is the count route on every collection, never an id."""
        consumer = client.consumer()["id"]
        for url in (
            "/v2/products/count",
            "/v2/consumers/count",
            "/v2/fulfillments/count",
            f"/v2/consumers/{consumer}/addresses/count",
        ):
            assert set(client.ok(url)) == {"count"}, url
