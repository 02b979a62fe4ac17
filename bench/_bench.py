"""What the simulator benchmarks share: the machine line, realistic requests, a stopwatch.

Not a benchmark itself (`run_all.py` runs only `bench_*.py`).
"""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path
from typing import Any, Self

from simulator._store import MEMORY_PAGE_SIZE

SQLITE_PRAGMAS = {
    "memory": (
        f"PRAGMA page_size={MEMORY_PAGE_SIZE}",
        "PRAGMA journal_mode=MEMORY",
        "PRAGMA synchronous=OFF",
    ),
    "file": ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL"),
}
"""The store's own pragmas per kind of store, so baselines run under the same settings."""

FIRST_NAMES = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Margaret", "Ken")
LAST_NAMES = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Hamilton")
# Real US addresses: each ZIP belongs to its state, so the address checks pass.
ADDRESSES = (
    ("Market Street", "San Francisco", "CA", "California", "94107"),
    ("Pike Street", "Seattle", "WA", "Washington", "98101"),
    ("Congress Avenue", "Austin", "TX", "Texas", "78701"),
    ("Broadway", "New York", "NY", "New York", "10012"),
    ("Peachtree Street", "Atlanta", "GA", "Georgia", "30303"),
    ("Michigan Avenue", "Chicago", "IL", "Illinois", "60601"),
)


def machine_line() -> str:
    """CPU model, cores, RAM and Python version, read from the running machine."""
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    ram = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split()[1])
        ram = f", {kib / 1024 / 1024:.1f} GiB RAM"
    return f"machine: {model}, {os.cpu_count()} cores{ram}, python {sys.version.split()[0]}"


def create_request(number: int, products: list[str]) -> dict[str, Any]:
    """A realistic create-order request: a consumer, a US address, one line of two pouches.

    Args:
        number: makes the names, the street number and `client_custom_order_id` differ.
        products: the client's product ids (`Simulator.list_products`).

    Returns:
        The request body, as a client would send it.
    """
    street, city, code, state, postal = ADDRESSES[number % len(ADDRESSES)]
    first = FIRST_NAMES[number % len(FIRST_NAMES)]
    last = LAST_NAMES[number % len(LAST_NAMES)]
    pick = [products[(number + k) % len(products)] for k in range(3)]
    return {
        "consumer": {
            "first_name": first,
            "last_name": last,
            "email": f"{first.lower()}.{last.lower()}{number}@example.com",
            "phone_number": f"+1415555{number % 10000:04d}",
        },
        "shipping_address": {
            "addressee": f"{first} {last}",
            "address1": f"{100 + number % 9000} {street}",
            "address2": f"Apt {number % 90 + 1}",
            "city": city,
            "province_code": code,
            "province_name": state,
            "postal_code": postal,
            "country_code": "US",
            "country_name": "United States",
        },
        "client_custom_order_id": f"shop-{number:08d}",
        "note": "Leave at the front door.",
        "order_lines": [
            {
                "duration": 30,
                "client_custom_order_line_id": f"shop-{number:08d}-1",
                "pouches": [
                    {
                        "time_of_administration": "Morning",
                        "contents": [
                            {"client_product_id": pick[0], "serving_size": 1},
                            {"client_product_id": pick[1], "serving_size": 2},
                        ],
                    },
                    {
                        "time_of_administration": "Evening",
                        "contents": [{"client_product_id": pick[2], "serving_size": 1}],
                    },
                ],
            }
        ],
    }


class Stopwatch:
    """Wall and CPU time of a block: `with Stopwatch() as watch: ...`, then `watch.seconds`.

    Reused, it accumulates: `total` and `cpu_total` add up every block it has timed. CPU
    time (this process only) is the steadier figure when other work shares the machine.
    """

    def __init__(self) -> None:
        """Start at zero."""
        self.started = self.cpu_started = 0.0
        self.seconds = self.cpu = 0.0
        self.total = self.cpu_total = 0.0

    def __enter__(self) -> Self:
        """Start timing."""
        self.cpu_started = time.process_time()
        self.started = time.perf_counter()
        return self

    def __exit__(self, *_exc: object) -> None:
        """Stop timing."""
        self.seconds = time.perf_counter() - self.started
        self.cpu = time.process_time() - self.cpu_started
        self.total += self.seconds
        self.cpu_total += self.cpu


def rss_bytes() -> int:
    """The process's resident set size now (Linux), or 0 where unknown."""
    status = Path("/proc/self/status")
    if not status.exists():
        return 0
    for line in status.read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0
