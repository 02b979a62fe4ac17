"""Signing in: a client's credentials for tokens, and a token back to its client."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from simulator._catalogue import CATALOGUE_CREATED_AT
from simulator._errors import Unauthorized
from simulator._ids import stable_uuid
from simulator._timefmt import iso, to_micros

if TYPE_CHECKING:
    from datetime import datetime

    from simulator._world import World


def authenticate(world: World, email: str, password: str) -> dict[str, Any]:
    """Issue tokens for a client's credentials (`Simulator.authenticate`).

    Raises:
        Unauthorized: unknown email or wrong password.
    """
    with world.reading:
        for account in world.clients:
            if account.email == email and secrets.compare_digest(
                account.password.encode(), password.encode()
            ):
                return world.tokens.issue(account.id, world.stamp())
        raise Unauthorized("Incorrect email or password.")


def refresh(world: World, refresh_token: str) -> dict[str, Any]:
    """Trade a refresh token, once, for new tokens (a new refresh token among them).

    Raises:
        Unauthorized: not this world's, another kind, expired, or already used.
    """
    with world.reading:
        return world.tokens.refresh(refresh_token, world.stamp())


def authorize(world: World, access_token: str) -> str:
    """The client an access token belongs to, remembered once vouched for.

    Raises:
        Unauthorized: not this world's, malformed, expired (on the simulated clock).
    """
    with world.reading:
        return world.tokens.authorize(access_token, world.stamp())


def known_client(world: World, access_token: str, at: datetime) -> str | None:
    """The client of an access token already vouched for, if valid `at` (memory only)."""
    return world.tokens.access_cache.client(access_token, to_micros(at))


USER_ROLES = ("Client_Admin",)
"""What a simulated client's user may do: everything a client can."""


def user(world: World, client: str | None) -> dict[str, Any]:
    """The user a client's token was issued to, in the provider's `User` shape.

    Raises:
        NotFound: no such client.
    """
    client_id = world.client(client)
    account = next(account for account in world.clients if account.id == client_id)
    user_id = stable_uuid(world.seed, client_id, "user")
    local = account.email.split("@", 1)[0]
    stamp = iso(CATALOGUE_CREATED_AT)
    return {
        "id": user_id,
        "client_id": client_id,
        "user_type": "client",
        "name": local.replace(".", " ").title(),
        "username": user_id,
        "email": account.email,
        "locale": "en-US",
        "roles": list(USER_ROLES),
        "phone_number": None,
        "last_login": None,
        "created_at": stamp,
        "updated_at": stamp,
    }
