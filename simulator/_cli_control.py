"""The `okc-sim` commands that drive a running server's control API: reset, faults, requests...

Each is a thin client of one `/_sim` route: the server checks every value and its refusal is
printed as one line. `--json` prints the server's answer as it came; the default is a table.
"""

from __future__ import annotations

import argparse
import textwrap
from typing import TYPE_CHECKING, Any

from simulator._cli_client import (
    CLIENT_NOTE,
    add_client_options,
    call,
    quote,
    say,
    say_json,
    say_table,
    subparser,
)
from simulator._operator_events import OPERATOR_EVENT_NAMES

if TYPE_CHECKING:
    from simulator._cli_client import Commands

RESET_EXAMPLES = f"""\
examples:
  okc-sim reset
  okc-sim reset --url http://127.0.0.1:54321

Orders, consumers, fulfillments, tokens, rate-limit counts, fault rules and the request
journal go; the clients, seed, profile and the clock's time stay. Log in again afterwards.
With --json nothing is printed (the server answers 204 No Content).

{CLIENT_NOTE}"""

FAULTS_EXAMPLES = f"""\
examples:
  okc-sim faults add error --route /v2/orders --method POST --status 503 --count 2
  okc-sim faults list
  okc-sim faults clear

{CLIENT_NOTE}"""

FAULTS_ADD_EXAMPLES = f"""\
examples:
  okc-sim faults add error --route /v2/orders --method POST --status 503 --count 2
  okc-sim faults add rate_limit --retry-after 30 --for-seconds 600
  okc-sim faults add latency --route '/v2/orders/{{id}}' --method GET --latency-ms 800 \\
      --probability 0.25
  okc-sim faults add drop --route '/v2/orders/{{id}}' --method PUT --stage response --json

Rules apply to every route but /_sim. Draws are seeded: the same requests in the same order
meet the same faults. A bad value is refused by the server, naming the field, and no rule
is added.

{CLIENT_NOTE}"""

FAULTS_LIST_EXAMPLES = f"""\
examples:
  okc-sim faults list
  okc-sim faults list --json

Used-up and expired rules are gone; LEFT counts the strikes left (- for no
limit), HITS those so far.

{CLIENT_NOTE}"""

FAULTS_CLEAR_EXAMPLES = f"""\
examples:
  okc-sim faults clear               # every rule
  okc-sim faults clear fault-2       # one rule

With --json nothing is printed (the server answers 204 No Content).

{CLIENT_NOTE}"""

REQUESTS_EXAMPLES = f"""\
examples:
  okc-sim requests
  okc-sim requests --limit 20
  okc-sim requests --json

The journal of the requests the server answered, oldest first: AT is the simulated time
the request arrived, MS the real time it took, STATUS - for a connection a fault dropped.

{CLIENT_NOTE}"""

HISTORY_EXAMPLES = f"""\
examples:
  okc-sim history 3f1c2a9e-0b7d-4a52-9d1e-6c8f0a4b2e17
  okc-sim history "$ORDER" --json

Every status change of the order, oldest first, with the event, who fired it and why.
Any client's order.

{CLIENT_NOTE}"""

EVENT_EXAMPLES = f"""\
examples:
  okc-sim event "$ORDER" cancel_by_okc --reason "out of stock"
  okc-sim event "$ORDER" start_production
  okc-sim event "$ORDER" hold --json

Operator events, every event of the lifecycle but the client's (hold and release mean
OK Capsule's own hold, okc_hold and okc_release):
{{operator_events}}
An event the state machine forbids from the order's status is refused (409), as is a name
that is not an operator event (422); either exits 1.

{CLIENT_NOTE}"""

OPENAPI_EXAMPLES = f"""\
examples:
  okc-sim openapi                    # the routes, one a line
  okc-sim openapi --json > okc-sim.openapi.json

{CLIENT_NOTE}"""


def _operator_events() -> str:
    """The events an operator may fire, from the transition table: all but the client's."""
    return textwrap.fill(
        ", ".join(OPERATOR_EVENT_NAMES), 88, initial_indent="  ", subsequent_indent="  "
    )


def register(commands: Commands[argparse.ArgumentParser]) -> None:
    """Add the control API's commands to `okc-sim`'s sub-parsers."""
    _add_reset(commands)
    _add_faults(commands)
    _add_requests(commands)
    _add_history(commands)
    _add_event(commands)
    _add_openapi(commands)


# --- the parsers -------------------------------------------------------------------------------


def _positive_int(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return number


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None


def _add_reset(commands: Commands[argparse.ArgumentParser]) -> None:
    sub = subparser(
        commands, "reset", "Empty a running server's world (POST /_sim/reset).", RESET_EXAMPLES
    )
    sub.set_defaults(handler=_reset)
    add_client_options(sub, json_help="print nothing on success (the answer has no body)")


def _add_faults(commands: Commands[argparse.ArgumentParser]) -> None:
    sub = subparser(
        commands,
        "faults",
        "Add, list or clear injected faults (/_sim/faults).",
        FAULTS_EXAMPLES,
    )
    actions = sub.add_subparsers(dest="faults_action", required=True, metavar="ACTION")
    add = subparser(
        actions,
        "add",
        "Add a fault rule: matching requests fail, slow down, drop or meet a 429.",
        FAULTS_ADD_EXAMPLES,
    )
    add.set_defaults(handler=_faults_add)
    _add_fault_rule_options(add)
    add_client_options(add, json_help="print the server's answer, the stored rule, as JSON")
    listed = subparser(actions, "list", "List the fault rules in force.", FAULTS_LIST_EXAMPLES)
    listed.set_defaults(handler=_faults_list)
    add_client_options(listed)
    clear = subparser(
        actions, "clear", "Remove every fault rule, or one by its id.", FAULTS_CLEAR_EXAMPLES
    )
    clear.set_defaults(handler=_faults_clear)
    clear.add_argument(
        "fault_id", nargs="?", metavar="ID", help="only this rule, e.g. fault-2 (default: all)"
    )
    add_client_options(clear, json_help="print nothing on success (the answer has no body)")


def _add_fault_rule_options(add: argparse.ArgumentParser) -> None:
    """The rule's fields as options, each named (`dest`) as `POST /_sim/faults` takes it."""
    option = add.add_argument
    until = add.add_mutually_exclusive_group()
    fields = [
        option("kind", metavar="KIND", help="error, latency, drop or rate_limit"),
        option(
            "--route",
            help="* (every route but /_sim), a path (/v2/orders), {name} or * for one segment "
            "(/v2/orders/{id}), or a trailing * for everything below (default: /v2/*)",
        ),
        option(
            "--method",
            dest="methods",
            action="append",
            metavar="METHOD",
            help="only this HTTP method; repeat for more (default: every method)",
        ),
        option(
            "--status",
            type=_whole,
            metavar="N",
            help="error only: 500, 502, 503 or 504 (default: 503)",
        ),
        option(
            "--latency-ms",
            type=_number,
            metavar="MS",
            help="real milliseconds to wait before answering; required for latency, allowed "
            "for every kind (at most 300000)",
        ),
        option(
            "--retry-after",
            type=_whole,
            metavar="SECONDS",
            help="rate_limit only: the Retry-After seconds, 0 to 86400 (default: 60)",
        ),
        option(
            "--probability",
            type=_number,
            metavar="P",
            help="the share of matching requests struck, 0 to 1 (default: 1)",
        ),
        option(
            "--count",
            type=_whole,
            metavar="N",
            help="strike at most N times, then the rule is gone",
        ),
        until.add_argument(
            "--until",
            metavar="ISO",
            help="end the rule at this simulated instant, e.g. 2026-03-03T08:00:00Z",
        ),
        until.add_argument(
            "--for-seconds",
            type=_number,
            metavar="N",
            help="end the rule N simulated seconds after it is added",
        ),
        option(
            "--stage",
            metavar="request|response",
            help="request (default): strike before the request is handled, so nothing "
            "changes; response: the work is done, then the answer is replaced (not for "
            "rate_limit)",
        ),
    ]
    add.set_defaults(rule_fields=tuple(action.dest for action in fields))


def _add_requests(commands: Commands[argparse.ArgumentParser]) -> None:
    sub = subparser(
        commands,
        "requests",
        "Show the requests a running server answered (GET /_sim/requests).",
        REQUESTS_EXAMPLES,
    )
    sub.set_defaults(handler=_requests)
    sub.add_argument(
        "--limit",
        type=_positive_int,
        metavar="N",
        help="only the newest N requests (default: all the journal keeps)",
    )
    add_client_options(sub)


def _add_history(commands: Commands[argparse.ArgumentParser]) -> None:
    sub = subparser(
        commands,
        "history",
        "Show an order's status history (GET /_sim/orders/ID/history).",
        HISTORY_EXAMPLES,
    )
    sub.set_defaults(handler=_history)
    sub.add_argument("order_id", metavar="ORDER_ID", help="the order's id, as the API gives it")
    add_client_options(sub)


def _add_event(commands: Commands[argparse.ArgumentParser]) -> None:
    sub = subparser(
        commands,
        "event",
        "Fire an operator event on an order (POST /_sim/orders/ID/events).",
        EVENT_EXAMPLES.format(operator_events=_operator_events()),
    )
    sub.set_defaults(handler=_event)
    sub.add_argument("order_id", metavar="ORDER_ID", help="the order's id, as the API gives it")
    sub.add_argument("event", metavar="EVENT", help="an operator event, e.g. cancel_by_okc")
    sub.add_argument("--reason", help="why, recorded in the order's history")
    add_client_options(sub, json_help="print the server's answer, the order, as JSON")


def _add_openapi(commands: Commands[argparse.ArgumentParser]) -> None:
    sub = subparser(
        commands,
        "openapi",
        "Show a running server's routes, or its OpenAPI document with --json.",
        OPENAPI_EXAMPLES,
    )
    sub.set_defaults(handler=_openapi)
    add_client_options(sub, json_help="print the whole OpenAPI 3.1 document as JSON")


# --- the commands -----------------------------------------------------------------------------


def _reset(args: argparse.Namespace) -> int:
    call(args, "POST", "/_sim/reset")
    if not args.json:
        say("The world is empty; the clients, seed, profile and clock's time stay.")
    return 0


def _faults_add(args: argparse.Namespace) -> int:
    rule = {field: getattr(args, field) for field in args.rule_fields}
    answer = call(args, "POST", "/_sim/faults", {k: v for k, v in rule.items() if v is not None})
    _show_faults(args, answer)
    return 0


def _faults_list(args: argparse.Namespace) -> int:
    _show_faults(args, call(args, "GET", "/_sim/faults"))
    return 0


def _faults_clear(args: argparse.Namespace) -> int:
    if args.fault_id is None:
        call(args, "DELETE", "/_sim/faults")
        done = "Every fault rule is gone."
    else:
        call(args, "DELETE", f"/_sim/faults/{quote(args.fault_id)}")
        done = f"Fault rule {args.fault_id} is gone."
    if not args.json:
        say(done)
    return 0


def _show_faults(args: argparse.Namespace, answer: dict[str, Any]) -> None:
    if args.json:
        say_json(answer)
        return
    rows = [
        (
            rule["id"],
            rule["kind"],
            rule["route"],
            ",".join(rule["methods"] or ["*"]),
            _fault_effect(rule),
            f"{rule['probability']:g}",
            rule["remaining"],
            rule["until"],
            rule["stage"],
            rule["applied"],
        )
        for rule in answer["faults"]
    ]
    headers = ("ID", "KIND", "ROUTE", "METHODS", "EFFECT", "P", "LEFT", "UNTIL", "STAGE", "HITS")
    say_table(headers, rows, empty="No fault rules in force.")


def _fault_effect(rule: dict[str, Any]) -> str:
    """What a struck request meets: "503", "429 retry 30s", "drop", plus any added latency."""
    kind = str(rule["kind"])
    answers = {"error": str(rule["status"]), "rate_limit": f"429 retry {rule['retry_after']}s"}
    effect = answers.get(kind, kind)
    if rule["latency_ms"]:
        effect += f" +{rule['latency_ms']:g}ms"
    return effect


def _requests(args: argparse.Namespace) -> int:
    query = "" if args.limit is None else f"?limit={args.limit}"
    answer = call(args, "GET", f"/_sim/requests{query}")
    if args.json:
        say_json(answer)
        return 0
    rows = [
        (
            entry["at"],
            entry["method"],
            entry["path"] + (f"?{entry['query']}" if entry["query"] else ""),
            entry["status"],
            entry["client_id"],
            f"{entry['duration_ms']:.1f}",
            None if entry["fault"] is None else entry["fault"]["id"],
        )
        for entry in answer["requests"]
    ]
    headers = ("AT", "METHOD", "PATH", "STATUS", "CLIENT", "MS", "FAULT")
    say_table(headers, rows, empty="No requests yet.")
    return 0


def _history(args: argparse.Namespace) -> int:
    answer = call(args, "GET", f"/_sim/orders/{quote(args.order_id)}/history")
    if args.json:
        say_json(answer)
        return 0
    rows = [
        (row["at"], row["from"], row["to"], row["event"], row["actor"], row["reason"])
        for row in answer["history"]
    ]
    say_table(("AT", "FROM", "TO", "EVENT", "ACTOR", "REASON"), rows, empty="No changes yet.")
    return 0


def _event(args: argparse.Namespace) -> int:
    body = {"event": args.event} | ({} if args.reason is None else {"reason": args.reason})
    answer = call(args, "POST", f"/_sim/orders/{quote(args.order_id)}/events", body)
    if args.json:
        say_json(answer)
        return 0
    order = answer["order"]
    say_table(("ORDER", "STATUS", "UPDATED"), [(order["id"], order["status"], order["updated_at"])])
    return 0


def _openapi(args: argparse.Namespace) -> int:
    document = call(args, "GET", "/_sim/openapi.json")
    if args.json:
        say_json(document)
        return 0
    rows = [
        (method.upper(), path, operation.get("summary"))
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if isinstance(operation, dict)
    ]
    info = document.get("info", {})
    say(f"{info.get('title', 'okc-sim')} {info.get('version', '')}".rstrip())
    say_table(("METHOD", "PATH", "SUMMARY"), rows)
    return 0
