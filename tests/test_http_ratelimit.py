"""Tests for rate limiting: the fixed hourly window on the simulated clock, and its headers."""

from __future__ import annotations

import datetime as dt

import pytest
from test_http_support import JSON_TYPE, OTHER_EMAIL, OTHER_PASSWORD, Api, new_sim

from simulator.http import create_app
from simulator.http._ratelimit import RateLimiter, window_start

pytestmark = pytest.mark.anyio

T0 = dt.datetime(2026, 3, 2, 12, 30, tzinfo=dt.UTC)


class TestRateLimiter:
    """The limiter on its own."""

    def test_counts_down_then_refuses(self) -> None:
        """Remaining goes N-1 .. 0, then the next hit is refused with Retry-After."""
        limiter = RateLimiter(3)
        verdicts = [limiter.hit("a", T0) for _ in range(4)]
        assert [v.allowed for v in verdicts] == [True, True, True, False]
        assert [v.remaining for v in verdicts] == [2, 1, 0, 0]
        assert verdicts[-1].retry_after == 1800
        assert verdicts[-1].headers()["Retry-After"] == "1800"
        assert "Retry-After" not in verdicts[0].headers()

    def test_window_is_the_clock_hour(self) -> None:
        """The count restarts at the top of the next hour, not an hour after the first hit."""
        limiter = RateLimiter(1)
        assert limiter.hit("a", T0).allowed
        assert not limiter.hit("a", T0.replace(minute=59, second=59)).allowed
        assert limiter.hit("a", T0.replace(hour=13, minute=0)).allowed

    def test_refused_requests_do_not_count(self) -> None:
        """Hammering a full window does not eat into the next one."""
        limiter = RateLimiter(2)
        for _ in range(10):
            limiter.hit("a", T0)
        assert limiter.hit("a", T0 + dt.timedelta(hours=1)).remaining == 1

    def test_keys_are_separate(self) -> None:
        """Each key has its own allowance."""
        limiter = RateLimiter(1)
        assert limiter.hit("a", T0).allowed
        assert limiter.hit("b", T0).allowed

    def test_clear(self) -> None:
        """Clearing restores every allowance."""
        limiter = RateLimiter(1)
        limiter.hit("a", T0)
        limiter.clear()
        assert limiter.hit("a", T0).allowed

    def test_reset_header_is_the_window_end(self) -> None:
        """X-RateLimit-Reset is the next hour in UTC, ISO 8601 with Z."""
        headers = RateLimiter(5).hit("a", T0).headers()
        assert headers == {
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "4",
            "X-RateLimit-Reset": "2026-03-02T13:00:00Z",
        }

    def test_window_start_in_another_zone(self) -> None:
        """An instant with an offset falls in its UTC hour."""
        at = dt.datetime(2026, 3, 2, 4, 59, tzinfo=dt.timezone(dt.timedelta(hours=-8)))
        assert window_start(at) == dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC)

    def test_limit_must_be_positive(self) -> None:
        """A limit below 1 is refused."""
        with pytest.raises(ValueError, match="at least 1"):
            RateLimiter(0)


class TestOverHttp:
    """The limit as a client sees it."""

    async def test_boundary_and_recovery(self) -> None:
        """N requests pass counting down to 0, the next is a 429, and the next hour works."""
        api = Api(create_app(new_sim(), rate_limit=4))
        await api.login()  # the token request is counted against the address, not the client
        remaining = []
        for _ in range(4):
            response = await api.get("/v2/products")
            assert response.status_code == 200
            assert response.headers["X-RateLimit-Limit"] == "4"
            assert response.headers["X-RateLimit-Reset"] == "2026-03-02T13:00:00Z"
            remaining.append(response.headers["X-RateLimit-Remaining"])
        assert remaining == ["3", "2", "1", "0"]
        refused = await api.get("/v2/products")
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == "3600"
        assert refused.headers["X-RateLimit-Remaining"] == "0"
        assert refused.json()["error"]["errorCode"] == "rate_limited"
        assert (await api.post("/_sim/clock/advance", json={"seconds": 3599})).status_code == 200
        assert (await api.get("/v2/products")).headers["Retry-After"] == "1"
        await api.post("/_sim/clock/advance", json={"seconds": 1})
        again = await api.get("/v2/products")
        assert again.status_code == 200
        assert again.headers["X-RateLimit-Remaining"] == "3"

    async def test_refused_request_does_nothing(self) -> None:
        """A 429 create does not create an order."""
        api = Api(create_app(new_sim(), rate_limit=3))
        await api.login()
        payload = await api.order_payload()  # one request
        await api.post("/v2/orders", json=payload)
        await api.get("/v2/orders/count")
        assert (await api.post("/v2/orders", json=payload)).status_code == 429
        await api.post("/_sim/clock/advance", json={"seconds": 3600})
        assert (await api.get("/v2/orders/count")).json() == {"count": 1}

    async def test_per_client(self) -> None:
        """One client's exhausted allowance leaves another's untouched."""
        app = create_app(new_sim(), rate_limit=2)
        first, second = Api(app), Api(app)
        await first.login()  # both logins use up the address's allowance, not the clients'
        await second.login(OTHER_EMAIL, OTHER_PASSWORD)
        assert (await first.get("/v2/products")).status_code == 200
        assert (await first.get("/v2/products")).status_code == 200
        assert (await first.get("/v2/products")).status_code == 429
        assert (await second.get("/v2/products")).status_code == 200

    async def test_unauthenticated_requests_count_per_address(self) -> None:
        """Requests without a valid token share the remote address's allowance."""
        api = Api(create_app(new_sim(), rate_limit=2))
        assert (await api.get("/v2/orders")).status_code == 401
        assert (await api.post("/v2/authentication/token", json={})).status_code == 422
        response = await api.post(
            "/v2/authentication/token", json={"email": "a@b.c", "password": "x"}
        )
        assert response.status_code == 429

    async def test_control_api_is_not_limited(self) -> None:
        """/_sim routes neither count nor carry rate-limit headers."""
        api = Api(create_app(new_sim(), rate_limit=1))
        for _ in range(3):
            response = await api.get("/_sim/clock")
            assert response.status_code == 200
            assert "X-RateLimit-Limit" not in response.headers

    async def test_headers_on_errors_too(self) -> None:
        """A 404 under /v2 carries the rate-limit headers."""
        api = Api(create_app(new_sim(), rate_limit=10))
        await api.login()
        response = await api.get("/v2/unknown")
        assert response.status_code == 404
        assert response.headers["X-RateLimit-Remaining"] == "9"

    async def test_off(self) -> None:
        """rate_limit=None never refuses and sends no rate-limit headers."""
        api = Api(create_app(new_sim(), rate_limit=None))
        await api.login()
        for _ in range(20):
            response = await api.get("/v2/products")
            assert response.status_code == 200
        assert not any(name.lower().startswith("x-ratelimit") for name in response.headers)

    async def test_reset_clears_the_counts(self) -> None:
        """POST /_sim/reset gives every client its allowance back."""
        api = Api(create_app(new_sim(), rate_limit=1))
        assert (await api.get("/v2/orders")).status_code == 401
        assert (await api.get("/v2/orders")).status_code == 429
        await api.post("/_sim/reset", headers=JSON_TYPE)
        assert (await api.get("/v2/orders")).status_code == 401
