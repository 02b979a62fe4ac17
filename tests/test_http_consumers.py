"""Consumer bodies over a real socket: `/v2/consumers` and an order's consumer, one set of rules."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
import pytest
from test_http_support import EMAIL, PASSWORD, address, new_sim

from simulator._server import LiveServer

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    """A logged-in client of a fresh simulator served on a free port."""
    sim = new_sim()
    with LiveServer(sim, rate_limit=None) as server, httpx.Client(base_url=server.url) as http:
        tokens = http.post("/v2/authentication/token", json={"email": EMAIL, "password": PASSWORD})
        http.headers["Authorization"] = f"Bearer {tokens.json()['access_token']}"
        yield http
    sim.close()


def refused_fields(response: httpx.Response) -> list[tuple[str, str]]:
    """The `(field, type)` of each error of a 422, failing on any other status."""
    assert response.status_code == 422, response.text
    return [(error["field"], error["type"]) for error in response.json()["errors"]]


def new_order(http: httpx.Client) -> dict[str, Any]:
    """Create a Pending order for Ada Lovelace and return it."""
    product = http.get("/v2/products").json()["products"][0]["id"]
    body = {
        "consumer": {"first_name": "Ada", "last_name": "Lovelace"},
        "shipping_address": address(),
        "order_lines": [{"pouches": [{"contents": [{"client_product_id": product}]}]}],
    }
    response = http.post("/v2/orders", json=body)
    assert response.status_code == 201, response.text
    order: dict[str, Any] = response.json()["order"]
    return order


class TestConsumerEndpoints:
    """`POST` and `PUT /v2/consumers` refuse what an order's consumer refuses."""

    def test_create_refuses_a_bad_email_and_phone(self, client: httpx.Client) -> None:
        """Email "nobody" and phone "12" are a 422 naming both fields; nothing is stored."""
        body = {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "nobody",
            "phone_number": "12",
        }
        response = client.post("/v2/consumers", json=body)
        assert refused_fields(response) == [
            ("email", "malformed"),
            ("phone_number", "malformed"),
        ]
        assert client.get("/v2/consumers").json()["consumers"] == []

    def test_update_refuses_a_bad_email_and_phone(self, client: httpx.Client) -> None:
        """A change to email "nobody" or phone "12" is a 422 naming the field; nothing changes."""
        created = client.post("/v2/consumers", json={"first_name": "Ada", "last_name": "Lovelace"})
        consumer_id = created.json()["consumer"]["id"]
        for field, value in (("email", "nobody"), ("phone_number", "12")):
            response = client.put(f"/v2/consumers/{consumer_id}", json={field: value})
            assert refused_fields(response) == [(field, "malformed")]
        stored = client.get(f"/v2/consumers/{consumer_id}").json()["consumer"]
        assert "email" not in stored
        assert "phone_number" not in stored

    def test_valid_details_are_stored(self, client: httpx.Client) -> None:
        """A well-formed email and phone are accepted and read back."""
        body = {"first_name": "Ada", "last_name": "L", "email": "ada@example.com"}
        created = client.post("/v2/consumers", json={**body, "phone_number": "+14155550123"})
        assert created.status_code == 201, created.text
        assert created.json()["consumer"]["phone_number"] == "+14155550123"


class TestOrderConsumer:
    """The consumer inside an order's update."""

    def test_empty_consumer_is_refused(self, client: httpx.Client) -> None:
        """`{"consumer": {}}` is a 422 naming both names; the order keeps its consumer."""
        order = new_order(client)
        response = client.put(f"/v2/orders/{order['id']}", json={"consumer": {}})
        assert refused_fields(response) == [
            ("consumer.first_name", "required"),
            ("consumer.last_name", "required"),
        ]
        kept = client.get(f"/v2/orders/{order['id']}").json()["order"]["consumer"]
        assert (kept["first_name"], kept["last_name"]) == ("Ada", "Lovelace")
        assert len(client.get("/v2/consumers").json()["consumers"]) == 1

    def test_bad_email_is_refused(self, client: httpx.Client) -> None:
        """An order's consumer with email "nobody" is a 422 naming `consumer.email`."""
        order = new_order(client)
        consumer = {"id": order["consumer"]["id"], "email": "nobody"}
        response = client.put(f"/v2/orders/{order['id']}", json={"consumer": consumer})
        assert refused_fields(response) == [("consumer.email", "malformed")]

    def test_new_named_consumer_is_taken(self, client: httpx.Client) -> None:
        """A consumer with both names and no `id` is a new one, and the order points at it."""
        order = new_order(client)
        consumer = {"first_name": "Grace", "last_name": "Hopper"}
        response = client.put(f"/v2/orders/{order['id']}", json={"consumer": consumer})
        assert response.status_code == 200, response.text
        assert response.json()["order"]["consumer"]["first_name"] == "Grace"
