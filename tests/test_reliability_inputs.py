"""A hand-written corpus of bad input: each is refused with a clear 4xx and changes nothing.

`test_http_errors.py` checks the status and message of many bad inputs; this corpus adds the
other half of the promise: after the refusal the world is exactly as before (every row of the
store, the clock, the fault rules). Body cases run on every route that reads a body, taken
from the OpenAPI document so a new route cannot be missed, and each starts from a body the
route would accept (truncated, wrapped, mislabelled...), so "nothing changed" means something.
The last class sends malformed HTTP over a real socket to uvicorn.
"""

from __future__ import annotations

import collections
import json
import re
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import attrs
import httpx
import pytest
from reliability_support import ADDRESS_BODY, dump_store, order_body, record_figures, seed_world
from test_http_support import EMAIL, JSON_TYPE, PASSWORD, Api, document, new_sim

from simulator import Simulator
from simulator._server import LiveServer
from simulator.http import create_app

pytestmark = pytest.mark.anyio

MIB = 1 << 20
JSON = "application/json"

TRIED: collections.Counter[str] = collections.Counter()
"""Bad inputs tried, by class of input, for the figures."""
SOCKET_ANSWERS: dict[str, int | None] = {}
"""What uvicorn answered each malformed request over the socket (None: it closed)."""


@attrs.frozen
class World:
    """A seeded world behind one app, shared by the module: a refusal must not change it."""

    sim: Simulator
    app: Any
    ids: dict[str, str]
    token: str
    refresh_token: str

    def state(self) -> tuple[object, ...]:
        """Everything a request could change: the store's rows, the clock, the fault rules."""
        faults = [fault.to_json() for fault in self.app.state.faults.active()]
        return dump_store(self.sim), self.sim.clock_state(), faults


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    """A world with orders, consumers and a fulfillment for both clients."""
    sim = new_sim()
    ids = seed_world(sim)
    tokens = sim.authenticate(EMAIL, PASSWORD)
    yield World(
        sim,
        create_app(sim, rate_limit=None),
        ids,
        tokens["access_token"],
        tokens["refresh_token"],
    )
    sim.close()


@pytest.fixture
def api(world: World) -> Api:
    """A client of the world's app that sends the first client's access token."""
    client = Api(world.app)
    client.client.headers["Authorization"] = f"Bearer {world.token}"
    return client


@pytest.fixture(scope="module", autouse=True)
def figures(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """After the module, record how many bad inputs were tried."""
    yield
    record_figures(
        tmp_path_factory,
        "inputs",
        {
            "bad_inputs_tried": sum(TRIED.values()),
            "by_kind": dict(sorted(TRIED.items())),
            "socket_answers": dict(sorted(SOCKET_ANSWERS.items())),
        },
    )


async def refused(  # noqa: PLR0913, PLR0917 - reads as the request, then its refusal
    world: World,
    api: Api,
    method: str,
    url: str,
    status: int,
    fragment: str,
    *,
    kind: str,
    **kwargs: Any,
) -> dict[str, Any]:
    """Send a bad request; check its status, its message and that nothing changed.

    `Api` also checks the body against the document and refuses a 500.

    Returns:
        The error body.
    """
    before = world.state()
    response = await api.request(method, url, **kwargs)
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert fragment.lower() in body["message"].lower(), body["message"]
    assert world.state() == before, f"{method} {url} changed the world"
    TRIED[kind] += 1
    return body


# --- bodies -----------------------------------------------------------------------------------


def body_routes() -> list[tuple[str, str]]:
    """Every (method, path template) whose operation reads a JSON body, from the document."""
    return [
        (method.upper(), path)
        for path, operations in document()["paths"].items()
        for method, operation in operations.items()
        if "requestBody" in operation
    ]


def concrete(template: str, ids: dict[str, str]) -> str:
    """A path template with real ids: the first client's pending order, consumer, address."""
    template = template.replace("{consumerId}", ids["consumer"])
    template = template.replace("/addresses/{id}", f"/addresses/{ids['address']}")
    noun = "consumer" if template.startswith("/v2/consumers") else "pending"
    return re.sub(r"\{\w+\}", ids[noun], template)


def valid_body(world: World, method: str, template: str) -> bytes:
    """A body the route would accept (and act on), as compact JSON."""
    product = world.sim.list_products()[0]["id"]
    bodies: dict[tuple[str, str], object] = {
        ("POST", "/v2/authentication/token"): {"email": EMAIL, "password": PASSWORD},
        ("POST", "/v2/authentication/refresh-token"): {"refresh_token": world.refresh_token},
        ("POST", "/v2/orders"): order_body(product, note="from the corpus"),
        ("PUT", "/v2/orders/{id}"): {"note": "changed by the corpus"},
        ("POST", "/v2/consumers"): {"first_name": "Alan", "last_name": "Turing"},
        ("PUT", "/v2/consumers/{id}"): {"first_name": "Changed"},
        ("POST", "/v2/consumers/{consumerId}/addresses"): ADDRESS_BODY,
        ("PUT", "/v2/consumers/{consumerId}/addresses/{id}"): ADDRESS_BODY,
        ("POST", "/_sim/clock"): {"mode": "running", "speed": 60},
        ("POST", "/_sim/clock/advance"): {"seconds": 86400},
        ("POST", "/_sim/orders/{id}/events"): {"event": "hold", "reason": "corpus"},
        ("POST", "/_sim/faults"): {"kind": "error", "status": 503},
    }
    # A route added later still gets every case, from a plain object.
    body = bodies.get((method, template), {"note": "x"})
    return json.dumps(body, separators=(",", ":")).encode()


def _with(valid: bytes, member: bytes) -> bytes:
    """The valid object with one more member (raw JSON text) at the end."""
    return valid[:-1] + b"," + member + b"}"


@attrs.frozen
class BodyCase:
    """A bad body made from a valid one, the status it gets and what its message says."""

    name: str
    content: Callable[[bytes], bytes]
    status: int
    fragment: str
    content_type: str | None = JSON


BODY_CASES = [
    BodyCase("truncated_in_half", lambda v: v[: len(v) // 2], 400, "Malformed JSON"),
    BodyCase("truncated_by_one_byte", lambda v: v[:-1], 400, "Malformed JSON"),
    BodyCase("trailing_garbage", lambda v: v + b" x", 400, "Extra data"),
    BodyCase("two_documents", lambda v: v + v, 400, "Extra data"),
    BodyCase("single_quotes", lambda v: v.replace(b'"', b"'"), 400, "Malformed JSON"),
    BodyCase("trailing_comma", lambda v: v[:-1] + b",}", 400, "Malformed JSON"),
    BodyCase("comment", lambda v: b"/* hi */" + v, 400, "Malformed JSON"),
    BodyCase("byte_order_mark", lambda v: b"\xef\xbb\xbf" + v, 400, "BOM"),
    BodyCase("utf16", lambda v: v.decode().encode("utf-16"), 400, "not UTF-8"),
    BodyCase("invalid_utf8", lambda v: _with(v, b'"x":"\xe9t\xe9"'), 400, "not UTF-8"),
    BodyCase("lone_surrogate", lambda v: _with(v, b'"x":"\\ud800"'), 400, "surrogate"),
    BodyCase("duplicate_keys", lambda v: v[:-1] + b"," + v[1:], 400, "appears twice"),
    BodyCase("nan", lambda v: _with(v, b'"x":NaN'), 400, "NaN"),
    BodyCase("infinity", lambda v: _with(v, b'"x":-Infinity'), 400, "Infinity"),
    BodyCase("float_overflow", lambda v: _with(v, b'"x":1e999'), 400, "too large"),
    BodyCase("integer_of_5000_digits", lambda v: _with(v, b'"x":' + b"9" * 5000), 400, "beyond"),
    BodyCase("integer_beyond_2_53", lambda v: _with(v, b'"x":9007199254740992'), 400, "beyond"),
    BodyCase("nested_100_deep", lambda v: _with(v, b'"x":' + b"[" * 100 + b"]" * 100), 400, "64"),
    BodyCase("nested_100000_deep", lambda _: b'{"x":' * 100_000, 400, "64"),
    BodyCase("empty", lambda _: b"", 400, "empty"),
    BodyCase("whitespace_only", lambda _: b" \r\n\t ", 400, "empty"),
    BodyCase("array_of_the_object", lambda v: b"[" + v + b"]", 422, "object"),
    BodyCase("string_of_the_object", lambda v: json.dumps(v.decode()).encode(), 422, "object"),
    BodyCase("number", lambda _: b"3", 422, "object"),
    BodyCase("null", lambda _: b"null", 422, "object"),
    BodyCase("text_plain", lambda v: v, 415, "Content-Type", "text/plain"),
    BodyCase("form", lambda v: v, 415, "Content-Type", "application/x-www-form-urlencoded"),
    BodyCase("multipart", lambda v: v, 415, "Content-Type", "multipart/form-data; boundary=b"),
    BodyCase("no_content_type", lambda v: v, 415, "Content-Type", None),
    BodyCase("latin1_charset", lambda v: v, 415, "charset", "application/json; charset=latin-1"),
    BodyCase("over_1_mib", lambda v: _with(v, b'"x":"' + b"a" * MIB + b'"'), 413, "1048576"),
]


class TestBodies:
    """Every body case on every route that reads a body: refused, and nothing changes."""

    @pytest.mark.parametrize(("method", "template"), body_routes())
    @pytest.mark.parametrize("case", BODY_CASES, ids=lambda case: case.name)
    async def test_refused_and_nothing_changes(
        self, world: World, api: Api, method: str, template: str, case: BodyCase
    ) -> None:
        """The bad body is refused with its 4xx and message; the world is as it was."""
        headers = {} if case.content_type is None else {"Content-Type": case.content_type}
        content = case.content(valid_body(world, method, template))
        await refused(
            world,
            api,
            method,
            concrete(template, world.ids),
            case.status,
            case.fragment,
            kind="body",
            content=content,
            headers=headers,
        )

    @pytest.mark.parametrize(("method", "template"), body_routes())
    async def test_chunked_over_1_mib(
        self, world: World, api: Api, method: str, template: str
    ) -> None:
        """A chunked body with no Content-Length is counted as it streams: 413 past 1 MiB."""
        valid = valid_body(world, method, template)

        async def chunks() -> AsyncIterator[bytes]:
            yield valid[:-1] + b',"x":"'
            for _ in range(17):
                yield b"a" * 65536
            yield b'"}'

        body = await refused(
            world,
            api,
            method,
            concrete(template, world.ids),
            413,
            "larger than the limit",
            kind="body",
            content=chunks(),
            headers={"Content-Type": JSON},
        )
        assert body["error"]["errorCode"] == "payload_too_large"

    @pytest.mark.parametrize(("method", "template"), body_routes())
    async def test_the_valid_body_is_accepted(self, method: str, template: str) -> None:
        """The base of every case is accepted, so refusals above are about the damage alone."""
        sim = new_sim()
        ids = seed_world(sim)
        tokens = sim.authenticate(EMAIL, PASSWORD)
        fresh = World(sim, create_app(sim), ids, tokens["access_token"], tokens["refresh_token"])
        client = Api(fresh.app)
        client.client.headers["Authorization"] = f"Bearer {fresh.token}"
        content = valid_body(fresh, method, template)
        response = await client.request(
            method, concrete(template, ids), content=content, headers={"Content-Type": JSON}
        )
        assert response.status_code < 300, response.text
        sim.close()


# --- fields -----------------------------------------------------------------------------------

READ_ONLY = (
    "total",
    "discount_total",
    "fulfillment_fee_total",
    "shipping_fee_total",
    "state",
    "submission_date",
    "source",
    "crm_id",
    "id",
    "client_id",
    "name",
    "created_at",
    "updated_at",
)
"""The contract's read-only order fields: sending one is a 422 naming it."""

WRONG_SHAPES = [
    ("shipping_address", "1 Main St"),
    ("shipping_address", ["1 Main St"]),
    ("shipping_address", {"address1": 5, "city": "Austin"}),
    ("consumer", "Ada Lovelace"),
    ("consumer", 7),
    ("order_lines", "three pouches"),
    ("order_lines", {"pouches": []}),
    ("order_lines", ["pouch"]),
    ("email", {"address": "a@example.com"}),
    ("phone_number", 5551234),
    ("note", ["a", "b"]),
    ("note", "x" * 5000),
    ("status", "Accepted"),
    ("status", "Shipped"),
    ("status", "Canceled by OKC"),
    ("status", "pending"),
    ("status", None),
    ("status", 1),
]
"""(field, value): a value of the wrong type, shape or range for a client update."""


class TestFields:
    """Well-formed JSON whose fields break a rule: 422 naming the field, nothing changes."""

    @pytest.mark.parametrize("field", READ_ONLY)
    async def test_read_only_in_an_update(self, world: World, api: Api, field: str) -> None:
        """Sending a read-only field in an update is a 422 naming it."""
        order = f"/v2/orders/{world.ids['pending']}"
        body = await refused(
            world, api, "PUT", order, 422, field, kind="field", json={field: "x", "note": "n"}
        )
        assert field in [error["field"] for error in body["errors"]]

    # `source` is a create field in the provider's spec ("Order source", e.g. Shopify).
    @pytest.mark.parametrize("field", [field for field in READ_ONLY if field != "source"])
    async def test_read_only_in_a_create(self, world: World, api: Api, field: str) -> None:
        """Sending a read-only field in a create is a 422 naming it."""
        product = world.sim.list_products()[0]["id"]
        payload = order_body(product, **{field: "x"})
        body = await refused(
            world, api, "POST", "/v2/orders", 422, field, kind="field", json=payload
        )
        assert field in [error["field"] for error in body["errors"]]

    @pytest.mark.parametrize(("field", "value"), WRONG_SHAPES)
    async def test_wrong_shape_in_an_update(
        self, world: World, api: Api, field: str, value: object
    ) -> None:
        """A value of the wrong type or shape is a 422 naming the field."""
        order = f"/v2/orders/{world.ids['pending']}"
        body = await refused(
            world, api, "PUT", order, 422, field, kind="field", json={field: value}
        )
        assert any(error["field"].startswith(field) for error in body["errors"])

    @pytest.mark.parametrize(
        "payload",
        [{"colour": "red"}, {"first_name": 5, "last_name": "B"}, {"email": ["x"]}],
        ids=["unknown_field", "number_for_text", "array_for_text"],
    )
    async def test_consumer_fields(self, world: World, api: Api, payload: dict[str, Any]) -> None:
        """A consumer with an unknown or mistyped field is a 422 naming it."""
        field = next(iter(payload))
        for method, url in (
            ("POST", "/v2/consumers"),
            ("PUT", f"/v2/consumers/{world.ids['consumer']}"),
        ):
            await refused(world, api, method, url, 422, field, kind="field", json=payload)

    async def test_unknown_field_in_an_update(self, world: World, api: Api) -> None:
        """An update with a field the provider does not have is a 422 naming it."""
        order = f"/v2/orders/{world.ids['pending']}"
        await refused(world, api, "PUT", order, 422, "colour", kind="field", json={"colour": "red"})

    @pytest.mark.parametrize(
        ("method", "body"),
        [("PUT", {"note": "too late"}), ("DELETE", None)],
        ids=["edit", "cancel"],
    )
    async def test_in_a_status_that_forbids_it(
        self, world: World, api: Api, method: str, body: object
    ) -> None:
        """Editing or cancelling a shipped order is a 422 that says why."""
        order = f"/v2/orders/{world.ids['shipped']}"
        kwargs = {} if body is None else {"json": body}
        await refused(world, api, method, order, 422, "Shipped", kind="field", **kwargs)

    @pytest.mark.parametrize("digits", [31, 401])
    async def test_huge_serving_size(self, world: World, api: Api, digits: int) -> None:
        """A serving size beyond 2**53 is refused as JSON, before pricing could overflow."""
        product = world.sim.list_products()[0]["id"]
        text = json.dumps(order_body(product)).replace(
            '"quantity": 1', '"serving_size": ' + "9" * digits
        )
        headers = {"Content-Type": JSON}
        await refused(
            world,
            api,
            "POST",
            "/v2/orders",
            400,
            "beyond",
            kind="field",
            content=text,
            headers=headers,
        )

    @pytest.mark.parametrize("speed", [1e308, 1_000_001])
    async def test_clock_speed_beyond_the_maximum(
        self, world: World, api: Api, speed: float
    ) -> None:
        """A running speed over 1,000,000 is a 422 naming speed, and the clock still reads."""
        await refused(
            world, api, "POST", "/_sim/clock", 422, "speed", kind="field", json={"speed": speed}
        )
        assert (await api.get("/_sim/clock")).status_code == 200


# --- query strings ----------------------------------------------------------------------------

BAD_DATES = [
    "yesterday",
    "",
    "2026-02-30T00:00:00Z",
    "2026-03-02T12:00:00",
    "2026-03-02T12:00:00+99:00",
    "+275760-09-13T00:00:00Z",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-23:59",
    "1e10",
    "NaN",
]

BAD_QUERIES: list[tuple[str, list[tuple[str, str]], str]] = [
    ("/v2/orders", [("filter[colour]", "red")], "filter[colour]"),
    ("/v2/orders", [("filter[created_at]", "2026-03-02T12:00:00Z")], "filter[created_at]"),
    ("/v2/orders", [("filter[updated_at][since]", "2026-03-02T12:00:00Z")], "since"),
    ("/v2/orders", [("filter[status][gte]", "Pending")], "filter[status][gte]"),
    ("/v2/orders", [("filter[status]", "Lost")], "On Hold"),
    ("/v2/orders", [("filter[status]", "Pending,,Accepted")], "filter[status]"),
    ("/v2/orders", [("filter[name]", "")], "filter[name]"),
    ("/v2/orders/count", [("filter[status]", "pending")], "filter[status]"),
    ("/v2/orders", [("Filter[status]", "Pending")], "Filter[status]"),
    ("/v2/orders", [("sort", "created_at")], "sort"),
    ("/v2/orders", [("limit", "1e3")], "limit"),
    ("/v2/orders", [("limit", " 5")], "limit"),
    ("/v2/orders", [("limit", "+5")], "limit"),
    ("/v2/orders", [("limit", "\u0663")], "limit"),
    ("/v2/orders", [("limit", "9" * 40)], "limit"),
    ("/v2/orders", [("limit", "1"), ("limit", "2")], "more than once"),
    ("/v2/orders", [("cursor", "")], "cursor"),
    ("/v2/orders", [("cursor", "x" * 5000)], "cursor"),
    ("/v2/orders", [("cursor", "eyJhIjoxfQ==")], "cursor"),
    ("/v2/authentication/user", [("limit", "10")], "no query parameters"),
    ("/v2/order-transaction-logs", [], "filter[entity_id]"),
    ("/v2/order-transaction-logs", [("entity_id", "x")], "entity_id"),
    ("/_sim/requests", [("limit", "0")], "limit"),
    ("/_sim/requests", [("limit", "9" * 30)], "limit"),
]


class TestQueries:
    """Query strings that are malformed: 400 naming the parameter, nothing changes."""

    @pytest.mark.parametrize(("path", "params", "fragment"), BAD_QUERIES)
    async def test_refused(
        self, world: World, api: Api, path: str, params: list[tuple[str, str]], fragment: str
    ) -> None:
        """The query is a 400 whose message names what is wrong."""
        await refused(world, api, "GET", path, 400, fragment, kind="query", params=params)

    @pytest.mark.parametrize("value", BAD_DATES)
    @pytest.mark.parametrize("name", ["filter[created_at][gte]", "filter[updated_at][lt]"])
    async def test_bad_dates(self, world: World, api: Api, name: str, value: str) -> None:
        """A range filter that is not a zoned ISO 8601 instant in range is a 400 naming it."""
        for path in ("/v2/orders", "/v2/orders/count"):
            await refused(world, api, "GET", path, 400, name, kind="query", params={name: value})

    async def test_ten_thousand_unknown_parameters(self, world: World, api: Api) -> None:
        """10,000 unknown parameters are a 400 that names a few and counts the rest."""
        query = "&".join(f"p{number}" for number in range(10_000))
        body = await refused(
            world, api, "GET", f"/v2/orders?{query}", 400, "and 9995 more", kind="query"
        )
        assert len(body["message"]) < 1000

    async def test_eight_thousand_repeats(self, world: World, api: Api) -> None:
        """A single-valued parameter given 8,000 times (what fits in httpx's URL) is a 400."""
        query = "&".join(["limit=1"] * 8_000)
        await refused(world, api, "GET", f"/v2/orders?{query}", 400, "more than once", kind="query")

    async def test_stale_cursor_after_reset(self) -> None:
        """A cursor from before a reset is refused in the new world, naming `cursor`."""
        sim = new_sim()
        seed_world(sim)
        app = create_app(sim)
        old = Api(app)
        await old.login()
        cursor = (await old.get("/v2/orders", params={"limit": "1"})).json()["next_cursor"]
        assert cursor is not None
        assert (await old.post("/_sim/reset", headers=JSON_TYPE)).status_code == 204
        seed_world(sim)
        fresh = World(sim, app, {}, "", "")
        new = Api(app)
        await new.login()
        await refused(
            fresh, new, "GET", "/v2/orders", 400, "cursor", kind="query", params={"cursor": cursor}
        )
        sim.close()

    async def test_cursor_with_other_filters(self, world: World, api: Api) -> None:
        """A cursor sent with filters other than its own is refused, naming `cursor`."""
        cursor = (await api.get("/v2/orders", params={"limit": "1"})).json()["next_cursor"]
        assert cursor is not None
        params = {"cursor": cursor, "limit": "1", "filter[status]": "Shipped"}
        await refused(world, api, "GET", "/v2/orders", 400, "cursor", kind="query", params=params)


# --- paths ------------------------------------------------------------------------------------

BAD_IDS = [
    "nope",
    "123",
    "%00",
    "%ff%fe",
    "'%20OR%201=1%20--",
    "..%2F..%2Fetc%2Fpasswd",
    "{00000000-0000-4000-8000-000000000001}",
    "00000000-0000-4000-8000-00000000000",
    "00000000-0000-4000-8000-0000000000001",
    "00000000000040008000000000000001",
    "x" * 50_000,
]


def id_operations() -> list[tuple[str, str]]:
    """Every (method, path template) of the document that takes a UUID id in its path."""
    found = []
    for path, operations in document()["paths"].items():
        for method, operation in operations.items():
            formats = [
                parameter["schema"].get("format")
                for parameter in operation.get("parameters", ())
                if parameter["in"] == "path"
            ]
            if "uuid" in formats:
                found.append((method.upper(), path))
    return found


class TestPaths:
    """Ids in paths that are not UUIDs, or not this world's: 404, nothing changes."""

    @pytest.mark.parametrize(("method", "template"), id_operations())
    @pytest.mark.parametrize("bad", BAD_IDS, ids=lambda bad: bad[:40])
    async def test_not_a_uuid(
        self, world: World, api: Api, method: str, template: str, bad: str
    ) -> None:
        """An id that is not a UUID is a 404 saying there is no such thing."""
        kwargs: dict[str, Any] = {}
        if method in {"POST", "PUT"}:
            kwargs = {
                "content": valid_body(world, method, template),
                "headers": {"Content-Type": JSON},
            }
        # The bad id goes last; the ids before it are real (two long ones make too long a URL).
        url = re.sub(r"\{\w+\}(?=.*\{)", world.ids["consumer"], template)
        url = re.sub(r"\{\w+\}", bad, url)
        await refused(world, api, method, url, 404, "No ", kind="path", **kwargs)

    async def test_upper_case_of_a_real_id(self, world: World, api: Api) -> None:
        """Ids are exact: the upper-case spelling of a real id names no order."""
        url = f"/v2/orders/{world.ids['pending'].upper()}"
        await refused(world, api, "DELETE", url, 404, "No order", kind="path")

    async def test_very_long_path(self, world: World, api: Api) -> None:
        """A 60,000-character path that matches no route is a JSON 404."""
        url = "/v2/" + "a/" * 30_000
        await refused(world, api, "GET", url, 404, "No such route", kind="path")


class TestClientDisconnect:
    """A client that hangs up half way through its body."""

    async def test_is_journalled_as_a_400_not_a_500(
        self, world: World, caplog: pytest.LogCaptureFixture
    ) -> None:
        """The request is journalled as a 400, nothing is logged as an error, nothing changes."""
        sent: list[dict[str, Any]] = [
            {"type": "http.request", "body": b'{"consumer": {"first', "more_body": True},
            {"type": "http.disconnect"},
        ]
        messages = iter(sent)

        async def receive() -> dict[str, Any]:
            return next(messages)

        async def send(_message: dict[str, Any]) -> None:
            return None

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/v2/orders",
            "raw_path": b"/v2/orders",
            "query_string": b"",
            "root_path": "",
            "headers": [
                (b"authorization", f"Bearer {world.token}".encode()),
                (b"content-type", b"application/json"),
            ],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 80),
        }
        before = world.state()
        await world.app(scope, receive, send)
        assert world.state() == before
        api = Api(world.app)
        (entry,) = (await api.get("/_sim/requests", params={"limit": "1"})).json()["requests"]
        assert (entry["path"], entry["status"]) == ("/v2/orders", 400)
        assert not [record for record in caplog.records if record.levelname == "ERROR"]
        TRIED["body"] += 1


# --- over a real socket -----------------------------------------------------------------------


@attrs.frozen
class Live:
    """A world served by uvicorn on a real loopback socket."""

    world: World
    server: LiveServer

    def send(self, raw: bytes, *, half_close: bool = False) -> bytes:
        """Send raw bytes on a fresh connection; return all that comes back until it closes."""
        host, port = self.server.url.removeprefix("http://").rsplit(":", 1)
        answer = bytearray()
        with socket.create_connection((host, int(port)), timeout=30) as conn:
            try:
                conn.sendall(raw)
                if half_close:
                    conn.shutdown(socket.SHUT_WR)
            except OSError:
                pass  # the server may close while a too-large request is still being sent
            try:
                while chunk := conn.recv(65536):
                    answer += chunk
            except OSError:
                pass  # reset after the answer: a clean refusal to read more
        return bytes(answer)


@pytest.fixture(scope="module")
def live(world: World) -> Iterator[Live]:
    """The module's world served over a real socket on 127.0.0.1."""
    with LiveServer(world.sim, rate_limit=None) as server:
        yield Live(world, server)


def _request(live: Live, head: str, *extra: bytes, body: bytes = b"") -> bytes:
    """An HTTP/1.1 request with the access token, `Connection: close` and any extra headers."""
    lines = [
        head.encode(),
        b"Host: 127.0.0.1",
        f"Authorization: Bearer {live.world.token}".encode(),
        *extra,
        b"Connection: close",
    ]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def _status(answer: bytes) -> int | None:
    """The status of a raw HTTP answer; None when the server closed without one."""
    match = re.match(rb"HTTP/1\.[01] (\d{3}) ", answer)
    return int(match[1]) if match else None


SOCKET_CASES: dict[str, Callable[[Live], bytes]] = {
    "header_of_100_kb": lambda live: _request(
        live, "GET /v2/products HTTP/1.1", b"X-Big: " + b"a" * 100_000
    ),
    "two_thousand_headers": lambda live: _request(
        live, "GET /v2/products HTTP/1.1", *(b"X-H%d: v" % n for n in range(2000))
    ),
    "ten_thousand_parameters": lambda live: _request(
        live, "GET /v2/orders?" + "&".join(f"p{n}=1" for n in range(10_000)) + " HTTP/1.1"
    ),
    "path_of_60_kb": lambda live: _request(live, "GET /v2/orders/" + "a" * 60_000 + " HTTP/1.1"),
    "over_1_mib_with_content_length": lambda live: _request(
        live,
        "POST /v2/orders HTTP/1.1",
        b"Content-Type: application/json",
        b"Content-Length: %d" % (MIB + 2),
        body=b"{" + b" " * MIB + b"}",
    ),
    "over_1_mib_chunked": lambda live: _request(
        live,
        "POST /v2/orders HTTP/1.1",
        b"Content-Type: application/json",
        b"Transfer-Encoding: chunked",
        body=b"".join(b"10000\r\n" + b" " * 65536 + b"\r\n" for _ in range(17)) + b"0\r\n\r\n",
    ),
    "content_length_not_a_number": lambda live: _request(
        live, "POST /v2/orders HTTP/1.1", b"Content-Type: application/json", b"Content-Length: ten"
    ),
    "content_length_and_chunked": lambda live: _request(
        live,
        "POST /v2/orders HTTP/1.1",
        b"Content-Type: application/json",
        b"Content-Length: 2",
        b"Transfer-Encoding: chunked",
        body=b"2\r\n{}\r\n0\r\n\r\n",
    ),
    "garbage_request_line": lambda _: b"HELLO THERE\r\n\r\n",
    "http_0_9": lambda _: b"GET /v2/products\r\n",
    "non_ascii_header": lambda live: _request(
        live, "GET /v2/products HTTP/1.1", b"X-Name: \xff\xfe\x00"
    ),
    "authorization_not_ascii": lambda _: (
        b"GET /v2/products HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \xe9\xe9\r\n"
        b"Connection: close\r\n\r\n"
    ),
}


HALF_CLOSED = {"http_0_9"}
"""Cases that never finish a request head: the client says it is done sending."""


class TestOverARealSocket:
    """Malformed HTTP sent to uvicorn: a 4xx or a clean close, never a 5xx, nothing changes."""

    @pytest.mark.parametrize("name", list(SOCKET_CASES))
    def test_never_a_5xx(self, live: Live, name: str) -> None:
        """The server answers below 500 or closes, stays up, and the world is unchanged."""
        before = live.world.state()
        status = _status(live.send(SOCKET_CASES[name](live), half_close=name in HALF_CLOSED))
        SOCKET_ANSWERS[name] = status
        assert status is None or status < 500, status
        assert live.world.state() == before
        self._still_serving(live)
        TRIED["socket"] += 1

    def test_body_shorter_than_its_content_length(self, live: Live) -> None:
        """A client that promises 1,000 bytes, sends a valid order and hangs up changes nothing."""
        product = live.world.sim.list_products()[0]["id"]
        body = json.dumps(order_body(product)).encode()
        raw = _request(
            live,
            "POST /v2/orders HTTP/1.1",
            b"Content-Type: application/json",
            b"Content-Length: %d" % (len(body) + 1000),
            body=body,
        )
        before = live.world.state()
        status = _status(live.send(raw, half_close=True))
        SOCKET_ANSWERS["body_shorter_than_its_content_length"] = status
        assert status is None or status < 500, status
        assert live.world.state() == before
        self._still_serving(live)
        TRIED["socket"] += 1

    @staticmethod
    def _still_serving(live: Live) -> None:
        headers = {"Authorization": f"Bearer {live.world.token}"}
        response = httpx.get(f"{live.server.url}/v2/orders/count", headers=headers, timeout=30)
        assert response.status_code == 200, response.text
