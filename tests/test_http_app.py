"""Tests for `simulator.http.create_app`: the routes, the provider's flow and the framing."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from test_http_support import JSON_TYPE, START, UNKNOWN_UUID, Api, address, new_sim

import simulator.http
from simulator import Simulator
from simulator.http import create_app

pytestmark = pytest.mark.anyio


class TestPublicNames:
    """The package's public surface."""

    def test_exactly_the_intended_names(self) -> None:
        """`simulator.http` exports the app factory, its document and the fault types only."""
        assert simulator.http.__all__ == [
            "Fault",
            "FaultInjector",
            "create_app",
            "openapi_document",
        ]
        # pytest's assertion rewriting adds `@py_builtins` and `@pytest_ar` to the modules of an
        # installed plugin's distribution; they are not identifiers, so no one can import them.
        public = {
            name
            for name in vars(simulator.http)
            if name.isidentifier() and not name.startswith("_")
        }
        assert public - {"annotations"} == set(simulator.http.__all__)

    def test_refuses_bad_settings(self, sim: Simulator) -> None:
        """A rate limit below 1 or an empty body limit is a ValueError."""
        with pytest.raises(ValueError, match="rate limit"):
            create_app(sim, rate_limit=0)
        with pytest.raises(ValueError, match="max_body_bytes"):
            create_app(sim, max_body_bytes=0)


class TestRoutes:
    """Every route answers its happy path with the provider's envelope."""

    async def test_token(self, sim: Simulator) -> None:
        """POST /v2/authentication/token gives Bearer tokens living 86400 seconds."""
        response = await Api(create_app(sim)).post(
            "/v2/authentication/token",
            json={"email": "integrator@example.com", "password": "sandbox"},
        )
        assert response.status_code == 200
        tokens = response.json()
        assert tokens["token_type"] == "Bearer"
        assert tokens["expires_in"] == 86400
        assert {"access_token", "refresh_token", "id_token"} <= tokens.keys()

    async def test_token_with_username(self, sim: Simulator) -> None:
        """`username` is accepted in place of `email`."""
        response = await Api(create_app(sim)).post(
            "/v2/authentication/token",
            json={"username": "integrator@example.com", "password": "sandbox"},
        )
        assert response.status_code == 200

    async def test_refresh(self, api: Api) -> None:
        """POST /v2/authentication/refresh-token gives a new, working access token."""
        tokens = await api.login()
        response = await api.post(
            "/v2/authentication/refresh-token", json={"refresh_token": tokens["refresh_token"]}
        )
        assert response.status_code == 200
        fresh = response.json()["access_token"]
        assert fresh != tokens["access_token"]
        api.client.headers["Authorization"] = f"Bearer {fresh}"
        assert (await api.get("/v2/products")).status_code == 200

    async def test_create_and_get_order(self, api: Api) -> None:
        """POST /v2/orders is a 201 with the order; GET /v2/orders/{id} reads it back."""
        order = await api.create_order()
        assert order["status"] == "Pending"
        response = await api.get(f"/v2/orders/{order['id']}")
        assert response.status_code == 200
        assert response.json()["order"]["id"] == order["id"]

    async def test_update_order(self, api: Api) -> None:
        """PUT /v2/orders/{id} changes a field and returns the order."""
        order = await api.create_order()
        response = await api.put(f"/v2/orders/{order['id']}", json={"note": "leave at door"})
        assert response.status_code == 200
        assert response.json()["order"]["note"] == "leave at door"

    async def test_delete_order(self, api: Api) -> None:
        """DELETE /v2/orders/{id} cancels a Pending order with a 204 and no body."""
        order = await api.create_order()
        response = await api.delete(f"/v2/orders/{order['id']}")
        assert response.status_code == 204
        assert response.content == b""
        assert await api.status(order["id"]) == "Canceled by Client"

    async def test_count(self, api: Api) -> None:
        """GET /v2/orders/count counts the client's orders."""
        await api.create_order()
        await api.create_order()
        response = await api.get("/v2/orders/count")
        assert response.json() == {"count": 2}

    async def test_by_client_order_id(self, api: Api) -> None:
        """GET /v2/orders/by-client-order-id/{id} finds the order by the client's own id."""
        order = await api.create_order(client_custom_order_id="shop-42")
        response = await api.get("/v2/orders/by-client-order-id/shop-42")
        assert response.status_code == 200
        assert response.json()["order"]["id"] == order["id"]

    async def test_list(self, api: Api) -> None:
        """GET /v2/orders lists orders with a null next_cursor on the last page."""
        order = await api.create_order()
        response = await api.get("/v2/orders")
        assert response.json()["next_cursor"] is None
        assert [o["id"] for o in response.json()["orders"]] == [order["id"]]

    async def test_fulfillments(self, api: Api) -> None:
        """The three fulfillment routes agree once an order has shipped."""
        order = await api.create_order()
        await api.advance(seconds=7 * 86400)
        by_order = (await api.get(f"/v2/orders/{order['id']}/fulfillments")).json()
        (fulfillment,) = by_order["fulfillments"]
        assert fulfillment["tracking_info"]["tracking_number"]
        listed = (await api.get("/v2/fulfillments")).json()["fulfillments"]
        assert [f["id"] for f in listed] == [fulfillment["id"]]
        one = (await api.get(f"/v2/fulfillments/{fulfillment['id']}")).json()["fulfillment"]
        assert one == fulfillment

    async def test_products(self, api: Api) -> None:
        """GET /v2/products lists the seeded catalogue."""
        products = (await api.get("/v2/products")).json()["products"]
        assert products
        assert all(p["id"] and p["name"] for p in products)

    async def test_consumers(self, api: Api) -> None:
        """Consumers can be created (201), listed, read and updated."""
        created = await api.post(
            "/v2/consumers", json={"first_name": "Grace", "last_name": "Hopper"}
        )
        assert created.status_code == 201
        consumer = created.json()["consumer"]
        listed = (await api.get("/v2/consumers")).json()["consumers"]
        assert [c["id"] for c in listed] == [consumer["id"]]
        read = (await api.get(f"/v2/consumers/{consumer['id']}")).json()["consumer"]
        assert read == consumer
        updated = await api.put(f"/v2/consumers/{consumer['id']}", json={"email": "g@example.com"})
        assert updated.json()["consumer"]["email"] == "g@example.com"

    async def test_transaction_logs(self, api: Api) -> None:
        """GET /v2/order-transaction-logs lists one row per changed field, status included."""
        order = await api.create_order()
        await api.put(f"/v2/orders/{order['id']}", json={"note": "hello"})
        response = await api.get(
            "/v2/order-transaction-logs", params={"filter[entity_id]": order["id"]}
        )
        rows = response.json()["transactions"]
        assert [(r["column_name"], r["new_data"]) for r in rows] == [
            ("status", "Pending"),
            ("note", "hello"),
        ]
        assert {r["entity_id"] for r in rows} == {order["id"]}

    async def test_head_is_served_as_get(self, api: Api) -> None:
        """HEAD on a GET route answers 200 with the same headers and no body."""
        response = await api.request("HEAD", "/v2/products")
        assert response.status_code == 200
        assert response.content == b""


class TestProviderFlow:
    """The provider's documented flow, end to end on the simulated clock."""

    async def test_edit_then_cancel_while_pending(self, api: Api) -> None:
        """A Pending order takes a new shipping address, then cancels."""
        order = await api.create_order()
        assert await api.status(order["id"]) == "Pending"
        moved = address(address1="500 Congress Ave", postal_code="78701")
        response = await api.put(f"/v2/orders/{order['id']}", json={"shipping_address": moved})
        assert response.status_code == 200
        assert response.json()["order"]["shipping_address"]["address1"] == "500 Congress Ave"
        assert (await api.delete(f"/v2/orders/{order['id']}")).status_code == 204
        assert await api.status(order["id"]) == "Canceled by Client"

    async def test_accepted_after_the_batch_needs_support(self, api: Api) -> None:
        """After midnight Pacific the order is Accepted; cancelling says to contact support."""
        order = await api.create_order()
        await api.advance(to="2026-03-03T08:00:01Z")
        assert await api.status(order["id"]) == "Accepted"
        for response in (
            await api.delete(f"/v2/orders/{order['id']}"),
            await api.put(f"/v2/orders/{order['id']}", json={"status": "Canceled by Client"}),
        ):
            assert response.status_code == 422
            body = response.json()
            assert body["message"].startswith("Validation failed: ")
            assert "contact OK Capsule support" in body["message"]
            assert body["errors"][0]["type"] == "contact_support"
        assert await api.status(order["id"]) == "Accepted"

    async def test_in_production_is_a_plain_refusal(self, api: Api) -> None:
        """Once production starts a cancel is a 422 that no longer mentions support."""
        order = await api.create_order()
        for _ in range(40):
            if await api.status(order["id"]) == "In Production":
                break
            await api.advance(seconds=6 * 3600)
        assert await api.status(order["id"]) == "In Production"
        response = await api.delete(f"/v2/orders/{order['id']}")
        assert response.status_code == 422
        assert "support" not in response.json()["message"]
        assert response.json()["errors"][0]["type"] != "contact_support"


class TestFraming:
    """What every response carries, whatever route or status."""

    async def test_sim_time_on_every_kind_of_response(self, sim: Simulator) -> None:
        """Successes, errors, unknown routes and the control API all carry X-Sim-Time."""
        api = Api(create_app(sim, rate_limit=2))
        responses = [
            await api.get("/v2/products"),  # 401
            await api.get("/nowhere"),  # 404
            await api.request("PATCH", "/v2/orders", headers=JSON_TYPE),  # 405
            await api.get("/_sim/clock"),
            await api.get("/v2/products"),  # 429
        ]
        assert [r.status_code for r in responses] == [401, 404, 405, 200, 429]
        assert {r.headers["X-Sim-Time"] for r in responses} == {START}

    async def test_sim_time_follows_the_clock(self, api: Api) -> None:
        """After an advance, X-Sim-Time (on the advance itself too) shows the new time."""
        response = await api.post("/_sim/clock/advance", json={"seconds": 90})
        assert response.headers["X-Sim-Time"] == "2026-03-02T12:01:30Z"
        assert (await api.get("/v2/products")).headers["X-Sim-Time"] == "2026-03-02T12:01:30Z"

    async def test_running_clock_catches_up_on_requests(self) -> None:
        """On a running clock, requests see time pass and the batch run, without any advance."""
        real = [0.0]
        sim = new_sim(mode="running", speed=60.0, monotonic=lambda: real[0])
        api = Api(create_app(sim))
        await api.login()
        order = await api.create_order()
        real[0] = 20 * 3600 / 60  # 20 simulated hours: past 08:00Z, the nightly batch
        response = await api.get(f"/v2/orders/{order['id']}")
        assert response.headers["X-Sim-Time"] == "2026-03-03T08:00:00Z"
        assert response.json()["order"]["status"] == "Accepted"

    async def test_unknown_route_is_a_json_404(self, api: Api) -> None:
        """A route the server does not have is a 404 naming it."""
        response = await api.get("/v2/warehouses")
        assert response.status_code == 404
        assert "/v2/warehouses" in response.json()["message"]

    async def test_wrong_method_is_a_json_405(self, api: Api) -> None:
        """A method the route does not take is a 405 with Allow."""
        response = await api.request("PATCH", f"/v2/orders/{UNKNOWN_UUID}", headers=JSON_TYPE)
        assert response.status_code == 405
        assert response.json()["error"]["errorCode"] == "method_not_allowed"
        assert "GET" in response.headers["Allow"]

    async def test_unexpected_error_is_a_json_500(
        self, sim: Simulator, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """An engine bug becomes a logged 500 with a JSON message, not a dropped connection."""

        def broken(*_args: Any, **_kwargs: Any) -> Any:
            raise RuntimeError("boom")

        monkeypatch.setattr(sim, "list_page", broken)
        api = Api(create_app(sim), allow_500=True)
        await api.login()
        with caplog.at_level(logging.ERROR, logger="simulator.http"):
            response = await api.get("/v2/products")
        assert response.status_code == 500
        assert response.json()["error"]["errorCode"] == "internal_error"
        assert "RuntimeError" in response.json()["message"]
        assert "X-RateLimit-Limit" in response.headers
        assert any("GET /v2/products" in r.getMessage() for r in caplog.records)
