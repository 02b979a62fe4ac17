"""Connection limits on a real socket: incomplete requests time out, open connections are capped.

Every test runs on both of uvicorn's HTTP/1.1 parsers (h11 and httptools). The timeouts
are real time, kept to a fraction of a second, and every wait is bounded.
"""

from __future__ import annotations

import contextlib
import json
import socket
import time
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from simulator import Simulator
from simulator._limits import DEFAULT_MAX_CONNECTIONS, ConnectionLimits, protocol_class
from simulator._server import LiveServer
from simulator.cli import build_parser

if TYPE_CHECKING:
    from collections.abc import Iterator

START = "2026-03-02T17:00:00Z"
SHORT = 0.3
"""The request timeout of these tests, in real seconds."""
BOUND = 5.0
"""The longest any read here waits: far above SHORT, so a slow CI box only makes it slower."""
HALF_SENT = 50
"""How many half-sent connections the attack opens (the issue held 1,100 for over 20 s)."""


@pytest.fixture(params=["h11", "httptools"])
def http(request: pytest.FixtureRequest) -> str:
    """Each of uvicorn's HTTP/1.1 parsers."""
    parser: str = request.param
    return parser


@contextlib.contextmanager
def served(http: str, limits: ConnectionLimits) -> Iterator[LiveServer]:
    """A frozen world served with `limits` and the `http` parser."""
    sim = Simulator(start=START)
    try:
        with LiveServer(sim, http=http, limits=limits) as server:
            yield server
    finally:
        sim.close()


def connect(server: LiveServer) -> socket.socket:
    """A raw TCP connection to the server, reads bounded by `BOUND`."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=BOUND)
    sock.settimeout(BOUND)
    return sock


def read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (at most `BOUND` per read)."""
    chunks = []
    with contextlib.suppress(ConnectionResetError):
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def status_and_body(answer: bytes) -> tuple[int, dict[str, Any]]:
    """The status code and JSON body of a raw HTTP/1.1 answer."""
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body)


def half_request(port: int) -> bytes:
    """The first half of a request line and headers, never finished."""
    return f"GET /v2/products HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: appl".encode()


class TestRequestTimeout:
    """A client has `request_timeout` to send a whole request; then it is answered 408."""

    def test_half_sent_connections_are_all_cut_off(self, http: str) -> None:
        """The attack: many connections each send half a request and stall; all are closed."""
        with served(http, ConnectionLimits(request_timeout=SHORT)) as server:
            sockets = [connect(server) for _ in range(HALF_SENT)]
            try:
                for sock in sockets:
                    sock.sendall(half_request(server.port))
                answers = [read_all(sock) for sock in sockets]
            finally:
                for sock in sockets:
                    sock.close()
        assert all(answer.startswith(b"HTTP/1.1 408 ") for answer in answers)

    def test_the_408_is_in_the_providers_shape(self, http: str) -> None:
        """The answer says what happened and which flag sets the limit."""
        with (
            served(http, ConnectionLimits(request_timeout=SHORT)) as server,
            connect(server) as sock,
        ):
            sock.sendall(half_request(server.port))
            status, body = status_and_body(read_all(sock))
        assert status == 408
        assert body["error"] == {"errorCode": "request_timeout", "message": body["message"]}
        assert "--request-timeout" in body["message"]

    def test_a_stalled_body_is_cut_off(self, http: str) -> None:
        """Headers sent whole but only part of the body: 408 and closed."""
        with (
            served(http, ConnectionLimits(request_timeout=SHORT)) as server,
            connect(server) as sock,
        ):
            sock.sendall(
                b"POST /v2/authentication/token HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"email":'
            )
            answer = read_all(sock)
        assert answer.startswith(b"HTTP/1.1 408 ")

    def test_trickling_bytes_does_not_extend_the_time(self, http: str) -> None:
        """A byte every tenth of a second still has the same deadline (no slow-loris)."""
        with (
            served(http, ConnectionLimits(request_timeout=SHORT)) as server,
            connect(server) as sock,
        ):
            request = half_request(server.port) * 10
            closed = False
            for byte in request[: int(BOUND / 0.1)]:
                try:
                    sock.sendall(bytes([byte]))
                except (BrokenPipeError, ConnectionResetError):
                    closed = True
                    break
                time.sleep(0.1)  # real time: this test is about the network's clock
                if _closed_by_server(sock):
                    closed = True
                    break
        assert closed

    def test_a_silent_connection_is_closed_without_an_answer(self, http: str) -> None:
        """A client that connects and sends nothing is closed quietly (nothing to answer)."""
        with (
            served(http, ConnectionLimits(request_timeout=SHORT)) as server,
            connect(server) as sock,
        ):
            assert read_all(sock) == b""

    def test_time_spent_answering_does_not_count(self, http: str) -> None:
        """A request that arrived whole is answered even when the answer takes longer."""
        limits = ConnectionLimits(request_timeout=SHORT)
        with served(http, limits) as server, httpx.Client(base_url=server.url) as client:
            rule = {"kind": "latency", "latency_ms": SHORT * 2000, "route": "/v2/products"}
            assert client.post("/_sim/faults", json=rule).status_code == 201
            token = client.post(
                "/v2/authentication/token",
                json={"email": "integrator@example.com", "password": "sandbox"},
            ).json()["access_token"]
            slow = client.get("/v2/products", headers={"Authorization": f"Bearer {token}"})
        assert slow.status_code == 200

    def test_a_keep_alive_connection_serves_request_after_request(self, http: str) -> None:
        """Whole requests on one connection are unaffected by the limit."""
        limits = ConnectionLimits(request_timeout=SHORT)
        with served(http, limits) as server, httpx.Client(base_url=server.url) as client:
            statuses = [client.get("/_sim/clock").status_code for _ in range(20)]
        assert statuses == [200] * 20


def _closed_by_server(sock: socket.socket) -> bool:
    """Whether the server has answered or closed (a read that does not wait)."""
    sock.setblocking(False)
    try:
        data = sock.recv(65536)
    except BlockingIOError:
        return False
    except ConnectionResetError:
        return True
    finally:
        sock.setblocking(True)
        sock.settimeout(BOUND)
    return data == b"" or data.startswith(b"HTTP/1.1 408")


class TestConnectionCap:
    """At most `max_connections` are open; one more is answered 503 and closed."""

    def test_one_connection_over_the_cap_is_refused_then_room_returns(self, http: str) -> None:
        """With the cap reached the next client gets 503; once one closes, clients get in."""
        limits = ConnectionLimits(request_timeout=BOUND * 2, max_connections=5)
        with served(http, limits) as server:
            held = [connect(server) for _ in range(5)]
            try:
                for sock in held:
                    sock.sendall(half_request(server.port))
                with connect(server) as extra:
                    status, body = status_and_body(read_all(extra))
                assert status == 503
                assert body["error"]["errorCode"] == "too_many_connections"
                assert "--max-connections" in body["message"]
                held.pop().close()
                answered = _get_when_room(server)
            finally:
                for sock in held:
                    sock.close()
        assert answered == 200


def _get_when_room(server: LiveServer) -> int:
    """GET the clock, retrying (bounded) while the server has not yet seen a close."""
    status = 503
    for _ in range(50):
        try:
            status = httpx.get(f"{server.url}/_sim/clock", timeout=BOUND).status_code
        except httpx.TransportError:
            status = 503
        if status != 503:
            break
        time.sleep(0.02)  # real time: the server notices the closed socket asynchronously
    return status


class TestSettings:
    """The limits' defaults, flags and refusals."""

    def test_defaults_suit_a_test_server(self) -> None:
        """Ten seconds for a request, a thousand connections, unless told otherwise."""
        args = build_parser().parse_args(["serve"])
        assert args.request_timeout == ConnectionLimits().request_timeout == 10.0
        assert args.max_connections == ConnectionLimits().max_connections == DEFAULT_MAX_CONNECTIONS

    def test_flags_set_the_limits(self) -> None:
        """--request-timeout and --max-connections are read as numbers."""
        args = build_parser().parse_args(
            ["serve", "--request-timeout", "2.5", "--max-connections", "40"]
        )
        assert (args.request_timeout, args.max_connections) == (2.5, 40)

    @pytest.mark.parametrize(
        "args",
        [
            ["--request-timeout", "0"],
            ["--request-timeout", "soon"],
            ["--request-timeout", "inf"],
            ["--max-connections", "0"],
            ["--max-connections", "many"],
        ],
    )
    def test_bad_flags_are_usage_errors(
        self, args: list[str], capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A limit that would stop every request exits 2 naming the flag."""
        with pytest.raises(SystemExit) as exited:
            build_parser().parse_args(["serve", *args])
        assert exited.value.code == 2
        assert args[0] in capsys.readouterr().err

    @pytest.mark.parametrize(
        "limits", [{"request_timeout": 0.0}, {"request_timeout": -1.0}, {"max_connections": 0}]
    )
    def test_limits_refuse_nonsense(self, limits: dict[str, Any]) -> None:
        """ConnectionLimits refuses a timeout that is not positive and a cap below one."""
        with pytest.raises(ValueError, match="must be"):
            ConnectionLimits(**limits)

    def test_an_unknown_parser_is_refused(self) -> None:
        """Only h11, httptools and auto are known."""
        with pytest.raises(ValueError, match="h11"):
            protocol_class(ConnectionLimits(), "zttp")
