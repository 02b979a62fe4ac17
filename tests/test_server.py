"""Tests for LiveServer: a simulator served over a real socket from a background thread."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

import httpx
import pytest

from simulator import Simulator
from simulator._server import LiveServer, _Uvicorn, bind_socket, is_loopback, socket_url

if TYPE_CHECKING:
    from collections.abc import Iterator

START = "2026-03-02T17:00:00Z"
CREDENTIALS = {"email": "integrator@example.com", "password": "sandbox"}
ADMIN_TOKEN = "s3cret"


@pytest.fixture
def sim() -> Iterator[Simulator]:
    """A frozen simulator at START."""
    world = Simulator(start=START)
    yield world
    world.close()


@pytest.fixture
def live(sim: Simulator) -> Iterator[LiveServer]:
    """A started server over `sim` on a free port."""
    with LiveServer(sim) as server:
        yield server


def refuses_connections(url: str) -> bool:
    """Whether nothing listens at an http://host:port URL any more."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except ConnectionRefusedError:
        return True
    return False


def ipv6_loopback_available() -> bool:
    """Whether this machine can listen on ::1."""
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


class TestIsLoopback:
    """Which --host values count as loopback, for the admin-token rule."""

    @pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost"])
    def test_loopback_hosts(self, host: str) -> None:
        """Loopback addresses and localhost are loopback."""
        assert is_loopback(host)

    def test_ipv6_loopback(self) -> None:
        """::1 is loopback."""
        assert is_loopback("::1")

    @pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.1.2.3", "192.0.2.7"])
    def test_other_addresses(self, host: str) -> None:
        """Wildcards and other addresses are not loopback."""
        assert not is_loopback(host)

    def test_unresolvable_name(self) -> None:
        """A name that does not resolve is not loopback."""
        assert not is_loopback("no-such-host.invalid")


class TestBindSocket:
    """Binding before serving, so the port is known up front."""

    def test_port_zero_picks_a_free_port(self) -> None:
        """Port 0 binds a real, listening port."""
        with bind_socket("127.0.0.1", 0) as sock:
            port = sock.getsockname()[1]
            assert port > 0
            socket.create_connection(("127.0.0.1", port), timeout=5).close()

    def test_url_of_ipv4_socket(self) -> None:
        """The URL names the bound address and port."""
        with bind_socket("127.0.0.1", 0) as sock:
            assert socket_url(sock) == f"http://127.0.0.1:{sock.getsockname()[1]}"

    @pytest.mark.skipif(not ipv6_loopback_available(), reason="no IPv6 loopback here")
    def test_url_of_ipv6_socket(self) -> None:
        """An IPv6 address is put in brackets."""
        with bind_socket("::1", 0) as sock:
            assert socket_url(sock) == f"http://[::1]:{sock.getsockname()[1]}"

    def test_taken_port_is_refused(self) -> None:
        """Binding a port another socket listens on raises OSError."""
        with bind_socket("127.0.0.1", 0) as taken, pytest.raises(OSError):
            bind_socket("127.0.0.1", taken.getsockname()[1]).close()


class TestLiveServer:
    """Starting, serving, switching worlds and stopping."""

    def test_url_is_known_before_start(self, sim: Simulator) -> None:
        """The URL carries the picked port before the server starts."""
        server = LiveServer(sim)
        try:
            assert server.url == f"http://127.0.0.1:{server.port}"
            assert server.port > 0
        finally:
            server.stop()

    def test_serves_as_soon_as_start_returns(self, live: LiveServer) -> None:
        """The first request after start gets the simulator's clock."""
        response = httpx.get(f"{live.url}/_sim/clock")
        assert response.status_code == 200
        assert response.json()["now"] == START

    def test_speaks_the_api(self, live: LiveServer) -> None:
        """A client gets a token and creates an order over the socket."""
        with httpx.Client(base_url=live.url) as client:
            token = client.post("/v2/authentication/token", json=CREDENTIALS).json()
            headers = {"Authorization": f"Bearer {token['access_token']}"}
            product = client.get("/v2/products", headers=headers).json()["products"][0]
            order = {
                "consumer": {"first_name": "Ada", "last_name": "Lovelace"},
                "shipping_address": {
                    "address1": "500 Market St",
                    "city": "San Francisco",
                    "province_code": "CA",
                    "postal_code": "94105",
                    "country_name": "United States",
                },
                "order_lines": [
                    {"pouches": [{"contents": [{"client_product_id": product["id"]}]}]}
                ],
            }
            created = client.post("/v2/orders", json=order, headers=headers)
        assert created.status_code == 201
        assert created.json()["order"]["status"] == "Pending"
        assert live.sim.count_orders() == 1

    def test_stop_closes_the_port(self, sim: Simulator) -> None:
        """After stop, nothing listens at the URL."""
        server = LiveServer(sim).start()
        with httpx.Client() as client:
            # A kept-alive connection must not hold the shutdown up.
            assert client.get(f"{server.url}/_sim/clock").status_code == 200
            server.stop()
        assert refuses_connections(server.url)

    def test_stop_is_idempotent(self, sim: Simulator) -> None:
        """Stopping twice is harmless."""
        server = LiveServer(sim).start()
        server.stop()
        server.stop()
        assert "stopped" in repr(server)

    def test_stop_without_start_releases_the_port(self, sim: Simulator) -> None:
        """A server that never started gives its port back on stop."""
        server = LiveServer(sim)
        server.stop()
        bind_socket("127.0.0.1", server.port).close()

    def test_context_manager_starts_and_stops(self, sim: Simulator) -> None:
        """`with` serves inside the block and stops after it."""
        with LiveServer(sim) as server:
            assert "running" in repr(server)
            assert httpx.get(f"{server.url}/_sim/clock").status_code == 200
        assert refuses_connections(server.url)

    def test_two_servers_get_two_ports(self, sim: Simulator) -> None:
        """Port 0 gives each server its own port."""
        with LiveServer(sim) as first, LiveServer(sim) as second:
            assert first.port != second.port

    def test_app_settings_are_passed_through(self, sim: Simulator) -> None:
        """create_app's settings apply: here the control API needs the admin token."""
        with LiveServer(sim, admin_token=ADMIN_TOKEN, control_requires_token=True) as server:
            refused = httpx.get(f"{server.url}/_sim/clock")
            allowed = httpx.get(
                f"{server.url}/_sim/clock", headers={"Authorization": "Bearer s3cret"}
            )
        assert refused.status_code == 401
        assert allowed.status_code == 200

    def test_serve_switches_the_world(self, live: LiveServer) -> None:
        """After serve(other), requests reach the other simulator, on the same URL."""
        other = Simulator(start="2027-01-04T17:00:00Z")
        try:
            live.serve(other)
            assert live.sim is other
            assert httpx.get(f"{live.url}/_sim/clock").json()["now"] == "2027-01-04T17:00:00Z"
        finally:
            other.close()

    def test_serve_keeps_constructor_settings_unless_overridden(self, sim: Simulator) -> None:
        """serve() reuses the constructor's app settings, and takes new ones."""
        headers = {"X-Admin-Token": "s3cret"}
        with LiveServer(sim, admin_token=ADMIN_TOKEN, control_requires_token=True) as server:
            server.serve(sim)
            kept = httpx.get(f"{server.url}/_sim/clock")
            server.serve(sim, control_requires_token=False)
            dropped = httpx.get(f"{server.url}/_sim/clock")
            with_token = httpx.get(f"{server.url}/_sim/clock", headers=headers)
        assert kept.status_code == 401
        assert dropped.status_code == 200
        assert with_token.status_code == 200

    def test_failed_start_is_reported(
        self, sim: Simulator, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """When uvicorn cannot start, start raises at once and the port is released."""

        async def fail(*_args: object, **_kwargs: object) -> None:
            raise SystemExit(3)  # what uvicorn does when the app's start-up fails

        monkeypatch.setattr(_Uvicorn, "startup", fail)
        server = LiveServer(sim)
        with pytest.raises(RuntimeError, match="did not start") as raised:
            server.start(timeout=30)
        assert isinstance(raised.value.__cause__, SystemExit)
        assert refuses_connections(server.url)
