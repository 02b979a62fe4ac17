"""The guards against other web sites: the Host names a server answers to, JSON-only writes.

A page in a browser may send simple requests (a form, a bodyless `fetch`) to any address,
loopback included, and a DNS-rebinding page reads the answers under its own host name. The
first is refused by requiring `Content-Type: application/json` on every state-changing
request (a browser sends that cross-site only after a CORS preflight, which this server
never grants); the second by answering only to the host names it was told. See
docs/reliability.md.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from simulator.http._body import check_media_type
from simulator.http._errors import ApiError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from starlette.types import Scope

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
"""Host names every server answers to, whatever address it is bound to."""
ALLOW_HOSTS_ENV = "OKC_SIM_ALLOW_HOSTS"
"""Comma-separated host names to answer to, besides `--allow-host` (for containers)."""
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})

_NAME = re.compile(r"[a-z0-9._:%-]{1,253}")
"""A host name or an IP address (IPv6 without brackets, a zone after `%`)."""
_GIVEN = re.compile(r"[A-Za-z0-9._:%\[\]-]{1,262}")
"""What may be given as a name to allow: a host, maybe with a port; no scheme or path."""
_PORT = re.compile(r":[0-9]{0,5}")
_SHOWN = 100
_MAX_REMEMBERED = 64


def host_name(header: str) -> str:
    """The name in a Host header or a `--host` value: no port, no brackets, lower case.

    A trailing dot ("localhost.") names the same host, so it goes too. Text after the name
    that is not a port ("localhost:80@evil.example") keeps the whole text, which then
    matches no allowed name.
    """
    text = header.strip().lower()
    if text.startswith("["):
        name, _, rest = text[1:].partition("]")
    elif text.count(":") == 1:
        name, rest = text.split(":")
        rest = ":" + rest
    else:
        name, rest = text, ""  # a name, or an IPv6 address without brackets
    if rest and not _PORT.fullmatch(rest):
        return text
    return name.rstrip(".")


def allowed_from_env(environ: Mapping[str, str] | None = None) -> list[str]:
    """The host names of `OKC_SIM_ALLOW_HOSTS` (comma-separated), blanks left out."""
    text = (os.environ if environ is None else environ).get(ALLOW_HOSTS_ENV, "")
    return [name.strip() for name in text.split(",") if name.strip()]


def check_host_name(name: str) -> str:
    """A name to allow, normalised (see `host_name`).

    Raises:
        ValueError: it is not a host name or an address.
    """
    normal = host_name(name)
    if not _GIVEN.fullmatch(name.strip()) or not _NAME.fullmatch(normal):
        raise ValueError(
            f"{name!r} is not a host name or an IP address (give the name only, no scheme, "
            "path or port: --allow-host sim.internal)"
        )
    return normal


class Gate:
    """Refuses, before anything else runs, a request for another host or a non-JSON write."""

    def __init__(self, names: Iterable[str]) -> None:
        """Answer to the loopback names and these.

        Args:
            names: host names or addresses (a port or brackets are ignored).

        Raises:
            ValueError: a name is not a host name or an address.
        """
        self.names = frozenset((*LOOPBACK_NAMES, *(check_host_name(name) for name in names)))
        self._verdicts: dict[bytes, bool] = {}
        """Host header -> allowed: a server sees few distinct ones, so each is parsed once."""

    def screen(self, scope: Scope) -> ApiError | None:
        """Why an ASGI request is refused here (421 or 415), or None to serve it.

        One pass over the raw headers, as this runs for every request. A request without a
        Host header (HTTP/1.0) is served: a browser always sends one. With several, each
        must be allowed.
        """
        content_type = None
        for name, value in scope["headers"]:
            if name == b"host":
                if not self._allowed(value):
                    return self._misdirected(value.decode("latin-1"))
            elif name == b"content-type":
                content_type = value
        method: str = scope["method"]
        if method in STATE_CHANGING:
            declared = None if content_type is None else content_type.decode("latin-1")
            return _media_refusal(method, declared)
        return None

    def refusal(self, method: str, host: str | None, content_type: str | None) -> ApiError | None:
        """`screen` for a request given by its method, Host and Content-Type headers."""
        headers = [(b"host", host), (b"content-type", content_type)]
        raw = [(name, value.encode("latin-1")) for name, value in headers if value is not None]
        return self.screen({"method": method, "headers": raw})

    def _allowed(self, host: bytes) -> bool:
        verdict = self._verdicts.get(host)
        if verdict is None:
            verdict = host_name(host.decode("latin-1")) in self.names
            if len(self._verdicts) >= _MAX_REMEMBERED:
                self._verdicts = {}
            self._verdicts[host] = verdict
        return verdict

    def _misdirected(self, host: str) -> ApiError:
        shown = host if len(host) <= _SHOWN else host[:_SHOWN] + "..."
        names = ", ".join(f"[{name}]" if ":" in name else name for name in sorted(self.names))
        return ApiError(
            421,
            "misdirected_request",
            f"This server does not answer to the host name in 'Host: {shown}' (it answers to "
            f"{names}). If you reach it by that name, allow it: okc-sim serve --allow-host "
            f"NAME, or {ALLOW_HOSTS_ENV}=NAME (comma-separated).",
        )


def _media_refusal(method: str, content_type: str | None) -> ApiError | None:
    if content_type is None:
        if method == "DELETE":
            # A DELETE is never a simple request: no page sends one cross-site without a
            # CORS preflight, so one without a body needs no Content-Type.
            return None
        return ApiError(
            415,
            "unsupported_media_type",
            f"A {method} needs 'Content-Type: application/json', with or without a body "
            "(it tells this server the request does not come from another web site).",
        )
    try:
        check_media_type(content_type)
    except ApiError as refused:
        return refused
    return None
