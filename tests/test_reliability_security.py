"""Attacks from outside, on a real server over a real socket: each test's first case is the attack.

Tokens that could be computed or carried over a restart, forged cursors, cross-site and
DNS-rebinding requests, and odd numbers that once answered 500 (issue 13). The table in
docs/reliability.md names these tests.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import socket
import subprocess
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from reliability_support import WAIT_SECONDS, cli_env, drain, order_body, start_serve, stop
from test_http_support import (
    EMAIL,
    JSON_TYPE,
    OTHER_EMAIL,
    OTHER_PASSWORD,
    PASSWORD,
    START,
    new_sim,
)

from simulator import Simulator, Unauthorized
from simulator._paging import CursorCodec
from simulator._server import LiveServer
from simulator._simulator import ClientAccount
from simulator._tokens import TokenIssuer
from simulator.http._gate import Gate, check_host_name, host_name

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@contextlib.contextmanager
def served(sim: Simulator, **app_kwargs: Any) -> Iterator[httpx.Client]:
    """A client of `sim` served by a live server on 127.0.0.1 (rate limiting off)."""
    app_kwargs.setdefault("rate_limit", None)
    with (
        LiveServer(sim, **app_kwargs) as server,
        httpx.Client(base_url=server.url, timeout=WAIT_SECONDS) as client,
    ):
        yield client


def login(client: httpx.Client, email: str = EMAIL, password: str = PASSWORD) -> dict[str, Any]:
    """The token response of a login over HTTP."""
    response = client.post("/v2/authentication/token", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


def bearer(token: str) -> dict[str, str]:
    """The Authorization header of an access token."""
    return {"Authorization": f"Bearer {token}"}


def create_order(client: httpx.Client, token: str) -> str:
    """A new order of the token's client, over HTTP; its id."""
    product = client.get("/v2/products", headers=bearer(token)).json()["products"][0]["id"]
    response = client.post("/v2/orders", json=order_body(product), headers=bearer(token))
    assert response.status_code == 201, response.text
    order_id: str = response.json()["order"]["id"]
    return order_id


def refresh(client: httpx.Client, token: str) -> httpx.Response:
    """POST /v2/authentication/refresh-token."""
    return client.post("/v2/authentication/refresh-token", json={"refresh_token": token})


@contextlib.contextmanager
def cli_server(*args: str) -> Iterator[str]:
    """`okc-sim serve ARGS` on a free port with a frozen clock, quiet; its URL."""
    process, url = start_serve("--port", "0", "--clock", "frozen", "--log-level", "warning", *args)
    drain(process)
    try:
        yield url
    finally:
        stop(process)


def b64(data: bytes) -> str:
    """base64url without padding, as in a JWT."""
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def claims_of(token: str) -> dict[str, Any]:
    """The payload of a JWT-shaped token (not verified)."""
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


def assert_refused(response: httpx.Response, status: int, code: str, *words: str) -> None:
    """The response is an error of the provider's shape, with this status, code and words."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"]["errorCode"] == code
    assert body["message"] == body["error"]["message"]
    for word in words:
        assert word in body["message"]


def raw_request(url: str, request: bytes) -> bytes:
    """Send raw bytes to a server at `url` and read the whole answer (the server closes)."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=WAIT_SECONDS) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


class TestTokens:
    """Tokens are JWT-shaped, signed with a key drawn at each start, and bound to their client."""

    def test_token_cannot_be_computed_from_the_seed(self) -> None:
        """A token computed the old way (from seed, epoch, number) is a 401; real ones are JWTs."""
        sim = new_sim()
        with served(sim) as client:
            issued = login(client)
            for number in range(1, 4):
                digest = hashlib.sha256(f"0:0:{number}:access".encode()).hexdigest()
                response = client.get("/v2/products", headers=bearer("sim_at_" + digest))
                assert_refused(response, 401, "unauthorized", "not valid")
            header, _, _ = issued["access_token"].split(".")
            assert json.loads(base64.urlsafe_b64decode(header + "==")) == {
                "alg": "HS256",
                "typ": "JWT",
            }
            claims = claims_of(issued["access_token"])
            sim_start = int(datetime.fromisoformat(START).timestamp())
            assert claims["sub"] == sim.client_id(EMAIL)
            assert (claims["typ"], claims["iat"], claims["exp"]) == (
                "access",
                sim_start,
                sim_start + 86_400,
            )
            assert claims_of(issued["refresh_token"])["typ"] == "refresh"
            assert (
                len({claims_of(issued[k])["jti"] for k in ("access_token", "refresh_token")}) == 2
            )

    def test_same_seed_same_world_other_tokens(self) -> None:
        """Two servers with one seed give the same order ids and histories, other tokens."""
        seen = []
        for _ in range(2):
            with served(new_sim(seed=7)) as client:
                tokens = login(client)
                order_id = create_order(client, tokens["access_token"])
                history = client.get(f"/_sim/orders/{order_id}/history").json()
                seen.append((order_id, history, tokens))
        (first_id, first_history, first), (second_id, second_history, second) = seen
        assert (first_id, first_history) == (second_id, second_history)
        for kind in ("access_token", "refresh_token", "id_token"):
            assert first[kind] != second[kind]

    def test_token_from_before_a_restart_is_refused(self) -> None:
        """An in-memory server restarted with the same seed refuses the tokens of the first."""
        with served(new_sim()) as client:
            old = login(client)
        with served(new_sim()) as client:
            login(client, OTHER_EMAIL, OTHER_PASSWORD)  # whoever logs in first gets nothing old
            response = client.get("/v2/orders", headers=bearer(old["access_token"]))
            assert_refused(response, 401, "unauthorized", "restart")
            assert_refused(refresh(client, old["refresh_token"]), 401, "unauthorized", "restart")

    def test_tokens_do_not_survive_a_db_restart(self, tmp_path: Path) -> None:
        """With --db the world stays but the tokens die: log in again after a restart."""
        db = tmp_path / "world.sqlite"
        first = new_sim(db=db)
        with served(first) as client:
            old = login(client)
            order_id = create_order(client, old["access_token"])
        first.close()  # one server per --db file
        with served(new_sim(db=db)) as client:
            response = client.get(f"/v2/orders/{order_id}", headers=bearer(old["access_token"]))
            assert_refused(response, 401, "unauthorized")
            assert_refused(refresh(client, old["refresh_token"]), 401, "unauthorized")
            fresh = login(client)["access_token"]
            assert client.get(f"/v2/orders/{order_id}", headers=bearer(fresh)).status_code == 200

    def test_refresh_token_is_single_use(self) -> None:
        """A used refresh token is a 401, and presenting it again ends the newer one too."""
        with served(new_sim()) as client:
            first = login(client)
            rotated = refresh(client, first["refresh_token"])
            assert rotated.status_code == 200
            newer = rotated.json()
            assert newer["refresh_token"] != first["refresh_token"]
            assert client.get("/v2/products", headers=bearer(newer["access_token"])).is_success
            assert_refused(refresh(client, first["refresh_token"]), 401, "unauthorized", "used")
            assert_refused(refresh(client, newer["refresh_token"]), 401, "unauthorized", "used")

    def test_kinds_do_not_mix(self) -> None:
        """An access or id token is no refresh token, and a refresh token is no access token."""
        with served(new_sim()) as client:
            tokens = login(client)
            for kind in ("access_token", "id_token"):
                assert_refused(refresh(client, tokens[kind]), 401, "unauthorized", "not a refresh")
            response = client.get("/v2/products", headers=bearer(tokens["refresh_token"]))
            assert_refused(response, 401, "unauthorized", "not an access")

    def test_refresh_token_is_bound_to_its_client(self) -> None:
        """A refresh token re-signed for another client is refused; a real one serves its own."""
        sim = new_sim()
        with served(sim) as client:
            tokens = login(client)
            header, _, signature = tokens["refresh_token"].split(".")
            claims = claims_of(tokens["refresh_token"])
            other = sim.client_id(OTHER_EMAIL)
            forged = f"{header}.{b64(json.dumps({**claims, 'sub': other}).encode())}.{signature}"
            assert_refused(refresh(client, forged), 401, "unauthorized", "not valid")
            renewed = refresh(client, tokens["refresh_token"]).json()
            assert claims_of(renewed["access_token"])["sub"] == sim.client_id(EMAIL)

    def test_forged_tokens_are_401s(self) -> None:
        """Alg none, another key, or garbage signed with the right key: a 401, never a 500."""
        sim = new_sim()
        with served(sim) as client:
            real = login(client)["access_token"]
            header, payload, _ = real.split(".")
            none_header = b64(b'{"alg":"none","typ":"JWT"}')
            other_key = TokenIssuer(sim.clients, key=b"k" * 32).issue(sim.client_id(), 0)
            issuer = sim._world.tokens

            def signed(body: bytes) -> str:
                text = f"{header}.{b64(body)}"
                return f"{text}.{issuer._mac(text)}"

            forgeries = [
                f"{none_header}.{payload}.",
                f"{none_header}.{payload}.{real.split('.')[2]}",
                other_key["access_token"],
                real[:-2] + ("AA" if not real.endswith("AA") else "BB"),
                signed(b"not json"),
                signed(b"\xff\xfe"),
                signed(b"[1, 2]"),
                signed(json.dumps({**claims_of(real), "exp": 10**30}).encode()),
                signed(json.dumps({**claims_of(real), "exp": "never"}).encode()),
                signed(json.dumps({**claims_of(real), "sub": 5}).encode()),
                signed(b"[" * 2000),
                "x" * 5000,
            ]
            for forged in forgeries:
                response = client.get("/v2/products", headers=bearer(forged))
                assert_refused(response, 401, "unauthorized")

    def test_expiry_runs_on_the_simulated_clock(self) -> None:
        """An access token works until 24 simulated hours have passed, then is a 401."""
        sim = new_sim()
        with served(sim) as client:
            token = login(client)["access_token"]
            sim.advance(seconds=86_399)
            assert client.get("/v2/products", headers=bearer(token)).status_code == 200
            sim.advance(seconds=1)
            response = client.get("/v2/products", headers=bearer(token))
            assert_refused(response, 401, "unauthorized", "expired")

    def test_reset_and_restore_forget_tokens(self, tmp_path: Path) -> None:
        """After POST /_sim/reset, or a restore, earlier tokens are 401s, even ones cached."""
        sim = new_sim()
        snapshot = tmp_path / "snap.sqlite"
        sim.snapshot(snapshot)
        with served(sim) as client:
            token = login(client)["access_token"]
            assert client.get("/v2/products", headers=bearer(token)).status_code == 200
            assert client.post("/_sim/reset", headers=JSON_TYPE).status_code == 204
            assert_refused(client.get("/v2/products", headers=bearer(token)), 401, "unauthorized")
            token = login(client)["access_token"]
            assert client.get("/v2/products", headers=bearer(token)).status_code == 200
            sim.restore(snapshot)
            assert_refused(client.get("/v2/products", headers=bearer(token)), 401, "unauthorized")

    def test_served_world_swapped_like_the_pytest_plugin(self) -> None:
        """okc_live swaps each test's simulator in: a token of the last test's world is a 401."""
        first = new_sim()
        with (
            LiveServer(first, rate_limit=None) as server,
            httpx.Client(base_url=server.url) as client,
        ):
            token = login(client)["access_token"]
            server.serve(new_sim(clients=[(EMAIL, "another password")]))
            assert_refused(client.get("/v2/orders", headers=bearer(token)), 401, "unauthorized")


class TestClientChanges:
    """A password change or a removal ends a client's tokens: 401, never 404 "No client"."""

    def test_password_change_and_removal_over_db_restarts(self, tmp_path: Path) -> None:
        """okc-sim serve --db restarted with another --client list refuses the old tokens."""
        db = str(tmp_path / "world.sqlite")
        tokens = self._tokens_of_first_run(db)
        for clients in (
            ["--client", f"{EMAIL}:changed"],  # the password changed
            ["--client", f"{OTHER_EMAIL}:{OTHER_PASSWORD}"],  # the client is gone
        ):
            with cli_server("--db", db, *clients) as url:
                response = httpx.get(f"{url}/v2/orders", headers=bearer(tokens["access_token"]))
                assert_refused(response, 401, "unauthorized")
                response = httpx.post(
                    f"{url}/v2/authentication/refresh-token",
                    json={"refresh_token": tokens["refresh_token"]},
                )
                assert_refused(response, 401, "unauthorized")

    @staticmethod
    def _tokens_of_first_run(db: str) -> dict[str, Any]:
        with cli_server("--db", db) as url:
            response = httpx.post(
                f"{url}/v2/authentication/token", json={"email": EMAIL, "password": "sandbox"}
            )
        assert response.status_code == 200, response.text
        tokens: dict[str, Any] = response.json()
        return tokens

    def test_credentials_are_part_of_the_signature(self) -> None:
        """Even under the same key, a token dies with its client's password or removal."""
        key = b"k" * 32
        alice = ClientAccount("id-1", EMAIL, PASSWORD)
        token = TokenIssuer([alice], key=key).issue(alice.id, 0)["access_token"]
        assert TokenIssuer([alice], key=key).authorize(token, 0) == alice.id
        changed = ClientAccount("id-1", EMAIL, "new password")
        for clients in ([changed], [ClientAccount("id-2", OTHER_EMAIL, OTHER_PASSWORD)]):
            with pytest.raises(Unauthorized, match="gone or whose password changed"):
                TokenIssuer(clients, key=key).authorize(token, 0)


def _cursor_cases(codec: CursorCodec, client_id: str, fingerprint: str) -> dict[str, str]:
    """Name -> a damaged or forged cursor; the signed ones use the world's own key."""

    def signed(fields: object) -> str:
        return codec.seal(json.dumps(fields).encode())

    good = ["orders", client_id, fingerprint, 1, 5, 2]
    return {
        "not_base64": "!!!not a cursor!!!",
        "non_ascii": "é" * 10,
        "one_character": "a",
        "empty_after_decoding": "AAAA",
        "huge": "A" * 5000,
        "wrong_signature": signed(good)[:-3] + "AAA",
        "not_json": codec.seal(b"\x00garbage"),
        "not_utf8": codec.seal(b"\xff\xfe\xfd"),
        "deep_json": codec.seal(b"[" * 300),
        "not_a_list": signed({"after": 1}),
        "short_list": signed(good[:5]),
        "wrong_types": signed(["orders", client_id, fingerprint, "1", 5.5, None]),
        "booleans": signed(["orders", client_id, fingerprint, True, True, True]),
        "huge_numbers": signed(["orders", client_id, fingerprint, 10**30, 10**30, 10**30]),
        "negative": signed(["orders", client_id, fingerprint, -1, -1, -1]),
        "after_beyond_newest": signed(["orders", client_id, fingerprint, 1, 2, 3]),
        "another_list": signed(["fulfillments", client_id, fingerprint, 1, 5, 2]),
        "another_client": signed(["orders", "someone-else", fingerprint, 1, 5, 2]),
        "another_filter": signed(["orders", client_id, "0" * 16, 1, 5, 2]),
    }


class TestCursors:
    """Any damaged or forged cursor is a 400 naming `cursor`, never a 500."""

    def test_cursor_signed_with_the_computable_key_is_refused(self) -> None:
        """A cursor signed with the key the seed used to give (forged offsets) is a 400."""
        sim = new_sim()
        with served(sim) as client:
            token = login(client)["access_token"]
            old_key = hashlib.sha256(b"0:cursor:0").hexdigest().encode()
            forged = CursorCodec(old_key).seal(
                json.dumps([sim.client_id(), "x", 10**40, "a", None]).encode()
            )
            response = client.get("/v2/orders", params={"cursor": forged}, headers=bearer(token))
            assert_refused(response, 400, "invalid_cursor", "'cursor'")

    def test_damaged_and_forged_cursors(self) -> None:
        """Bad base64, JSON, types, numbers, signature, list, client or filter: each a 400."""
        sim = new_sim()
        with served(sim) as client:
            token = login(client)["access_token"]
            for _ in range(3):
                create_order(client, token)
            first = client.get("/v2/orders", params={"limit": 1}, headers=bearer(token)).json()
            good = first["next_cursor"]
            cases = _cursor_cases(sim._world.cursors, sim.client_id(), _fingerprint(good))
            for name, cursor in cases.items():
                response = client.get(
                    "/v2/orders", params={"cursor": cursor}, headers=bearer(token)
                )
                assert response.status_code == 400, (name, response.text)
                assert_refused(response, 400, "invalid_cursor", "'cursor'")
            again = client.get("/v2/orders", params={"cursor": good}, headers=bearer(token))
            assert again.status_code == 200
            assert len(again.json()["orders"]) == 2

    def test_cursor_of_another_world_is_refused(self) -> None:
        """A cursor from another server with the same seed is a 400: keys differ per world."""
        cursors = []
        for _ in range(2):
            with served(new_sim()) as client:
                token = login(client)["access_token"]
                for _ in range(2):
                    create_order(client, token)
                page = client.get("/v2/orders", params={"limit": 1}, headers=bearer(token))
                cursors.append(page.json()["next_cursor"])
                if len(cursors) == 2:
                    response = client.get(
                        "/v2/orders", params={"cursor": cursors[0]}, headers=bearer(token)
                    )
                    assert_refused(response, 400, "invalid_cursor", "'cursor'", "did not issue")
        assert cursors[0] != cursors[1]


def _fingerprint(cursor: str) -> str:
    """The filter digest inside a cursor this test's world issued."""
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    fields = json.loads(raw[:-16])
    digest: str = fields[2]
    return digest


class TestCrossSite:
    """Writes need a JSON Content-Type; a form or a bodyless fetch from a web page is a 415."""

    def test_form_post_cannot_reset_the_world(self) -> None:
        """POST /_sim/reset as a form, text or with no type is a 415 and the world stays."""
        sim = new_sim()
        with served(sim) as client:
            token = login(client)["access_token"]
            order_id = create_order(client, token)
            for headers in (
                FORM,
                {"Content-Type": "text/plain"},
                {"Content-Type": "multipart/form-data; boundary=x"},
                {},
            ):
                response = client.post("/_sim/reset", headers=headers, content=b"a=1")
                assert_refused(response, 415, "unsupported_media_type", "application/json")
            bodyless = client.post("/_sim/reset")
            assert_refused(bodyless, 415, "unsupported_media_type", "application/json")
            assert client.get(f"/v2/orders/{order_id}", headers=bearer(token)).status_code == 200

    def test_provider_writes_need_json(self) -> None:
        """Creating, updating or cancelling an order as a form is a 415; the order is untouched."""
        with served(new_sim()) as client:
            token = login(client)["access_token"]
            order_id = create_order(client, token)
            auth = bearer(token)
            attempts = [
                client.post("/v2/orders", headers=auth | FORM, content=b"x=1"),
                client.put(f"/v2/orders/{order_id}", headers=auth | FORM, content=b"note=x"),
                client.request(
                    "DELETE",
                    f"/v2/orders/{order_id}",
                    headers=auth | {"Content-Type": "text/plain"},
                ),
                client.post(
                    "/v2/authentication/token",
                    headers={"Content-Type": "text/plain"},
                    content=json.dumps({"email": EMAIL, "password": PASSWORD}).encode(),
                ),
            ]
            for response in attempts:
                assert_refused(response, 415, "unsupported_media_type")
            order = client.get(f"/v2/orders/{order_id}", headers=auth).json()["order"]
            assert order["status"] == "Pending"

    def test_json_with_parameters_and_bodyless_delete_pass(self) -> None:
        """`application/json; charset=utf-8` is JSON; a DELETE with no body needs no type."""
        with served(new_sim()) as client:
            response = client.post(
                "/v2/authentication/token",
                headers={"Content-Type": "application/json; charset=utf-8"},
                content=json.dumps({"email": EMAIL, "password": PASSWORD}).encode(),
            )
            assert response.status_code == 200
            token = response.json()["access_token"]
            order_id = create_order(client, token)
            response = client.delete(f"/v2/orders/{order_id}", headers=bearer(token))
            assert response.status_code == 204
            assert client.delete("/_sim/faults").status_code == 204
            assert client.post("/_sim/reset", headers=JSON_TYPE).status_code == 204


class TestHostHeader:
    """Only the bound address, localhost and allowed names are served: DNS rebinding gets 421."""

    def test_rebinding_page_cannot_read_or_redirect(self) -> None:
        """Host: evil.example is a 421 naming the host and --allow-host, with no redirect."""
        with served(new_sim()) as client:
            token = login(client)["access_token"]
            evil = {"Host": "evil.example"}
            for path in ("/v2/orders/", "/v2/orders", "/_sim/clock", "/_sim/requests"):
                response = client.get(path, headers=evil | bearer(token))
                assert_refused(response, 421, "misdirected_request", "evil.example", "--allow-host")
                assert "location" not in response.headers
            response = client.post("/_sim/reset", headers=evil | JSON_TYPE)
            assert_refused(response, 421, "misdirected_request", "OKC_SIM_ALLOW_HOSTS")

    def test_trailing_slash_is_a_404_without_redirect(self) -> None:
        """A path with a trailing slash is a 404 naming the path without it; no Location."""
        with served(new_sim()) as client:
            token = login(client)["access_token"]
            response = client.get("/v2/orders/", headers=bearer(token))
            assert_refused(response, 404, "not_found", "no trailing slash: /v2/orders.")
            assert "location" not in response.headers

    def test_loopback_names_on_any_port(self) -> None:
        """localhost, 127.0.0.1 and [::1] are served whatever the port (containers map ports)."""
        with served(new_sim()) as client:
            for host in ("localhost", "LOCALHOST:1", "127.0.0.1:9999", "[::1]:8080", "localhost."):
                assert client.get("/_sim/clock", headers={"Host": host}).status_code == 200, host

    def test_allowed_names(self) -> None:
        """A name given with allowed_hosts (--allow-host) is served; others still are not."""
        with served(new_sim(), allowed_hosts=["sim.internal"]) as client:
            assert client.get("/_sim/clock", headers={"Host": "sim.internal:8080"}).is_success
            response = client.get("/_sim/clock", headers={"Host": "sim.internal.evil.example"})
            assert_refused(response, 421, "misdirected_request")

    def test_wildcard_bind_still_takes_localhost(self) -> None:
        """Bound to 0.0.0.0, localhost and 127.0.0.1 are served; another name is a 421."""
        with LiveServer(new_sim(), "0.0.0.0", 0, rate_limit=None) as server:
            url = f"http://127.0.0.1:{server.port}"
            assert httpx.get(f"{url}/_sim/clock", headers={"Host": "localhost"}).is_success
            assert httpx.get(f"{url}/_sim/clock").is_success
            response = httpx.get(f"{url}/_sim/clock", headers={"Host": "evil.example"})
            assert_refused(response, 421, "misdirected_request")

    def test_request_without_host_is_served(self) -> None:
        """An HTTP/1.0 request without a Host header (no browser sends one) is served."""
        with LiveServer(new_sim(), rate_limit=None) as server:
            answer = raw_request(server.url, b"GET /_sim/clock HTTP/1.0\r\n\r\n")
            assert answer.startswith(b"HTTP/1.1 200"), answer[:200]

    def test_second_host_header_is_checked_too(self) -> None:
        """Host: localhost followed by Host: evil.example is refused, whichever one counts."""
        with LiveServer(new_sim(), rate_limit=None) as server:
            request = (
                b"GET /_sim/clock HTTP/1.1\r\nHost: localhost\r\nHost: evil.example\r\n"
                b"Connection: close\r\n\r\n"
            )
            answer = raw_request(server.url, request)
            assert answer.split(b" ")[1] in {b"421", b"400"}, answer[:300]

    def test_allow_host_flag_and_environment(self) -> None:
        """okc-sim serve --allow-host (repeatable) adds names to answer to; others get 421."""
        with cli_server("--allow-host", "app.test", "--allow-host", "b.test") as url:
            for host in ("app.test", "b.test:80", "localhost"):
                assert httpx.get(f"{url}/_sim/clock", headers={"Host": host}).is_success, host
            response = httpx.get(f"{url}/_sim/clock", headers={"Host": "c.test"})
            assert_refused(response, 421, "misdirected_request", "c.test")

    def test_allow_hosts_from_the_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """okc-sim serve reads OKC_SIM_ALLOW_HOSTS (comma-separated), as a container sets it."""
        monkeypatch.setenv("OKC_SIM_ALLOW_HOSTS", "sim, okc-sim.compose ,")
        with cli_server() as url:
            for host in ("sim:8080", "okc-sim.compose"):
                assert httpx.get(f"{url}/_sim/clock", headers={"Host": host}).is_success, host
            response = httpx.get(f"{url}/_sim/clock", headers={"Host": "other"})
            assert_refused(response, 421, "misdirected_request")

    def test_bad_allow_host_is_a_usage_error(self) -> None:
        """--allow-host with a URL in place of a name stops with status 2 and says why."""
        done = subprocess.run(
            [sys.executable, "-m", "simulator.cli", "serve", "--allow-host", "http://x.test/"],
            capture_output=True,
            text=True,
            timeout=WAIT_SECONDS,
            check=False,
            env=cli_env(),
        )
        assert done.returncode == 2
        assert "not a host name" in done.stderr


class TestInputBounds:
    """Numbers in queries and headers are read in one place, with bounds: a 400, never a 500."""

    def test_odd_digits_in_limits(self) -> None:
        """limit=² (isdigit but not int), thousands of digits, ٣ or 0: a 400 naming limit."""
        with served(new_sim()) as client:
            token = login(client)["access_token"]
            for value in ("²", "9" * 5000, "٣", "0", "-1", "1e3", " 5", "1001"):
                response = client.get("/_sim/requests", params={"limit": value})
                assert_refused(response, 400, "invalid_limit", "limit")
            for value in ("²", "9" * 5000, "٣", "0", "251"):
                response = client.get("/v2/orders", params={"limit": value}, headers=bearer(token))
                assert_refused(response, 400, "invalid_limit", "limit")
            assert client.get("/_sim/requests", params={"limit": "1000"}).status_code == 200
            assert client.get("/v2/orders?limit=250", headers=bearer(token)).status_code == 200

    def test_odd_content_length(self) -> None:
        """Content-Length of ², of thousands of digits, or over the limit: a 400 or a 413."""
        with LiveServer(new_sim(), rate_limit=None, max_body_bytes=100) as server:
            for length, status in (("\xb2", b"400"), ("9" * 5000, b"400"), ("101", b"413")):
                request = (
                    b"POST /_sim/reset HTTP/1.1\r\nHost: localhost\r\n"
                    b"Content-Type: application/json\r\nConnection: close\r\n"
                    + f"Content-Length: {length}\r\n\r\n".encode("latin-1")
                )
                answer = raw_request(server.url, request)
                assert answer.split(b" ")[1] in {status, b"400"}, answer[:300]
                assert not answer.startswith(b"HTTP/1.1 5")


class TestHostNames:
    """How a Host header or an allowed name is read: the name only, never a trick around it."""

    @pytest.mark.parametrize(
        ("header", "name"),
        [
            ("localhost", "localhost"),
            ("LOCALHOST:80", "localhost"),
            ("[::1]:8080", "::1"),
            ("::1", "::1"),
            ("localhost.", "localhost"),
            ("localhost:80@evil.example", "localhost:80@evil.example"),
            ("[::1]evil", "[::1]evil"),
            ("localhost:http", "localhost:http"),
        ],
    )
    def test_host_name(self, header: str, name: str) -> None:
        """The port and brackets go; anything that is not a port keeps the whole text."""
        assert host_name(header) == name

    def test_tricks_are_refused(self) -> None:
        """A Host that only starts like an allowed name gets a 421."""
        gate = Gate(["sim.internal"])
        for host in ("localhost:80@evil.example", "sim.internal.evil.example", "evil.localhost"):
            refusal = gate.refusal("GET", host, None)
            assert refusal is not None
            assert refusal.status == 421

    @pytest.mark.parametrize("name", ["http://x.test/", "x.test/path", "a b", "", "user@x.test"])
    def test_bad_names_to_allow(self, name: str) -> None:
        """A URL, a path or a blank is not a name to allow."""
        with pytest.raises(ValueError, match="not a host name"):
            check_host_name(name)


class TestRefreshMemory:
    """The unused refresh tokens a world remembers are bounded (a login loop cannot grow it)."""

    def test_oldest_die_past_the_bound(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Past the bound the oldest unused refresh tokens stop working; the newest still do."""
        monkeypatch.setattr(TokenIssuer, "MAX_LIVE_REFRESH", 3)
        alice = ClientAccount("id-1", EMAIL, PASSWORD)
        issuer = TokenIssuer([alice])
        tokens = [issuer.issue(alice.id, 0)["refresh_token"] for _ in range(5)]
        assert len(issuer._live_refresh) == len(issuer._newest_in_family) == 3
        for old in tokens[:2]:
            with pytest.raises(Unauthorized, match="already used"):
                issuer.refresh(old, 0)
        assert issuer.refresh(tokens[-1], 0)["refresh_token"]
        assert len(issuer._live_refresh) <= 3
