"""What every `okc-sim` command that talks to a running server shares: its options and one call.

The standard library alone, so the client commands start fast and need no server packages.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

DEFAULT_URL = "http://127.0.0.1:8080"
"""Where the client commands look for a server unless `--url` or `OKC_SIM_URL` says."""

URL_ENV = "OKC_SIM_URL"
TOKEN_ENV = "OKC_SIM_ADMIN_TOKEN"  # noqa: S105 - the name of a variable, not a secret
ADMIN_TOKEN_HEADER = "Authorization"  # noqa: S105 - a header name, not a secret
"""The control API reads the admin token as `Authorization: Bearer <token>`."""

CLIENT_TIMEOUT_SECONDS = 300.0
"""How long a client command waits for an answer: a long advance runs a lot of work."""

CLIENT_NOTE = f"""\
The server's URL defaults to ${URL_ENV}, else {DEFAULT_URL}; the admin token
to ${TOKEN_ENV}. Exit status: 0 done; 1 the server refused or is not there
(its message is printed on one line); 2 bad usage.
"""

Commands = argparse._SubParsersAction  # noqa: SLF001 - argparse names no public type for it
"""What `add_subparsers` returns: where each command registers its sub-parser."""


class CommandError(Exception):
    """A command failed for a reason the user can act on; the message says which."""


def say(text: str = "") -> None:
    """Write a line to stdout at once: a parent process may be waiting for it."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def say_json(value: object) -> None:
    """Print a server's answer as one line of JSON, for scripts (`--json`)."""
    say(json.dumps(value))


def subparser(
    commands: Commands[argparse.ArgumentParser], name: str, summary: str, examples: str
) -> argparse.ArgumentParser:
    """Add a command: its one-line summary, and an epilog of examples shown by `--help`."""
    sub = commands.add_parser(
        name,
        help=summary,
        description=summary,
        epilog=examples,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub.set_defaults(command_parser=sub)
    return sub


def base_url(text: str) -> str:
    """An argparse type: an http(s) URL, without a trailing slash."""
    parts = urllib.parse.urlsplit(text)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise argparse.ArgumentTypeError(f"{text!r} is not an http:// URL")
    return text.rstrip("/")


def add_client_options(sub: argparse.ArgumentParser, *, json_help: str | None = None) -> None:
    """Give a command `--url`, `--admin-token` and `--json`."""
    sub.add_argument(
        "--url",
        type=base_url,
        default=os.environ.get(URL_ENV, DEFAULT_URL),
        help=f"the server's URL (default: ${URL_ENV}, else {DEFAULT_URL})",
    )
    sub.add_argument(
        "--admin-token",
        metavar="TOKEN",
        default=os.environ.get(TOKEN_ENV),
        help=f"the server's --admin-token, if it has one (default: ${TOKEN_ENV})",
    )
    sub.add_argument(
        "--json",
        action="store_true",
        help=json_help or "print the server's JSON answer on one line, for scripts",
    )


def call(args: argparse.Namespace, method: str, path: str, body: object = None) -> Any:  # noqa: ANN401 - decoded JSON
    """Send one request to the control API; return the decoded JSON answer (None for a 204).

    Raises:
        CommandError: the server is not there, or answered with an error.
    """
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(args.url + path, data=data, method=method)  # noqa: S310 - base_url allows http(s) only
    request.add_header("Accept", "application/json")
    if data is not None or method in {"POST", "PUT", "PATCH"}:
        # Every write is JSON, with or without a body: the server refuses others (415).
        request.add_header("Content-Type", "application/json")
    if args.admin_token:
        request.add_header(ADMIN_TOKEN_HEADER, f"Bearer {args.admin_token}")
    try:
        with urllib.request.urlopen(request, timeout=CLIENT_TIMEOUT_SECONDS) as response:  # noqa: S310 - as above
            raw = response.read()
    except urllib.error.HTTPError as error:
        raise CommandError(f"{error.code} {_message(error)}") from None
    except urllib.error.URLError as error:
        if isinstance(error.reason, ConnectionRefusedError):
            raise CommandError(
                f"no simulator at {args.url} (connection refused): start one with "
                f"`okc-sim serve`, or give its address with --url or ${URL_ENV}"
            ) from None
        raise CommandError(f"cannot reach {args.url}: {error.reason}") from None
    except (TimeoutError, ConnectionError) as error:
        raise CommandError(f"cannot reach {args.url}: {error}") from None
    if not raw:
        return None
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        raise CommandError(
            f"{method} {path}: the answer is not JSON; is {args.url} okc-sim?"
        ) from None


def _message(error: urllib.error.HTTPError) -> str:
    """The error body's `message`, on one line, else the HTTP reason."""
    try:
        body = json.loads(error.read())
    except (ValueError, OSError):
        return str(error.reason)
    message = body.get("message") if isinstance(body, dict) else None
    return " ".join(str(message or error.reason).split())


def quote(segment: str) -> str:
    """A path segment as typed by the user, safe in a URL (an id with a slash stays one segment)."""
    return urllib.parse.quote(segment, safe="")


def say_table(headers: Sequence[str], rows: Sequence[Sequence[object]], *, empty: str = "") -> None:
    """Print rows under headers in aligned columns (None shows as "-"); `empty` if no rows."""
    if not rows and empty:
        say(empty)
        return
    lines = [list(headers), *([_cell(value) for value in row] for row in rows)]
    widths = [max(len(line[column]) for line in lines) for column in range(len(headers))]
    for line in lines:
        cells = (value.ljust(width) for value, width in zip(line, widths, strict=True))
        say("  ".join(cells).rstrip())


def _cell(value: object) -> str:
    return "-" if value is None else " ".join(str(value).split())
