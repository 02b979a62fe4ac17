"""Tests for the pytest plugin: the okc_sim marker and the okc_sim, okc_client okc_live fixtures."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import textwrap
import types
from datetime import UTC, datetime
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

if TYPE_CHECKING:
    from simulator import Simulator
    from simulator.pytest_plugin import LiveSim, OkcClient

# Once the `pytest11` entry point is installed, pytest loads the plugin by itself; loading it
# a second time by module name would be refused, so it is named here only until then. Loaded
# here, it registers its marker only after this module's decorators ran: so the tests in this
# module use no `okc_sim` marker themselves, and those of the marker run in pytester sessions;
# and the plugin module is imported only after pytest has registered it (so `plugin()`).
REGISTERED = any(ep.value == "simulator.pytest_plugin" for ep in entry_points(group="pytest11"))
pytest_plugins = ["pytester"] if REGISTERED else ["pytester", "simulator.pytest_plugin"]
PLUGIN_ARGS = () if REGISTERED else ("-p", "simulator.pytest_plugin")


def plugin() -> types.ModuleType:
    """The plugin module, imported once pytest has registered it."""
    return importlib.import_module("simulator.pytest_plugin")


ORDER = {
    "consumer": {"first_name": "Ada", "last_name": "Lovelace"},
    "shipping_address": {
        "address1": "500 Market St",
        "city": "San Francisco",
        "province_code": "CA",
        "postal_code": "94105",
        "country_name": "United States",
    },
}


def order_payload(sim: Simulator) -> dict[str, object]:
    """A valid create-order body using the simulator's first product."""
    product = sim.list_products()[0]["id"]
    return {**ORDER, "order_lines": [{"pouches": [{"contents": [{"client_product_id": product}]}]}]}


def run_inner(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    """Run a test file with the plugin, strict markers and warnings as errors."""
    pytester.makeini(
        "[pytest]\nfilterwarnings = error\naddopts = --strict-markers -p no:cacheprovider\n"
    )
    pytester.makepyfile(source)
    return pytester.runpytest(*PLUGIN_ARGS, *args)


class TestOkcSim:
    """The okc_sim fixture used directly."""

    def test_frozen_at_the_default_start(self, okc_sim: Simulator) -> None:
        """Without a marker the clock is frozen at the default start."""
        state = okc_sim.clock_state()
        assert state["now"] == plugin().DEFAULT_START
        assert state["mode"] == "frozen"

    def test_default_start_is_a_monday_morning_in_pacific(self) -> None:
        """The default start is Monday 09:00 in Los Angeles."""
        start = datetime.fromisoformat(plugin().DEFAULT_START).astimezone(UTC)
        assert start.weekday() == 0
        assert start.hour == 17

    def test_advance_runs_the_batch(self, okc_sim: Simulator) -> None:
        """Driving the frozen clock past the nightly batch accepts a Pending order."""
        order = okc_sim.create_order(order_payload(okc_sim))
        okc_sim.advance(to=okc_sim.clock_state()["next_batch_at"])
        assert okc_sim.get_order(order["id"])["status"] == "Accepted"


class TestOkcClient:
    """The okc_client fixture: an httpx.Client over the app, no socket."""

    def test_is_an_httpx_client(self, okc_client: OkcClient) -> None:
        """It is an httpx.Client with the documented base URL."""
        assert isinstance(okc_client, httpx.Client)
        assert str(okc_client.base_url) == plugin().BASE_URL

    def test_token_and_create_order(self, okc_client: OkcClient) -> None:
        """auth_headers() authorises /v2 requests; the order lands in okc_client.sim."""
        headers = okc_client.auth_headers()
        created = okc_client.post("/v2/orders", json=order_payload(okc_client.sim), headers=headers)
        assert created.status_code == 201
        assert okc_client.sim.count_orders() == 1

    def test_token_for_another_client(self, okc_client: OkcClient) -> None:
        """token() issues an access token the API accepts."""
        response = okc_client.get(
            "/v2/orders/count", headers={"Authorization": f"Bearer {okc_client.token()}"}
        )
        assert response.json() == {"count": 0}

    def test_closing_early_is_harmless(self, okc_client: OkcClient) -> None:
        """A test may close the client itself; the fixture's own close is then a no-op."""
        okc_client.close()
        assert okc_client.is_closed

    def test_no_token_is_401(self, okc_client: OkcClient) -> None:
        """Requests go through the real app: no token, 401."""
        assert okc_client.get("/v2/orders").status_code == 401

    def test_shares_the_world_with_okc_sim(self, okc_client: OkcClient, okc_sim: Simulator) -> None:
        """okc_client talks to this test's okc_sim."""
        assert okc_client.sim is okc_sim
        okc_sim.advance(seconds=3600)
        assert okc_client.get("/_sim/clock").json()["now"] == "2026-01-05T18:00:00Z"


class TestOkcLive:
    """The okc_live fixture: the same world on a real socket."""

    def test_serves_this_tests_world(self, okc_live: LiveSim, okc_sim: Simulator) -> None:
        """okc_live.url serves okc_sim, and okc_live.sim is it."""
        assert okc_live.sim is okc_sim
        assert httpx.get(f"{okc_live.url}/_sim/clock").json()["now"] == plugin().DEFAULT_START

    def test_create_order_over_the_socket(self, okc_live: LiveSim) -> None:
        """A real HTTP client creates an order with okc_live.token()."""
        headers = {"Authorization": f"Bearer {okc_live.token()}"}
        created = httpx.post(
            f"{okc_live.url}/v2/orders", json=order_payload(okc_live.sim), headers=headers
        )
        assert created.status_code == 201

    def test_advance(self, okc_live: LiveSim) -> None:
        """okc_live.advance moves the served clock."""
        result = okc_live.advance(seconds=90)
        assert httpx.get(f"{okc_live.url}/_sim/clock").json()["now"] == "2026-01-05T17:01:30Z"
        assert result.events_applied == 0

    def test_reset(self, okc_live: LiveSim) -> None:
        """okc_live.reset() empties the world; tokens from before stop working."""
        okc_live.sim.create_order(order_payload(okc_live.sim))
        old = okc_live.auth_headers()
        okc_live.reset()
        assert okc_live.sim.count_orders() == 0
        assert httpx.get(f"{okc_live.url}/v2/orders", headers=old).status_code == 401


class TestMarker:
    """Each marker argument, in a pytester session (see the note on `pytest_plugins`)."""

    @pytest.mark.parametrize(
        ("marker", "body"),
        [
            (
                'start="2026-03-02T10:00:00Z", seed=7, timezone="UTC-8"',
                """
                state = okc_sim.clock_state()
                assert state["now"] == "2026-03-02T10:00:00Z"
                assert state["timezone"] == "UTC-8"
                assert okc_sim.seed == 7
                """,
            ),
            (
                "start=datetime(2026, 3, 2, 10, tzinfo=UTC)",
                'assert okc_sim.clock_state()["now"] == "2026-03-02T10:00:00Z"',
            ),
            (
                'clients=[("a@example.com", "pw-a"), ("b@example.com", "pw-b")]',
                """
                assert [c.email for c in okc_sim.clients] == ["a@example.com", "b@example.com"]
                """,
            ),
            (
                "profile=PROFILE",
                "assert okc_sim.profile.production_business_hours == (1.0, 2.0)",
            ),
        ],
    )
    def test_settings_reach_okc_sim(
        self, pytester: pytest.Pytester, marker: str, body: str
    ) -> None:
        """The marker's start (text or datetime), seed, zone, clients and profile apply."""
        pytester.makefile(".toml", ops="production_business_hours = [1, 2]\n")
        header = f"""
            from datetime import UTC, datetime
            from pathlib import Path
            import pytest

            PROFILE = Path(__file__).with_name("ops.toml")

            @pytest.mark.okc_sim({marker})
            def test_it(okc_sim):
            """
        source = textwrap.dedent(header) + textwrap.indent(textwrap.dedent(body).strip(), "    ")
        result = run_inner(pytester, source)
        result.assert_outcomes(passed=1)

    def test_rate_limit(self, pytester: pytest.Pytester) -> None:
        """rate_limit=N allows N requests per client per simulated hour; "off" none."""
        result = run_inner(
            pytester,
            """
            import pytest

            @pytest.mark.okc_sim(rate_limit=2)
            def test_limited(okc_client):
                headers = okc_client.auth_headers()
                codes = [okc_client.get("/v2/orders/count", headers=headers).status_code
                         for _ in range(3)]
                assert codes == [200, 200, 429]

            @pytest.mark.okc_sim(rate_limit="off")
            def test_unlimited(okc_client):
                response = okc_client.get("/v2/orders/count", headers=okc_client.auth_headers())
                assert response.status_code == 200
                assert "X-RateLimit-Limit" not in response.headers

            def test_default(okc_client):
                response = okc_client.get("/v2/orders/count", headers=okc_client.auth_headers())
                assert response.headers["X-RateLimit-Limit"] == "3600"
            """,
        )
        result.assert_outcomes(passed=3)

    def test_live_server_follows_the_marker(self, pytester: pytest.Pytester) -> None:
        """The session's live server serves each test's own marker settings."""
        result = run_inner(
            pytester,
            """
            import httpx
            import pytest

            @pytest.mark.okc_sim(start="2027-06-01T12:00:00Z", rate_limit=1)
            def test_marked(okc_live):
                assert httpx.get(okc_live.url + "/_sim/clock").json()["now"] == (
                    "2027-06-01T12:00:00Z"
                )
                headers = okc_live.auth_headers()
                codes = [httpx.get(okc_live.url + "/v2/orders/count", headers=headers).status_code
                         for _ in range(2)]
                assert codes == [200, 429]

            def test_unmarked(okc_live):
                clock = httpx.get(okc_live.url + "/_sim/clock").json()
                assert clock["now"] == "2026-01-05T17:00:00Z"
                headers = okc_live.auth_headers()
                codes = [httpx.get(okc_live.url + "/v2/orders/count", headers=headers).status_code
                         for _ in range(2)]
                assert codes == [200, 200]
            """,
        )
        result.assert_outcomes(passed=2)

    def test_tokens_die_with_the_tests_world(self, pytester: pytest.Pytester) -> None:
        """A token of one test's world is a 401 in the next, its client's password changed."""
        result = run_inner(
            pytester,
            """
            import httpx
            import pytest

            KEPT = {}

            def test_first(okc_live):
                KEPT["token"] = okc_live.token()

            @pytest.mark.okc_sim(clients=[("integrator@example.com", "changed")])
            def test_second(okc_live):
                headers = {"Authorization": "Bearer " + KEPT["token"]}
                response = httpx.get(okc_live.url + "/v2/orders", headers=headers)
                assert response.status_code == 401
                assert response.json()["error"]["errorCode"] == "unauthorized"
            """,
        )
        result.assert_outcomes(passed=2)


class TestSimSettings:
    """Checking the marker's arguments."""

    @pytest.mark.parametrize(
        "kwargs",
        [{"seed": "1"}, {"seed": True}, {"rate_limit": 0}, {"rate_limit": "none"}],
    )
    def test_bad_values(self, kwargs: dict[str, object]) -> None:
        """A wrong type or value is a usage error."""
        with pytest.raises(pytest.UsageError):
            plugin().SimSettings(**kwargs)

    def test_app_kwargs(self) -> None:
        """rate_limit maps to create_app's: None keeps its default, "off" is None."""
        assert plugin().SimSettings().app_kwargs() == {}
        assert plugin().SimSettings(rate_limit=10).app_kwargs() == {"rate_limit": 10}
        assert plugin().SimSettings(rate_limit="off").app_kwargs() == {"rate_limit": None}


class TestImport:
    """What loading the plugin costs a session that does not use it."""

    @pytest.mark.slow
    def test_imports_without_httpx_or_the_simulator(self) -> None:
        """The plugin loads without httpx, and without the server's stack."""
        script = (
            "import sys\n"
            "sys.modules['httpx'] = None\n"  # as if the testing extra were not installed
            "import simulator.pytest_plugin as plugin\n"
            "assert plugin.httpx is None\n"
            "assert not {'uvicorn', 'starlette', 'simulator.http'} & set(sys.modules)\n"
        )
        root = str(Path(__file__).resolve().parent.parent)
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
        }
        done = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr


class TestPluginInASession:
    """The plugin as an integrator's test session meets it (pytester)."""

    def test_fixtures_and_marker(self, pytester: pytest.Pytester) -> None:
        """A test file using all three fixtures and the marker passes under -W error."""
        result = run_inner(
            pytester,
            """
            import httpx
            import pytest

            @pytest.mark.okc_sim(start="2026-03-02T10:00:00Z")
            def test_sim(okc_sim):
                assert okc_sim.clock_state()["now"] == "2026-03-02T10:00:00Z"

            def test_client(okc_client):
                r = okc_client.get("/v2/orders/count", headers=okc_client.auth_headers())
                assert r.json() == {"count": 0}

            def test_live(okc_live):
                assert httpx.get(okc_live.url + "/_sim/clock").status_code == 200
            """,
        )
        result.assert_outcomes(passed=3)

    def test_marker_is_registered(self, pytester: pytest.Pytester) -> None:
        """--markers lists okc_sim, so --strict-markers accepts it."""
        pytester.makeini("[pytest]\n")
        result = pytester.runpytest(*PLUGIN_ARGS, "--markers")
        result.stdout.fnmatch_lines(["@pytest.mark.okc_sim(*"])

    def test_each_test_gets_a_fresh_world(self, pytester: pytest.Pytester) -> None:
        """What one test creates is gone in the next, on the same live server."""
        result = run_inner(
            pytester,
            """
            import httpx

            URLS = []

            def create(live):
                product = live.sim.list_products()[0]["id"]
                live.sim.create_order({
                    "consumer": {"first_name": "A", "last_name": "B"},
                    "shipping_address": {"address1": "500 Market St", "city": "San Francisco",
                        "province_code": "CA", "postal_code": "94105",
                        "country_name": "United States"},
                    "order_lines": [{"pouches": [{"contents": [{"client_product_id": product}]}]}],
                })

            def test_first(okc_live):
                URLS.append(okc_live.url)
                create(okc_live)
                okc_live.advance(seconds=86400)
                assert okc_live.sim.count_orders() == 1

            def test_second(okc_live):
                assert okc_live.url == URLS[0]
                assert okc_live.sim.count_orders() == 0
                clock = httpx.get(okc_live.url + "/_sim/clock").json()
                assert clock["now"] == "2026-01-05T17:00:00Z"
            """,
        )
        result.assert_outcomes(passed=2)

    def test_module_marker_merges_with_the_test_marker(self, pytester: pytest.Pytester) -> None:
        """A module's marker applies; a test's marker overrides only what it names."""
        result = run_inner(
            pytester,
            """
            import pytest

            pytestmark = pytest.mark.okc_sim(seed=5, start="2026-03-02T10:00:00Z")

            @pytest.mark.okc_sim(start="2026-04-01T10:00:00Z")
            def test_merged(okc_sim):
                assert okc_sim.seed == 5
                assert okc_sim.clock_state()["now"] == "2026-04-01T10:00:00Z"
            """,
        )
        result.assert_outcomes(passed=1)

    @pytest.mark.parametrize(
        ("marker", "message"),
        [
            ('"2026-03-02T10:00:00Z"', "keyword arguments only"),
            ("speed=2", "unexpected keyword argument 'speed'"),
        ],
    )
    def test_bad_marker_is_an_error(
        self, pytester: pytest.Pytester, marker: str, message: str
    ) -> None:
        """Positional or unknown marker arguments fail the test with a clear message."""
        result = run_inner(
            pytester,
            f"""
            import pytest

            @pytest.mark.okc_sim({marker})
            def test_it(okc_sim):
                pass
            """,
        )
        result.assert_outcomes(errors=1)
        result.stdout.fnmatch_lines([f"*{message}*"])
