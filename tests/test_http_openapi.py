"""Tests for the generated OpenAPI document: complete, committed, and true to the provider."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from starlette.responses import Response
from starlette.routing import Route
from test_http_support import PROVIDER_SCHEMAS, Api, address, new_sim, shape_problems

from simulator.http import create_app, openapi_document

pytestmark = pytest.mark.anyio

COMMITTED = Path(__file__).parent.parent / "docs" / "openapi.json"


def _undocumented(app: Any, document: dict[str, Any]) -> set[tuple[str, str]]:
    """(METHOD, path) pairs the app routes but the document lacks, and the reverse."""
    routed = {
        (method, route.path)
        for route in app.routes
        for method in route.methods
        if method != "HEAD"  # Starlette adds HEAD to every GET route
    }
    documented = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
    }
    return routed ^ documented


def _refs(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


class TestCompleteness:
    """Every route is documented, and nothing else is."""

    def test_routes_and_document_agree(self) -> None:
        """The app's routes and methods are exactly the document's paths and operations."""
        app = create_app(new_sim())
        assert _undocumented(app, openapi_document()) == set()

    def test_an_added_route_is_noticed(self) -> None:
        """A route added without a document entry makes the comparison fail."""
        app = create_app(new_sim())

        async def extra(_request: object) -> Response:
            return Response()

        app.router.routes.append(Route("/v2/extra", extra, methods=["GET"]))
        assert _undocumented(app, openapi_document()) == {("GET", "/v2/extra")}

    def test_every_reference_resolves(self) -> None:
        """Every `$ref` points at something in the document."""
        document = openapi_document()
        for ref in _refs(document):
            node: Any = document
            for part in ref.removeprefix("#/").split("/"):
                assert part in node, ref
                node = node[part]

    def test_operation_ids_are_unique(self) -> None:
        """No two operations share an operationId."""
        ids = [
            operation["operationId"]
            for operations in openapi_document()["paths"].values()
            for operation in operations.values()
        ]
        assert len(ids) == len(set(ids))

    def test_path_parameters_are_declared(self) -> None:
        """Each `{name}` in a path has a path parameter of that name."""
        for path, operations in openapi_document()["paths"].items():
            names = {part[1:-1] for part in path.split("/") if part.startswith("{")}
            for operation in operations.values():
                declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
                assert declared == names, path


class TestCommittedCopy:
    """docs/openapi.json."""

    def test_matches_the_generated_document(self) -> None:
        """The committed file is the generated document (regenerate: python -m simulator.http)."""
        committed = COMMITTED.read_text(encoding="utf-8")
        assert committed == json.dumps(openapi_document(), indent=2) + "\n", (
            "stale: run `.venv/bin/python -m simulator.http > docs/openapi.json`"
        )

    async def test_served_at_sim_openapi(self) -> None:
        """GET /_sim/openapi.json serves the same document."""
        response = await Api(create_app(new_sim())).get("/_sim/openapi.json")
        assert response.json() == openapi_document()


class TestProviderShapes:
    """Bodies match the vendored provider schemas: field names and JSON types."""

    @pytest.fixture
    async def shipped(self) -> tuple[Api, dict[str, Any]]:
        """A logged-in client and an order of theirs, a week later (delivered)."""
        api = Api(create_app(new_sim()))
        await api.login()
        order = await api.create_order(
            email="ada@example.com",
            note="ring twice",
            shipping_address=address(address2="Suite 5"),
        )
        await api.advance(seconds=7 * 86400)
        return api, order

    async def test_order_fields_are_the_providers(
        self, shipped: tuple[Api, dict[str, Any]]
    ) -> None:
        """An order has only the provider's fields (its required ones always), of its types."""
        api, order = shipped
        read = (await api.get(f"/v2/orders/{order['id']}")).json()["order"]
        listed = (await api.get("/v2/orders")).json()["orders"][0]
        schema = PROVIDER_SCHEMAS["Order"]
        for body in (order, read, listed):
            assert set(schema.get("required", ())) <= set(body) <= set(schema["properties"])
            assert shape_problems(body, schema) == []

    async def test_fulfillment_fields_are_the_providers(
        self, shipped: tuple[Api, dict[str, Any]]
    ) -> None:
        """A fulfillment has exactly the provider's fields and types, tracking included."""
        api, order = shipped
        (fulfillment,) = (await api.get(f"/v2/orders/{order['id']}/fulfillments")).json()[
            "fulfillments"
        ]
        schema = PROVIDER_SCHEMAS["Fulfillment"]
        assert set(fulfillment) == set(schema["properties"])
        assert shape_problems(fulfillment, schema) == []
        assert set(fulfillment["tracking_info"]) == {
            "shipping_carrier",
            "shipping_method",
            "tracking_number",
            "tracking_url",
        }

    async def test_transaction_rows_carry_the_providers_fields(
        self, shipped: tuple[Api, dict[str, Any]]
    ) -> None:
        """Each log row has the provider's fields and types (plus the simulator's extras)."""
        api, order = shipped
        rows = (
            await api.get("/v2/order-transaction-logs", params={"filter[entity_id]": order["id"]})
        ).json()["transactions"]
        schema = PROVIDER_SCHEMAS["OrderTransactionLogs"]
        for row in rows:
            assert set(schema["properties"]) <= set(row)
            assert shape_problems(row, schema) == []

    async def test_count(self, shipped: tuple[Api, dict[str, Any]]) -> None:
        """A count matches the provider's Count."""
        api, _ = shipped
        body = (await api.get("/v2/orders/count")).json()
        assert set(body) == set(PROVIDER_SCHEMAS["Count"]["properties"])
        assert shape_problems(body, PROVIDER_SCHEMAS["Count"]) == []

    async def test_token(self) -> None:
        """A token response has the provider's fields, but the contract's numeric expires_in.

        The contract fixes `expires_in` as the number 86400 where the provider's schema says
        text.
        """
        api = Api(create_app(new_sim()))
        tokens = await api.login()
        schema = PROVIDER_SCHEMAS["TokenResponse"]
        assert set(schema["required"]) <= set(tokens)
        assert isinstance(tokens["expires_in"], int)
        assert shape_problems({**tokens, "expires_in": "86400"}, schema | {"required": []}) == []

    async def test_errors(self) -> None:
        """A 404 fits the provider's ErrorModel and a 422 its ValidationError."""
        api = Api(create_app(new_sim()))
        await api.login()
        missing = (await api.get("/v2/orders/nope")).json()
        assert shape_problems(missing, PROVIDER_SCHEMAS["ErrorModel"]) == []
        rejected = (await api.post("/v2/orders", json={})).json()
        assert shape_problems(rejected, PROVIDER_SCHEMAS["ValidationError"]) == []
