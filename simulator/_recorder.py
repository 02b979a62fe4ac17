"""A recording proxy: forwards every request to an upstream API and keeps the session as a HAR.

`okc-sim record` serves it; `okc-sim check-recording` reads what it wrote. Secrets (tokens,
passwords) are redacted in the file unless asked otherwise.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import signal
import threading
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import uvicorn
from starlette.concurrency import run_in_threadpool

if TYPE_CHECKING:
    import socket
    from collections.abc import Iterator

    from starlette.types import Receive, Scope, Send

MAX_BODY_BYTES = 16 * 1024 * 1024
"""The largest request body forwarded (the provider's own limit is far lower)."""
UPSTREAM_TIMEOUT_SECONDS = 60.0
REDACTED = "[redacted]"
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
        "accept-encoding",
    }
)
"""Headers that belong to one connection, or that the proxy sets itself."""
_SECRET_FIELDS = frozenset({"password", "access_token", "refresh_token", "id_token"})


class Recorder:
    """An ASGI app that forwards to `upstream` and appends each exchange to a HAR file.

    Args:
        upstream: the API's base URL (`http://` or `https://`), e.g. another simulator.
        har: the file to write; rewritten whole after each exchange, so it is always valid.
        keep_secrets: keep tokens and passwords in the file instead of redacting them.

    Raises:
        ValueError: the upstream URL is not http(s) with a host.
    """

    def __init__(self, upstream: str, har: str | Path, *, keep_secrets: bool = False) -> None:
        """Check the upstream URL; nothing is written until the first exchange."""
        parts = urlsplit(upstream)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError(f"--upstream must be an http(s) URL with a host, not {upstream!r}.")
        self.upstream = upstream.rstrip("/")
        self._parts = parts
        self.har = Path(har)
        self.keep_secrets = keep_secrets
        self.entries: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Forward one request and record it (other scope types are ignored)."""
        if scope["type"] != "http":
            return
        body = await _read_body(receive)
        if body is None:
            await _refuse_large(send)
            return
        started = datetime.now(UTC)  # a recording keeps real time: it is of a real session
        clock = time.perf_counter()
        target = scope["path"] + (
            "?" + scope["query_string"].decode("latin-1") if scope["query_string"] else ""
        )
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        status, reason, answer_headers, answer = await run_in_threadpool(
            self._forward, scope["method"], target, headers, body
        )
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (k.lower().encode("latin-1"), v.encode("latin-1"))
                    for k, v in [*answer_headers, ("content-length", str(len(answer)))]
                ],
            }
        )
        await send({"type": "http.response.body", "body": answer})
        elapsed_ms = (time.perf_counter() - clock) * 1000
        entry = self._entry(
            started,
            elapsed_ms,
            (scope["method"], target, headers, body),
            (status, reason, answer_headers, answer),
        )
        await run_in_threadpool(self._append, entry)

    def _forward(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[int, str, list[tuple[str, str]], bytes]:
        """Send the request upstream; a failure to reach it is a 502 in the provider's shape."""
        parts = self._parts
        kind = (
            http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        )
        connection = kind(parts.hostname or "", parts.port, timeout=UPSTREAM_TIMEOUT_SECONDS)
        sent = [(k, v) for k, v in headers if k.lower() not in _HOP_BY_HOP]
        try:
            connection.putrequest(
                method, parts.path.rstrip("/") + target, skip_accept_encoding=True
            )
            for name, value in sent:
                connection.putheader(name, value)
            if body or method in {"POST", "PUT", "PATCH"}:
                connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body or None)
            response = connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as error:
            message = f"The recording proxy could not reach {self.upstream}: {error}."
            problem = {
                "message": message,
                "error": {"errorCode": "bad_gateway", "message": message},
            }
            return (
                502,
                "Bad Gateway",
                [("content-type", "application/json")],
                json.dumps(problem).encode(),
            )
        finally:
            connection.close()
        kept = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP]
        return response.status, response.reason, kept, data

    def _entry(
        self,
        started: datetime,
        elapsed_ms: float,
        request: tuple[str, str, list[tuple[str, str]], bytes],
        response: tuple[int, str, list[tuple[str, str]], bytes],
    ) -> dict[str, Any]:
        """One HAR 1.2 entry."""
        method, target, headers, body = request
        status, reason, answer_headers, answer = response
        url = urlsplit(self.upstream + target)
        request_json: dict[str, Any] = {
            "method": method,
            "url": url.geturl(),
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": self._headers(headers),
            "queryString": [
                {"name": k, "value": v}
                for k, _, v in (p.partition("=") for p in url.query.split("&") if p)
            ],
            "headersSize": -1,
            "bodySize": len(body),
        }
        if body:
            request_json["postData"] = {
                "mimeType": _header(headers, "content-type") or "application/octet-stream",
                **self._body(body),
            }
        return {
            "startedDateTime": started.isoformat().replace("+00:00", "Z"),
            "time": round(elapsed_ms, 3),
            "request": request_json,
            "response": {
                "status": status,
                "statusText": reason,
                "httpVersion": "HTTP/1.1",
                "cookies": [],
                "headers": self._headers(answer_headers),
                "content": {
                    "size": len(answer),
                    "mimeType": _header(answer_headers, "content-type") or "",
                    **self._body(answer),
                },
                "redirectURL": _header(answer_headers, "location") or "",
                "headersSize": -1,
                "bodySize": len(answer),
            },
            "cache": {},
            "timings": {"send": 0, "wait": round(elapsed_ms, 3), "receive": 0},
        }

    def _headers(self, headers: list[tuple[str, str]]) -> list[dict[str, str]]:
        secret = {"authorization", "x-admin-token", "cookie", "set-cookie"}
        return [
            {
                "name": name,
                "value": REDACTED if not self.keep_secrets and name.lower() in secret else value,
            }
            for name, value in headers
        ]

    def _body(self, data: bytes) -> dict[str, str]:
        """A body as HAR keeps it: UTF-8 text (JSON secrets redacted), else base64."""
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return {"text": base64.b64encode(data).decode("ascii"), "encoding": "base64"}
        return {"text": text if self.keep_secrets else _redacted(text)}

    def _append(self, entry: dict[str, Any]) -> None:
        """Add the entry and rewrite the file, via a rename so no reader sees half of it."""
        with self._lock:
            self.entries.append(entry)
            self.write()

    def write(self) -> None:
        """Write the whole HAR file now."""
        document = {
            "log": {
                "version": "1.2",
                "creator": {"name": "okc-sim record", "version": _version()},
                "entries": self.entries,
            }
        }
        partial = self.har.with_name(self.har.name + ".partial")
        partial.write_text(json.dumps(document, indent=1), encoding="utf-8")
        partial.replace(self.har)


def _redacted(text: str) -> str:
    """JSON text with the values of secret fields replaced; any other text as it is."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        return text
    if isinstance(document, dict) and _SECRET_FIELDS & document.keys():
        return json.dumps({k: REDACTED if k in _SECRET_FIELDS else v for k, v in document.items()})
    return text


async def _read_body(receive: Receive) -> bytes | None:
    """The whole request body, or None when it is larger than `MAX_BODY_BYTES`."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _refuse_large(send: Send) -> None:
    message = f"The recording proxy forwards bodies of at most {MAX_BODY_BYTES} bytes."
    body = json.dumps(
        {"message": message, "error": {"errorCode": "payload_too_large", "message": message}}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", b"%d" % len(body)),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    return next((v for k, v in headers if k.lower() == name), None)


def _version() -> str:
    try:
        return metadata.version("okc-lifecycle")
    except metadata.PackageNotFoundError:
        return "unknown"


class _ProxyServer(uvicorn.Server):
    """uvicorn, stopped by SIGINT or SIGTERM without raising them again afterwards.

    The command then writes the file one last time and exits 0, as `okc-sim serve` does.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        handlers = {sig: signal.signal(sig, self.handle_exit) for sig in _STOP_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in handlers.items():
                signal.signal(sig, handler)


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def serve(recorder: Recorder, sock: socket.socket, log_config: dict[str, Any]) -> None:
    """Serve the proxy on a bound socket until SIGINT or SIGTERM."""
    config = uvicorn.Config(recorder, lifespan="off", log_config=log_config, log_level="warning")
    _ProxyServer(config).run(sockets=[sock])
