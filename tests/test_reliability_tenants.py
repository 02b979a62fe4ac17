"""Tenant isolation and authentication, route by route, with the routes taken from the document.

Two clients share one world. For every `/v2` route one client tries to reach the other's
orders, fulfillments, consumers, logs and counts, and must get a 404 or see nothing of
them; the owner's same request works, so the 404 is not an accident. Every route that needs
a token refuses a missing, malformed, forged, expired or stale one with a JSON 401. The
control API, once locked, refuses every caller without the admin token, in process and over
a real socket. A route added to the document without a probe here fails
`test_every_route_has_a_probe`.
"""

from __future__ import annotations

import collections
import re
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import attrs
import httpx
import pytest
from reliability_support import (
    ADDRESS_BODY,
    drain,
    dump_store,
    order_body,
    record_figures,
    seed_world,
    start_serve,
    stop,
)
from test_http_support import (
    EMAIL,
    JSON_TYPE,
    OTHER_EMAIL,
    OTHER_PASSWORD,
    PASSWORD,
    Api,
    document,
    new_sim,
)

from simulator import Simulator
from simulator.http import create_app

pytestmark = pytest.mark.anyio

ADMIN = "admin-s3cret"
JSON = {"Content-Type": "application/json"}
CHECKED: collections.Counter[str] = collections.Counter()
"""Requests checked, by kind, for the figures."""


@attrs.define
class Tenants:
    """One world, its app, and a logged-in client for each of its two clients."""

    sim: Simulator
    app: Any
    ids: dict[str, str]
    a: Api
    """The owner of everything named in `ids` without the `other_` prefix."""
    b: Api
    """The other client, who must not reach any of it."""

    def owned_by_a(self) -> list[str]:
        """Every id and name of the first client that must not leak to the second."""
        found = [value for key, value in self.ids.items() if not key.startswith("other_")]
        for order_id in (self.ids["pending"], self.ids["shipped"]):
            order = self.sim.get_order(order_id)
            found.append(order["name"])
            found += [line["id"] for line in order["order_lines"]]
        found += [product["id"] for product in self.sim.list_products(EMAIL)]
        return found


@pytest.fixture
async def tenants() -> Tenants:
    """A fresh world where both clients have orders, a fulfillment and a consumer."""
    sim = new_sim()
    ids = seed_world(sim)
    app = create_app(sim, rate_limit=None)
    a, b = Api(app), Api(app)
    await a.login()
    await b.login(OTHER_EMAIL, OTHER_PASSWORD)
    return Tenants(sim, app, ids, a, b)


@pytest.fixture(scope="module", autouse=True)
def figures(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """After the module, record how many cross-tenant and auth requests were checked."""
    yield
    record_figures(
        tmp_path_factory,
        "tenants",
        {"requests_checked": sum(CHECKED.values()), "by_kind": dict(sorted(CHECKED.items()))},
    )


def operations(prefix: str) -> list[tuple[str, str]]:
    """Every (METHOD, path template) of the document under a prefix."""
    return [
        (method.upper(), path)
        for path, entries in document()["paths"].items()
        if path.startswith(prefix)
        for method in entries
    ]


def needs_token(method: str, path: str) -> bool:
    """Whether the document says the operation needs a client's access token."""
    return {"accessToken": []} in document()["paths"][path][method.lower()]["security"]


async def not_found(t: Tenants, method: str, url: str, **kwargs: Any) -> None:
    """The other client gets a 404 and changes nothing; the owner's same request works."""
    before = dump_store(t.sim)
    response = await t.b.request(method, url, **kwargs)
    assert response.status_code == 404, response.text
    assert dump_store(t.sim) == before
    sent = str(response.request.url)
    leaked = [value for value in t.owned_by_a() if value in response.text and value not in sent]
    assert not leaked, leaked
    owner = await t.a.request(method, url, **kwargs)
    assert owner.status_code < 300, owner.text
    CHECKED["cross_tenant"] += 1


async def hidden(t: Tenants, url: str, params: dict[str, str] | None = None) -> None:
    """The other client's answer names nothing of the owner's; the owner's answer does."""
    response = await t.b.get(url, params=params)
    assert response.status_code == 200, response.text
    leaked = [value for value in t.owned_by_a() if value in response.text]
    assert not leaked, leaked
    owner = await t.a.get(url, params=params)
    assert any(value in owner.text for value in t.owned_by_a()), owner.text
    CHECKED["cross_tenant"] += 1


Probe = Callable[[Tenants], Awaitable[None]]


async def _create_order(t: Tenants) -> None:
    """Another client's consumer or product cannot be used in an order."""
    own_product = t.sim.list_products(OTHER_EMAIL)[0]["id"]
    for body in (
        order_body(own_product, consumer={"id": t.ids["consumer"]}),
        order_body(t.sim.list_products(EMAIL)[0]["id"]),
    ):
        before = dump_store(t.sim)
        response = await t.b.post("/v2/orders", json=body)
        assert response.status_code == 422, response.text
        assert dump_store(t.sim) == before
        CHECKED["cross_tenant"] += 1
    mine = order_body(t.sim.list_products(EMAIL)[0]["id"], consumer={"id": t.ids["consumer"]})
    assert (await t.a.post("/v2/orders", json=mine)).status_code == 201


async def _list_orders(t: Tenants) -> None:
    await hidden(t, "/v2/orders")
    await hidden(t, "/v2/orders", {"filter[client_custom_order_id]": t.ids["custom"]})
    a_name = t.sim.get_order(t.ids["pending"])["name"]
    await hidden(t, "/v2/orders", {"filter[name]": a_name})


async def _count_orders(t: Tenants) -> None:
    a_name = t.sim.get_order(t.ids["pending"])["name"]
    for params in ({}, {"filter[name]": a_name}, {"filter[status]": "Shipped"}):
        mine = (await t.a.get("/v2/orders/count", params=params)).json()["count"]
        theirs = (await t.b.get("/v2/orders/count", params=params)).json()["count"]
        expected = t.sim.count_orders(
            params and {k[7:-1]: v for k, v in params.items()}, OTHER_EMAIL
        )
        assert theirs == expected
        assert mine >= 1
        CHECKED["cross_tenant"] += 1
    assert (await t.b.get("/v2/orders/count", params={"filter[name]": a_name})).json() == {
        "count": 0
    }


async def _by_client_order_id(t: Tenants) -> None:
    await not_found(t, "GET", f"/v2/orders/by-client-order-id/{t.ids['custom']}")


async def _get_order(t: Tenants) -> None:
    await not_found(t, "GET", f"/v2/orders/{t.ids['pending']}")
    await not_found(t, "GET", f"/v2/orders/{t.ids['shipped']}")


async def _update_order(t: Tenants) -> None:
    await not_found(t, "PUT", f"/v2/orders/{t.ids['pending']}", json={"note": "mine now"})


async def _cancel_order(t: Tenants) -> None:
    await not_found(t, "DELETE", f"/v2/orders/{t.ids['pending']}")


async def _order_fulfillments(t: Tenants) -> None:
    await not_found(t, "GET", f"/v2/orders/{t.ids['shipped']}/fulfillments")


async def _list_fulfillments(t: Tenants) -> None:
    await hidden(t, "/v2/fulfillments")
    for name in ("order_id", "filter[order_id]"):
        await not_found(t, "GET", "/v2/fulfillments", params={name: t.ids["shipped"]})


async def _get_fulfillment(t: Tenants) -> None:
    await not_found(t, "GET", f"/v2/fulfillments/{t.ids['fulfillment']}")


async def _products(t: Tenants) -> None:
    await hidden(t, "/v2/products")


async def _create_consumer(t: Tenants) -> None:
    """A consumer one client creates is not in the other's list."""
    created = await t.b.post("/v2/consumers", json={"first_name": "Bea", "last_name": "Other"})
    assert created.status_code == 201
    consumer_id = created.json()["consumer"]["id"]
    assert consumer_id not in (await t.a.get("/v2/consumers")).text
    assert (await t.a.get(f"/v2/consumers/{consumer_id}")).status_code == 404
    CHECKED["cross_tenant"] += 1


async def _list_consumers(t: Tenants) -> None:
    await hidden(t, "/v2/consumers")


async def _get_consumer(t: Tenants) -> None:
    await not_found(t, "GET", f"/v2/consumers/{t.ids['consumer']}")


async def _update_consumer(t: Tenants) -> None:
    await not_found(t, "PUT", f"/v2/consumers/{t.ids['consumer']}", json={"first_name": "Eve"})


async def _user(t: Tenants) -> None:
    """Each token reads its own client's user."""
    mine = (await t.a.get("/v2/authentication/user")).json()
    theirs = (await t.b.get("/v2/authentication/user")).json()
    assert theirs["client_id"] != mine["client_id"]
    assert theirs["email"] == OTHER_EMAIL
    CHECKED["cross_tenant"] += 1


async def _count_fulfillments(t: Tenants) -> None:
    await not_found(t, "GET", "/v2/fulfillments/count", params={"order_id": t.ids["shipped"]})
    theirs = (await t.b.get("/v2/fulfillments/count")).json()
    assert theirs == {"count": len(t.sim.list_fulfillments(None, OTHER_EMAIL))}


async def _label(t: Tenants) -> None:
    await not_found(t, "GET", f"/v2/fulfillments/{t.ids['fulfillment']}/label")


async def _get_product(t: Tenants) -> None:
    await not_found(t, "GET", f"/v2/products/{t.ids['product']}")


async def _count_products(t: Tenants) -> None:
    params = {"q": f"client_id:{t.sim.client_id(EMAIL)}"}
    assert (await t.b.get("/v2/products/count", params=params)).json() == {"count": 0}
    assert (await t.a.get("/v2/products/count", params=params)).json() == {"count": 12}
    CHECKED["cross_tenant"] += 1


async def _count_consumers(t: Tenants) -> None:
    params = {"q": f"client_id:{t.sim.client_id(EMAIL)}"}
    assert (await t.b.get("/v2/consumers/count", params=params)).json() == {"count": 0}
    mine = (await t.a.get("/v2/consumers/count", params=params)).json()
    assert mine == {"count": len(t.sim.list_consumers(EMAIL))}
    CHECKED["cross_tenant"] += 1


def _addresses(t: Tenants) -> str:
    return f"/v2/consumers/{t.ids['consumer']}/addresses"


async def _list_addresses(t: Tenants) -> None:
    await not_found(t, "GET", _addresses(t))


async def _count_addresses(t: Tenants) -> None:
    await not_found(t, "GET", f"{_addresses(t)}/count")


async def _create_address(t: Tenants) -> None:
    await not_found(t, "POST", _addresses(t), json=ADDRESS_BODY)


async def _get_address(t: Tenants) -> None:
    await not_found(t, "GET", f"{_addresses(t)}/{t.ids['address']}")
    mine = f"/v2/consumers/{t.ids['other_consumer']}/addresses/{t.ids['address']}"
    assert (await t.b.get(mine)).status_code == 404  # another consumer's address
    CHECKED["cross_tenant"] += 1


async def _update_address(t: Tenants) -> None:
    await not_found(t, "PUT", f"{_addresses(t)}/{t.ids['address']}", json=ADDRESS_BODY)


async def _delete_address(t: Tenants) -> None:
    await not_found(t, "DELETE", f"{_addresses(t)}/{t.ids['address']}")


async def _transaction_logs(t: Tenants) -> None:
    params = {"filter[entity_id]": t.ids["pending"]}
    await not_found(t, "GET", "/v2/order-transaction-logs", params=params)


async def _token(t: Tenants) -> None:
    """One client's email with the other's password gets no token."""
    body = {"email": EMAIL, "password": OTHER_PASSWORD}
    response = await t.b.post("/v2/authentication/token", json=body)
    assert response.status_code == 401
    CHECKED["cross_tenant"] += 1


async def _refresh(t: Tenants) -> None:
    """A refreshed token belongs to the refresh token's client, whoever sends it."""
    tokens = await Api(t.app).login(OTHER_EMAIL, OTHER_PASSWORD)
    response = await t.a.post(
        "/v2/authentication/refresh-token", json={"refresh_token": tokens["refresh_token"]}
    )
    assert response.status_code == 200
    fresh = Api(t.app)
    fresh.client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
    assert (await fresh.get(f"/v2/orders/{t.ids['pending']}")).status_code == 404
    assert (await fresh.get(f"/v2/orders/{t.ids['other_pending']}")).status_code == 200
    CHECKED["cross_tenant"] += 1


async def _statuses(t: Tenants) -> None:
    """The status list is the provider's reference data: the same for both, naming nothing."""
    theirs = await t.b.get("/v2/statuses")
    assert theirs.status_code == 200
    assert theirs.json() == (await t.a.get("/v2/statuses")).json()
    assert not [value for value in t.owned_by_a() if value in theirs.text]
    CHECKED["cross_tenant"] += 1


async def _list_batches(t: Tenants) -> None:
    await hidden(t, "/v2/batches")


async def _count_batches(t: Tenants) -> None:
    theirs = (await t.b.get("/v2/batches/count")).json()
    assert theirs == {"count": t.sim.count_batches(client=OTHER_EMAIL)}
    CHECKED["cross_tenant"] += 1


async def _get_batch(t: Tenants) -> None:
    await not_found(t, "GET", f"/v2/batches/{t.ids['batch']}")


async def _get_order_line(t: Tenants) -> None:
    await not_found(t, "GET", f"/v2/order-lines/{t.ids['line']}")


async def _get_transaction_log(t: Tenants) -> None:
    await not_found(t, "GET", f"/v2/order-transaction-logs/{t.ids['log']}")


PROBES: dict[tuple[str, str], Probe] = {
    ("POST", "/v2/authentication/token"): _token,
    ("POST", "/v2/authentication/refresh-token"): _refresh,
    ("GET", "/v2/authentication/user"): _user,
    ("POST", "/v2/orders"): _create_order,
    ("GET", "/v2/orders"): _list_orders,
    ("GET", "/v2/orders/count"): _count_orders,
    ("GET", "/v2/orders/by-client-order-id/{client_custom_order_id}"): _by_client_order_id,
    ("GET", "/v2/orders/{id}"): _get_order,
    ("PUT", "/v2/orders/{id}"): _update_order,
    ("DELETE", "/v2/orders/{id}"): _cancel_order,
    ("GET", "/v2/orders/{id}/fulfillments"): _order_fulfillments,
    ("GET", "/v2/fulfillments"): _list_fulfillments,
    ("GET", "/v2/fulfillments/count"): _count_fulfillments,
    ("GET", "/v2/fulfillments/{id}"): _get_fulfillment,
    ("GET", "/v2/fulfillments/{id}/label"): _label,
    ("GET", "/v2/products"): _products,
    ("GET", "/v2/products/count"): _count_products,
    ("GET", "/v2/products/{id}"): _get_product,
    ("POST", "/v2/consumers"): _create_consumer,
    ("GET", "/v2/consumers"): _list_consumers,
    ("GET", "/v2/consumers/{id}"): _get_consumer,
    ("GET", "/v2/consumers/count"): _count_consumers,
    ("PUT", "/v2/consumers/{id}"): _update_consumer,
    ("GET", "/v2/consumers/{consumerId}/addresses"): _list_addresses,
    ("POST", "/v2/consumers/{consumerId}/addresses"): _create_address,
    ("GET", "/v2/consumers/{consumerId}/addresses/count"): _count_addresses,
    ("GET", "/v2/consumers/{consumerId}/addresses/{id}"): _get_address,
    ("PUT", "/v2/consumers/{consumerId}/addresses/{id}"): _update_address,
    ("DELETE", "/v2/consumers/{consumerId}/addresses/{id}"): _delete_address,
    ("GET", "/v2/order-transaction-logs"): _transaction_logs,
    ("GET", "/v2/order-transaction-logs/{id}"): _get_transaction_log,
    ("GET", "/v2/order-lines/{id}"): _get_order_line,
    ("GET", "/v2/statuses"): _statuses,
    ("GET", "/v2/batches"): _list_batches,
    ("GET", "/v2/batches/count"): _count_batches,
    ("GET", "/v2/batches/{id}"): _get_batch,
}
"""How the second client tries each `/v2` route on the first client's things."""


class TestIsolation:
    """One client cannot read, change or count another client's things, on any route."""

    def test_every_route_has_a_probe(self) -> None:
        """Every /v2 operation of the document is probed here, and nothing else."""
        assert set(PROBES) == set(operations("/v2/"))

    @pytest.mark.parametrize(("method", "path"), list(PROBES), ids=[" ".join(op) for op in PROBES])
    async def test_route(self, tenants: Tenants, method: str, path: str) -> None:
        """The other client's request finds nothing of the owner's (see each probe)."""
        await PROBES[method, path](tenants)

    async def test_line_ids_of_another_order_change_nothing_there(self, tenants: Tenants) -> None:
        """Naming another client's order-line id in your own order leaves that order alone."""
        theirs = tenants.sim.get_order(tenants.ids["pending"])
        line = theirs["order_lines"][0]
        product = tenants.sim.list_products(OTHER_EMAIL)[0]["id"]
        lines = [{"id": line["id"], "pouches": [{"contents": [{"client_product_id": product}]}]}]
        url = f"/v2/orders/{tenants.ids['other_pending']}"
        assert (await tenants.b.put(url, json={"order_lines": lines})).status_code < 500
        assert tenants.sim.get_order(tenants.ids["pending"]) == theirs
        CHECKED["cross_tenant"] += 1

    async def test_a_cursor_is_its_clients(self, tenants: Tenants) -> None:
        """The first client's cursor is refused for the second client (400 naming it)."""
        page = (await tenants.a.get("/v2/orders", params={"limit": "1"})).json()
        assert page["next_cursor"] is not None
        response = await tenants.b.get(
            "/v2/orders", params={"limit": "1", "cursor": page["next_cursor"]}
        )
        assert response.status_code == 400
        assert "cursor" in response.json()["message"]
        CHECKED["cross_tenant"] += 1


# --- authentication -------------------------------------------------------------------------


@attrs.frozen
class Tokens:
    """A world with tokens in every state: valid, expired, stale (before a reset)..."""

    sim: Simulator
    app: Any
    ids: dict[str, str]
    valid: str
    expired: str
    before_reset: str
    refresh: str
    id_token: str


@pytest.fixture(scope="module")
def tokens() -> Iterator[Tokens]:
    """Issue a token, reset, issue one that expires, advance a day, issue a valid one."""
    sim = new_sim()
    before_reset = sim.authenticate(EMAIL, PASSWORD)["access_token"]
    sim.reset()
    ids = seed_world(sim)
    expired = sim.authenticate(EMAIL, PASSWORD)["access_token"]
    sim.advance(seconds=86_400)
    # The day crossed a nightly batch, so the seeded order is Accepted; routes that edit
    # need one that still takes edits.
    ids["pending"] = sim.create_order(order_body(sim.list_products(EMAIL)[0]["id"]))["id"]
    fresh = sim.authenticate(EMAIL, PASSWORD)
    yield Tokens(
        sim,
        create_app(sim, rate_limit=None),
        ids,
        fresh["access_token"],
        expired,
        before_reset,
        fresh["refresh_token"],
        fresh["id_token"],
    )
    sim.close()


def bad_headers(t: Tokens) -> dict[str, tuple[dict[str, str], str]]:
    """Name -> (headers, what the 401 message says) for every way to get auth wrong."""
    other_world = Simulator(start="2026-03-02T12:00:00Z", seed=99)
    foreign = other_world.authenticate(EMAIL, PASSWORD)["access_token"]
    other_world.close()
    return {
        "missing": ({}, "Missing"),
        "empty": ({"Authorization": ""}, "Missing"),
        "spaces_only": ({"Authorization": "   "}, "Missing"),
        "bearer_without_token": ({"Authorization": "Bearer"}, "one token"),
        "bearer_and_spaces": ({"Authorization": "Bearer    "}, "one token"),
        "token_without_scheme": ({"Authorization": t.valid}, "Bearer scheme"),
        "basic": ({"Authorization": "Basic aW50ZWdyYXRvcjpzYW5kYm94"}, "Bearer scheme"),
        "token_scheme": ({"Authorization": f"Token {t.valid}"}, "Bearer scheme"),
        "two_tokens": ({"Authorization": f"Bearer {t.valid} {t.valid}"}, "one token"),
        "space_inside_token": ({"Authorization": f"Bearer {t.valid[:9]} {t.valid[9:]}"}, "one"),
        "forged": ({"Authorization": "Bearer sim_at_" + "0" * 64}, "not valid"),
        "truncated": ({"Authorization": f"Bearer {t.valid[:-1]}"}, "not valid"),
        "another_worlds": ({"Authorization": f"Bearer {foreign}"}, "not valid"),
        "from_before_a_reset": ({"Authorization": f"Bearer {t.before_reset}"}, "not valid"),
        "expired": ({"Authorization": f"Bearer {t.expired}"}, "expired"),
        "refresh_token": ({"Authorization": f"Bearer {t.refresh}"}, "not an access token"),
        "id_token": ({"Authorization": f"Bearer {t.id_token}"}, "not an access token"),
        "admin_style_header": ({"X-Admin-Token": t.valid}, "Missing"),
    }


BAD_HEADER_NAMES = [
    "missing",
    "empty",
    "spaces_only",
    "bearer_without_token",
    "bearer_and_spaces",
    "token_without_scheme",
    "basic",
    "token_scheme",
    "two_tokens",
    "space_inside_token",
    "forged",
    "truncated",
    "another_worlds",
    "from_before_a_reset",
    "expired",
    "refresh_token",
    "id_token",
    "admin_style_header",
]


def concrete(path: str, ids: dict[str, str]) -> str:
    """A path template filled with the first client's real ids."""
    path = path.replace("{client_custom_order_id}", ids["custom"])
    path = path.replace("{consumerId}", ids["consumer"])
    path = path.replace("/addresses/{id}", f"/addresses/{ids['address']}")
    nouns = {
        "consumers": "consumer",
        "fulfillments/": "fulfillment",
        "products/": "product",
        "batches/": "batch",
        "order-lines/": "line",
        "order-transaction-logs/": "log",
    }
    noun = next((noun for part, noun in nouns.items() if part in path), "pending")
    return re.sub(r"\{\w+\}", ids[noun], path)


def request_for(method: str, path: str, t: Tokens) -> dict[str, Any]:
    """Arguments of a request the route would accept with a valid token."""
    kwargs: dict[str, Any] = {}
    if path == "/v2/order-transaction-logs":
        kwargs["params"] = {"filter[entity_id]": t.ids["pending"]}
    if method in {"POST", "PUT"}:
        product = t.sim.list_products(EMAIL)[0]["id"]
        bodies = {
            "/v2/orders": order_body(product),
            "/v2/orders/{id}": {"note": "n"},
            "/v2/consumers/{consumerId}/addresses": ADDRESS_BODY,
            "/v2/consumers/{consumerId}/addresses/{id}": ADDRESS_BODY,
        }
        kwargs["json"] = bodies.get(path, {"first_name": "A", "last_name": "B"})
    return kwargs


TOKEN_ROUTES = [op for op in operations("/v2/") if needs_token(*op)]


class TestAuthentication:
    """Every route that needs a token refuses a bad one with a JSON 401, before anything else."""

    def test_routes_without_a_token_are_the_token_routes(self) -> None:
        """Only the two token routes are open; every other /v2 route needs a token."""
        open_routes = set(operations("/v2/")) - set(TOKEN_ROUTES)
        assert {path for _, path in open_routes} == {
            "/v2/authentication/token",
            "/v2/authentication/refresh-token",
        }

    @pytest.mark.parametrize(
        ("method", "path"), TOKEN_ROUTES, ids=[" ".join(op) for op in TOKEN_ROUTES]
    )
    @pytest.mark.parametrize("kind", BAD_HEADER_NAMES)
    async def test_refused(self, tokens: Tokens, method: str, path: str, kind: str) -> None:
        """The request is a 401 with a Bearer challenge and a message naming the problem."""
        headers, fragment = bad_headers(tokens)[kind]
        before = dump_store(tokens.sim)
        api = Api(tokens.app)
        url = concrete(path, tokens.ids)
        response = await api.request(
            method, url, headers=headers, **request_for(method, path, tokens)
        )
        assert response.status_code == 401, response.text
        assert fragment.lower() in response.json()["message"].lower(), response.json()
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert dump_store(tokens.sim) == before
        CHECKED["auth_401"] += 1

    @pytest.mark.parametrize(
        ("method", "path"), TOKEN_ROUTES, ids=[" ".join(op) for op in TOKEN_ROUTES]
    )
    async def test_the_valid_token_works(self, tokens: Tokens, method: str, path: str) -> None:
        """The same request with the valid token is not refused: the 401s are about the token."""
        api = Api(tokens.app)
        headers = {"Authorization": f"Bearer {tokens.valid}"}
        url = concrete(path, tokens.ids)
        response = await api.request(
            method, url, headers=headers, **request_for(method, path, tokens)
        )
        assert response.status_code < 300, response.text

    async def test_extra_spaces_after_the_scheme_are_allowed(self, tokens: Tokens) -> None:
        """RFC 7235 allows one or more spaces after the scheme, and a lower-case scheme."""
        api = Api(tokens.app)
        for header in (f"Bearer    {tokens.valid}", f"  bearer {tokens.valid}  "):
            response = await api.get("/v2/products", headers={"Authorization": header})
            assert response.status_code == 200

    async def test_expiry_is_on_the_simulated_clock(self) -> None:
        """A token is good at 86,399.999999 simulated seconds and expired at 86,400."""
        sim = new_sim()
        api = Api(create_app(sim))
        await api.login()
        sim.advance(seconds=86_399.999999)
        assert (await api.get("/v2/products")).status_code == 200
        sim.advance(seconds=0.000001)
        response = await api.get("/v2/products")
        assert response.status_code == 401
        assert "expired" in response.json()["message"]
        sim.close()


# --- the control API ------------------------------------------------------------------------

CONTROL_ROUTES = operations("/_sim/")


def control_url(path: str, ids: dict[str, str]) -> str:
    """A control path with a real order id (or a fault id that need not exist)."""
    if path.startswith("/_sim/faults/"):
        return path.replace("{id}", "fault-1")
    return re.sub(r"\{\w+\}", ids["pending"], path)


class TestControlLock:
    """With the lock on, every control route needs the admin token; nothing else opens it."""

    @pytest.fixture
    def locked(self) -> Iterator[tuple[Simulator, Any, dict[str, str], str]]:
        """A locked app over a seeded world, and a client's valid access token."""
        sim = new_sim()
        ids = seed_world(sim)
        app = create_app(sim, admin_token=ADMIN, control_requires_token=True, rate_limit=None)
        yield sim, app, ids, sim.authenticate(EMAIL, PASSWORD)["access_token"]
        sim.close()

    @pytest.mark.parametrize(
        ("method", "path"), CONTROL_ROUTES, ids=[" ".join(op) for op in CONTROL_ROUTES]
    )
    async def test_route(
        self, locked: tuple[Simulator, Any, dict[str, str], str], method: str, path: str
    ) -> None:
        """No token: 401; a wrong one or a client's access token: 403; the admin token: in."""
        sim, app, ids, client_token = locked
        api = Api(app)
        url = control_url(path, ids)
        body: dict[str, Any] = {"json": {}} if method == "POST" else {}
        refusals: dict[int, list[dict[str, str]]] = {
            401: [{}],
            403: [
                {"X-Admin-Token": "guess"},
                {"Authorization": "Bearer guess"},
                {"Authorization": f"Bearer {client_token}"},
                {"X-Admin-Token": ADMIN[:-1]},
            ],
        }
        for status, header_sets in refusals.items():
            for headers in header_sets:
                before = dump_store(sim), sim.clock_state()
                response = await api.request(method, url, headers=headers, **body)
                assert response.status_code == status, response.text
                assert (dump_store(sim), sim.clock_state()) == before
                CHECKED["control_refused"] += 1
        for headers in ({"X-Admin-Token": ADMIN}, {"Authorization": f"Bearer {ADMIN}"}):
            response = await api.request(method, url, headers=headers, **body)
            assert response.status_code not in {401, 403}, response.text


@pytest.mark.slow
class TestControlLockOverASocket:
    """`okc-sim serve --host 0.0.0.0 --admin-token`: the lock on a real server."""

    def test_admin_token_is_needed_even_from_loopback(self) -> None:
        """Bound beyond loopback, /_sim needs the token from every caller; /v2 works as usual."""
        process, url = start_serve(
            "--host",
            "0.0.0.0",
            "--port",
            "0",
            "--admin-token",
            ADMIN,
            "--clock",
            "frozen",
            "--start",
            "2026-03-02T12:00:00Z",
            "--log-level",
            "warning",
        )
        drain(process)
        try:
            port = url.rsplit(":", 1)[1]
            base = f"http://127.0.0.1:{port}"
            with httpx.Client(base_url=base, timeout=30) as client:
                assert client.get("/_sim/clock").status_code == 401
                assert client.post("/_sim/reset", headers=JSON_TYPE).status_code == 401
                assert client.get("/_sim/clock", headers={"X-Admin-Token": "no"}).status_code == 403
                login = {"email": EMAIL, "password": PASSWORD}
                token = client.post("/v2/authentication/token", json=login).json()["access_token"]
                bearer = {"Authorization": f"Bearer {token}"}
                assert client.get("/_sim/clock", headers=bearer).status_code == 403
                assert client.get("/v2/products", headers=bearer).status_code == 200
                admin = {"Authorization": f"Bearer {ADMIN}"}
                assert client.get("/_sim/clock", headers=admin).status_code == 200
                CHECKED["control_refused"] += 4
        finally:
            stop(process)
