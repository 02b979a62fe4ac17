"""`okc-sim serve --rate-limit N|off` over a real socket: what `test_http_ratelimit.py` lacks.

That module checks the limiter and the app in process; this one starts the command and
checks the flag end to end: the limit and its headers, the 429 and its `Retry-After`, the
hour window on the simulated clock, per-client counts, the limit under concurrent clients,
and `off`.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable, Iterator
from contextlib import closing

import httpx
import pytest
from reliability_support import drain, record_figures, start_serve, stop
from test_http_support import EMAIL, OTHER_EMAIL, OTHER_PASSWORD, PASSWORD

pytestmark = pytest.mark.slow  # an `okc-sim serve` subprocess per test

START = "2026-03-02T12:00:00Z"
CLIENTS = ("--client", f"{EMAIL}:{PASSWORD}", "--client", f"{OTHER_EMAIL}:{OTHER_PASSWORD}")
SENT: collections.Counter[str] = collections.Counter()


@pytest.fixture(scope="module", autouse=True)
def figures(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """After the module, record how many requests met the limit."""
    yield
    record_figures(tmp_path_factory, "ratelimit", dict(SENT))


@pytest.fixture
def server() -> Iterator[Callable[..., str]]:
    """Start `okc-sim serve` with extra flags, frozen at START; stop it after the test."""
    started = []

    def start(*flags: str) -> str:
        process, url = start_serve(
            "--port", "0", "--clock", "frozen", "--start", START, "--log-level", "warning",
            *CLIENTS, *flags,
        )  # fmt: skip
        drain(process)
        started.append(process)
        return url

    yield start
    for process in started:
        stop(process)


def client(url: str, email: str = EMAIL, password: str = PASSWORD) -> httpx.Client:
    """An HTTP client logged in as a client of the server."""
    http = httpx.Client(base_url=url, timeout=60)
    login = http.post("/v2/authentication/token", json={"email": email, "password": password})
    http.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
    SENT["requests"] += 1
    return http


class TestRateLimitFlag:
    """The flag as a user of the command sees it."""

    def test_limit_then_429_then_the_next_hour(self, server: Callable[..., str]) -> None:
        """With --rate-limit 5: five pass, the sixth is a 429; an hour on, requests pass again."""
        url = server("--rate-limit", "5")
        with (
            closing(client(url)) as first,
            closing(client(url, OTHER_EMAIL, OTHER_PASSWORD)) as second,
        ):
            remaining = []
            for _ in range(5):
                response = first.get("/v2/orders/count")
                assert response.status_code == 200
                assert response.headers["X-RateLimit-Limit"] == "5"
                remaining.append(int(response.headers["X-RateLimit-Remaining"]))
            assert remaining == [4, 3, 2, 1, 0]
            refused = first.get("/v2/orders/count")
            assert refused.status_code == 429
            assert refused.headers["Retry-After"] == "3600"
            assert refused.headers["X-RateLimit-Reset"] == "2026-03-02T13:00:00Z"
            assert "Rate limit of 5" in refused.json()["message"]
            assert second.get("/v2/orders/count").status_code == 200
            assert first.get("/_sim/clock").status_code == 200  # never limited
            advanced = first.post("/_sim/clock/advance", json={"to": "2026-03-02T13:00:00Z"})
            assert advanced.status_code == 200
            assert first.get("/v2/orders/count").status_code == 200
            SENT["requests"] += 11
            SENT["refused_429"] += 1

    def test_exact_under_concurrent_clients(self, server: Callable[..., str]) -> None:
        """With --rate-limit 20, 8 threads sending 5 requests each get exactly 20 through."""
        url = server("--rate-limit", "20")
        statuses: list[int] = []
        lock = threading.Lock()
        with closing(client(url)) as http:
            token = http.headers["Authorization"]

        def burst() -> None:
            with httpx.Client(base_url=url, timeout=60, headers={"Authorization": token}) as own:
                for _ in range(5):
                    status = own.get("/v2/orders/count").status_code
                    with lock:
                        statuses.append(status)

        threads = [threading.Thread(target=burst) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        # The login counted against the address, not the client.
        assert collections.Counter(statuses) == {200: 20, 429: 20}
        SENT["requests"] += 40
        SENT["refused_429"] += 20

    def test_off(self, server: Callable[..., str]) -> None:
        """With --rate-limit off, no request is refused and no limit headers are sent."""
        url = server("--rate-limit", "off")
        with closing(client(url)) as http:
            for _ in range(200):
                response = http.get("/v2/orders/count")
                assert response.status_code == 200
                assert "X-RateLimit-Limit" not in response.headers
        SENT["requests"] += 200

    def test_default_is_3600_per_hour(self, server: Callable[..., str]) -> None:
        """Without the flag the limit is the contract's 3,600 per simulated hour."""
        url = server()
        with closing(client(url)) as http:
            response = http.get("/v2/orders/count")
        assert response.headers["X-RateLimit-Limit"] == "3600"
        assert response.headers["X-RateLimit-Remaining"] == "3599"
        SENT["requests"] += 1
