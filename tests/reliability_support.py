"""Helpers of the reliability tests: a seeded world, a dump of the store, figures for the doc.

The `test_reliability_*` modules record what they tried (requests fuzzed, bad inputs, kills
survived...) with `record_figures`: a JSON file per module under the session's pytest base
temp directory, and one line on stdout (`pytest -s` shows it). `docs/reliability.md` quotes
the figures of a real run by hand; no test writes into `docs/`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from test_http_support import EMAIL, OTHER_EMAIL, address

import simulator

if TYPE_CHECKING:
    from simulator import Simulator

FIGURES_DIR = "reliability-figures"
WAIT_SECONDS = 60.0
"""How long to wait for a subprocess to print or exit (a slow CI box, not a sleep)."""


def record_figures(factory: pytest.TempPathFactory, section: str, figures: dict[str, Any]) -> Path:
    """Write one module's figures as JSON under the pytest base temp dir and print them.

    Returns:
        The JSON file written.
    """
    folder = factory.getbasetemp() / FIGURES_DIR
    folder.mkdir(exist_ok=True)
    path = folder / f"{section}.json"
    path.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    sys.stdout.write(f"\n[reliability] {section}: {json.dumps(figures, sort_keys=True)}\n")
    return path


def dump_store(sim: Simulator) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of the simulator's store, in a stable order.

    Two equal dumps mean the world is exactly as it was: orders, log rows, consumers,
    fulfillments, tokens and the bookkeeping (id counters, saved clock).
    """
    tables = [
        name
        for (name,) in sim.store.query(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        )
    ]
    # Table names come from sqlite_master itself, not from a caller.
    return {
        table: [tuple(row) for row in sim.store.query(f"SELECT * FROM {table} ORDER BY 1")]  # noqa: S608
        for table in tables
    }


def order_body(product_id: str, **fields: Any) -> dict[str, Any]:
    """A valid create-order body for one product, with extra or replaced top-level fields."""
    body: dict[str, Any] = {
        "consumer": {"first_name": "Ada", "last_name": "Lovelace"},
        "shipping_address": address(),
        "order_lines": [
            {
                "pouches": [
                    {
                        "time_of_administration": "Morning",
                        "contents": [{"client_product_id": product_id, "quantity": 1}],
                    }
                ]
            }
        ],
    }
    body.update(fields)
    return body


ADDRESS_BODY = {"address1": "1 Infinite Loop", "city": "Cupertino", "country_name": "US"}
"""A consumer address the provider's create-address route accepts."""


def seed_world(sim: Simulator) -> dict[str, str]:
    """Give both clients an order, a consumer and (for the first) a shipped order.

    Returns:
        The ids, by name: `pending`, `shipped`, `fulfillment`, `consumer`, `address` (the
        consumer's), `product`, `custom` (a `client_custom_order_id`), `batch` (the shipped
        order's), `line` (its first line), `log` (the pending order's first log row), and
        the same prefixed `other_` for the second client.
    """
    ids: dict[str, str] = {}
    for prefix, client, custom in (("", EMAIL, "A-1001"), ("other_", OTHER_EMAIL, "B-2002")):
        product = sim.list_products(client)[0]["id"]
        pending = sim.create_order(
            order_body(product, client_custom_order_id=custom, note="seeded"), client
        )
        shipped = sim.create_order(order_body(product), client)
        for event in ("accept", "start_production", "ship"):
            sim.force(shipped["id"], event, "seeded")
        (fulfillment,) = sim.list_fulfillments(shipped["id"], client)
        consumer = sim.create_consumer({"first_name": "Grace", "last_name": "Hopper"}, client)
        address = sim.create_address(consumer["id"], ADDRESS_BODY, client)
        accepted = sim.get_order(shipped["id"], client)
        ids |= {
            f"{prefix}batch": accepted["batch_id"],
            f"{prefix}line": accepted["order_lines"][0]["id"],
            f"{prefix}log": sim.transaction_logs(pending["id"], client)[0]["id"],
            f"{prefix}pending": pending["id"],
            f"{prefix}shipped": shipped["id"],
            f"{prefix}fulfillment": fulfillment["id"],
            f"{prefix}consumer": consumer["id"],
            f"{prefix}address": address["id"],
            f"{prefix}product": product,
            f"{prefix}custom": custom,
        }
    return ids


def cli_env() -> dict[str, str]:
    """The environment for an `okc-sim` subprocess that imports the `simulator` under test."""
    env = dict(os.environ)
    root = str(Path(simulator.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    for name in ("OKC_SIM_URL", "OKC_SIM_ADMIN_TOKEN"):
        env.pop(name, None)
    return env


def start_serve(*args: str) -> tuple[subprocess.Popen[str], str]:
    """Start `okc-sim serve ARGS` and read the URL it prints first.

    Returns:
        The process (stdout still open, stderr merged into it) and the server's URL.
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "simulator.cli", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=cli_env(),
    )
    assert process.stdout is not None
    url = _first_line(process)
    if not url.startswith("http://"):
        rest = process.stdout.read() if process.poll() is not None else ""
        process.kill()
        process.wait(WAIT_SECONDS)
        pytest.fail(f"okc-sim serve did not print its URL first: {url!r} {rest}")
    return process, url


def _first_line(process: subprocess.Popen[str]) -> str:
    """The first line of a process's output, waiting at most `WAIT_SECONDS`."""
    result: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        result.append(process.stdout.readline().strip())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(WAIT_SECONDS)
    if not result:
        process.kill()
        process.wait(WAIT_SECONDS)
        pytest.fail("okc-sim serve printed nothing in time")
    return result[0]


def drain(process: subprocess.Popen[str]) -> None:
    """Keep reading a server's output in the background so its pipe never fills up."""

    def read() -> None:
        assert process.stdout is not None
        for _ in process.stdout:
            pass

    threading.Thread(target=read, daemon=True).start()


def stop(process: subprocess.Popen[str]) -> None:
    """Make sure a server subprocess is gone (SIGKILL if still running) and reaped."""
    if process.poll() is None:
        process.kill()
    process.wait(WAIT_SECONDS)
    if process.stdout is not None:
        process.stdout.close()
