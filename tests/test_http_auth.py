"""Tests for authentication: tokens, the Authorization header, expiry on the simulated clock."""

from __future__ import annotations

import pytest
from test_http_support import EMAIL, JSON_TYPE, PASSWORD, Api, new_sim

from simulator.http import create_app

pytestmark = pytest.mark.anyio

LOGIN = "/v2/authentication/token"
REFRESH = "/v2/authentication/refresh-token"


@pytest.fixture
def api() -> Api:
    """A client of a fresh app, not logged in."""
    return Api(create_app(new_sim()))


class TestTokenRequest:
    """POST /v2/authentication/token."""

    async def test_wrong_password(self, api: Api) -> None:
        """Wrong credentials are a 401."""
        response = await api.post(LOGIN, json={"email": EMAIL, "password": "nope"})
        assert response.status_code == 401
        assert response.json()["error"]["errorCode"] == "unauthorized"

    async def test_unknown_email(self, api: Api) -> None:
        """An unknown email is a 401 too."""
        response = await api.post(LOGIN, json={"email": "who@example.com", "password": PASSWORD})
        assert response.status_code == 401

    async def test_non_ascii_password(self, api: Api) -> None:
        """A password with non-ASCII characters is a 401, not a crash."""
        response = await api.post(LOGIN, json={"email": EMAIL, "password": "pässwörd"})
        assert response.status_code == 401

    async def test_missing_fields_are_listed(self, api: Api) -> None:
        """A request without email and password is a 422 naming both."""
        response = await api.post(LOGIN, json={})
        assert response.status_code == 422
        errors = response.json()["errors"]
        assert [(e["field"], e["type"]) for e in errors] == [
            ("username", "required"),
            ("password", "required"),
        ]

    async def test_wrong_types(self, api: Api) -> None:
        """Credentials that are not text are a 422."""
        response = await api.post(LOGIN, json={"email": 5, "password": ["x"]})
        assert response.status_code == 422
        assert {e["type"] for e in response.json()["errors"]} == {"malformed"}

    async def test_body_not_an_object(self, api: Api) -> None:
        """A JSON array is a 422."""
        response = await api.post(LOGIN, json=[EMAIL, PASSWORD])
        assert response.status_code == 422

    async def test_no_bearer_needed(self, api: Api) -> None:
        """The token route works without an Authorization header."""
        response = await api.post(LOGIN, json={"email": EMAIL, "password": PASSWORD})
        assert "Authorization" not in response.request.headers
        assert response.status_code == 200


class TestAuthorizationHeader:
    """The bearer token on every other /v2 route."""

    async def test_missing(self, api: Api) -> None:
        """No header is a 401 that says how to get a token, with a Bearer challenge."""
        response = await api.get("/v2/orders")
        assert response.status_code == 401
        assert "POST /v2/authentication/token" in response.json()["message"]
        assert response.headers["WWW-Authenticate"].startswith("Bearer")

    @pytest.mark.parametrize("header", ["Basic dXNlcjpwdw==", "Bearer", "Bearer a b", "token"])
    async def test_malformed(self, api: Api, header: str) -> None:
        """A header that is not 'Bearer <token>' is a 401 saying so."""
        response = await api.get("/v2/orders", headers={"Authorization": header})
        assert response.status_code == 401
        assert "Bearer" in response.json()["message"]

    async def test_unknown_token(self, api: Api) -> None:
        """A token the server never issued is a 401."""
        response = await api.get("/v2/orders", headers={"Authorization": "Bearer forged"})
        assert response.status_code == 401
        assert "not valid" in response.json()["message"]

    async def test_scheme_is_case_insensitive(self, api: Api) -> None:
        """'bearer' in lower case is accepted."""
        tokens = await api.login()
        header = f"bearer {tokens['access_token']}"
        response = await api.get("/v2/products", headers={"Authorization": header})
        assert response.status_code == 200


class TestExpiry:
    """Access tokens live 24 hours of simulated time."""

    async def test_expires_after_a_simulated_day(self, api: Api) -> None:
        """A token works one second before 24 simulated hours and is a 401 at 24 hours."""
        await api.login()
        await api.post("/_sim/clock/advance", json={"seconds": 86399})
        assert (await api.get("/v2/products")).status_code == 200
        await api.post("/_sim/clock/advance", json={"seconds": 1})
        response = await api.get("/v2/products")
        assert response.status_code == 401
        assert "expired" in response.json()["message"]

    async def test_refresh_after_expiry(self, api: Api) -> None:
        """The refresh token gets a working access token after the old one expired."""
        tokens = await api.login()
        await api.post("/_sim/clock/advance", json={"seconds": 2 * 86400})
        response = await api.post(REFRESH, json={"refresh_token": tokens["refresh_token"]})
        assert response.status_code == 200
        api.client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
        assert (await api.get("/v2/products")).status_code == 200

    async def test_unknown_refresh_token(self, api: Api) -> None:
        """A refresh token the server never issued is a 401."""
        response = await api.post(REFRESH, json={"refresh_token": "forged"})
        assert response.status_code == 401

    async def test_refresh_needs_the_token(self, api: Api) -> None:
        """A refresh request without refresh_token is a 422 naming it."""
        response = await api.post(REFRESH, json={})
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "refresh_token"

    async def test_access_token_is_not_a_refresh_token(self, api: Api) -> None:
        """An access token sent as a refresh token is a 401."""
        tokens = await api.login()
        response = await api.post(REFRESH, json={"refresh_token": tokens["access_token"]})
        assert response.status_code == 401

    async def test_reset_invalidates_tokens(self, api: Api) -> None:
        """After POST /_sim/reset old tokens are refused."""
        await api.login()
        assert (await api.post("/_sim/reset", headers=JSON_TYPE)).status_code == 204
        assert (await api.get("/v2/products")).status_code == 401
