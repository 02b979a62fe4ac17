"""Consumers: the people orders are for, one client's own, stored as provider-shaped JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lifecycle._validation import CONSUMER_FIELDS, validate_consumer
from simulator import _collections, _json
from simulator._collections import Collection, Field
from simulator._errors import NotFound
from simulator._presence import Rule, crm_reference, filled, left_out
from simulator._timefmt import iso

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Mapping

FIELDS = tuple(CONSUMER_FIELDS)
"""The fields a consumer stores from a request (an order's consumer may also name its `id`)."""

_NOT_SENT = "not sent by the client (a field sent comes back as sent)"
_CLEARED = "not sent by the client, or cleared by sending null"
RULE = Rule(
    "Consumer",
    (
        left_out("email", _NOT_SENT),
        left_out("first_name", _NOT_SENT + "; a consumer made with an order may have none"),
        left_out("last_name", _NOT_SENT + "; a consumer made with an order may have none"),
        left_out("phone_number", _CLEARED),
        left_out("client_custom_consumer_id", _CLEARED),
        filled(
            "crm_account_id",
            "`001` + 15 characters from the id",
            "OKC's CRM account of the consumer: a Salesforce-style id derived from the "
            "consumer's id, so it is stable and filterable",
            lambda doc: crm_reference("001", doc["id"]),
        ),
        filled(
            "crm_id",
            "`003` + 15 characters from the id",
            "OKC's CRM contact of the consumer, derived like `crm_account_id`",
            lambda doc: crm_reference("003", doc["id"]),
        ),
    ),
)
"""The consumer's null rule: also the rule of the consumer an order embeds."""


def present(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A stored consumer as the API shows it: no `null` (`RULE`), a copy."""
    return RULE.apply(dict(doc))


COLLECTION = Collection(
    "consumers",
    "consumer",
    (
        Field("email", searched=True),
        Field("first_name", sortable=True, searched=True),
        Field("last_name", sortable=True, searched=True),
        Field("crm_account_id"),
        Field("crm_id"),
        # The provider's list of filterable fields spells it without `_id`; both work.
        Field("client_custom_consumer", path=("client_custom_consumer_id",)),
        Field("client_custom_consumer_id", searched=True),
    ),
)
"""How `GET /v2/consumers` filters, searches and sorts: the provider's fields, exactly."""


def check_fields(payload: object, *, creating: bool) -> dict[str, Any]:
    """Check a `/v2/consumers` request body with lifecycle's consumer rules; return its fields.

    Raises:
        UpdateRejected: not an object, unknown or read-only fields, wrong types, missing names.
    """
    return validate_consumer(payload, creating=creating)


def insert(
    conn: sqlite3.Connection,
    consumer: tuple[int, str],
    client_id: str,
    fields: Mapping[str, Any],
    now: int,
) -> dict[str, Any]:
    """Store a new consumer and return it as shown (an order embeds it so too).

    Args:
        conn: the store, inside the caller's transaction.
        consumer: its number (the row's key; what the id reads back to) and id.
        client_id: its client.
        fields: the fields sent.
        now: when.
    """
    number, consumer_id = consumer
    body: dict[str, Any] = {
        "id": consumer_id,
        "client_id": client_id,
        "email": None,
        "first_name": None,
        "last_name": None,
        "phone_number": None,
        "client_custom_consumer_id": None,
        "crm_account_id": None,
        "crm_id": None,
        "created_at": iso(now),
        "updated_at": iso(now),
    }
    body.update(fields)
    conn.execute(
        "INSERT INTO consumers (seq, id, client_id, created_at, updated_at, doc) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (number, consumer_id, client_id, now, now, _json.dumps(body)),
    )
    return present(body)


def get(conn: sqlite3.Connection, consumer: tuple[int, str], client_id: str) -> dict[str, Any]:
    """One of the client's consumers as stored (`present` shows it), by number and id.

    Raises:
        NotFound: no such consumer for this client.
    """
    number, consumer_id = consumer
    row = conn.execute(
        "SELECT doc FROM consumers WHERE seq = ? AND id = ? AND client_id = ?",
        (number, consumer_id, client_id),
    ).fetchone()
    if row is None:
        raise NotFound(f"No consumer with id '{consumer_id}'.")
    body: dict[str, Any] = _json.loads(row[0])
    return body


def exists(conn: sqlite3.Connection, consumer: tuple[int, str], client_id: str) -> bool:
    """Whether the client has this consumer (its id's number and the id, as `get` takes)."""
    row = conn.execute(
        "SELECT 1 FROM consumers WHERE seq = ? AND id = ? AND client_id = ?",
        (*consumer, client_id),
    ).fetchone()
    return row is not None


def update(
    conn: sqlite3.Connection,
    consumer: tuple[int, str],
    client_id: str,
    fields: Mapping[str, Any],
    now: int,
) -> dict[str, Any]:
    """Change a consumer's fields (a no-op leaves `updated_at` alone); return it as shown.

    Args:
        conn: the store, inside the caller's transaction.
        consumer: the number its id reads back to (0 for none), and the id.
        client_id: the client that must own it.
        fields: the fields sent.
        now: when.

    Raises:
        NotFound: no such consumer for this client.
    """
    number = consumer[0]
    body = get(conn, consumer, client_id)
    changed = {key: value for key, value in fields.items() if body.get(key) != value}
    if changed:
        _collections.record_version(conn, "consumer", number, _json.dumps(body))
        body.update(changed)
        body["updated_at"] = iso(now)
        conn.execute(
            "UPDATE consumers SET doc = ?, updated_at = ? WHERE seq = ?",
            (_json.dumps(body), now, number),
        )
    return present(body)


def list_all(conn: sqlite3.Connection, client_id: str) -> list[dict[str, Any]]:
    """The client's consumers, oldest first, as shown."""
    rows = conn.execute(
        "SELECT doc FROM consumers WHERE client_id = ? ORDER BY seq", (client_id,)
    ).fetchall()
    return [present(_json.loads(doc)) for (doc,) in rows]


def total(conn: sqlite3.Connection, client_id: str) -> int:
    """How many consumers the client has."""
    (count,) = conn.execute(
        "SELECT COUNT(*) FROM consumers WHERE client_id = ?", (client_id,)
    ).fetchone()
    return int(count)


def as_of(
    conn: sqlite3.Connection,
    client_id: str,
    at: _collections.Moment,
    window: _collections.Window = None,
) -> list[tuple[int, dict[str, Any]]]:
    """The client's consumers as they were at a moment, as shown, oldest first."""
    then = _collections.versions_then(conn, "consumer", at)
    end, bounds = _collections.window_sql("seq", window)
    rows = conn.execute(
        "SELECT seq, doc FROM consumers WHERE client_id = ? AND seq <= ?" + end,  # noqa: S608 - fixed SQL, bound values
        [client_id, at.newest, *bounds],
    )
    return [(seq, present(_json.loads(then.get(seq, doc)))) for seq, doc in rows]
