"""Access, refresh and id tokens: JWT-shaped (HS256), signed with a key drawn at each start.

The key comes from the operating system's random source whenever a world opens (start,
reset, restore), so no token can be computed from the seed and none outlives its world.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from simulator._errors import Unauthorized
from simulator._timefmt import MICROS_PER_SECOND, iso

if TYPE_CHECKING:
    from collections.abc import Iterable


PERMISSIONS = (
    "orders/read,orders/create,orders/update,orders/delete,products/read,"
    "consumers/read,consumers/create,consumers/update,fulfillments/read"
)
"""What every simulated client may do, in the provider's comma-separated form."""

ACCESS_LIFETIME_SECONDS = 86_400
REFRESH_LIFETIME_SECONDS = 30 * 86_400
ISSUER = "okc-sim"
KEY_BYTES = 32
MAX_TOKEN_CHARS = 4096
"""Longer text is refused before any work: the tokens issued here are about 400 characters."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_HEADER = _b64(b'{"alg":"HS256","typ":"JWT"}')
"""The only header accepted: no `alg` choice is left to the token (no `none`, no RS/HS mix)."""
_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}")
"""header.payload.signature in base64url; a SHA-256 MAC is 43 characters unpadded."""
_REFUSED = (
    "The {kind} token is not valid: this simulator did not issue it since it last started "
    "(tokens die with a restart, a reset or a restore). Get a new one from "
    "POST /v2/authentication/token."
)


class Claims(NamedTuple):
    """What a verified token says."""

    client_id: str
    kind: str
    """"access", "refresh" or "id"."""
    jti: str
    """Unique to the token."""
    expires_at: int
    """Microseconds (simulated time); the token is refused from this instant on."""
    family: str
    """The login a refresh token descends from (its first refresh token's `jti`)."""


class Account(Protocol):
    """A client's credentials, as the world keeps them (`ClientAccount`)."""

    @property
    def id(self) -> str:
        """The client's id."""
        ...

    @property
    def email(self) -> str:
        """The client's login."""
        ...

    @property
    def password(self) -> str:
        """The client's password."""
        ...


class TokenIssuer:
    """Issues and checks the tokens of one world, with a key of its own.

    Access tokens need no state: a valid signature, kind, client and expiry are enough.
    Refresh tokens are single-use: each refresh returns a new one, and a used one presented
    again also ends the newest one of its line (someone else may hold a copy). Each token
    carries a digest of its client's credentials, so it dies with a password change or the
    client's removal even if a key ever outlived a world.

    Callers hold the simulator's lock to issue, refresh or authorize; `access_cache` may be
    read with no lock (see `AccessCache`).
    """

    MAX_LIVE_REFRESH = 100_000
    """Unused refresh tokens remembered at most; past it the oldest die (a login loop)."""

    def __init__(self, clients: Iterable[Account], key: bytes | None = None) -> None:
        """Draw the key and note each client's credentials.

        Args:
            clients: the world's clients.
            key: the signing key; None draws one from `secrets` (tests pass one).
        """
        self._key = key if key is not None else secrets.token_bytes(KEY_BYTES)
        clients = tuple(clients)
        self._credentials = {
            account.id: self._digest("credentials", account.id, account.email, account.password)
            for account in clients
        }
        self._emails = {account.id: account.email for account in clients}
        self._live_refresh: dict[str, tuple[str, int]] = {}
        """Unused refresh tokens: jti -> (family, expiry in seconds), oldest first."""
        self._newest_in_family: dict[str, str] = {}
        """Family -> the jti of its one unused refresh token."""
        self.access_cache = AccessCache()

    # --- issuing ----------------------------------------------------------------------------

    def issue(self, client_id: str, now: int, family: str | None = None) -> dict[str, Any]:
        """New access, refresh and id tokens, in the provider's token response.

        Args:
            client_id: whose tokens they are (one of the world's clients).
            now: the simulated now, in microseconds.
            family: the line a rotated refresh token continues; None for a new login.
        """
        issued = now // MICROS_PER_SECOND
        access = self._sign(client_id, "access", issued, ACCESS_LIFETIME_SECONDS)
        refresh_jti = secrets.token_hex(16)
        family = family or refresh_jti
        refresh = self._sign(
            client_id, "refresh", issued, REFRESH_LIFETIME_SECONDS, jti=refresh_jti, family=family
        )
        self._remember_refresh(refresh_jti, family, issued + REFRESH_LIFETIME_SECONDS, now)
        identity = self._sign(
            client_id, "id", issued, ACCESS_LIFETIME_SECONDS, email=self._emails[client_id]
        )
        return {
            "access_token": access,
            "refresh_token": refresh,
            "id_token": identity,
            "token_type": "Bearer",
            "expires_in": ACCESS_LIFETIME_SECONDS,
            "permissions": PERMISSIONS,
        }

    def refresh(self, token: str, now: int) -> dict[str, Any]:
        """Trade a refresh token, once, for new tokens (a new refresh token among them).

        Raises:
            Unauthorized: not a refresh token of this world and client, expired, or used.
        """
        claims = self.verify(token, "refresh", now)
        if claims.jti not in self._live_refresh:
            # A used token again: either the client retried, or a copy leaked. The line's
            # newest token dies too, so a thief's copy stops working either way.
            newest = self._newest_in_family.get(claims.family)
            if newest is not None:
                self._forget(newest)
            raise Unauthorized(
                "The refresh token was already used: each refresh returns a new refresh token, "
                "and only that one works next (reusing an old one also ends the new one). "
                "Log in again with POST /v2/authentication/token."
            )
        self._forget(claims.jti)
        return self.issue(claims.client_id, now, claims.family)

    def _remember_refresh(self, jti: str, family: str, expires: int, now: int) -> None:
        live = self._live_refresh
        if len(live) >= self.MAX_LIVE_REFRESH:
            for old in [key for key, (_, ends) in live.items() if ends * MICROS_PER_SECOND <= now]:
                self._forget(old)
            while len(live) >= self.MAX_LIVE_REFRESH:
                self._forget(next(iter(live)))
        live[jti] = (family, expires)
        self._newest_in_family[family] = jti

    def _forget(self, jti: str) -> None:
        """A refresh token used or evicted: it and its line's entry go."""
        family, _ = self._live_refresh.pop(jti)
        if self._newest_in_family.get(family) == jti:
            del self._newest_in_family[family]

    def _sign(  # noqa: PLR0913 - the claims of one token
        self,
        client_id: str,
        kind: str,
        issued: int,
        lifetime: int,
        *,
        jti: str | None = None,
        family: str | None = None,
        email: str | None = None,
    ) -> str:
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "sub": client_id,
            "typ": kind,
            "jti": jti or secrets.token_hex(16),
            "iat": issued,
            "exp": issued + lifetime,
            "crd": self._credentials[client_id],
        }
        if family is not None:
            claims["fam"] = family
        if email is not None:
            claims["email"] = email
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        return f"{_HEADER}.{payload}.{self._mac(_HEADER + '.' + payload)}"

    # --- checking ---------------------------------------------------------------------------

    def verify(self, token: str, kind: str, now: int) -> Claims:
        """Check a token's signature, kind, client and expiry at `now` (microseconds).

        Raises:
            Unauthorized: forged, altered, from another world, of another kind, of a client
                whose credentials changed, or expired; the message says which and what to do.
        """
        if len(token) > MAX_TOKEN_CHARS or not _SHAPE.fullmatch(token):
            raise Unauthorized(_REFUSED.format(kind=kind))
        signed, _, signature = token.rpartition(".")
        header, _, payload = signed.partition(".")
        # Both ASCII by the shape check, so compare_digest takes them as they are.
        if header != _HEADER or not hmac.compare_digest(signature, self._mac(signed)):
            raise Unauthorized(_REFUSED.format(kind=kind))
        claims = _claims(payload)
        if claims is None or claims.get("iss") != ISSUER:
            raise Unauthorized(_REFUSED.format(kind=kind))
        if claims["typ"] != kind:
            raise Unauthorized(
                f"That is {_article(claims['typ'])} token, not {_article(kind)} token; send "
                f"the {kind}_token of POST /v2/authentication/token."
            )
        client_id = claims["sub"]
        expected = self._credentials.get(client_id)
        if expected is None or not hmac.compare_digest(claims["crd"], expected):
            raise Unauthorized(
                f"The {kind} token belongs to a client that is gone or whose password changed; "
                "log in again with POST /v2/authentication/token."
            )
        expires_at = claims["exp"] * MICROS_PER_SECOND
        if now >= expires_at:
            renew = "refresh-token" if kind == "access" else "token"
            raise Unauthorized(
                f"The {kind} token expired at {iso(expires_at)} (simulated time); "
                f"get a new one from POST /v2/authentication/{renew}."
            )
        return Claims(client_id, kind, claims["jti"], expires_at, claims.get("fam", ""))

    def authorize(self, token: str, now: int) -> str:
        """The client of a valid access token; its signature is checked once, then remembered.

        Raises:
            Unauthorized: see `verify`.
        """
        client_id = self.access_cache.client(token, now)
        if client_id is None:
            claims = self.verify(token, "access", now)
            self.access_cache.remember(token, claims.client_id, claims.expires_at)
            client_id = claims.client_id
        return client_id

    def _mac(self, signed: str) -> str:
        return _b64(hmac.new(self._key, signed.encode("ascii"), hashlib.sha256).digest())

    def _digest(self, *parts: str) -> str:
        text = "\0".join(parts).encode("utf-8", "surrogatepass")
        return _b64(hmac.new(self._key, text, hashlib.sha256).digest()[:12])


_CLAIM_TYPES: dict[str, type] = {
    "iss": str,
    "sub": str,
    "typ": str,
    "jti": str,
    "iat": int,
    "exp": int,
    "crd": str,
}
_MAX_INSTANT = 253_402_300_799
"""9999-12-31T23:59:59Z: the latest NumericDate the simulator writes or reads."""


def _claims(payload: str) -> dict[str, Any] | None:
    """The payload's claims if they have the shape this module writes; None otherwise.

    Only a payload under a valid signature gets here, yet it is checked as untrusted input:
    a key that leaked, or a bug, must still give a 401 and never an error.
    """
    try:
        claims = json.loads(_unb64(payload))
    except (ValueError, RecursionError):  # bad base64, UTF-8 or JSON are all ValueErrors
        return None
    if not isinstance(claims, dict):
        return None
    for name, kind in _CLAIM_TYPES.items():
        value = claims.get(name)
        if not isinstance(value, kind) or isinstance(value, bool):
            return None
    if not (0 <= claims["iat"] <= claims["exp"] <= _MAX_INSTANT):
        return None
    if not isinstance(claims.get("fam", ""), str):
        return None
    return claims


def _article(kind: object) -> str:
    text = str(kind)[:20]
    return f"an {text}" if text[:1] in {"a", "i"} else f"a {text}"


class _Known(NamedTuple):
    client_id: str
    expires_at: int


class AccessCache:
    """Access tokens already verified: token -> (client, expiry), for one world's issuer.

    Verifying a token costs an HMAC and a JSON parse; a dict lookup spares that on every
    later request. The cache belongs to its issuer, which a new world replaces, so a reset
    or a restore forgets every entry.

    Readers need no lock: the entries live in one dict that is swapped whole, never emptied
    in place, and a dict lookup is atomic. Writers hold the simulator's lock.
    """

    MAX_ENTRIES = 10_000
    """More live tokens than this, and the cache starts over (a login loop, say)."""

    def __init__(self) -> None:
        """Start empty."""
        self._entries: dict[str, _Known] = {}

    def client(self, token: str, now: int) -> str | None:
        """The token's client if it is known and unexpired at `now`; None when it must be verified.

        None covers a token not seen yet, an expired one, and a refused one: `verify` then
        gives the answer and, for a refusal, the message.
        """
        known = self._entries.get(token)
        if known is None or now >= known.expires_at:
            return None
        return known.client_id

    def remember(self, token: str, client_id: str, expires_at: int) -> None:
        """Keep a token just verified (the caller holds the simulator's lock)."""
        if len(self._entries) >= self.MAX_ENTRIES:
            self._entries = {}
        self._entries[token] = _Known(client_id, expires_at)
