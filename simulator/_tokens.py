"""Access and refresh tokens that expire on the simulated clock, kept in the store."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from simulator._errors import Unauthorized
from simulator._ids import secret_token
from simulator._timefmt import MICROS_PER_SECOND, iso

if TYPE_CHECKING:
    import sqlite3

PERMISSIONS = (
    "orders/read,orders/create,orders/update,orders/delete,products/read,"
    "consumers/read,consumers/create,consumers/update,fulfillments/read"
)
"""What every simulated client may do, in the provider's comma-separated form."""

ACCESS_LIFETIME_SECONDS = 86_400
REFRESH_LIFETIME_SECONDS = 30 * 86_400


def issue(
    conn: sqlite3.Connection,
    client_id: str,
    now: int,
    salt: tuple[object, ...],
    refresh: str | None = None,
) -> dict[str, Any]:
    """Store and return a new access token (and a refresh token unless one is being used).

    Args:
        conn: the store, inside the caller's transaction.
        client_id: whose token it is.
        now: the simulated now, in microseconds.
        salt: what makes the token unique to this world and call (seed, epoch, number).
        refresh: the refresh token being used, if this is a refresh.

    Returns:
        The provider's token response.
    """
    access = "sim_at_" + secret_token(*salt, "access")
    rows = [(access, "access", client_id, now + ACCESS_LIFETIME_SECONDS * MICROS_PER_SECOND)]
    if refresh is None:
        refresh = "sim_rt_" + secret_token(*salt, "refresh")
        rows.append(
            (refresh, "refresh", client_id, now + REFRESH_LIFETIME_SECONDS * MICROS_PER_SECOND)
        )
    conn.executemany(
        "INSERT INTO tokens (token, kind, client_id, expires_at) VALUES (?, ?, ?, ?)", rows
    )
    return {
        "access_token": access,
        "refresh_token": refresh,
        "id_token": "sim_id_" + secret_token(*salt, "id"),
        "token_type": "Bearer",
        "expires_in": ACCESS_LIFETIME_SECONDS,
        "permissions": PERMISSIONS,
    }


def owner(conn: sqlite3.Connection, token: str, kind: str, now: int) -> str:
    """The client a token belongs to.

    Raises:
        Unauthorized: unknown (forged, or from before a reset) or expired at `now`.
    """
    return lookup(conn, token, kind, now)[0]


def lookup(conn: sqlite3.Connection, token: str, kind: str, now: int) -> tuple[str, int]:
    """The client a token belongs to, and when it expires (microseconds).

    Raises:
        Unauthorized: unknown (forged, or from before a reset) or expired at `now`.
    """
    row = conn.execute(
        "SELECT client_id, expires_at FROM tokens WHERE token = ? AND kind = ?", (token, kind)
    ).fetchone()
    if row is None:
        raise Unauthorized(f"The {kind} token is not valid (unknown, or from before a reset).")
    client_id, expires_at = row
    if now >= expires_at:
        renew = "refresh-token" if kind == "access" else "token"
        raise Unauthorized(
            f"The {kind} token expired at {iso(expires_at)} (simulated time); "
            f"get a new one from /v2/authentication/{renew}."
        )
    return str(client_id), int(expires_at)


class _Known(NamedTuple):
    client_id: str
    expires_at: int


class AccessCache:
    """Access tokens already found in the store: token -> (client, expiry), for one world.

    Looking a token up in memory spares a SQLite query on every authenticated request. A
    token never changes owner or expiry while its world lasts, so an entry stays true until
    the world is replaced (a reset or a restore), which the `world` object identifies: the
    caller passes an object that is replaced exactly then, and a new world empties the cache.

    Readers need no lock: the entries of one world live in one dict that is swapped whole,
    never emptied in place, and a dict lookup is atomic. Writers hold the store's lock.
    """

    MAX_ENTRIES = 10_000
    """More live tokens than this, and the cache starts over (a login loop, say)."""

    def __init__(self) -> None:
        """Start empty, for no world yet."""
        self._state: tuple[object, dict[str, _Known]] = (object(), {})

    def client(self, world: object, token: str, now: int) -> str | None:
        """The token's client if it is known and unexpired at `now`; None when the store must tell.

        None covers a token not seen yet, an expired one, and any token after the world
        changed: `owner` then gives the answer and, for a refusal, the message.
        """
        known_world, entries = self._state
        if known_world is not world:
            return None
        known = entries.get(token)
        if known is None or now >= known.expires_at:
            return None
        return known.client_id

    def remember(self, world: object, token: str, client_id: str, expires_at: int) -> None:
        """Keep a token the store just vouched for (the caller holds the store's lock)."""
        known_world, entries = self._state
        if known_world is not world or len(entries) >= self.MAX_ENTRIES:
            entries = {}
            self._state = (world, entries)
        entries[token] = _Known(client_id, expires_at)
