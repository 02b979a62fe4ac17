"""Credentials in headers: a client's bearer access token, and the control API's admin token."""

from __future__ import annotations

import secrets

from simulator.http._errors import ApiError

MISSING_HEADER = (
    "Missing 'Authorization: Bearer <access_token>' header; get an access token from "
    "POST /v2/authentication/token."
)


def bearer_token(authorization: str | None) -> tuple[str | None, str | None]:
    """The token of an `Authorization: Bearer <token>` header, or None and why not."""
    if authorization is None or not authorization.strip():
        return None, MISSING_HEADER
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer":
        return None, (
            "The Authorization header must use the Bearer scheme, 'Bearer <access_token>', "
            f"not '{scheme[:20]}'."
        )
    if not token or " " in token:
        return None, "The Authorization header must be 'Bearer' and one token: 'Bearer <token>'."
    return token, None


def admin_refusal(
    authorization: str | None, admin_header: str | None, admin_token: str | None
) -> ApiError | None:
    """Why a control request without the admin token is refused; None when it has it.

    The token may come as `Authorization: Bearer <token>` or as `X-Admin-Token: <token>`.
    The refusal is a 401 when no token is given, a 403 when it is not the admin token (or
    the server has none, so nothing can unlock it).
    """
    offered = [token for token in (bearer_token(authorization)[0], admin_header) if token]
    if not offered:
        return ApiError(
            401,
            "admin_token_required",
            "The control API needs the admin token here: send 'Authorization: Bearer "
            "<admin token>' or 'X-Admin-Token: <admin token>' (okc-sim serve --admin-token).",
            {"WWW-Authenticate": 'Bearer realm="okc-sim control"'},
        )
    if admin_token is None or not any(_same(token, admin_token) for token in offered):
        return ApiError(403, "forbidden", "That is not the admin token of this server.")
    return None


def _same(offered: str, expected: str) -> bool:
    # Bytes, because compare_digest refuses str with non-ASCII characters.
    return secrets.compare_digest(offered.encode(), expected.encode())
