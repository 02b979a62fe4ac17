"""Shared helpers of the HTTP tests, and tests that the response checker itself bites.

`Api` wraps an in-process `httpx.AsyncClient` and checks every response it returns: it has
`X-Sim-Time`, it is not a 500 (bad input must never reach the catch-all), and its JSON body
validates against the OpenAPI document's schema for that route, method and status.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import jsonschema  # type: ignore[import-untyped]  # no stubs; the tests need none
import pytest

from simulator import Simulator
from simulator.http import create_app, openapi_document

pytestmark = pytest.mark.anyio

START = "2026-03-02T12:00:00Z"
"""A Monday, 04:00 in Los Angeles: the next nightly batch is 2026-03-03T08:00:00Z."""
EMAIL, PASSWORD = "integrator@example.com", "sandbox"
OTHER_EMAIL, OTHER_PASSWORD = "other@example.com", "secret"
UNKNOWN_UUID = "00000000-0000-4000-8000-0000000000ff"
JSON_TYPE = {"Content-Type": "application/json"}
"""What every state-changing request declares, even without a body (a 415 otherwise)."""

PROVIDER_SCHEMAS: dict[str, Any] = json.loads(
    (Path(__file__).parent / "data" / "provider_schemas.json").read_text(encoding="utf-8")
)

_FORMATS = jsonschema.FormatChecker()


@_FORMATS.checks("date-time", raises=ValueError)  # type: ignore[untyped-decorator]
def _utc_instant(value: object) -> bool:
    """The API writes every instant in UTC with a `Z`."""
    if not isinstance(value, str):
        return True
    parsed = dt.datetime.fromisoformat(value)
    return value.endswith("Z") and parsed.utcoffset() == dt.timedelta(0)


def new_sim(**kwargs: Any) -> Simulator:
    """A frozen simulator at `START` with two clients."""
    kwargs.setdefault("clients", [(EMAIL, PASSWORD), (OTHER_EMAIL, OTHER_PASSWORD)])
    return Simulator(start=START, **kwargs)


@cache
def document() -> dict[str, Any]:
    """The generated OpenAPI document (read-only)."""
    return openapi_document()


def _template(path: str) -> str | None:
    """The document's path template that matches a concrete path, if any."""
    templates: list[str] = list(document()["paths"])
    for template in templates:
        pattern = re.sub(r"\\{\w+\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            return template
    return None


def _resolve(item: dict[str, Any]) -> dict[str, Any]:
    """Follow a `$ref` to `#/components/...` (once: the document never chains them)."""
    if "$ref" not in item:
        return item
    node: Any = document()
    for part in item["$ref"].removeprefix("#/").split("/"):
        node = node[part]
    resolved: dict[str, Any] = node
    return resolved


def response_problems(method: str, path: str, status: int, body: bytes) -> list[str]:
    """Where a response departs from the OpenAPI document (empty when it conforms)."""
    template = _template(path)
    operation = (document()["paths"].get(template) or {}).get(method.lower())
    if operation is None:
        # An unknown route or method: the router's 404 or 405, in the error shape.
        expected: dict[str, Any] | None = {"schema": {"$ref": "#/components/schemas/Error"}}
    else:
        responses = operation["responses"]
        documented = _resolve(responses.get(str(status)) or responses["default"])
        expected = documented.get("content", {}).get("application/json")
    if expected is None:
        return [] if not body else [f"{status} should have no body, got {body[:80]!r}"]
    root = {"components": document()["components"], **expected["schema"]}
    validator = jsonschema.Draft202012Validator(root, format_checker=_FORMATS)
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(json.loads(body))
    ]


class Api:
    """An in-process client of one app that checks every response against the contract."""

    def __init__(self, app: Any, *, allow_500: bool = False) -> None:
        """Wrap `app`; `allow_500` lets a test that provokes an internal error see it."""
        self.app = app
        self.allow_500 = allow_500
        self.credentials: tuple[str, str] | None = None
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://localhost"
        )

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send a request and check the response before returning it."""
        response = await self.client.request(method, url, **kwargs)
        assert "x-sim-time" in response.headers, "every response carries X-Sim-Time"
        assert self.allow_500 or response.status_code != 500, response.text
        if method != "HEAD":
            problems = response_problems(
                method, response.request.url.path, response.status_code, response.content
            )
            assert not problems, f"{method} {url} -> {response.status_code}: {problems}"
        return response

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        """GET."""
        return await self.request("GET", url, **kwargs)

    async def post(self, url: str, **kwargs: Any) -> httpx.Response:
        """POST."""
        return await self.request("POST", url, **kwargs)

    async def put(self, url: str, **kwargs: Any) -> httpx.Response:
        """PUT."""
        return await self.request("PUT", url, **kwargs)

    async def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        """DELETE."""
        return await self.request("DELETE", url, **kwargs)

    async def login(self, email: str = EMAIL, password: str = PASSWORD) -> dict[str, Any]:
        """Get tokens and send the access token with every later request."""
        response = await self.post(
            "/v2/authentication/token", json={"email": email, "password": password}
        )
        assert response.status_code == 200, response.text
        tokens: dict[str, Any] = response.json()
        self.client.headers["Authorization"] = f"Bearer {tokens['access_token']}"
        self.credentials = (email, password)
        return tokens

    async def advance(self, **body: Any) -> dict[str, Any]:
        """Move the simulated clock through the control API, then log in again if logged in.

        Access tokens expire after 24 simulated hours; a fresh one keeps long advances
        from turning every later request into a 401.
        """
        response = await self.post("/_sim/clock/advance", json=body)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        if self.credentials is not None:
            await self.login(*self.credentials)
        return result

    async def create_order(self, **overrides: Any) -> dict[str, Any]:
        """Create an order from `order_payload` and return it."""
        response = await self.post("/v2/orders", json=await self.order_payload(**overrides))
        assert response.status_code == 201, response.text
        order: dict[str, Any] = response.json()["order"]
        return order

    async def order_payload(self, **overrides: Any) -> dict[str, Any]:
        """A valid create-order body using the client's first product."""
        products = (await self.get("/v2/products")).json()["products"]
        payload: dict[str, Any] = {
            "consumer": {"first_name": "Ada", "last_name": "Lovelace"},
            "shipping_address": address(),
            "order_lines": [
                {
                    "pouches": [
                        {
                            "time_of_administration": "Morning",
                            "contents": [{"client_product_id": products[0]["id"], "quantity": 1}],
                        }
                    ]
                }
            ],
        }
        payload.update(overrides)
        return payload

    async def status(self, order_id: str) -> str:
        """An order's status now."""
        response = await self.get(f"/v2/orders/{order_id}")
        assert response.status_code == 200, response.text
        status: str = response.json()["order"]["status"]
        return status


def address(**overrides: str) -> dict[str, str]:
    """A shipping address that passes validation."""
    return {
        "address1": "1 Main St",
        "city": "Austin",
        "province_name": "Texas",
        "province_code": "TX",
        "postal_code": "78701",
        "country_name": "United States",
        "country_code": "US",
        **overrides,
    }


def shape_problems(value: object, schema: dict[str, Any], path: str = "") -> list[str]:
    """Where a value's JSON types depart from a vendored provider schema (null always fits)."""
    if value is None:
        return []
    kinds: dict[str, type | tuple[type, ...]] = {
        "string": str,
        "number": (int, float),
        "integer": int,
        "boolean": bool,
        "array": list,
        "object": dict,
    }
    kind = schema.get("type")
    if kind is not None and (
        not isinstance(value, kinds[kind]) or (kind != "boolean" and isinstance(value, bool))
    ):
        return [f"{path}: expected {kind}, got {type(value).__name__}"]
    problems: list[str] = []
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            problems += shape_problems(item, schema["items"], f"{path}[{index}]")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        problems += [
            f"{path}.{key}: missing" for key in schema.get("required", ()) if key not in value
        ]
        for key, item in value.items():
            if key in properties:
                problems += shape_problems(item, properties[key], f"{path}.{key}")
    return problems


@pytest.fixture
def sim() -> Simulator:
    """A fresh frozen simulator at `START`."""
    return new_sim()


class TestResponseChecker:
    """The checker every HTTP test relies on."""

    def test_accepts_a_conforming_error(self) -> None:
        """An unknown route's error body in the documented shape passes."""
        body = json.dumps({"message": "m", "error": {"errorCode": "not_found", "message": "m"}})
        assert response_problems("GET", "/v2/nowhere", 404, body.encode()) == []

    def test_rejects_a_body_missing_a_field(self) -> None:
        """A count without `count` fails the document's schema."""
        assert response_problems("GET", "/v2/orders/count", 200, b"{}")

    def test_rejects_an_instant_without_z(self) -> None:
        """A clock reading with an offset instead of `Z` fails the date-time format."""
        body = {
            "now": "2026-03-02T12:00:00+00:00",
            "mode": "frozen",
            "speed": 1.0,
            "timezone": "UTC",
            "next_batch_at": "2026-03-03T08:00:00Z",
        }
        assert response_problems("GET", "/_sim/clock", 200, json.dumps(body).encode())

    def test_rejects_a_body_on_no_content(self) -> None:
        """A 204 with a body fails."""
        assert response_problems("POST", "/_sim/reset", 204, b"{}")

    def test_matches_path_templates(self) -> None:
        """A concrete path finds its template; an unknown one finds none."""
        assert _template(f"/v2/orders/{UNKNOWN_UUID}/fulfillments") == (
            "/v2/orders/{id}/fulfillments"
        )
        assert _template("/v2/orders/a/b/c") is None

    def test_shape_checker_reports_wrong_types(self) -> None:
        """A number where the provider has text is reported with its path."""
        schema = PROVIDER_SCHEMAS["Count"]
        assert shape_problems({"count": "3"}, schema) == [".count: expected number, got str"]

    async def test_api_refuses_a_500(self, sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
        """The client wrapper fails a test that provokes an internal error."""

        def broken(*_args: Any, **_kwargs: Any) -> Any:
            raise RuntimeError

        monkeypatch.setattr(sim, "list_page", broken)
        api = Api(create_app(sim))
        await api.login()
        with pytest.raises(AssertionError):
            await api.get("/v2/products")
