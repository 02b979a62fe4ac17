"""Tests that bad input gets the right 4xx with a JSON message, and never a 500."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_http_support import UNKNOWN_UUID, Api, new_sim

from simulator.http import create_app

pytestmark = pytest.mark.anyio

JSON_HEADERS = {"Content-Type": "application/json"}


@pytest.fixture
async def api() -> Api:
    """A logged-in client of an app that takes bodies of at most 8192 bytes."""
    client = Api(create_app(new_sim(), max_body_bytes=8192))
    await client.login()
    return client


def _error(response: object, status: int, code: str) -> str:
    """Check an error response's status and errorCode; return its message."""
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["error"]["errorCode"] == code
    assert body["error"]["message"] == body["message"]
    message: str = body["message"]
    return message


class TestMalformedBodies:
    """Bodies that are not usable JSON: 400, 413 or 415."""

    async def test_syntax_error_names_the_position(self, api: Api) -> None:
        """Broken JSON is a 400 naming line, column and character."""
        response = await api.post("/v2/orders", content=b'{"note": }', headers=JSON_HEADERS)
        message = _error(response, 400, "malformed_json")
        assert "line 1 column 10 (char 9)" in message

    @pytest.mark.parametrize(
        "text", ['{"a": NaN}', '{"a": Infinity}', '{"a": -Infinity}', '{"a": 1e999}']
    )
    async def test_non_finite_numbers(self, api: Api, text: str) -> None:
        """NaN, Infinity and numbers too large for a double are a 400."""
        response = await api.post("/v2/orders", content=text.encode(), headers=JSON_HEADERS)
        _error(response, 400, "malformed_json")

    async def test_huge_integer(self, api: Api) -> None:
        """An integer of thousands of digits is a 400, not an exception."""
        text = '{"a": ' + "9" * 5000 + "}"
        response = await api.post("/v2/orders", content=text.encode(), headers=JSON_HEADERS)
        _error(response, 400, "malformed_json")

    @pytest.mark.parametrize("depth", [65, 2000])
    async def test_deep_nesting(self, depth: int) -> None:
        """Arrays nested deeper than 64 are a 400, however deep."""
        api = Api(create_app(new_sim()))
        await api.login()
        text = "[" * depth + "]" * depth
        response = await api.post("/v2/orders", content=text.encode(), headers=JSON_HEADERS)
        assert "deeper than 64" in _error(response, 400, "malformed_json")

    async def test_nesting_of_64_is_fine(self, api: Api) -> None:
        """64 levels parse, and the engine judges the (wrong) shape: 422."""
        text = "[" * 64 + "]" * 64
        response = await api.post("/v2/orders", content=text.encode(), headers=JSON_HEADERS)
        assert response.status_code == 422

    async def test_not_utf8(self, api: Api) -> None:
        """A body that is not UTF-8 is a 400."""
        response = await api.post("/v2/orders", content=b'{"a": "\xff"}', headers=JSON_HEADERS)
        assert "UTF-8" in _error(response, 400, "malformed_json")

    async def test_empty_body(self, api: Api) -> None:
        """An empty body where JSON is needed is a 400."""
        response = await api.post("/v2/orders", content=b"", headers=JSON_HEADERS)
        assert "empty" in _error(response, 400, "malformed_json")

    @pytest.mark.parametrize(
        "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
    )
    async def test_wrong_content_type(self, api: Api, content_type: str) -> None:
        """A body that is not declared JSON is a 415 naming the type."""
        response = await api.post(
            "/v2/orders", content=b"{}", headers={"Content-Type": content_type}
        )
        assert content_type in _error(response, 415, "unsupported_media_type")

    async def test_missing_content_type(self, api: Api) -> None:
        """A body without a Content-Type is a 415."""
        response = await api.post("/v2/orders", content=b"{}")
        _error(response, 415, "unsupported_media_type")

    @pytest.mark.parametrize(
        "content_type", ["application/json; charset=utf-8", "application/merge-patch+json"]
    )
    async def test_json_variants_accepted(self, api: Api, content_type: str) -> None:
        """UTF-8 JSON and `+json` types are read."""
        body = json.dumps(await api.order_payload()).encode()
        response = await api.post(
            "/v2/orders", content=body, headers={"Content-Type": content_type}
        )
        assert response.status_code == 201

    async def test_other_charset(self, api: Api) -> None:
        """JSON declared in another charset is a 415."""
        response = await api.post(
            "/v2/orders",
            content=b"{}",
            headers={"Content-Type": "application/json; charset=latin-1"},
        )
        _error(response, 415, "unsupported_media_type")

    async def test_too_large_by_content_length(self, api: Api) -> None:
        """A declared Content-Length over the limit is a 413 before the body is read."""
        response = await api.post("/v2/orders", content=b" " * 9000, headers=JSON_HEADERS)
        assert "8192" in _error(response, 413, "payload_too_large")

    async def test_too_large_when_streamed(self, api: Api) -> None:
        """A chunked body with no Content-Length is counted as it arrives: 413."""

        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(9):
                yield b" " * 1000

        response = await api.post("/v2/orders", content=chunks(), headers=JSON_HEADERS)
        assert "content-length" not in response.request.headers
        _error(response, 413, "payload_too_large")

    async def test_too_large_on_control_routes(self, api: Api) -> None:
        """The limit covers the control API too."""
        response = await api.post("/_sim/clock/advance", content=b" " * 9000, headers=JSON_HEADERS)
        _error(response, 413, "payload_too_large")


class TestRuleViolations:
    """Well-formed JSON that breaks a rule: 422 with every problem listed."""

    @pytest.mark.parametrize("body", [[], "order", 3, None])
    async def test_body_not_an_object(self, api: Api, body: object) -> None:
        """A JSON body that is not an object is a 422."""
        response = await api.post("/v2/orders", content=json.dumps(body), headers=JSON_HEADERS)
        assert response.status_code == 422
        assert "object" in response.json()["message"]

    @pytest.mark.parametrize("field", ["total", "state", "source", "crm_id", "id"])
    async def test_read_only_field_is_named(self, api: Api, field: str) -> None:
        """Sending a read-only field in an update is a 422 naming the field."""
        order = await api.create_order()
        response = await api.put(f"/v2/orders/{order['id']}", json={field: "x"})
        assert response.status_code == 422
        errors = response.json()["errors"]
        assert [e["field"] for e in errors] == [field]
        assert field in response.json()["message"]

    async def test_every_problem_is_listed(self, api: Api) -> None:
        """A create missing everything lists each problem; the message counts the rest."""
        response = await api.post("/v2/orders", json={})
        assert response.status_code == 422
        body = response.json()
        assert len(body["errors"]) >= 3
        assert f"(and {len(body['errors']) - 1} more" in body["message"]
        assert {"consumer", "shipping_address", "order_lines"} <= {
            e["field"] for e in body["errors"]
        }

    async def test_body_satisfies_every_documented_shape(self, api: Api) -> None:
        """A 422 carries `message` and `errors` at the top and again under `error`."""
        response = await api.post("/v2/orders", json={})
        body = response.json()
        assert body["error"] == {
            "errorCode": "validation_error",
            "message": body["message"],
            "errors": body["errors"],
        }

    async def test_cancel_twice(self, api: Api) -> None:
        """Cancelling a canceled order is a 422, not a 404 or a 500."""
        order = await api.create_order()
        assert (await api.delete(f"/v2/orders/{order['id']}")).status_code == 204
        assert (await api.delete(f"/v2/orders/{order['id']}")).status_code == 422


class TestQueryParameters:
    """Query strings: unknown names, bad values and cursors are 400s naming the parameter."""

    @pytest.mark.parametrize("limit", ["0", "251", "-1", "ten", "1.5", "", "9999999999"])
    async def test_bad_limit(self, api: Api, limit: str) -> None:
        """A limit outside 1..250 or not a whole number is a 400 naming `limit`."""
        response = await api.get("/v2/orders", params={"limit": limit})
        assert "limit" in _error(response, 400, "invalid_limit")

    @pytest.mark.parametrize("limit", ["1", "250"])
    async def test_limit_bounds(self, api: Api, limit: str) -> None:
        """1 and 250 are accepted."""
        assert (await api.get("/v2/orders", params={"limit": limit})).status_code == 200

    @pytest.mark.parametrize(
        "name", ["filter[colour]", "sort", "filter[status][gte]", "filter[created_at][since]"]
    )
    async def test_unknown_parameter_is_named(self, api: Api, name: str) -> None:
        """A parameter the route does not take is a 400 naming it."""
        response = await api.get("/v2/orders", params={name: "x"})
        assert f"'{name}'" in _error(response, 400, "unknown_parameter")

    async def test_unknown_parameter_on_a_route_without_any(self, api: Api) -> None:
        """Even a route that takes no parameters refuses one."""
        response = await api.get("/v2/authentication/user", params={"limit": "10"})
        assert "takes: no query parameters" in _error(response, 400, "unknown_parameter")

    async def test_repeated_single_parameter(self, api: Api) -> None:
        """`limit` given twice is a 400."""
        response = await api.get("/v2/orders", params=[("limit", "1"), ("limit", "2")])
        assert "more than once" in _error(response, 400, "bad_request")

    @pytest.mark.parametrize("value", ["yesterday", "2026-13-01T00:00:00Z", "2026-03-02T10:00:00"])
    async def test_bad_date(self, api: Api, value: str) -> None:
        """A range filter that is not a zoned ISO 8601 instant is a 400 naming the filter."""
        response = await api.get("/v2/orders", params={"filter[created_at][gte]": value})
        assert "filter[created_at][gte]" in _error(response, 400, "invalid_filter")

    async def test_unknown_status(self, api: Api) -> None:
        """A status that does not exist is a 400 listing the statuses."""
        response = await api.get("/v2/orders/count", params={"filter[status]": "Lost"})
        assert "On Hold" in _error(response, 400, "invalid_filter")

    async def test_empty_filter_value(self, api: Api) -> None:
        """An empty equality filter is a 400."""
        response = await api.get("/v2/orders", params={"filter[name]": ""})
        _error(response, 400, "invalid_filter")

    @pytest.mark.parametrize("cursor", ["garbage", "AAAA", "eyJhIjoxfQ", "x" * 300])
    async def test_forged_cursor(self, api: Api, cursor: str) -> None:
        """A cursor this server did not issue is a 400 naming `cursor`."""
        response = await api.get("/v2/orders", params={"cursor": cursor})
        assert "cursor" in _error(response, 400, "invalid_cursor")

    async def test_altered_cursor(self, api: Api) -> None:
        """A real cursor with one character changed is refused."""
        for _ in range(2):
            await api.create_order()
        cursor = (await api.get("/v2/orders", params={"limit": "1"})).json()["next_cursor"]
        altered = cursor[:-2] + ("A" if cursor[-2] != "A" else "B") + cursor[-1]
        response = await api.get("/v2/orders", params={"limit": "1", "cursor": altered})
        assert "cursor" in _error(response, 400, "invalid_cursor")

    async def test_transaction_logs_need_the_order(self, api: Api) -> None:
        """The transaction-log route without filter[entity_id] is a 400 naming it."""
        response = await api.get("/v2/order-transaction-logs")
        assert "filter[entity_id]" in _error(response, 400, "order_not_named")


class TestPathIds:
    """Ids in the path."""

    @pytest.mark.parametrize("order_id", ["nope", "123", "'; DROP TABLE orders; --", "%00"])
    async def test_non_uuid_is_no_such_order(self, api: Api, order_id: str) -> None:
        """An id that is not a UUID is a 404 saying there is no such order."""
        response = await api.get(f"/v2/orders/{order_id}")
        assert "No order with id" in _error(response, 404, "not_found")

    async def test_non_uuid_on_every_id_route(self, api: Api) -> None:
        """Consumers, fulfillments and the control API check their ids the same way."""
        for path in (
            "/v2/consumers/x",
            "/v2/fulfillments/x",
            "/v2/orders/x/fulfillments",
            "/_sim/orders/x/history",
        ):
            _error(await api.get(path), 404, "not_found")

    async def test_unknown_uuid(self, api: Api) -> None:
        """A well-formed id that names nothing is a 404."""
        _error(await api.get(f"/v2/orders/{UNKNOWN_UUID}"), 404, "not_found")
        response = await api.get(f"/v2/orders/by-client-order-id/{UNKNOWN_UUID}")
        _error(response, 404, "not_found")


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=12,
)
_FIELDS = st.sampled_from(
    ["status", "note", "shipping_address", "consumer", "order_lines", "email", "total", "x"]
)


class TestNoInputGivesA500:
    """Property: whatever a client sends, the answer is a 2xx or a 4xx."""

    @settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(
        method_path=st.sampled_from(
            [
                ("POST", "/v2/orders"),
                ("PUT", "/v2/orders/{id}"),
                ("POST", "/v2/consumers"),
                ("POST", "/v2/authentication/token"),
                ("POST", "/v2/authentication/refresh-token"),
                ("POST", "/_sim/clock/advance"),
                ("POST", "/_sim/clock"),
                ("POST", "/_sim/orders/{id}/events"),
            ]
        ),
        body=st.one_of(_JSON, st.dictionaries(_FIELDS, _JSON, max_size=4)),
    )
    async def test_any_json_body(
        self, api: Api, method_path: tuple[str, str], body: object
    ) -> None:
        """Any JSON body on any write route is answered below 500 (the Api checks it)."""
        order = await api.create_order()
        method, path = method_path
        response = await api.request(method, path.format(id=order["id"]), json=body)
        assert response.status_code < 500

    @settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(
        params=st.lists(
            st.tuples(
                st.sampled_from(
                    ["limit", "cursor", "filter[status]", "filter[created_at][gte]", "filter[x]"]
                ),
                st.text(max_size=12),
            ),
            max_size=3,
        )
    )
    async def test_any_query(self, api: Api, params: list[tuple[str, str]]) -> None:
        """Any query string on the order list is answered below 500."""
        response = await api.get("/v2/orders", params=params)
        assert response.status_code < 500

    @settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(raw=st.binary(max_size=64))
    async def test_any_bytes(self, api: Api, raw: bytes) -> None:
        """Any bytes declared as JSON are answered below 500."""
        response = await api.post("/v2/consumers", content=raw, headers=JSON_HEADERS)
        assert response.status_code < 500
