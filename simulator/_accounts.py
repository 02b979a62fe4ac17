"""Signing in: a client's credentials for tokens, and a token back to its client."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from simulator import _tokens
from simulator._errors import Unauthorized
from simulator._timefmt import to_micros

if TYPE_CHECKING:
    import sqlite3
    from datetime import datetime

    from simulator._world import World


def authenticate(world: World, email: str, password: str) -> dict[str, Any]:
    """Issue tokens for a client's credentials (`Simulator.authenticate`).

    Raises:
        Unauthorized: unknown email or wrong password.
    """
    for account in world.clients:
        if account.email == email and secrets.compare_digest(
            account.password.encode(), password.encode()
        ):
            with world.writing as conn:
                return _issue_tokens(world, conn, account.id, None)
    raise Unauthorized("Incorrect email or password.")


def refresh(world: World, refresh_token: str) -> dict[str, Any]:
    """Issue a new access token for a refresh token.

    Raises:
        Unauthorized: the refresh token is unknown, expired or from before a reset.
    """
    with world.writing as conn:
        client_id = _tokens.owner(conn, refresh_token, "refresh", world.stamp())
        return _issue_tokens(world, conn, client_id, refresh_token)


def authorize(world: World, access_token: str) -> str:
    """The client an access token belongs to, remembered once vouched for.

    Raises:
        Unauthorized: unknown, expired (on the simulated clock) or from before a reset.
    """
    with world.reading:
        now, cache = world.stamp(), world.access_tokens
        client_id = cache.client(world.ids, access_token, now)
        if client_id is None:
            conn = world.store.conn
            client_id, expires_at = _tokens.lookup(conn, access_token, "access", now)
            cache.remember(world.ids, access_token, client_id, expires_at)
        return client_id


def known_client(world: World, access_token: str, at: datetime) -> str | None:
    """The client of an access token already vouched for, if valid `at` (memory only)."""
    return world.access_tokens.client(world.ids, access_token, to_micros(at))


def _issue_tokens(
    world: World, conn: sqlite3.Connection, client_id: str, refresh: str | None
) -> dict[str, Any]:
    """New tokens for the client (no new refresh token when renewing), in `conn`'s transaction."""
    ids = world.ids
    ids.next(conn, "token")
    salt = (world.seed, ids.epoch, ids.last("token"))
    return _tokens.issue(conn, client_id, world.stamp(), salt, refresh)
