"""Throughput and latency of the real server, against a bare Starlette app, in one run.

Run: `.venv/bin/python bench/bench_http.py [--seconds S] [--rounds R] [--connections C]
[--orders N] [--generator auto|wrk|python] [--clock frozen|running]`.

Both servers run as their own uvicorn processes on loopback, with the same uvicorn settings
(the same event loop and HTTP parser, whatever uvicorn picks in this environment). The load
comes from `wrk` when it is installed (cheap: it leaves the CPU to the servers) or else from
this process (threads, each with one keep-alive connection); either way C keep-alive
connections for S seconds per scenario, after a one-second warm-up. The scenarios take
turns, R rounds of each, so a change in the machine's other load mid-run weighs on all of
them alike; a scenario's rate is over all its rounds, its p50 the median of the rounds'
and its p99 the highest. Scenarios: an
authenticated `GET /v2/orders/{id}` on the simulator against a bare Starlette app that
returns one order document from a dict; and a 50-order page of a filtered list
(`GET /v2/orders?filter[status]=Pending&limit=50`). The same two again on accepted orders,
whose lifecycle fields (batch, billing, line status ...) are laid over the stored document:
a second simulator, seeded alike, then moved on to its next nightly batch through the control
API (its own process, so the first one's Pending scenarios read the same world as before).
Rate limiting is off for the run, and the simulators' clocks are frozen unless `--clock
running` (speed 1, `okc-sim serve`'s default).
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from _bench import create_request, machine_line

ROOT = Path(__file__).resolve().parent.parent
BARE_APP = textwrap.dedent(
    """
    import json, sys
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    ORDERS = json.loads(sys.stdin.read())

    async def get_order(request):
        return JSONResponse({"order": ORDERS[request.path_params["id"]]})

    app = Starlette(routes=[Route("/orders/{id}", get_order)])
    # As `okc-sim serve` runs uvicorn (simulator/_server.py): loop and http "auto", no
    # lifespan, access log on but below the warning level.
    uvicorn.run(
        app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", lifespan="off"
    )
    """
)
WARM_UP_SECONDS = 1.0
PAGE_PATH = "/v2/orders?filter%5Bstatus%5D=Pending&limit=50"
ACCEPTED_PAGE_PATH = "/v2/orders?filter%5Bstatus%5D=Accepted&limit=50"
ACCEPTED_GET = "okc-sim GET /v2/orders/{id} (accepted)"
ACCEPTED_PAGE = "okc-sim 50-order accepted page"

# A wrk script: round-robin over the paths, one summary line at the end (latency in us).
WRK_SCRIPT = """
local paths = {%(paths)s}
local n = 0
%(headers)s
function setup(thread)
  thread:set("first", math.random(#paths))
end
function init(args)
  n = first or 0
end
function request()
  n = n + 1
  return wrk.format("GET", paths[(n %% #paths) + 1])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("okc-bench %%d %%d %%.1f %%.1f %%d %%d\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""

SUMMARY = re.compile(r"^okc-bench (\d+) (\d+) ([\d.]+) ([\d.]+) (\d+) (\d+)$", re.MULTILINE)


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(port: int, deadline: float = 30.0) -> None:
    """Return once something accepts connections on the port."""
    stop = time.monotonic() + deadline
    while time.monotonic() < stop:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        except OSError:
            time.sleep(0.05)
        else:
            return
    raise RuntimeError(f"nothing listens on port {port}")


def call(conn: http.client.HTTPConnection, method: str, path: str, **kw: object) -> dict[str, Any]:
    """One request on a keep-alive connection; the decoded JSON answer."""
    conn.request(method, path, **kw)  # type: ignore[arg-type]
    response = conn.getresponse()
    body = response.read()
    if response.status >= 300:
        raise RuntimeError(f"{method} {path}: {response.status} {body[:200]!r}")
    return json.loads(body) if body else {}


def uvicorn_stack() -> str:
    """What uvicorn's "auto" settings pick here, read from a running server as okc-sim serves.

    E.g. "uvicorn 0.55.0 (uvloop, httptools)"; "(asyncio, h11)" without the fast stack.
    """
    from simulator import Simulator  # noqa: PLC0415 - only for this one look
    from simulator._server import LiveServer  # noqa: PLC0415

    sim = Simulator(start="2026-03-02T17:00:00Z")
    try:
        with LiveServer(sim) as server:
            return server.stack
    finally:
        sim.close()


def python_load(
    port: int, paths: list[str], headers: dict[str, str], seconds: float, connections: int
) -> dict[str, Any]:
    """Hit the paths round-robin from `connections` threads for `seconds`; rate and latency."""
    latencies: list[list[float]] = [[] for _ in range(connections)]
    errors = [0] * connections
    stop = time.monotonic() + seconds

    def worker(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine = latencies[index]
        n = index
        while time.monotonic() < stop:
            path = paths[n % len(paths)]
            n += 1
            started = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - started)
            if response.status != 200:
                errors[index] += 1
        conn.close()

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    began = time.monotonic()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.monotonic() - began
    every = sorted(x for part in latencies for x in part)
    count = len(every)
    return {
        "seconds": elapsed,
        "p50": every[count // 2] * 1000,
        "p99": every[min(count - 1, int(count * 0.99))] * 1000,
        "count": count,
        "errors": sum(errors),
    }


def wrk_load(
    port: int, paths: list[str], headers: dict[str, str], seconds: float, connections: int
) -> dict[str, Any]:
    """The same measurement with wrk (two threads); its script reports the figures."""
    lua_headers = "\n".join(
        f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}" for name, value in headers.items()
    )
    script = WRK_SCRIPT % {
        "paths": ", ".join(json.dumps(path) for path in paths),
        "headers": lua_headers,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script)
    try:
        done = subprocess.run(  # noqa: S603 - wrk, found on PATH by shutil.which
            [
                str(shutil.which("wrk")),
                f"-t{min(2, connections)}",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "-s",
                file.name,
                f"http://127.0.0.1:{port}",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        Path(file.name).unlink()
    found = SUMMARY.search(done.stdout)
    if found is None:
        raise RuntimeError(f"wrk printed no summary:\n{done.stdout}\n{done.stderr}")
    count, micros, p50, p99, socket_errors, bad_status = (float(x) for x in found.groups())
    return {
        "seconds": micros / 1e6,
        "p50": p50 / 1000,
        "p99": p99 / 1000,
        "count": int(count),
        "errors": int(socket_errors + bad_status),
    }


def combine(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """One scenario's rounds together: the overall rate, the median p50, the highest p99."""
    count = sum(part["count"] for part in rounds)
    return {
        "rps": count / sum(part["seconds"] for part in rounds),
        "p50": statistics.median(part["p50"] for part in rounds),
        "p99": max(part["p99"] for part in rounds),
        "count": count,
        "errors": sum(part["errors"] for part in rounds),
    }


def start_bare(orders: dict[str, dict[str, Any]]) -> tuple[subprocess.Popen[str], int]:
    """The bare Starlette app on a free port, serving `orders` from a dict."""
    port = free_port()
    bare = subprocess.Popen(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", BARE_APP, str(port)],
        stdin=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    if bare.stdin is None:  # pragma: no cover
        raise RuntimeError("no input to the bare app")
    bare.stdin.write(json.dumps(orders))
    bare.stdin.close()
    wait_for(port)
    return bare, port


def start_sim(clock: str) -> tuple[subprocess.Popen[str], int]:
    """`okc-sim serve` on a free port: the clock frozen or running, rate limit off."""
    sim = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [
            sys.executable,
            "-m",
            "simulator.cli",
            "serve",
            "--port",
            "0",
            "--clock",
            clock,
            "--start",
            "2026-03-02T17:00:00Z",
            "--rate-limit",
            "off",
            "--log-level",
            "warning",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )
    if sim.stdout is None:  # pragma: no cover - PIPE always gives one
        raise RuntimeError("no output from okc-sim")
    port = int(urlsplit(sim.stdout.readline().strip()).port or 0)
    wait_for(port)
    return sim, port


def seed(port: int, orders: int) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    """Log in and create the orders; the auth header and the orders by id."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    json_headers = {"Content-Type": "application/json"}
    token = call(
        conn,
        "POST",
        "/v2/authentication/token",
        headers=json_headers,
        body=json.dumps({"email": "integrator@example.com", "password": "sandbox"}),
    )
    auth = {"Authorization": f"Bearer {token['access_token']}"}
    products = [p["id"] for p in call(conn, "GET", "/v2/products", headers=auth)["products"]]
    created = {}
    for number in range(orders):
        body = json.dumps(create_request(number, products))
        order = call(conn, "POST", "/v2/orders", headers=auth | json_headers, body=body)
        created[order["order"]["id"]] = order["order"]
    conn.close()
    return auth, created


def accept_all(port: int) -> None:
    """Move a simulator's clock to its next nightly batch, which accepts its Pending orders."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    batch = call(conn, "GET", "/_sim/clock")["next_batch_at"]
    headers = {"Content-Type": "application/json"}
    call(conn, "POST", "/_sim/clock/advance", headers=headers, body=json.dumps({"to": batch}))
    conn.close()


def main() -> None:
    """Start the servers, seed the simulators, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds per scenario and round")
    parser.add_argument("--rounds", type=int, default=3, help="turns each scenario takes")
    parser.add_argument("--connections", type=int, default=8, help="keep-alive connections")
    parser.add_argument("--orders", type=int, default=200, help="orders to create first")
    parser.add_argument(
        "--generator",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="the load generator: wrk if installed (auto), or this process's threads",
    )
    parser.add_argument(
        "--clock", choices=("frozen", "running"), default="frozen", help="the simulator's clock"
    )
    args = parser.parse_args()
    print(machine_line())
    use_wrk = args.generator == "wrk" or (args.generator == "auto" and shutil.which("wrk"))
    if use_wrk and not shutil.which("wrk"):
        parser.error("--generator wrk: wrk is not installed")
    if use_wrk:
        load, generator = wrk_load, "wrk, 2 threads"
    else:
        load, generator = python_load, "this process's threads (http.client)"
        if args.generator == "auto":
            print("wrk is not installed: the load comes from Python threads on the same cores")
    print(f"servers: {uvicorn_stack()}, both; load generator: {generator}")

    sim, port = start_sim(args.clock)
    bare = accepted_sim = None
    try:
        auth, orders = seed(port, args.orders)
        ids = list(orders)
        accepted_sim, accepted_port = start_sim(args.clock)
        accepted_auth, accepted = seed(accepted_port, args.orders)
        accept_all(accepted_port)
        bare, bare_port = start_bare(orders)
        scenarios = {
            "bare Starlette GET /orders/{id}": (bare_port, [f"/orders/{i}" for i in ids], {}),
            "okc-sim GET /v2/orders/{id}": (port, [f"/v2/orders/{i}" for i in ids], auth),
            "okc-sim 50-order filtered page": (port, [PAGE_PATH], auth),
            ACCEPTED_GET: (
                accepted_port,
                [f"/v2/orders/{i}" for i in accepted],
                accepted_auth,
            ),
            ACCEPTED_PAGE: (accepted_port, [ACCEPTED_PAGE_PATH], accepted_auth),
        }
        for target, paths, headers in scenarios.values():
            load(target, paths, headers, WARM_UP_SECONDS, args.connections)
        rounds: dict[str, list[dict[str, Any]]] = {name: [] for name in scenarios}
        for _ in range(args.rounds):
            for name, (target, paths, headers) in scenarios.items():
                rounds[name].append(load(target, paths, headers, args.seconds, args.connections))
        runs = {name: combine(parts) for name, parts in rounds.items()}
    finally:
        for server in (sim, accepted_sim, bare):
            if server is not None:
                server.terminate()
                server.wait(timeout=30)

    report(args, runs)


def report(args: argparse.Namespace, runs: dict[str, dict[str, Any]]) -> None:
    """Print the table and the target lines."""
    base = runs["bare Starlette GET /orders/{id}"]["rps"]
    print(
        f"{args.connections} connections, {args.rounds} rounds of {args.seconds:.0f} s per "
        f"scenario (after {WARM_UP_SECONDS:.0f} s of warm-up), {args.orders} orders, "
        f"{args.clock} clock"
    )
    print(f"{'scenario':>34} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'x bare':>7} errors")
    for name, run in runs.items():
        print(
            f"{name:>34} {run['rps']:9.0f} {run['p50']:8.2f} {run['p99']:8.2f} "
            f"{run['rps'] / base:7.2f} {run['errors']}"
        )
    get = runs["okc-sim GET /v2/orders/{id}"]["rps"]
    page = runs["okc-sim 50-order filtered page"]["rps"]
    print(
        f"target: GET /v2/orders/{{id}} >= 0.5x the bare app -> {get / base:.2f}x: "
        f"{'PASS' if get >= base / 2 else 'FAIL'}"
    )
    print(
        f"target: 50-order filtered page >= 1,000 req/s -> {page:.0f} req/s: "
        f"{'PASS' if page >= 1000 else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
