"""Tests for listing, filtering, paging and counting orders, and the other list routes."""

from __future__ import annotations

import pytest
from test_http_support import OTHER_EMAIL, OTHER_PASSWORD, UNKNOWN_UUID, Api, new_sim

from simulator.http import create_app

pytestmark = pytest.mark.anyio


@pytest.fixture
async def api() -> Api:
    """A logged-in client of a fresh app."""
    client = Api(create_app(new_sim()))
    await client.login()
    return client


async def _ids(api: Api, **params: str) -> list[str]:
    response = await api.get("/v2/orders", params=params)
    assert response.status_code == 200, response.text
    return [order["id"] for order in response.json()["orders"]]


async def _count(api: Api, **params: str) -> int:
    response = await api.get("/v2/orders/count", params=params)
    assert response.status_code == 200, response.text
    count: int = response.json()["count"]
    return count


class TestPaging:
    """`limit` and `next_cursor`."""

    async def test_pages_cover_every_order_once_in_order(self, api: Api) -> None:
        """Pages of two walk all five orders, oldest first, ending with a null cursor."""
        created = [(await api.create_order())["id"] for _ in range(5)]
        seen: list[str] = []
        cursor = None
        pages = 0
        while True:
            params = {"limit": "2"} | ({"cursor": cursor} if cursor else {})
            body = (await api.get("/v2/orders", params=params)).json()
            seen += [order["id"] for order in body["orders"]]
            pages += 1
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert seen == created
        assert pages == 3

    async def test_default_limit_is_fifty(self, api: Api) -> None:
        """Without `limit` a page holds at most 50 orders."""
        payload = await api.order_payload()
        for _ in range(51):
            assert (await api.post("/v2/orders", json=payload)).status_code == 201
        body = (await api.get("/v2/orders")).json()
        assert len(body["orders"]) == 50
        assert body["next_cursor"] is not None

    async def test_paging_never_skips_an_order_that_changes(self, api: Api) -> None:
        """An order that matched when paging began is listed even if it stops matching."""
        created = [(await api.create_order())["id"] for _ in range(4)]
        params = {"limit": "2", "filter[status]": "Pending"}
        first = (await api.get("/v2/orders", params=params)).json()
        await api.delete(f"/v2/orders/{created[3]}")
        second = (
            await api.get("/v2/orders", params=params | {"cursor": first["next_cursor"]})
        ).json()
        listed = [o["id"] for o in first["orders"] + second["orders"]]
        assert listed == created

    async def test_cursor_is_tied_to_its_filters(self, api: Api) -> None:
        """A cursor sent with other filters is a 400 naming the cursor."""
        for _ in range(3):
            await api.create_order()
        first = (await api.get("/v2/orders", params={"limit": "1"})).json()
        response = await api.get(
            "/v2/orders",
            params={"limit": "1", "cursor": first["next_cursor"], "filter[status]": "Pending"},
        )
        assert response.status_code == 400
        assert "cursor" in response.json()["message"]


class TestFilters:
    """`filter[...]` parameters on the list and the count."""

    async def test_status_filter(self, api: Api) -> None:
        """filter[status] takes one status, a comma list, or repeats."""
        held = (await api.create_order())["id"]
        await api.put(f"/v2/orders/{held}", json={"status": "On Hold"})
        pending = (await api.create_order())["id"]
        assert await _ids(api, **{"filter[status]": "On Hold"}) == [held]
        assert await _count(api, **{"filter[status]": "Pending"}) == 1
        assert await _ids(api, **{"filter[status]": "Pending,On Hold"}) == [held, pending]
        repeated = await api.get(
            "/v2/orders", params=[("filter[status]", "Pending"), ("filter[status]", "On Hold")]
        )
        assert len(repeated.json()["orders"]) == 2

    async def test_name_source_and_custom_id_filters(self, api: Api) -> None:
        """filter[name], filter[source] and filter[client_custom_order_id] select by value."""
        first = await api.create_order(client_custom_order_id="shop-1")
        await api.create_order(client_custom_order_id="shop-2")
        assert await _ids(api, **{"filter[name]": first["name"]}) == [first["id"]]
        assert await _ids(api, **{"filter[client_custom_order_id]": "shop-1"}) == [first["id"]]
        assert await _count(api, **{"filter[source]": first["source"]}) == 2
        assert await _count(api, **{"filter[source]": "somewhere else"}) == 0

    async def test_date_range_filters(self, api: Api) -> None:
        """filter[created_at][gte|gt|lte|lt] select by creation instant."""
        early = (await api.create_order())["id"]
        await api.advance(seconds=3600)
        late = (await api.create_order())["id"]
        boundary = "2026-03-02T13:00:00Z"
        assert await _ids(api, **{"filter[created_at][gte]": boundary}) == [late]
        assert await _ids(api, **{"filter[created_at][gt]": boundary}) == []
        assert await _ids(api, **{"filter[created_at][lt]": boundary}) == [early]
        assert await _ids(api, **{"filter[created_at][lte]": boundary}) == [early, late]
        assert await _count(api, **{"filter[updated_at][gte]": "2026-03-02T12:30:00Z"}) == 1

    async def test_filters_combine(self, api: Api) -> None:
        """Several filters must all hold."""
        await api.create_order(client_custom_order_id="a")
        await api.advance(seconds=60)
        second = await api.create_order(client_custom_order_id="b")
        params = {
            "filter[status]": "Pending",
            "filter[created_at][gte]": "2026-03-02T12:01:00Z",
        }
        assert await _ids(api, **params) == [second["id"]]
        assert await _count(api, **params) == 1


class TestClients:
    """A client sees only its own records."""

    async def test_another_clients_order_is_not_found(self, api: Api) -> None:
        """Reading, updating or cancelling another client's order is a 404."""
        order = await api.create_order()
        other = Api(api.app)
        await other.login(OTHER_EMAIL, OTHER_PASSWORD)
        assert (await other.get(f"/v2/orders/{order['id']}")).status_code == 404
        assert (await other.put(f"/v2/orders/{order['id']}", json={"note": "x"})).status_code == 404
        assert (await other.delete(f"/v2/orders/{order['id']}")).status_code == 404
        assert (await other.get("/v2/orders")).json()["orders"] == []
        assert (await other.get("/v2/orders/count")).json() == {"count": 0}

    async def test_another_clients_consumer_is_not_found(self, api: Api) -> None:
        """Another client's consumer is a 404."""
        created = await api.post("/v2/consumers", json={"first_name": "A", "last_name": "B"})
        consumer_id = created.json()["consumer"]["id"]
        other = Api(api.app)
        await other.login(OTHER_EMAIL, OTHER_PASSWORD)
        assert (await other.get(f"/v2/consumers/{consumer_id}")).status_code == 404


class TestFulfillmentQueries:
    """Which fulfillments `GET /v2/fulfillments` lists."""

    async def test_order_id_and_filter_order_id(self, api: Api) -> None:
        """Both spellings select one order's fulfillments; an order with none gives []."""
        shipped = (await api.create_order())["id"]
        await api.advance(seconds=7 * 86400)
        fresh = (await api.create_order())["id"]
        for name in ("order_id", "filter[order_id]"):
            listed = (await api.get("/v2/fulfillments", params={name: shipped})).json()
            assert [f["order_id"] for f in listed["fulfillments"]] == [shipped]
            empty = (await api.get("/v2/fulfillments", params={name: fresh})).json()
            assert empty == {"fulfillments": [], "next_cursor": None}

    async def test_conflicting_order_ids(self, api: Api) -> None:
        """`order_id` and `filter[order_id]` naming different orders is a 400."""
        first = (await api.create_order())["id"]
        second = (await api.create_order())["id"]
        response = await api.get(
            "/v2/fulfillments", params={"order_id": first, "filter[order_id]": second}
        )
        assert response.status_code == 400

    async def test_unknown_fulfillment(self, api: Api) -> None:
        """An unknown fulfillment id is a 404."""
        response = await api.get(f"/v2/fulfillments/{UNKNOWN_UUID}")
        assert response.status_code == 404
        assert response.json()["error"]["errorCode"] == "not_found"
