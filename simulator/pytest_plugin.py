"""pytest plugin: a fresh, frozen OK Capsule simulator per test, in process or on a socket.

Fixtures `okc_sim`, `okc_client` and `okc_live`; marker `okc_sim(...)`. See docs/pytest-plugin.md.
"""

from __future__ import annotations

import json
import urllib.request
from typing import TYPE_CHECKING, Any

import pytest

from simulator._simulator import Simulator

# pytest loads this plugin in every session of an environment that has okc-lifecycle, so it
# must import without the `testing` extra (httpx), and without the server's stack (starlette,
# uvicorn, anyio): the fixtures that need them import them.
if TYPE_CHECKING:
    import contextlib
    from collections.abc import Callable, Iterator, Mapping, Sequence
    from datetime import datetime
    from pathlib import Path

    import anyio.from_thread
    import httpx

    from simulator._profile import OperationsProfile
    from simulator._server import LiveServer
    from simulator._simulator import AdvanceResult
    from simulator.clock_bridge import ClockBridge

    _HttpxClient = httpx.Client
    _HttpxTransport = httpx.BaseTransport
else:
    try:
        import httpx
    except ModuleNotFoundError:  # the fixtures that need it say how to install it
        httpx = None
        _HttpxClient = _HttpxTransport = object
    else:
        _HttpxClient = httpx.Client
        _HttpxTransport = httpx.BaseTransport

__all__ = [
    "BASE_URL",
    "DEFAULT_START",
    "LiveSim",
    "OkcClient",
    "SimSettings",
    "okc_token",
    "settings_for",
]

DEFAULT_START = "2026-01-05T17:00:00Z"
"""Where a test's clock starts unless its marker says: Monday 5 January 2026, 09:00 Pacific,
a business day morning with the next nightly batch 15 hours away."""

BASE_URL = "http://okc-sim.test"
"""The base URL of `okc_client`; no request leaves the process."""

MARKER = "okc_sim"
_MARKER_HELP = (
    f"{MARKER}(start={DEFAULT_START!r}, seed=0, profile=None, timezone=None, clients=None, "
    "rate_limit=None): configure the simulator of the okc_sim, okc_client and okc_live "
    "fixtures"
)


ADVICE_OPTION = "--okc-advice"
_ADVICE = pytest.StashKey[list[tuple[str, list[dict[str, Any]]]]]()
"""Each test's advice (its node id and items), gathered when `--okc-advice` is given."""


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add `--okc-advice`: print the polling advisor's findings at the end of the session."""
    parser.getgroup("okc-sim").addoption(
        ADVICE_OPTION,
        action="store_true",
        default=False,
        help="after the session, print what each test's okc_client or okc_live journal "
        "shows about the integration's polling, tokens and rate limits (GET /_sim/advice)",
    )


BRIDGE_MARKER = "okc_clock_bridge"
_BRIDGE_MARKER_HELP = (
    f"{BRIDGE_MARKER}: the code under test reads the test's simulated clock through "
    "datetime.now(), time.time() and friends; needs time-machine (the testing extra)"
)


def pytest_configure(config: pytest.Config) -> None:
    """Register the plugin's markers, so `--strict-markers` accepts them."""
    config.addinivalue_line("markers", _MARKER_HELP)
    config.addinivalue_line("markers", _BRIDGE_MARKER_HELP)
    config.stash[_ADVICE] = []


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:  # noqa: ANN401 - pytest's TerminalReporter
    """With `--okc-advice`, print each test's advice (or say there was none)."""
    if not config.getoption(ADVICE_OPTION):
        return
    gathered = config.stash[_ADVICE]
    terminalreporter.section("okc-sim advice")
    found = [(nodeid, items) for nodeid, items in gathered if items]
    if not found:
        terminalreporter.line(
            f"No advice: {len(gathered)} test(s) used okc_client or okc_live; their journals "
            "show nothing to change."
        )
        return
    for nodeid, items in found:
        terminalreporter.line(nodeid)
        for item in items:
            terminalreporter.line(f"  {item['kind']}: {item['message']}")


def _gather_advice(request: pytest.FixtureRequest, advice: Callable[[], Any]) -> None:
    """Keep a test's advice for the summary, when `--okc-advice` asks for it."""
    if request.config.getoption(ADVICE_OPTION):
        items: list[dict[str, Any]] = advice()["advice"]
        request.config.stash[_ADVICE].append((request.node.nodeid, items))


class SimSettings:
    """What a test's `okc_sim` marker asks for; every argument has a default.

    Args:
        start: the simulated start instant (aware datetime or ISO 8601 text).
        seed: the seed of every id and random draw.
        profile: an operations profile, a TOML file path, or None for the default.
        timezone: the zone of the batch and status ticks, e.g. "UTC-8"; None for the profile's.
        clients: `(email, password)` pairs; None for integrator@example.com / sandbox.
        rate_limit: requests per client per simulated hour; None for the server's default
            (3,600), "off" for no limit.

    Raises:
        pytest.UsageError: an argument has the wrong type.
    """

    def __init__(  # noqa: PLR0913 - the marker's keyword arguments, one to one
        self,
        *,
        start: datetime | str = DEFAULT_START,
        seed: int = 0,
        profile: OperationsProfile | str | Path | None = None,
        timezone: str | None = None,
        clients: Sequence[tuple[str, str]] | None = None,
        rate_limit: int | str | None = None,
    ) -> None:
        """Check and keep the marker's arguments."""
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise pytest.UsageError(f"{MARKER}(seed=...) must be an int, not {seed!r}.")
        if rate_limit not in (None, "off") and (
            isinstance(rate_limit, bool) or not isinstance(rate_limit, int) or rate_limit < 1
        ):
            raise pytest.UsageError(
                f"{MARKER}(rate_limit=...) must be a positive int, 'off' or None, "
                f"not {rate_limit!r}."
            )
        self.start = start
        self.seed = seed
        self.profile = profile
        self.timezone = timezone
        self.clients = None if clients is None else [tuple(pair) for pair in clients]
        self.rate_limit = rate_limit

    def simulator(self) -> Simulator:
        """A new simulator with a frozen clock, as these settings describe."""
        settings: dict[str, Any] = {
            "start": self.start,
            "seed": self.seed,
            "profile": self.profile,
            "timezone": self.timezone,
            "mode": "frozen",
        }
        if self.clients is not None:
            settings["clients"] = self.clients
        return Simulator(**settings)

    def app_kwargs(self) -> dict[str, Any]:
        """The settings `simulator.http.create_app` takes from the marker."""
        if self.rate_limit is None:
            return {}
        return {"rate_limit": None if self.rate_limit == "off" else self.rate_limit}


def settings_for(node: pytest.Item) -> SimSettings:
    """The settings of a test: its `okc_sim` markers merged, the closest one winning.

    Raises:
        pytest.UsageError: a marker has positional or unknown arguments.
    """
    merged: dict[str, Any] = {}
    for marker in reversed(list(node.iter_markers(MARKER))):
        if marker.args:
            raise pytest.UsageError(
                f"{node.nodeid}: {MARKER}() takes keyword arguments only, got {marker.args!r}."
            )
        merged.update(marker.kwargs)
    try:
        return SimSettings(**merged)
    except TypeError as error:
        raise pytest.UsageError(f"{node.nodeid}: {MARKER}(): {error}.") from None


def _need_httpx(fixture: str) -> None:
    if httpx is None:
        raise pytest.UsageError(
            f"The {fixture} fixture needs httpx: pip install 'okc-lifecycle[testing]'."
        )


class _PortalTransport(_HttpxTransport):
    """Sends a sync httpx request to an ASGI app running on an event loop in another thread.

    `starlette.testclient` does the same but warns when used with httpx (it wants httpx2),
    and a test session that turns warnings into errors cannot afford that.
    """

    def __init__(self, app: Any) -> None:  # noqa: ANN401 - any ASGI app
        self._asgi = httpx.ASGITransport(app=app)
        self._portal_cm = _start_portal()
        self._portal: anyio.from_thread.BlockingPortal = self._portal_cm.__enter__()
        self._closed = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Run the request through the app; return the response, body read."""
        request.read()

        async def send() -> tuple[int, httpx.Headers, bytes]:
            response = await self._asgi.handle_async_request(request)
            # Raw bytes: the headers still name any content encoding, so httpx decodes once.
            body = b"".join([chunk async for chunk in response.aiter_raw()])
            await response.aclose()
            return response.status_code, response.headers, body

        status, headers, body = self._portal.call(send)
        return httpx.Response(status, headers=headers, content=body)

    def close(self) -> None:
        """Stop the event loop thread (once, however often the client is closed)."""
        if not self._closed:
            self._closed = True
            self._portal_cm.__exit__(None, None, None)


def _start_portal() -> contextlib.AbstractContextManager[anyio.from_thread.BlockingPortal]:
    import anyio.from_thread  # noqa: PLC0415 - see the imports above

    return anyio.from_thread.start_blocking_portal(name="okc-sim client")


class OkcClient(_HttpxClient):
    """An `httpx.Client` that talks to a simulator's HTTP app in process, with no socket.

    Its base URL is `BASE_URL`, so paths are enough: `client.get("/v2/orders", ...)`.

    Args:
        sim: the simulator to talk to.
        **app_kwargs: passed to `simulator.http.create_app` (rate_limit, ...).
    """

    def __init__(self, sim: Simulator, **app_kwargs: Any) -> None:  # noqa: ANN401
        """Build the app over `sim` and a client over the app."""
        from simulator.http import create_app  # noqa: PLC0415 - see the imports above

        # The app answers only to the host names it is given: BASE_URL's is one.
        hosts = [BASE_URL.removeprefix("http://"), *app_kwargs.pop("allowed_hosts", ())]
        app = create_app(sim, allowed_hosts=hosts, **app_kwargs)
        super().__init__(transport=_PortalTransport(app), base_url=BASE_URL)
        self.sim = sim
        """The simulator behind the app: move its clock, force events, inspect it."""

    def token(self, email: str | None = None, password: str | None = None) -> str:
        """A fresh access token for a client (see `okc_token`)."""
        return okc_token(self.sim, email, password)

    def auth_headers(self, email: str | None = None, password: str | None = None) -> dict[str, str]:
        """`{"Authorization": "Bearer <fresh access token>"}` for a client."""
        return {"Authorization": f"Bearer {self.token(email, password)}"}


class LiveSim:
    """A simulator served on a real socket for one test: give `url` to the code under test.

    Args:
        server: the live server, already serving `sim`.
        sim: the test's simulator.
    """

    def __init__(self, server: LiveServer, sim: Simulator) -> None:
        """Keep the server and the simulator it serves."""
        self.url: str = server.url
        """The server's base URL, e.g. "http://127.0.0.1:54321"."""
        self.sim = sim
        """The simulator behind the server (the test's `okc_sim`)."""

    def advance(
        self, seconds: float | None = None, to: datetime | str | None = None
    ) -> AdvanceResult:
        """Move the clock forward, running all work that falls due (see `Simulator.advance`)."""
        return self.sim.advance(seconds=seconds, to=to)

    def token(self, email: str | None = None, password: str | None = None) -> str:
        """A fresh access token for a client (see `okc_token`)."""
        return okc_token(self.sim, email, password)

    def auth_headers(self, email: str | None = None, password: str | None = None) -> dict[str, str]:
        """`{"Authorization": "Bearer <fresh access token>"}` for a client."""
        return {"Authorization": f"Bearer {self.token(email, password)}"}

    def reset(self) -> None:
        """Empty the world, as `POST /_sim/reset` does: the journal and rate limits too."""
        request = urllib.request.Request(  # noqa: S310 - our own http:// URL
            f"{self.url}/_sim/reset", method="POST", headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30):  # noqa: S310 - as above
            pass

    def __repr__(self) -> str:
        """Show where the server listens."""
        return f"<LiveSim {self.url}>"


def okc_token(sim: Simulator, email: str | None = None, password: str | None = None) -> str:
    """Issue an access token the way `POST /v2/authentication/token` does.

    Args:
        sim: the simulator.
        email: the client's email; None for the simulator's first (default) client.
        password: the client's password; None for the one the simulator was given.

    Returns:
        The access token, valid for 24 hours of simulated time.

    Raises:
        Unauthorized: unknown email or wrong password.
    """
    accounts: Mapping[str, str] = {account.email: account.password for account in sim.clients}
    chosen = email if email is not None else sim.clients[0].email
    secret = password if password is not None else accounts.get(chosen, "")
    token: str = sim.authenticate(chosen, secret)["access_token"]
    return token


@pytest.fixture
def okc_sim(request: pytest.FixtureRequest) -> Iterator[Simulator]:
    """A new in-memory `Simulator` for this test, clock frozen at the marker's `start`.

    Nothing moves until the test calls `okc_sim.advance(...)`.
    """
    sim = settings_for(request.node).simulator()
    yield sim
    sim.close()


@pytest.fixture
def okc_client(okc_sim: Simulator, request: pytest.FixtureRequest) -> Iterator[OkcClient]:
    """An `httpx.Client` (an `OkcClient`) over the HTTP app of this test's `okc_sim`."""
    _need_httpx("okc_client")
    with OkcClient(okc_sim, **settings_for(request.node).app_kwargs()) as client:
        yield client
        _gather_advice(request, lambda: client.get("/_sim/advice").json())


class _SessionServer:
    """One live server per session; each test's simulator is swapped in, then out again."""

    def __init__(self) -> None:
        from simulator._server import LiveServer  # noqa: PLC0415 - see the imports above

        # Served between tests, so a straggling request never reaches a closed simulator.
        self.idle = Simulator(start=DEFAULT_START)
        self.server = LiveServer(self.idle).start()

    def close(self) -> None:
        self.server.stop()
        self.idle.close()


@pytest.fixture(scope="session")
def _okc_live_server() -> Iterator[_SessionServer]:
    session = _SessionServer()
    yield session
    session.close()


@pytest.fixture
def okc_live(
    okc_sim: Simulator, _okc_live_server: _SessionServer, request: pytest.FixtureRequest
) -> Iterator[LiveSim]:
    """This test's `okc_sim`, served over HTTP on 127.0.0.1 at a free port.

    The server (a thread) lives for the whole session; each test gets its own world.
    """
    server = _okc_live_server.server
    server.serve(okc_sim, **settings_for(request.node).app_kwargs())
    try:
        yield LiveSim(server, okc_sim)
        _gather_advice(request, lambda: _get_json(f"{server.url}/_sim/advice"))
    finally:
        server.serve(_okc_live_server.idle)


def _get_json(url: str) -> Any:  # noqa: ANN401 - decoded JSON
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - our own http:// URL
        return json.loads(response.read())


@pytest.fixture
def okc_clock_bridge(okc_sim: Simulator) -> Iterator[ClockBridge]:
    """This test's wall clock is its `okc_sim` clock, following every advance.

    `datetime.now()`, `time.time()` and the like return the simulated time, so code under
    test that takes its polling watermark from its own clock stays in step with the server.
    Needs `time-machine` (the `testing` extra).
    """
    from simulator.clock_bridge import ClockBridge  # noqa: PLC0415 - needs the testing extra

    with ClockBridge(okc_sim) as bridge:
        yield bridge


@pytest.fixture(autouse=True)
def _okc_clock_bridge_marker(request: pytest.FixtureRequest) -> None:
    """Start the clock bridge for tests marked `okc_clock_bridge`."""
    if request.node.get_closest_marker(BRIDGE_MARKER) is not None:
        request.getfixturevalue("okc_clock_bridge")
