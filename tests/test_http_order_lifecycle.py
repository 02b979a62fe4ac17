"""Order documents over a real socket: the null rule, lifecycle fields, and the routes beside them.

Every response is checked against the server's own OpenAPI document; order documents also
against the provider's Order schema with `nullable` honoured (no null where it says none).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_http_support import EMAIL, PASSWORD, PROVIDER_SCHEMAS, UNKNOWN_UUID, response_problems

from lifecycle._models import NULL_RULE, Absent
from lifecycle._table import Event
from simulator import Simulator
from simulator._order_lifecycle import EVENT_SETS
from simulator._server import LiveServer

START = "2026-03-02T17:00:00Z"
"""Monday 09:00 Pacific; the next batch is 2026-03-03T08:00:00Z (Tuesday 00:00 Pacific)."""
BATCH = "2026-03-03T08:00:00Z"
OTHER = ("other@example.com", "secret")
CONFORMANCE = Path(__file__).parent.parent / "docs" / "conformance.md"


class Client:
    """A logged-in client of a live server that checks every response against the contract."""

    def __init__(self, server: LiveServer, email: str = EMAIL, password: str = PASSWORD) -> None:
        """Log in over the socket."""
        self.http = httpx.Client(base_url=server.url, timeout=30)
        self.credentials = {"email": email, "password": password}
        self.login()

    def login(self) -> None:
        """Get a fresh access token (one lasts a simulated day)."""
        token = self.http.post("/v2/authentication/token", json=self.credentials).json()
        self.http.headers["Authorization"] = f"Bearer {token['access_token']}"

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send a request; its answer must be what the OpenAPI document says, never a 500."""
        response = self.http.request(method, path, **kwargs)
        assert response.status_code != 500, response.text
        template_path = path.split("?", maxsplit=1)[0]
        problems = response_problems(method, template_path, response.status_code, response.content)
        assert problems == [], (path, problems)
        return response

    def get(self, path: str, **kwargs: Any) -> Any:
        """GET a path that must answer 200; its decoded body."""
        response = self.call("GET", path, **kwargs)
        assert response.status_code == 200, response.text
        return response.json()

    def create(self, **fields: Any) -> dict[str, Any]:
        """Create an order with the first product, plus `fields`."""
        product = self.get("/v2/products")["products"][0]["id"]
        body = {
            "consumer": {"first_name": "Ada", "last_name": "Lovelace"},
            "shipping_address": {
                "address1": "500 Howard Street",
                "city": "San Francisco",
                "province_code": "CA",
                "postal_code": "94105",
                "country_name": "United States",
            },
            "order_lines": [
                {"pouches": [{"contents": [{"client_product_id": product}]}]},
            ],
            **fields,
        }
        response = self.call("POST", "/v2/orders", json=body)
        assert response.status_code == 201, response.text
        order: dict[str, Any] = response.json()["order"]
        return order

    def advance(self, to: str) -> None:
        """Move the simulated clock (the control API needs no token on loopback)."""
        response = self.http.post("/_sim/clock/advance", json={"to": to})
        assert response.status_code == 200, response.text
        self.login()


class Connect:
    """Opens logged-in clients of one live server, and closes them all at the end."""

    def __init__(self, server: LiveServer) -> None:
        """Serve clients of `server`."""
        self.server = server
        self.opened: list[Client] = []

    def __call__(self, email: str = EMAIL, password: str = PASSWORD) -> Client:
        """A new logged-in client."""
        client = Client(self.server, email, password)
        self.opened.append(client)
        return client


@pytest.fixture
def server() -> Iterator[Connect]:
    """Clients of a frozen simulator with two accounts at `START`, on a real socket."""
    world = Simulator(start=START, clients=[(EMAIL, PASSWORD), OTHER])
    try:
        with LiveServer(world) as live:
            connect = Connect(live)
            try:
                yield connect
            finally:
                for client in connect.opened:
                    client.http.close()
    finally:
        world.close()


def null_problems(value: object, schema: dict[str, Any], path: str = "$") -> list[str]:
    """Where a document has null that the provider's schema does not allow."""
    if value is None:
        return [] if schema.get("nullable") else [f"{path}: null"]
    problems: list[str] = []
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for key, item in value.items():
            if key in properties:
                problems += null_problems(item, properties[key], f"{path}.{key}")
    elif isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            problems += null_problems(item, schema["items"], f"{path}[{index}]")
    return problems


def lines_of(order: dict[str, Any]) -> list[dict[str, Any]]:
    """The order's lines."""
    lines: list[dict[str, Any]] = order["order_lines"]
    return lines


class TestNullRule:
    """An order document has null only where the provider's schema is nullable."""

    def test_a_new_order_has_no_forbidden_null(self, server: Connect) -> None:
        """A sparse create comes back with realistic values or keys left out, never a bad null."""
        client = server()
        order = client.create()
        for body in (order, client.get(f"/v2/orders/{order['id']}")["order"]):
            assert null_problems(body, PROVIDER_SCHEMAS["Order"]) == []
            assert "note" not in body
            assert "batch_id" not in body
            assert "submission_date" not in body
            assert body["billing_status"] == "Pending"
            (line,) = lines_of(body)
            assert line["discount_amount"] == 0.0
            assert line["status"] is None
            assert line["pouches"][0]["cycle"] == "daily"
            assert body["shipping_address"]["province_name"] == "California"

    def test_a_field_sent_comes_back_as_sent(self, server: Connect) -> None:
        """Optional fields the client sends are echoed; a null sent clears to the rule."""
        client = server()
        order = client.create(note="leave at door", email="ada@example.com")
        assert order["note"] == "leave at door"
        assert order["email"] == "ada@example.com"
        response = client.call("PUT", f"/v2/orders/{order['id']}", json={"note": None})
        assert response.status_code == 200, response.text
        assert "note" not in response.json()["order"]

    def test_every_order_field_has_a_rule(self) -> None:
        """The null rule names every optional field of an order's parts, and nothing else."""
        schema = PROVIDER_SCHEMAS["Order"]
        optional = set(schema["properties"]) - set(schema["required"])
        # A status is Pending by default, and the lines are a list: neither is ever absent.
        assert set(NULL_RULE["Order"]) == optional - {"status", "order_lines"}
        for rules in NULL_RULE.values():
            for rule in rules.values():
                assert rule.why
                assert not isinstance(rule.value, Absent) or rule.value in Absent


class TestLifecycleFields:
    """Batch, billing and line fields change at the events that set them."""

    def test_the_batch_sets_its_fields(self, server: Connect) -> None:
        """After the batch: batch ids, Submitted billing, line status, date and batch."""
        client = server()
        order = client.create()
        client.advance(BATCH)
        read = client.get(f"/v2/orders/{order['id']}")["order"]
        assert read["status"] == "Accepted"
        assert read["batch_ids"] == read["batch_id"]
        assert read["billing_status"] == "Submitted"
        assert read["submission_date"] == BATCH
        (line,) = lines_of(read)
        assert line["status"] == "Accepted"
        assert line["order_acceptance_date"] == "2026-03-03"
        assert line["batch_id"] == read["batch_id"]
        assert null_problems(read, PROVIDER_SCHEMAS["Order"]) == []
        listed = client.get("/v2/orders")["orders"]
        assert listed == [read]

    def test_shipping_sets_the_fulfillment_and_completes_billing(self, server: Connect) -> None:
        """Once shipped, each line names the fulfillment and billing is Completed."""
        client = server()
        order = client.create()
        client.advance("2026-03-20T08:00:00Z")
        read = client.get(f"/v2/orders/{order['id']}")["order"]
        assert read["status"] == "Delivered"
        (fulfillment,) = client.get(f"/v2/orders/{order['id']}/fulfillments")["fulfillments"]
        assert {line["fulfillment_id"] for line in lines_of(read)} == {fulfillment["id"]}
        assert {line["status"] for line in lines_of(read)} == {"Delivered"}
        assert read["billing_status"] == "Completed"

    def test_a_fulfillment_id_sent_is_kept_until_shipping(self, server: Connect) -> None:
        """A line's fulfillment_id comes back as sent, and is the real one once shipped."""
        client = server()
        product = client.get("/v2/products")["products"][0]["id"]
        line = {
            "fulfillment_id": UNKNOWN_UUID,
            "pouches": [{"contents": [{"client_product_id": product}]}],
        }
        order = client.create(order_lines=[line])
        assert lines_of(order)[0]["fulfillment_id"] == UNKNOWN_UUID
        client.advance("2026-03-20T08:00:00Z")
        read = client.get(f"/v2/orders/{order['id']}")["order"]
        (fulfillment,) = client.get(f"/v2/orders/{order['id']}/fulfillments")["fulfillments"]
        assert lines_of(read)[0]["fulfillment_id"] == fulfillment["id"]
        assert client.get("/v2/orders")["orders"] == [read]

    def test_event_table_covers_the_transition_table(self) -> None:
        """Every event of the table says what it sets; the batch sets the batch fields."""
        assert {"batch_id", "batch_ids", "billing_status"} <= set(EVENT_SETS[Event.ACCEPT])
        assert "order_lines[].fulfillment_id" in EVENT_SETS[Event.SHIP]
        assert EVENT_SETS[Event.DELIVER]["order_lines[].status"].startswith("Delivered")


class TestBatches:
    """`/v2/batches`: the nights that accepted the client's orders, in the provider's shape."""

    def test_list_count_and_get(self, server: Connect) -> None:
        """The batch that accepted an order is listed, counted and read by id."""
        client = server()
        order = client.create()
        assert client.get("/v2/batches") == {"batches": [], "next_cursor": None}
        client.advance(BATCH)
        batch_id = client.get(f"/v2/orders/{order['id']}")["order"]["batch_id"]
        (batch,) = client.get("/v2/batches")["batches"]
        assert batch["id"] == batch_id
        assert batch["batch_status"] == "New"
        assert batch["created_at"] == BATCH
        assert client.get("/v2/batches/count") == {"count": 1}
        assert client.get(f"/v2/batches/{batch_id}")["batch"] == batch
        client.advance("2026-03-03T20:00:00Z")  # past the first business tick: planned
        assert client.get(f"/v2/batches/{batch_id}")["batch"]["batch_status"] == "Billed"
        assert client.get("/v2/batches/count", params={"q": "batch_status:New"}) == {"count": 0}

    def test_q_words_search_the_name(self, server: Connect) -> None:
        """A bare word of q looks in the batch's name, in any case; another client's id none."""
        client = server()
        client.create()
        client.advance(BATCH)
        assert client.get("/v2/batches/count", params={"q": "bt-1000"}) == {"count": 1}
        assert client.get("/v2/batches/count", params={"q": "BT-2"}) == {"count": 0}
        foreign = client.get("/v2/batches", params={"q": f"client_id:{UNKNOWN_UUID}"})
        assert foreign["batches"] == []

    def test_another_clients_batch_is_not_found(self, server: Connect) -> None:
        """A batch that accepted none of a client's orders is a 404 and is not listed."""
        client, other = server(), server(*OTHER)
        client.create()
        client.advance(BATCH)
        (batch,) = client.get("/v2/batches")["batches"]
        assert other.get("/v2/batches")["batches"] == []
        assert other.call("GET", f"/v2/batches/{batch['id']}").status_code == 404

    def test_paging_and_sort(self, server: Connect) -> None:
        """Two nights page one at a time, oldest first or newest first, none skipped."""
        client = server()
        client.create()
        client.advance(BATCH)
        client.create()
        client.advance("2026-03-04T08:00:00Z")
        for sort, expected in (("created_at", [BATCH]), ("-created_at", ["2026-03-04T08:00:00Z"])):
            first = client.get("/v2/batches", params={"limit": 1, "sort_by": sort})
            assert [b["created_at"] for b in first["batches"]] == expected
            second = client.get(
                "/v2/batches", params={"limit": 1, "sort_by": sort, "cursor": first["next_cursor"]}
            )
            assert len(second["batches"]) == 1
            assert second["next_cursor"] is None
            assert second["batches"][0]["created_at"] not in expected

    def test_bad_parameters_are_400s(self, server: Connect) -> None:
        """A bad sort, q, filter or cursor is a 400 naming it."""
        client = server()
        for params in (
            {"sort_by": "total"},
            {"q": 'name:"open'},
            {"q": "colour:red"},
            {"filter[colour]": "red"},
            {"cursor": "abc"},
        ):
            response = client.call("GET", "/v2/batches", params=params)
            assert response.status_code == 400, params


class TestStatusesLinesAndLogs:
    """`/v2/statuses`, `/v2/order-lines/{id}` and `/v2/order-transaction-logs/{id}`."""

    def test_statuses(self, server: Connect) -> None:
        """Every status, numbered; `q` narrows them."""
        client = server()
        statuses = client.get("/v2/statuses")["statuses"]
        assert [s["name"] for s in statuses][:3] == ["Pending", "On Hold", "Accepted"]
        assert client.get("/v2/statuses", params={"q": 'name:"On Hold"'})["statuses"] == [
            statuses[1]
        ]
        words = client.get("/v2/statuses", params={"q": "canceled"})["statuses"]
        assert {s["name"] for s in words} == {"Canceled by Client", "Canceled by OKC"}

    def test_an_order_line_by_id(self, server: Connect) -> None:
        """A line reads back by its id, as its order shows it; another client gets a 404."""
        client = server()
        order = client.create()
        client.advance(BATCH)
        (line,) = lines_of(client.get(f"/v2/orders/{order['id']}")["order"])
        assert client.get(f"/v2/order-lines/{line['id']}")["order_line"] == line
        assert server(*OTHER).call("GET", f"/v2/order-lines/{line['id']}").status_code == 404
        assert client.call("GET", f"/v2/order-lines/{UNKNOWN_UUID}").status_code == 404

    def test_a_line_added_by_an_update_reads_back(self, server: Connect) -> None:
        """A line an update adds gets an id of its own that reads back."""
        client = server()
        order = client.create()
        lines = [{"pouches": [{"pack_id": UNKNOWN_UUID}]}]  # lines not sent stay as they are
        response = client.call("PUT", f"/v2/orders/{order['id']}", json={"order_lines": lines})
        assert response.status_code == 200, response.text
        new = lines_of(response.json()["order"])[1]
        assert new["id"] != order["order_lines"][0]["id"]
        assert client.get(f"/v2/order-lines/{new['id']}")["order_line"] == new

    def test_the_log_list_takes_q(self, server: Connect) -> None:
        """The q parameter names the order and narrows the rows; naming no order is a 400."""
        client = server()
        order = client.create(note="first")
        client.call("PUT", f"/v2/orders/{order['id']}", json={"note": "second"})
        url = "/v2/order-transaction-logs"
        rows = client.get(url, params={"q": f"entity_id:{order['id']} column_name:note"})
        assert [(r["old_data"], r["new_data"]) for r in rows["transactions"]] == [
            ("first", "second")
        ]
        response = client.call("GET", url, params={"q": "column_name:note"})
        assert response.status_code == 400
        assert "filter[entity_id]" in response.json()["message"]

    def test_a_log_row_by_id(self, server: Connect) -> None:
        """A transaction-log row reads back by its id, in the provider's shape."""
        client = server()
        order = client.create()
        (row,) = client.get(
            "/v2/order-transaction-logs", params={"filter[entity_id]": order["id"]}
        )["transactions"]
        assert client.get(f"/v2/order-transaction-logs/{row['id']}")["transaction"] == row
        assert row["old_data"] == ""
        assert null_problems(row, PROVIDER_SCHEMAS["OrderTransactionLogs"]) == []
        other = server(*OTHER)
        assert other.call("GET", f"/v2/order-transaction-logs/{row['id']}").status_code == 404


class TestOrderListParameters:
    """`sort_by`, `q` and the provider's filter fields on `/v2/orders` and its count."""

    def test_filters_by_state_billing_and_submission(self, server: Connect) -> None:
        """state, billing_status, submission_date and crm_id filter as documented."""
        client = server()
        first = client.create()
        client.advance(BATCH)
        second = client.create()

        def ids(**params: str) -> list[str]:
            return [o["id"] for o in client.get("/v2/orders", params=params)["orders"]]

        assert ids(**{"filter[state]": "Submitted"}) == [first["id"]]
        assert ids(**{"filter[state]": "New"}) == [second["id"]]
        assert ids(**{"filter[billing_status]": "Pending"}) == [second["id"]]
        assert ids(**{"filter[submission_date][gte]": BATCH}) == [first["id"]]
        assert ids(**{"filter[crm_id]": "x"}) == []
        count = client.get("/v2/orders/count", params={"q": "billing_status:Submitted"})
        assert count == {"count": 1}

    @pytest.mark.parametrize(
        "params",
        [
            {"filter[billing_status]": "Pending"},
            {"filter[state]": "New"},
            {"q": "billing_status:Pending"},
            {"filter[billing_status]": "Pending", "sort_by": "-created_at"},
        ],
    )
    def test_paging_skips_none_while_the_batch_runs(
        self, server: Connect, params: dict[str, str]
    ) -> None:
        """Orders that matched on the first page are listed though the batch changes them."""
        client = server()
        made = [client.create()["id"] for _ in range(3)]
        first = client.get("/v2/orders", params={**params, "limit": 1})
        client.advance(BATCH)  # every order is Accepted and Submitted now
        later = client.get("/v2/orders", params={**params, "cursor": first["next_cursor"]})
        listed = [o["id"] for o in first["orders"] + later["orders"]]
        assert sorted(listed) == sorted(made)
        assert {o["billing_status"] for o in later["orders"]} == {"Submitted"}

    def test_submission_date_ranges_count_accepted_orders(self, server: Connect) -> None:
        """Only orders a batch accepted have a submission_date for a range to match."""
        client = server()
        client.create()
        client.advance(BATCH)
        client.create()
        client.create()
        params = {"filter[submission_date][gte]": "2026-01-01T00:00:00Z", "limit": "1"}
        first = client.get("/v2/orders", params=params)
        assert first["next_cursor"] is None  # only the first order was submitted then
        client.advance("2026-03-04T08:00:00Z")
        assert client.get("/v2/orders/count", params={"filter[submission_date][gte]": BATCH}) == {
            "count": 3
        }

    def test_sort_and_q(self, server: Connect) -> None:
        """-created_at lists newest first across pages; q narrows by field:value."""
        client = server()
        made = [client.create(client_custom_order_id=f"c-{n}")["id"] for n in range(3)]
        seen: list[str] = []
        cursor = None
        for _ in range(5):
            params: dict[str, Any] = {"limit": 2, "sort_by": "-created_at"}
            if cursor is not None:
                params["cursor"] = cursor
            page = client.get("/v2/orders", params=params)
            seen += [o["id"] for o in page["orders"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == made[::-1]
        found = client.get("/v2/orders", params={"q": "client_custom_order_id:c-1"})["orders"]
        assert [o["id"] for o in found] == [made[1]]
        ascending = client.get("/v2/orders", params={"sort_by": "name:asc"})["orders"]
        assert [o["id"] for o in ascending] == made

    def test_q_words_and_client(self, server: Connect) -> None:
        """Words search name and custom id in any case; client_id of another client lists none."""
        client = server()
        made = [client.create(client_custom_order_id=f"Shop-{n}")["id"] for n in range(2)]
        found = client.get("/v2/orders", params={"q": "shop-1"})["orders"]
        assert [o["id"] for o in found] == [made[1]]
        assert client.get("/v2/orders/count", params={"q": '"SHOP-"'}) == {"count": 2}
        own = client.get(f"/v2/orders/{made[0]}")["order"]["client_id"]
        assert client.get("/v2/orders/count", params={"q": f"client_id:{own} shop"}) == {"count": 2}
        foreign = client.get("/v2/orders", params={"q": f"client_id:{UNKNOWN_UUID}"})
        assert foreign["orders"] == []

    def test_bad_sort_or_q_is_a_400(self, server: Connect) -> None:
        """A sort no field has, or a q beyond the subset, is a 400 naming the parameter."""
        client = server()
        for params in ({"sort_by": "total"}, {"q": "status:"}, {"q": "total:3"}):
            response = client.call("GET", "/v2/orders", params=params)
            assert response.status_code == 400, params
            assert next(iter(params)) in response.json()["message"]

    def test_q_on_an_order_names_only_the_own_client(self, server: Connect) -> None:
        """On GET by id, q of the own client reads as usual, of another a 404, else a 400."""
        client = server()
        order = client.create()
        own = client.get("/v2/authentication/user")["client_id"]
        path = f"/v2/orders/{order['id']}"
        read = client.get(path, params={"q": f"client_id:{own}"})
        assert read["order"]["id"] == order["id"]
        other = "0" * 8 + "-0000-4000-8000-" + "0" * 12
        assert client.call("GET", path, params={"q": f"client_id:{other}"}).status_code == 404
        refused = client.call("GET", path, params={"q": "status:Pending"})
        assert refused.status_code == 400
        assert "q" in refused.json()["message"]


_PATHS = {
    "Order": "",
    "ShippingAddress": "shipping_address.",
    "Consumer": "consumer.",
    "OrderLine": "order_lines[].",
    "Pouch": "order_lines[].pouches[].",
    "PouchContent": "order_lines[].pouches[].contents[].",
}


def null_rule_table() -> str:
    """The null rule as docs/conformance.md shows it, from `NULL_RULE`."""
    rows = ["| Field | Without a value | Why |", "| --- | --- | --- |"]
    for kind, prefix in _PATHS.items():
        for field, rule in NULL_RULE[kind].items():
            value = rule.value.value if isinstance(rule.value, Absent) else json.dumps(rule.value)
            rows.append(f"| `{prefix}{field}` | {value} | {rule.why} |")
    return "\n".join(rows)


def event_table() -> str:
    """What each event sets, as docs/conformance.md shows it, from `EVENT_SETS`."""
    rows = ["| Event | Field | Set to |", "| --- | --- | --- |"]
    for event, sets in EVENT_SETS.items():
        rows += [f"| `{event.value}` | `{field}` | {value} |" for field, value in sets.items()]
    return "\n".join(rows)


class TestConformancePage:
    """docs/conformance.md shows the tables the code holds."""

    def test_null_rule_table(self) -> None:
        """The null-rule section's table is `NULL_RULE`, row for row."""
        assert null_rule_table() in CONFORMANCE.read_text(encoding="utf-8")

    def test_event_table(self) -> None:
        """The what-each-event-sets section's table is `EVENT_SETS`, row for row."""
        assert event_table() in CONFORMANCE.read_text(encoding="utf-8")


class TestOperatorAccepts:
    """An operator's accept is a batch too; an order accepted twice lists both batches."""

    def test_forced_accept_and_a_second_night(self, server: Connect) -> None:
        """Forced accept, OKC hold and release, the next night: two batches, oldest first."""
        client = server()
        order = client.create()
        events = f"/_sim/orders/{order['id']}/events"
        for event in ("accept", "hold", "release"):
            response = client.http.post(events, json={"event": event})
            assert response.status_code == 200, response.text
        client.advance(BATCH)
        read = client.get(f"/v2/orders/{order['id']}")["order"]
        batches = client.get("/v2/batches")["batches"]
        assert [b["id"] for b in batches] == read["batch_ids"].split(",")
        assert read["batch_id"] == batches[-1]["id"]
        assert [b["name"] for b in batches] == ["BT-10001", "BT-10002"]
        assert batches[0]["batch_status"] == "Billed"  # planned with the forced move itself
