"""Serve a `Simulator` over a real socket: uvicorn in a background thread, on a port known up front.

`okc-sim serve` and the pytest plugin's `okc_live` fixture both run the simulator through it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import sys
import threading
from typing import TYPE_CHECKING, Any, Self

import uvicorn

from simulator._limits import ConnectionLimits, protocol_class
from simulator.http import create_app

if TYPE_CHECKING:
    from types import TracebackType

    from simulator._simulator import Simulator

_Scope = dict[str, Any]
_Receive = Any
_Send = Any

START_TIMEOUT_SECONDS = 10.0
"""How long `start` waits for the server to accept connections."""

STOP_TIMEOUT_SECONDS = 10.0
"""How long `stop` waits for open requests to finish before dropping them."""


def is_loopback(host: str) -> bool:
    """Tell whether every address a host name resolves to is a loopback address.

    Args:
        host: a name or an address, as given to `--host`.

    Returns:
        True for "127.0.0.1", "::1", "localhost" and the like; False for wildcards
        ("0.0.0.0", "::"), other addresses, and names that do not resolve.
    """
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return False
    addresses = {info[4][0] for info in infos}
    # A scope suffix ("fe80::1%eth0") is not part of the address ipaddress understands.
    return bool(addresses) and all(
        ipaddress.ip_address(str(address).split("%", 1)[0]).is_loopback for address in addresses
    )


def bind_socket(host: str, port: int) -> socket.socket:
    """Open a listening TCP socket, so the port is known before uvicorn serves on it.

    Args:
        host: the name or address to listen on.
        port: the port; 0 lets the operating system pick a free one.

    Returns:
        The bound, listening socket.

    Raises:
        OSError: the host does not resolve or the port is taken.
    """
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        # Lets a restarted server take its port back while old connections sit in TIME_WAIT;
        # on Windows the same option would let two servers share a port, so not there.
        if sys.platform != "win32":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except BaseException:
        sock.close()
        raise
    return sock


def socket_url(sock: socket.socket) -> str:
    """The http:// URL of a bound socket, IPv6 addresses in brackets."""
    address, port = sock.getsockname()[:2]
    host = f"[{address}]" if ":" in address else address
    return f"http://{host}:{port}"


class _AppSlot:
    """An ASGI app that forwards to the current app, so a running server can switch worlds."""

    def __init__(self, app: Any) -> None:  # noqa: ANN401 - any ASGI app
        self.app = app

    async def __call__(self, scope: _Scope, receive: _Receive, send: _Send) -> None:
        await self.app(scope, receive, send)


class _Uvicorn(uvicorn.Server):
    """A uvicorn server that tells a waiting thread when it accepts connections."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()
        self.stack = ""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        # Read from the running server, not guessed: "auto" picks uvloop and httptools only
        # when they import.
        loop = type(asyncio.get_running_loop()).__module__.split(".")[0]
        # The connection limits wrap uvicorn's protocol class: name the uvicorn one it wraps.
        uvicorn_class = next(
            cls
            for cls in self.config.http_protocol_class.__mro__
            if cls.__module__.startswith("uvicorn.protocols.http")
        )
        parser = uvicorn_class.__name__.removesuffix("Protocol").lower()
        self.stack = f"uvicorn {uvicorn.__version__} ({loop}, {parser})"
        await super().startup(sockets)
        self.ready.set()


class LiveServer:
    """A simulator served over HTTP on a real socket, from a background thread.

    The socket is bound in the constructor, so `url` is known (port 0 included) before
    the server starts. The server owns neither the simulator nor its store: close the
    simulator yourself after `stop`.

    Args:
        sim: the simulator to serve.
        host: the address to listen on.
        port: the port; 0 picks a free one.
        log_level: uvicorn's log level.
        log_config: a `logging.config.dictConfig` dict for uvicorn; None leaves logging as
            it is (what a test session wants).
        access_log: log one line per request (at info level).
        limits: the request timeout and the cap on open connections (`ConnectionLimits`).
        http: uvicorn's HTTP parser: "auto" (httptools when installed), "h11" or "httptools".
        **app_kwargs: passed to `simulator.http.create_app` (admin_token, rate_limit, ...).

    Raises:
        OSError: the host does not resolve or the port is taken.
        ValueError: an unknown `http`.
    """

    def __init__(  # noqa: PLR0913 - where to listen, how to log, and the app's settings
        self,
        sim: Simulator,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        log_level: str = "warning",
        log_config: dict[str, Any] | None = None,
        access_log: bool = False,
        limits: ConnectionLimits | None = None,
        http: str = "auto",
        **app_kwargs: Any,  # noqa: ANN401 - create_app's keyword arguments, passed through
    ) -> None:
        """Bind the socket and build the app; nothing is served until `start`."""
        self._sim = sim
        self._host = host
        self._app_kwargs = self._own_host_allowed(app_kwargs)
        self._slot = _AppSlot(create_app(sim, **app_kwargs))
        self.limits = limits or ConnectionLimits()
        """The request timeout and connection cap the server applies."""
        protocol = protocol_class(self.limits, http)
        self._socket = bind_socket(host, port)
        self.url = socket_url(self._socket)
        """The server's base URL, e.g. "http://127.0.0.1:54321"."""
        self.port: int = self._socket.getsockname()[1]
        """The port the server listens on (the one picked, when created with port 0)."""
        config = uvicorn.Config(
            self._slot,
            log_level=log_level,
            log_config=log_config,
            access_log=access_log,
            # The simulator's app keeps no state that needs start-up or shutdown events, and
            # switching worlds (`serve`) would skip them anyway.
            lifespan="off",
            timeout_graceful_shutdown=int(STOP_TIMEOUT_SECONDS),
            # The app writes `Date` from the simulated clock; uvicorn's would be the real time.
            date_header=False,
            http=protocol,
        )
        self._server = _Uvicorn(config)
        self._thread = threading.Thread(target=self._run, name=f"okc-sim {self.url}", daemon=True)
        self._error: BaseException | None = None

    @property
    def stack(self) -> str:
        """What serves once started: e.g. "uvicorn 0.55.0 (uvloop, httptools)"."""
        return self._server.stack

    @property
    def sim(self) -> Simulator:
        """The simulator being served."""
        return self._sim

    def _run(self) -> None:
        try:
            self._server.run(sockets=[self._socket])
        except BaseException as error:  # noqa: BLE001 - uvicorn exits with SystemExit; report it
            self._error = error
        finally:
            # Wakes `start` even when start-up failed, so it never waits out its timeout.
            self._server.ready.set()

    def start(self, timeout: float = START_TIMEOUT_SECONDS) -> Self:
        """Serve from a background thread; return once the server accepts connections.

        Args:
            timeout: how many seconds to wait for the server to be ready.

        Returns:
            The server itself, for chaining.

        Raises:
            RuntimeError: the server did not start in time, or failed to start.
        """
        self._thread.start()
        if not self._server.ready.wait(timeout) or not self._server.started:
            self.stop()
            raise RuntimeError(f"The simulator's server at {self.url} did not start.") from (
                self._error
            )
        return self

    def serve(self, sim: Simulator, **app_kwargs: Any) -> None:  # noqa: ANN401
        """Serve another simulator from now on, on the same socket, with a fresh app.

        Requests already in progress finish against the old simulator.

        Args:
            sim: the simulator to serve.
            **app_kwargs: create_app's settings; any left out keep the constructor's values.
        """
        given = self._own_host_allowed(app_kwargs) if "allowed_hosts" in app_kwargs else app_kwargs
        self._slot.app = create_app(sim, **(self._app_kwargs | given))
        self._sim = sim

    def _own_host_allowed(self, app_kwargs: dict[str, Any]) -> dict[str, Any]:
        """The app's settings, with the address it listens on among its allowed hosts."""
        names = [self._host, *app_kwargs.get("allowed_hosts", ())]
        return {**app_kwargs, "allowed_hosts": names}

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        """Stop serving: finish open requests (up to `timeout`), close the socket, join.

        Safe to call more than once, and on a server that never started.
        """
        if self._thread.is_alive():
            self._server.should_exit = True
            self._thread.join(timeout)
            if self._thread.is_alive():
                self._server.force_exit = True
                self._thread.join(timeout)
        self._socket.close()

    def __enter__(self) -> Self:
        """Start the server (see `start`)."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop the server (see `stop`)."""
        self.stop()

    def __repr__(self) -> str:
        """Show where the server listens and whether it runs."""
        state = "running" if self._thread.is_alive() else "stopped"
        return f"<LiveServer {self.url} {state}>"
