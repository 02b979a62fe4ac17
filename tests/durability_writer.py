"""Child process of `test_durability.py`: writes orders to a durable world until it is killed.

Usage: `python durability_writer.py DB_PATH MAX_ORDERS MAX_SECONDS`. Prints each order's id
on its own line, flushed, only after `create_order` has returned; every tenth order the
clock moves six hours, so batches and operations steps are written between the creates.
"""

from __future__ import annotations

import sys
import time

from payloads import order_payload

from simulator import Simulator

START = "2026-03-02T12:00:00Z"
SEED = 0


def main(path: str, max_orders: int, max_seconds: float) -> None:
    """Create up to `max_orders` orders for at most `max_seconds` of real time."""
    sim = Simulator(start=START, seed=SEED, db=path)
    product = sim.list_products()[0]["id"]
    # The real clock only bounds the loop; the world runs on its own simulated clock.
    deadline = time.monotonic() + max_seconds
    for number in range(max_orders):
        if time.monotonic() > deadline:
            break
        order = sim.create_order(order_payload(product, note=f"durability {number}"))
        sys.stdout.write(order["id"] + "\n")
        sys.stdout.flush()
        if number % 10 == 9:
            sim.advance(seconds=6 * 3600)
    sim.close()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]))
