"""Hypothesis profiles (fast by default, thorough when CI is set) and the shared HTTP fixtures."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings
from test_http_support import Api, new_sim

from simulator import Simulator
from simulator._server import LiveServer
from simulator.http import create_app

LIVE_START = "2026-03-02T17:00:00Z"
"""Where `live`'s clock stands: Monday 09:00 Pacific; the next batch is 2026-03-03T08:00:00Z."""

settings.register_profile(
    "default", max_examples=60, derandomize=True, deadline=None, print_blob=True
)
settings.register_profile(
    "ci",
    max_examples=250,
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("ci" if os.environ.get("CI") else "default")


@pytest.fixture
def sim() -> Simulator:
    """A fresh frozen simulator (modules may define their own)."""
    return new_sim()


@pytest.fixture
async def api(sim: Simulator) -> Api:
    """A logged-in client of an app around `sim`."""
    client = Api(create_app(sim))
    await client.login()
    return client


@pytest.fixture
def live() -> Iterator[LiveServer]:
    """A frozen simulator at `LIVE_START`, served by uvicorn on a real socket."""
    world = Simulator(start=LIVE_START)
    try:
        with LiveServer(world) as server:
            yield server
    finally:
        world.close()
