"""Schemathesis fuzzes the control API (`/_sim`) from its own OpenAPI document, over a socket.

The document is the one the live server serves at `/_sim/openapi.json`; every request goes to
a real server on 127.0.0.1 (seeded, bounded to about a minute), and none may answer 5xx.
State-changing requests carry `Content-Type: application/json`, as a client of the control
API does, so the fuzzer reaches past the 415 of a bodyless POST.
"""

from __future__ import annotations

import collections
import itertools
import os
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from reliability_support import record_figures, seed_world
from test_http_support import JSON_TYPE, new_sim
from test_reliability_fuzz import CHECKS, SEED

from simulator._server import LiveServer
from simulator.http import openapi_document
from simulator.http._gate import STATE_CHANGING

if TYPE_CHECKING:
    from collections.abc import Iterator

MAX_EXAMPLES = 30 if os.environ.get("CI") else 15
"""Generated requests per operation and mode, on top of Schemathesis' boundary cases."""

_REAL_TIME = itertools.count(0.0, 0.001)
SIM = new_sim(monotonic=lambda: next(_REAL_TIME))
IDS = seed_world(SIM)
STATUSES: collections.Counter[str] = collections.Counter()

schema = schemathesis.openapi.from_dict(openapi_document()).include(path_regex=r"^/_sim/")
schema.config.seed = SEED


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The control API on a socket, serving the document the fuzzer was built from."""
    with LiveServer(SIM, rate_limit=None) as server:
        served = httpx.get(f"{server.url}/_sim/openapi.json", timeout=30).json()
        assert served == openapi_document(), "the fuzzer must use the served document"
        yield server
    record_figures(
        tmp_path_factory,
        "fuzz_control",
        {
            "operations_in_document": len(list(schema.get_all_operations())),
            "requests_fuzzed": sum(STATUSES.values()),
            "responses_by_class": dict(STATUSES),
            "max_examples_per_operation": MAX_EXAMPLES,
        },
    )


class TestControlFuzz:
    """Property: whatever reaches the control API, it answers as documented and below 500."""

    @schema.parametrize()
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
            HealthCheck.function_scoped_fixture,
        ],
    )
    def test_operation(self, case: schemathesis.Case[Any], live: LiveServer) -> None:
        """The control operation answers below 500, as documented, refusing bad input with 4xx."""
        headers = dict(JSON_TYPE) if case.method.upper() in STATE_CHANGING else {}
        response = case.call(base_url=live.url, headers=headers, timeout=60)
        STATUSES[f"{response.status_code // 100}xx"] += 1
        # What one request may leave that would shape every later answer.
        live._slot.app.state.faults.clear()
        SIM.set_clock(mode="frozen")
        case.validate_response(response, checks=CHECKS, headers=headers)
