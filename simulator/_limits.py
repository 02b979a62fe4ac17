"""Connection limits for the uvicorn server: a time limit on incomplete requests, a connection cap.

uvicorn times out only idle keep-alive connections; a client that sends half a request and
stalls is held for ever. These protocol subclasses (of uvicorn's h11 and httptools protocols)
add both limits at the asyncio level, before any request reaches the app.
"""

from __future__ import annotations

import importlib.util
import json
import logging
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

if TYPE_CHECKING:
    import asyncio

logger = logging.getLogger("simulator.http")

DEFAULT_REQUEST_TIMEOUT = 10.0
"""Real seconds a client has to send a whole request (from connecting, or the last answer)."""

DEFAULT_MAX_CONNECTIONS = 1000
"""Open connections a server keeps at once; one more is answered 503 and closed."""

HTTP_IMPLEMENTATIONS = ("auto", "h11", "httptools")
"""uvicorn's HTTP/1.1 parsers the limits work with; "auto" is httptools when installed."""


@attrs.frozen
class ConnectionLimits:
    """How long a request may take to arrive, and how many connections may be open."""

    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    """Real seconds; a connection whose request is still incomplete then is closed (408)."""
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    """Open connections at most; the next one is answered 503 and closed."""

    def __attrs_post_init__(self) -> None:
        """Refuse limits that would stop every request.

        Raises:
            ValueError: a timeout that is not a positive finite number, or a cap below 1.
        """
        if not 0 < self.request_timeout < float("inf"):
            raise ValueError(
                f"request_timeout must be positive seconds, not {self.request_timeout}."
            )
        if self.max_connections < 1:
            raise ValueError(f"max_connections must be at least 1, not {self.max_connections}.")


def _raw_response(status: int, reason: str, code: str, message: str) -> bytes:
    """A whole HTTP/1.1 error response in the provider's shape, that closes the connection."""
    # Imported here: only a serving process answers, and it has loaded the app already.
    from simulator.http._errors import error_body  # noqa: PLC0415

    body = json.dumps(error_body(code, message))
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return (head + body).encode()


class _Limited:
    """The limits, for a uvicorn HTTP protocol class (the other base of each subclass below).

    A connection is *waiting for its client* from when it opens, and again from when each
    answer ends, until a whole request (head and body) has arrived; it may wait at most
    `request_timeout`, however slowly the bytes trickle in. A connection that began a
    request by then is answered 408; one that sent nothing more is closed quietly (an idle
    keep-alive connection, which uvicorn's own keep-alive timeout usually closes first).
    """

    limits: ClassVar[ConnectionLimits]

    # Set by the uvicorn protocol this class is mixed into.
    transport: asyncio.Transport
    connections: set[Any]
    cycle: Any
    loop: asyncio.AbstractEventLoop

    _deadline: asyncio.TimerHandle | None = None
    _refused = False
    _began = False
    """Whether the client sent any bytes since it started waiting (408 rather than a close)."""

    def connection_made(self, transport: asyncio.Transport) -> None:
        """Take the connection, or answer 503 and close it when the cap is reached."""
        if len(self.connections) >= self.limits.max_connections:
            self._refused = True
            logger.warning("Refused a connection: %d are open already.", len(self.connections))
            transport.write(
                _raw_response(
                    503,
                    "Service Unavailable",
                    "too_many_connections",
                    f"The simulator has {self.limits.max_connections} connections open, its "
                    "limit (okc-sim serve --max-connections); close some, or retry later.",
                )
            )
            transport.close()
            return
        self._super().connection_made(transport)
        self._watch()

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the connection (a refused one was never taken)."""
        if self._refused:
            return
        self._stop_clock()
        self._super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """Parse the bytes; a whole request stops the clock."""
        self._began = True
        self._super().data_received(data)
        self._watch()

    def on_response_complete(self) -> None:
        """After an answer, the clock runs again for the next request."""
        self._began = False
        self._super().on_response_complete()
        self._watch()

    def send_400_response(self, msg: str) -> None:
        """A request HTTP itself cannot parse: uvicorn's 400, in the provider's error shape."""
        self.transport.write(
            _raw_response(
                400,
                "Bad Request",
                "malformed_http",
                f"The request is not valid HTTP/1.1 ({msg.rstrip('.')}); check how your "
                "client builds it.",
            )
        )
        self.transport.close()

    def _super(self) -> Any:  # noqa: ANN401 - the uvicorn protocol this is mixed into
        return super()

    def _waiting_for_client(self) -> bool:
        """Whether no whole request is in hand: none yet, its body unfinished, or answered."""
        cycle = self.cycle
        return cycle is None or cycle.response_complete or cycle.more_body

    def _watch(self) -> None:
        """Start the clock when the connection waits for its client; stop it when not."""
        if self.transport.is_closing() or not self._waiting_for_client():
            self._stop_clock()
        elif self._deadline is None:
            self._deadline = self.loop.call_later(self.limits.request_timeout, self._time_out)

    def _stop_clock(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _time_out(self) -> None:
        """The client took too long: answer 408 if it began a request, then close."""
        self._deadline = None
        if self.transport.is_closing():
            return
        cycle = self.cycle
        answering = cycle is not None and cycle.response_started and not cycle.response_complete
        if self._began and not answering:
            self.transport.write(
                _raw_response(
                    408,
                    "Request Timeout",
                    "request_timeout",
                    f"The request did not arrive whole within {self.limits.request_timeout:g} s "
                    "(okc-sim serve --request-timeout); send it again, all at once.",
                )
            )
        logger.debug(
            "Closed a connection whose request took over %g s.", self.limits.request_timeout
        )
        self.transport.close()


def protocol_class(limits: ConnectionLimits, http: str = "auto") -> type[asyncio.Protocol]:
    """A uvicorn HTTP protocol class that applies `limits`, for `uvicorn.Config(http=...)`.

    Args:
        limits: the request timeout and the connection cap.
        http: "h11", "httptools", or "auto" (httptools when installed, as uvicorn picks).

    Raises:
        ValueError: an unknown implementation, or httptools asked for and not installed.
    """
    # Imported here: `okc-sim clock` reads this module's defaults without loading uvicorn.
    from uvicorn.protocols.http.h11_impl import H11Protocol  # noqa: PLC0415

    if http not in HTTP_IMPLEMENTATIONS:
        raise ValueError(f"http must be one of {', '.join(HTTP_IMPLEMENTATIONS)}, not {http!r}.")
    base: type[asyncio.Protocol] = H11Protocol
    if http == "httptools" or (http == "auto" and _has_httptools()):
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol  # noqa: PLC0415

        base = HttpToolsProtocol
    namespace: dict[str, Any] = {"limits": limits, "__module__": __name__}
    return type(f"Limited{base.__name__}", (_Limited, base), namespace)


def _has_httptools() -> bool:
    return importlib.util.find_spec("httptools") is not None
