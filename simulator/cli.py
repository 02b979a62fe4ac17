"""The `okc-sim` command: serve the fake OK Capsule API, read and move its clock, draw a diagram.

The client commands talk to a running server with the standard library alone; those of the
control API beyond the clock live in `simulator._cli_control`.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import signal
import sys
import textwrap
import threading
from datetime import UTC, date, datetime
from importlib import metadata
from typing import TYPE_CHECKING, Any, NoReturn

from lifecycle import Calendar, lifecycle_page, mermaid
from lifecycle._instant import MalformedInstant, parse_instant
from simulator import _cli_control
from simulator._cli_client import CLIENT_NOTE, CommandError
from simulator._cli_client import add_client_options as _add_client_options
from simulator._cli_client import call as _call
from simulator._cli_client import say as _say
from simulator._cli_client import subparser as _subparser
from simulator._limits import DEFAULT_MAX_CONNECTIONS, DEFAULT_REQUEST_TIMEOUT

if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import FrameType

    from simulator._server import LiveServer
    from simulator._simulator import Simulator

DEFAULT_RATE_LIMIT = 3600
"""Requests per client per simulated hour, as the contract sets it."""

DEFAULT_JOURNAL_SIZE = 1000
"""How many requests `GET /_sim/requests` remembers."""

SERVE_EXAMPLES = """\
examples:
  okc-sim serve                          # 127.0.0.1:8080, clock running from the real now
  okc-sim serve --demo                   # with a dozen orders across the lifecycle
  okc-sim serve --port 0 --clock frozen --start 2026-03-02T17:00:00Z
  okc-sim serve --db sim.sqlite          # keep the world between runs
  okc-sim serve --client me@example.com:secret --client other@example.com:pw2
  okc-sim serve --host 0.0.0.0 --admin-token "$(openssl rand -hex 16)" --allow-host sim.internal

The first line printed, stdout and stderr together, is the server's URL (useful with
--port 0); the request log goes to stderr. Ctrl+C or SIGTERM stops the server cleanly.
Exit status: 0 stopped, 1 cannot listen (the port is taken), 2 bad usage.
"""

CLOCK_EXAMPLES = f"""\
examples:
  okc-sim clock
  okc-sim clock --json
  okc-sim clock --url http://127.0.0.1:54321

{CLIENT_NOTE}"""

ADVANCE_EXAMPLES = f"""\
examples:
  okc-sim advance --hours 6              # the next status tick, if it is within 6 hours
  okc-sim advance --to-next-batch        # run tonight's batch: Pending orders are Accepted
  okc-sim advance --days 3 --json
  okc-sim advance --to 2026-03-04T08:00:00Z

The call returns after every piece of work due up to the new time has run. Time never
moves backwards: the server refuses, and the command exits 1.

{CLIENT_NOTE}"""

ADVICE_EXAMPLES = """\
examples:
  okc-sim advice                         # after your integration ran against the server
  okc-sim advice --json | jq '.advice[].kind'
  okc-sim advice --fail                  # exit 3 when there is advice (for CI)
  OKC_SIM_URL=http://127.0.0.1:9000 okc-sim advice
kinds: polling_too_often, missed_status, watermark_gap, token_churn, rate_limited
"""

CHECK_RECORDING_EXAMPLES = """\
examples:
  okc-sim check-recording session.har
  okc-sim check-recording session.har --json
  okc-sim check-recording session.har --holiday 2026-12-25 --holiday 2026-12-26

Reads an HTTP Archive of a session against the real API (saved from a browser's network
panel, a proxy, or `okc-sim record`) and checks every order the responses showed against the
model: each status change legal under the transition table, acceptance only at a nightly
batch, production, shipping and delivery only at the 6-hourly status ticks (production and
shipping on business days), tracking on a shipped order's fulfillments, no edit or cancel
taken where the rules refuse it. Exit status: 0 no divergence, 1 divergences found,
2 the file cannot be read.
kinds: illegal_transition, acceptance_off_batch, move_off_tick, move_off_business_day,
shipped_without_tracking, edit_allowed
"""

RECORD_EXAMPLES = """\
examples:
  okc-sim record --upstream https://api.example.com --har session.har
  okc-sim record --upstream http://127.0.0.1:8080 --har session.har --port 0

Point your integration at the printed URL instead of the API's: every request is forwarded
to --upstream and the exchange appended to the HAR file, which is rewritten after each one
so it is always complete. Authorization headers, passwords and tokens are replaced by
"[redacted]" unless --keep-secrets. Ctrl+C or SIGTERM stops the proxy.
"""

DIAGRAM_EXAMPLES = """\
examples:
  okc-sim diagram > lifecycle.mmd
  okc-sim diagram --page > lifecycle.md
"""

TOP_EXAMPLES = """\
examples:
  okc-sim serve --demo                   # then, in another terminal:
  okc-sim clock
  okc-sim advance --to-next-batch
  okc-sim history ORDER_ID
  okc-sim faults add error --route /v2/orders --method POST --count 2
  okc-sim diagram

Run `okc-sim COMMAND --help` for a command's options and examples. The client commands
(all but serve and diagram) find the server at $OKC_SIM_URL, else http://127.0.0.1:8080.
Exit status: 0 done, 1 failed (the server refused or is not there), 2 bad usage.
"""


class _StopRequested(BaseException):
    """SIGINT or SIGTERM asked the server to stop (a BaseException, like KeyboardInterrupt)."""


# --- argument types: each raises ArgumentTypeError, so argparse names the flag and exits 2 --


def _port(text: str) -> int:
    port = _integer(text)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port: use 0 to 65535 (0 picks one)")
    return port


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def _host_name(text: str) -> str:
    from simulator.http._gate import check_host_name  # noqa: PLC0415 - serve only

    try:
        return check_host_name(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _non_negative_int(text: str) -> int:
    number = _integer(text)
    if number < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is negative")
    return number


def _positive_int(text: str) -> int:
    number = _integer(text)
    if number < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return number


def _number(text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(number):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return number


def _positive_number(text: str) -> float:
    number = _number(text)
    if number <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be greater than 0")
    return number


def _non_negative_number(text: str) -> float:
    number = _number(text)
    if number < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is negative: time never moves backwards")
    return number


def _rate_limit(text: str) -> int | None:
    if text.strip().lower() == "off":
        return None
    limit = _integer(text)
    if limit < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give at least 1 request, or 'off'")
    return limit


def _instant(text: str) -> datetime:
    try:
        return parse_instant(text)
    except MalformedInstant as error:
        raise argparse.ArgumentTypeError(error.reason) from None


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _timezone(text: str) -> str:
    try:
        Calendar(zone=text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def _client(text: str) -> tuple[str, str]:
    email, colon, password = text.partition(":")
    if not colon or "@" not in email or not password:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not EMAIL:PASSWORD, like integrator@example.com:sandbox"
        )
    return email, password


# --- the parser ------------------------------------------------------------------------------


def _version() -> str:
    try:
        return metadata.version("okc-lifecycle")
    except metadata.PackageNotFoundError:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    """The `okc-sim` argument parser, with one sub-parser per command."""
    parser = argparse.ArgumentParser(
        prog="okc-sim",
        description="An offline fake of the OK Capsule v2 API, with a simulated clock.",
        epilog=TOP_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_serve(commands)
    _add_clock(commands)
    _add_advance(commands)
    _add_advice(commands)
    _add_check_recording(commands)
    _add_record(commands)
    _add_diagram(commands)
    _cli_control.register(commands)
    return parser


def _add_serve(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub = _subparser(commands, "serve", "Serve the fake OK Capsule API over HTTP.", SERVE_EXAMPLES)
    sub.set_defaults(handler=_serve)
    listen = sub.add_argument_group("listening")
    listen.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    listen.add_argument(
        "--port", type=_port, default=8080, help="port; 0 picks a free one (default: %(default)s)"
    )
    listen.add_argument(
        "--allow-host",
        dest="allow_hosts",
        metavar="NAME",
        type=_host_name,
        action="append",
        default=[],
        help="a host name the server answers to besides localhost, 127.0.0.1, [::1] and "
        "--host (a container or compose service name); repeat for more; also read from "
        "$OKC_SIM_ALLOW_HOSTS, comma-separated. Other Host headers get 421",
    )
    listen.add_argument(
        "--admin-token",
        metavar="TOKEN",
        help="token the control API (/_sim) requires as 'Authorization: Bearer TOKEN'; "
        "required when --host is not a loopback address",
    )
    world = sub.add_argument_group("the world")
    world.add_argument(
        "--db", metavar="PATH", help="SQLite file that keeps the world (default: in memory)"
    )
    world.add_argument(
        "--seed", type=_integer, default=0, help="seed of every id and random draw (default: 0)"
    )
    world.add_argument(
        "--profile",
        metavar="FILE",
        help="operations profile (TOML) in place of the packaged default, which holds or "
        "cancels no order at random (simulator/default_profile.toml in the installed package)",
    )
    world.add_argument(
        "--timezone",
        type=_timezone,
        metavar="ZONE",
        help="zone of the batch and status ticks: America/Los_Angeles (the profile's "
        "default) or UTC-8 (Pacific Standard Time all year)",
    )
    world.add_argument(
        "--client",
        dest="clients",
        metavar="EMAIL:PASSWORD",
        type=_client,
        action="append",
        help="a client's credentials; repeat for more; replaces the default "
        "integrator@example.com:sandbox",
    )
    world.add_argument(
        "--demo", action="store_true", help="start with a dozen orders across the lifecycle"
    )
    clock = sub.add_argument_group("the clock")
    clock.add_argument(
        "--clock",
        choices=["frozen", "running"],
        default="running",
        help="frozen: moves only when told (okc-sim advance); running: real time x speed "
        "(default: %(default)s)",
    )
    clock.add_argument(
        "--speed",
        type=_positive_number,
        default=1.0,
        help="simulated seconds per real second while running (default: 1)",
    )
    clock.add_argument(
        "--start",
        type=_instant,
        metavar="ISO",
        help="simulated start instant, e.g. 2026-03-02T17:00:00Z (default: the real now)",
    )
    server = sub.add_argument_group("the server")
    server.add_argument(
        "--rate-limit",
        type=_rate_limit,
        default=DEFAULT_RATE_LIMIT,
        metavar="N|off",
        help="requests per client per simulated hour (default: %(default)s)",
    )
    server.add_argument(
        "--journal-size",
        type=_non_negative_int,
        default=DEFAULT_JOURNAL_SIZE,
        metavar="N",
        help="requests GET /_sim/requests remembers (default: %(default)s)",
    )
    server.add_argument(
        "--request-timeout",
        type=_positive_number,
        default=DEFAULT_REQUEST_TIMEOUT,
        metavar="SECONDS",
        help="real seconds a client has to send a whole request; a connection still "
        "incomplete then is answered 408 and closed (default: %(default)g)",
    )
    server.add_argument(
        "--max-connections",
        type=_positive_int,
        default=DEFAULT_MAX_CONNECTIONS,
        metavar="N",
        help="open connections at most; one more is answered 503 and closed (default: %(default)s)",
    )
    server.add_argument(
        "--log-level",
        choices=["critical", "error", "warning", "info", "debug"],
        default="info",
        help="server log level; info logs each request (default: %(default)s)",
    )


def _add_clock(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub = _subparser(commands, "clock", "Show a running server's simulated clock.", CLOCK_EXAMPLES)
    sub.set_defaults(handler=_clock)
    _add_client_options(sub)


def _add_advance(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub = _subparser(
        commands,
        "advance",
        "Move a running server's clock forward, running the work that falls due.",
        ADVANCE_EXAMPLES,
    )
    sub.set_defaults(handler=_advance)
    _add_client_options(sub)
    how_far = sub.add_mutually_exclusive_group(required=True)
    how_far.add_argument(
        "--seconds", type=_non_negative_number, metavar="N", help="by N simulated seconds"
    )
    how_far.add_argument(
        "--hours", type=_non_negative_number, metavar="N", help="by N hours (1.5 is 90 minutes)"
    )
    how_far.add_argument(
        "--days", type=_non_negative_number, metavar="N", help="by N days of 24 hours"
    )
    how_far.add_argument("--to", type=_instant, metavar="ISO", help="an instant, not in the past")
    how_far.add_argument(
        "--to-next-batch",
        action="store_true",
        help="to the next nightly batch (00:00 in the server's zone)",
    )


def _add_advice(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub = _subparser(
        commands,
        "advice",
        "Show what the server's request journal says about your integration's polling.",
        ADVICE_EXAMPLES,
    )
    sub.set_defaults(handler=_advice)
    _add_client_options(sub)
    sub.add_argument(
        "--fail",
        action="store_true",
        help="exit with status 3 when there is any advice (for a CI step)",
    )


def _add_check_recording(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub = _subparser(
        commands,
        "check-recording",
        "Check a recorded session (a HAR file) against the lifecycle model.",
        CHECK_RECORDING_EXAMPLES,
    )
    sub.set_defaults(handler=_check_recording)
    sub.add_argument("har", metavar="FILE.har", help="the HTTP Archive to check")
    sub.add_argument(
        "--timezone",
        type=_timezone,
        default="America/Los_Angeles",
        help="the zone of the nightly batch and the status ticks (default: %(default)s)",
    )
    sub.add_argument(
        "--holiday",
        type=_date,
        action="append",
        default=[],
        metavar="YYYY-MM-DD",
        help="a day without production or shipping, besides weekends (repeatable)",
    )
    sub.add_argument("--json", action="store_true", help="print the divergences as JSON")


def _add_record(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub = _subparser(
        commands,
        "record",
        "Run a proxy that records a session against an API into a HAR file.",
        RECORD_EXAMPLES,
    )
    sub.set_defaults(handler=_record)
    sub.add_argument(
        "--upstream", required=True, metavar="URL", help="the API to forward to (http or https)"
    )
    sub.add_argument("--har", required=True, metavar="FILE", help="the HAR file to write")
    sub.add_argument(
        "--host", default="127.0.0.1", help="the address to listen on (default: %(default)s)"
    )
    sub.add_argument(
        "--port",
        type=_port,
        default=8081,
        help="the port; 0 picks a free one (default: %(default)s)",
    )
    sub.add_argument(
        "--keep-secrets",
        action="store_true",
        help="keep tokens, passwords and Authorization headers in the file",
    )


def _add_diagram(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub = _subparser(
        commands, "diagram", "Print the order lifecycle as a Mermaid diagram.", DIAGRAM_EXAMPLES
    )
    sub.set_defaults(handler=_diagram)
    sub.add_argument(
        "--page",
        action="store_true",
        help="print a whole Markdown page: the diagram and the table of every move",
    )


# --- output ---------------------------------------------------------------------------------


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _span(seconds: float) -> str:
    """A duration for people: "2d 03h 05m", "15h 00m", "42s"."""
    whole = max(0, round(seconds))
    days, rest = divmod(whole, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours:02d}h {minutes:02d}m"
    if hours or minutes:
        return f"{hours}h {minutes:02d}m"
    return f"{secs}s"


def _local(instant: datetime, zone: str) -> str:
    """An instant on the server's wall clock, e.g. "Mon 2026-03-02 09:00:00 America/Los_Angeles"."""
    try:
        local = Calendar(zone=zone).local(instant)
    except ValueError:
        return zone
    return f"{local.strftime('%a %Y-%m-%d %H:%M:%S')} {zone}"


# --- serve ----------------------------------------------------------------------------------


def _serve(args: argparse.Namespace) -> int:
    from simulator._server import is_loopback  # noqa: PLC0415 - keep `okc-sim clock` light

    usage: argparse.ArgumentParser = args.command_parser
    loopback = is_loopback(args.host)
    if not loopback and not args.admin_token:
        usage.error(
            f"--admin-token is required when --host is not a loopback address ({args.host!r}): "
            "the control API (/_sim) can move the clock and reset the world"
        )
    from simulator.http._gate import ALLOW_HOSTS_ENV, allowed_from_env  # noqa: PLC0415

    try:
        args.allow_hosts = [*map(_host_name, allowed_from_env()), *args.allow_hosts]
    except argparse.ArgumentTypeError as error:
        usage.error(f"${ALLOW_HOSTS_ENV}: {error}")
    emails = [email for email, _ in args.clients or ()]
    if len(set(emails)) != len(emails):
        usage.error("--client: each client needs its own email")
    previous = _install_stop_handlers()
    try:
        return _run_server(args, loopback=loopback)
    except _StopRequested:
        # A signal before the server was up: nothing was served, and cleanup has run.
        return 0
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _install_stop_handlers() -> dict[int, Any]:
    """Turn SIGINT and SIGTERM into `_StopRequested`; return the handlers they replace."""

    def stop(signum: int, frame: FrameType | None) -> NoReturn:  # noqa: ARG001 - signal API
        # Later signals are ignored: shutdown is bounded by LiveServer's own timeouts.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise _StopRequested(signum)

    return {signum: signal.signal(signum, stop) for signum in (signal.SIGINT, signal.SIGTERM)}


def _run_server(args: argparse.Namespace, *, loopback: bool) -> int:
    started = _start(args, loopback=loopback)
    if isinstance(started, str):
        sys.stderr.write(f"okc-sim serve: {started}\n")
        return 2
    sim, server, demo = started
    try:
        _banner(args, server, demo, loopback=loopback)
        _wait_forever()
    except _StopRequested as stopped:
        _say(f"Stopping ({signal.Signals(stopped.args[0]).name}).")
    finally:
        try:
            server.stop()
        finally:
            sim.close()
    return 0


def _start(args: argparse.Namespace, *, loopback: bool) -> tuple[Simulator, LiveServer, str] | str:
    """Open the world and its socket and start serving; or say in one line why not.

    Every start-up failure ends here, known or not, so none ends in a traceback.
    """
    try:
        sim, demo = _world(args)
    except Exception as error:  # noqa: BLE001 - every failure becomes one line
        return _refusal(args, error)
    try:
        server = _listen(args, sim, loopback=loopback)
        try:
            # The socket listens already: the URL goes first, before uvicorn logs a word, and
            # a client that connects at once waits in the socket's backlog until it serves.
            _say(server.url)
            server.start()
        except BaseException:
            server.stop()
            raise
    except BaseException as error:
        sim.close()
        if isinstance(error, Exception):
            return _refusal(args, error)
        raise  # a signal: `_serve` says nothing was served
    return sim, server, demo


def _refusal(args: argparse.Namespace, error: Exception) -> str:
    from simulator._startup import start_failure  # noqa: PLC0415 - serve only

    if isinstance(error, CommandError):
        return str(error)
    return start_failure(error, db=args.db, profile=args.profile)


def _wait_forever() -> None:
    """Block until a signal handler raises."""
    if hasattr(signal, "pause"):
        while True:
            signal.pause()
    # Windows has no signal.pause; a timed wait lets the signal handler run between waits.
    never = threading.Event()
    while not never.wait(1.0):
        pass


def _world(args: argparse.Namespace) -> tuple[Simulator, str]:
    """Build the simulator the flags describe, with the demo loaded if asked; say what was done."""
    from simulator._demo import demo_start, load_demo  # noqa: PLC0415 - serve only
    from simulator._simulator import Simulator  # noqa: PLC0415 - serve only

    # The real now only picks where the world starts, as Simulator() would by default; the
    # demo needs it first, to start that world three weeks earlier.
    end = args.start or datetime.now(UTC).replace(microsecond=0)
    start = demo_start(end) if args.demo else end
    settings: dict[str, Any] = {
        "start": start,
        "seed": args.seed,
        "profile": args.profile,
        "db": args.db,
        "timezone": args.timezone,
        "mode": "frozen" if args.demo else args.clock,
        "speed": args.speed,
    }
    if args.clients:
        settings["clients"] = args.clients
    sim = Simulator(**settings)
    if not args.demo:
        return sim, ""
    try:
        # Only into a new world: a durable one keeps its orders, and its clock, as they were.
        if sim.count_orders() or sim.now != start:
            note = "skipped: the --db world already has orders or a later clock"
        else:
            note = load_demo(sim).describe()
        sim.set_clock(args.clock, args.speed)
    except BaseException:
        sim.close()
        raise
    return sim, note


def _listen(args: argparse.Namespace, sim: Simulator, *, loopback: bool) -> LiveServer:
    from simulator._limits import ConnectionLimits  # noqa: PLC0415 - serve only
    from simulator._server import LiveServer  # noqa: PLC0415 - serve only

    try:
        return LiveServer(
            sim,
            args.host,
            args.port,
            log_level=args.log_level,
            log_config=_log_config(),
            access_log=True,
            limits=ConnectionLimits(args.request_timeout, args.max_connections),
            admin_token=args.admin_token,
            control_requires_token=not loopback or bool(args.admin_token),
            rate_limit=args.rate_limit,
            journal_size=args.journal_size,
            allowed_hosts=args.allow_hosts,
        )
    except OSError as error:
        from simulator._startup import listen_failure  # noqa: PLC0415 - serve only

        raise CommandError(listen_failure(args.host, args.port, error)) from None


def _log_config() -> dict[str, Any]:
    """The server's logging (uvicorn's), all of it on stderr.

    Standard output carries only the URL and the banner, so a script may read the first
    line and never read again without the server blocking on a full pipe.
    """
    from uvicorn.config import LOGGING_CONFIG  # noqa: PLC0415 - serve only

    config = copy.deepcopy(LOGGING_CONFIG)
    config["handlers"]["access"]["stream"] = "ext://sys.stderr"
    return config


def _banner(args: argparse.Namespace, server: LiveServer, demo: str, *, loopback: bool) -> None:
    clock = server.sim.clock_state()
    now = datetime.fromisoformat(clock["now"]).replace(microsecond=0)
    batch = datetime.fromisoformat(clock["next_batch_at"])
    moving = "frozen" if clock["mode"] == "frozen" else f"running at {clock['speed']:g}x"
    limit = "off" if args.rate_limit is None else f"{args.rate_limit} requests/client/sim hour"
    control = "open (loopback)" if not args.admin_token else "needs the admin token"
    store = _store_line(server.sim, args.db)
    lines = [
        f"okc-sim {_version()}: a fake OK Capsule v2 API (offline; nothing reaches OK Capsule)",
        f"  api      {server.url}/v2  (token: POST /v2/authentication/token)",
        *(f"  client   {account.email} / {account.password}" for account in server.sim.clients),
        f"  clock    {_iso(now)} ({_local(now, clock['timezone'])}), {moving}",
        f"  batch    next at {_iso(batch)} (in {_span((batch - now).total_seconds())} sim time)",
        f"  world    seed {args.seed}; {store}; rate limit {limit}",
        f"  control  {server.url}/_sim/clock, {control}; okc-sim clock | advance --help",
    ]
    if demo:
        lines.append(f"  demo     {demo}")
    if not loopback:
        lines.append("  warning  listening beyond this machine: only sandbox data belongs here")
    lines += ["  help     okc-sim --help, and okc-sim COMMAND --help for each command", ""]
    lines.append("Ctrl+C stops the server.")
    for line in lines:
        _say(line)


def _store_line(sim: Simulator, db: str | None) -> str:
    """Where the world is kept, and whether it is new or resumed (with its size and time)."""
    if db is None:
        return "store in memory (--db PATH keeps it)"
    if sim.store.new:
        return f"new world in {db}"
    now = datetime.fromisoformat(sim.clock_state()["now"]).replace(microsecond=0)
    return f"resumed world from {db}: {sim.count_orders():,} orders, clock at {_iso(now)}"


# --- clock and advance ----------------------------------------------------------------------


def _clock(args: argparse.Namespace) -> int:
    state = _call(args, "GET", "/_sim/clock")
    if args.json:
        _say(json.dumps(state))
        return 0
    now = datetime.fromisoformat(state["now"])
    batch = datetime.fromisoformat(state["next_batch_at"])
    zone = state["timezone"]
    _say(f"now            {state['now']}  {_local(now, zone)}")
    _say(f"mode           {state['mode']}")
    _say(f"speed          {state['speed']:g}")
    _say(
        f"next batch at  {state['next_batch_at']}  {_local(batch, zone)} "
        f"(in {_span((batch - now).total_seconds())})"
    )
    return 0


def _advance(args: argparse.Namespace) -> int:
    body: dict[str, Any]
    if args.to_next_batch:
        body = {"to": _call(args, "GET", "/_sim/clock")["next_batch_at"]}
    elif args.to is not None:
        body = {"to": _iso(args.to)}
    else:
        hours = args.hours if args.hours is not None else (args.days or 0) * 24
        seconds = args.seconds if args.seconds is not None else hours * 3600
        body = {"seconds": seconds}
    result = _call(args, "POST", "/_sim/clock/advance", body)
    if args.json:
        _say(json.dumps(result))
    else:
        _say(f"now             {result['now']}")
        _say(f"events applied  {result['events_applied']}")
    return 0


# --- advice ---------------------------------------------------------------------------------

ADVICE_FOUND = 3
"""`okc-sim advice --fail`'s exit status when there is advice."""


def _advice(args: argparse.Namespace) -> int:
    found = _call(args, "GET", "/_sim/advice")["advice"]
    if args.json:
        _say(json.dumps({"advice": found}))
    elif not found:
        _say("No advice: the journal shows nothing to change.")
    else:
        for item in found:
            _say(f"{item['kind']}  (client {item['client']})")
            for line in textwrap.wrap(item["message"], 96):
                _say(f"  {line}")
            evidence = ", ".join(f"{k}={json.dumps(v)}" for k, v in item["evidence"].items())
            for line in textwrap.wrap(f"evidence: {evidence}", 96):
                _say(f"  {line}")
            _say()
    return ADVICE_FOUND if args.fail and found else 0


# --- recordings -----------------------------------------------------------------------------

RECORDING_UNREADABLE = 2
"""`okc-sim check-recording`'s exit status for a file it cannot read."""


def _check_recording(args: argparse.Namespace) -> int:
    from simulator.recording import RecordingError, check_recording, load_har  # noqa: PLC0415

    try:
        entries = load_har(args.har)
    except RecordingError as error:
        sys.stderr.write(f"okc-sim check-recording: {error}\n")
        return RECORDING_UNREADABLE
    found = check_recording(entries, Calendar(args.timezone, args.holiday))
    if args.json:
        _say(json.dumps({"entries": len(entries), "divergences": [d.to_json() for d in found]}))
    else:
        for divergence in found:
            _say(f"entry {divergence.entry}  {divergence.request}")
            for line in textwrap.wrap(f"{divergence.kind}: {divergence.message}", 96):
                _say(f"  {line}")
        verdict = "no divergence from the model" if not found else f"{len(found)} divergence(s)"
        _say(f"{len(entries)} entries checked: {verdict}.")
    return 1 if found else 0


def _record(args: argparse.Namespace) -> int:
    from simulator._recorder import Recorder, serve  # noqa: PLC0415 - record only
    from simulator._server import bind_socket, socket_url  # noqa: PLC0415

    try:
        recorder = Recorder(args.upstream, args.har, keep_secrets=args.keep_secrets)
    except ValueError as error:
        args.command_parser.error(str(error))
    try:
        sock = bind_socket(args.host, args.port)
    except OSError as error:
        raise CommandError(f"cannot listen on {args.host}:{args.port}: {error.strerror}") from None
    _say(socket_url(sock))
    _say(f"Recording {recorder.upstream} into {args.har}. Ctrl+C stops.")
    recorder.write()
    serve(recorder, sock, _log_config())
    recorder.write()
    _say(f"{len(recorder.entries)} exchanges recorded in {args.har}.")
    return 0


# --- diagram --------------------------------------------------------------------------------


def _diagram(args: argparse.Namespace) -> int:
    sys.stdout.write(lifecycle_page() if args.page else mermaid())
    sys.stdout.flush()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run `okc-sim`; return the exit status (0 ok, 1 failed, 2 bad usage).

    Args:
        argv: the arguments after the program name; None reads `sys.argv`.
    """
    args = build_parser().parse_args(argv)
    try:
        status: int = args.handler(args)
    except CommandError as error:
        sys.stderr.write(f"okc-sim {args.command}: {error}\n")
        return 1
    except BrokenPipeError:
        # The reader went away (`okc-sim requests | head`): stop quietly, as `cat` would.
        # Python would report the pipe again when it flushes stdout at exit, unless it
        # points elsewhere.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return status


if __name__ == "__main__":
    sys.exit(main())
