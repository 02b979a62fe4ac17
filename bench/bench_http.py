"""Throughput and latency of the real server, against a bare Starlette app, in one run.

Run: `.venv/bin/python bench/bench_http.py [--seconds S] [--threads T] [--orders N]`.

Both servers run as their own uvicorn processes on loopback; this process is the load
generator (threads, each with one keep-alive connection, for a fixed time). Scenarios:
an authenticated `GET /v2/orders/{id}` on the simulator against a bare Starlette app that
returns one order document from a dict; and a 50-order page of a filtered list
(`GET /v2/orders?filter[status]=Pending&limit=50`). Rate limiting is off for the run.
"""

from __future__ import annotations

import argparse
import http.client
import json
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
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
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
    """
)


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


def call(conn: http.client.HTTPConnection, method: str, path: str, **kw: object) -> dict:
    """One request on a keep-alive connection; the decoded JSON answer."""
    conn.request(method, path, **kw)  # type: ignore[arg-type]
    response = conn.getresponse()
    body = response.read()
    if response.status >= 300:
        raise RuntimeError(f"{method} {path}: {response.status} {body[:200]!r}")
    return json.loads(body) if body else {}


def load(
    port: int, paths: list[str], headers: dict[str, str], seconds: float, threads: int
) -> dict:
    """Hit the paths round-robin from `threads` connections for `seconds`; rate and latency."""
    latencies: list[list[float]] = [[] for _ in range(threads)]
    errors = [0] * threads
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

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    began = time.monotonic()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.monotonic() - began
    every = sorted(x for part in latencies for x in part)
    count = len(every)
    return {
        "rps": count / elapsed,
        "p50": every[count // 2] * 1000,
        "p99": every[min(count - 1, int(count * 0.99))] * 1000,
        "count": count,
        "errors": sum(errors),
    }


def main() -> None:
    """Start both servers, seed the simulator, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds per scenario")
    parser.add_argument("--threads", type=int, default=8, help="concurrent connections")
    parser.add_argument("--orders", type=int, default=200, help="orders to create first")
    args = parser.parse_args()
    print(machine_line())

    sim = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simulator.cli",
            "serve",
            "--port",
            "0",
            "--clock",
            "frozen",
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
    bare = None
    try:
        if sim.stdout is None:  # pragma: no cover - PIPE always gives one
            raise RuntimeError("no output from okc-sim")
        url = urlsplit(sim.stdout.readline().strip())
        port = int(url.port or 0)
        wait_for(port)
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
        orders = {}
        for number in range(args.orders):
            body = json.dumps(create_request(number, products))
            order = call(conn, "POST", "/v2/orders", headers=auth | json_headers, body=body)
            orders[order["order"]["id"]] = order["order"]
        ids = list(orders)

        bare_port = free_port()
        bare = subprocess.Popen(  # noqa: S603 - our own interpreter
            [sys.executable, "-c", BARE_APP, str(bare_port)],
            stdin=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        if bare.stdin is None:  # pragma: no cover
            raise RuntimeError("no input to the bare app")
        bare.stdin.write(json.dumps(orders))
        bare.stdin.close()
        wait_for(bare_port)

        runs = {
            "bare Starlette GET /orders/{id}": load(
                bare_port, [f"/orders/{i}" for i in ids], {}, args.seconds, args.threads
            ),
            "okc-sim GET /v2/orders/{id}": load(
                port, [f"/v2/orders/{i}" for i in ids], auth, args.seconds, args.threads
            ),
            "okc-sim 50-order filtered page": load(
                port,
                ["/v2/orders?filter%5Bstatus%5D=Pending&limit=50"],
                auth,
                args.seconds,
                args.threads,
            ),
        }
    finally:
        sim.terminate()
        sim.wait(timeout=30)
        if bare is not None:
            bare.terminate()
            bare.wait(timeout=30)

    base = runs["bare Starlette GET /orders/{id}"]["rps"]
    print(f"{args.threads} connections, {args.seconds:.0f} s per scenario, {args.orders} orders")
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
