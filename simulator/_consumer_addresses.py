"""A consumer's saved addresses: checked, stored as provider-shaped JSON, listed and counted."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lifecycle._errors import UpdateRejected, Violation, ViolationCode
from lifecycle._validation import FORMATS
from simulator import _address, _collections, _json
from simulator._collections import Collection, Field, Kind
from simulator._errors import NotFound
from simulator._presence import Rule, filled, left_out
from simulator._timefmt import iso

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Mapping

RETURN_TYPE = "return"
"""The `address_type` of an address parcels come back to: it needs a phone number."""
ADDRESS_TYPES = ("shipping", "billing", "legal", RETURN_TYPE)
"""The `address_type`s the provider's request schema takes."""
DEFAULT_TYPE = "shipping"

TEXT_LIMITS: dict[str, int] = {
    "addressed_to": 100,
    "address1": 100,
    "address2": 100,
    "city": 50,
    "province_name": 100,
    "country_name": 100,
    "postal_code": 20,
    "phone_number": 15,
}
"""The text fields a client sends, and their most characters."""
REQUIRED = ("address1", "city", "country_name")
"""What a new address needs (the provider's request schema)."""
CLEARABLE = ("province_name", "postal_code")
"""The fields the provider's request schema lets be `null`: null clears them."""
READ_ONLY = frozenset(
    {"id", "consumer_id", "created_at", "updated_at", "crm_id", "province_code", "country_code"}
)
_FIELDS = ", ".join(("is_default", "address_type", *TEXT_LIMITS))
_PHONE, _PHONE_SHAPE = FORMATS["phone"]

_NOT_SENT = "not sent by the client (a field sent comes back as sent)"
_CLEARED = "not sent by the client, or cleared by sending null"
RULE = Rule(
    "ConsumerAddress",
    (
        filled(
            "address_type",
            "`shipping`",
            "the provider's example and what most saved addresses are",
            lambda _doc: DEFAULT_TYPE,
        ),
        *(left_out(name, _NOT_SENT) for name in ("addressed_to", "address2", "phone_number")),
        *(left_out(name, _CLEARED) for name in CLEARABLE),
        left_out(
            "province_code", "the address is not in the United States, or its state is unknown"
        ),
        left_out("country_code", "the country is not the United States (the only one it codes)"),
        left_out("crm_id", "an address the client saves has no CRM record"),
    ),
)
"""The consumer address's null rule (`is_default` always has a value)."""

COLLECTION = Collection(
    "addresses",
    "address",
    (
        Field("id"),
        Field("consumer_id"),
        Field("is_default", Kind.BOOLEAN),
        Field("address_type"),
        Field("addressed_to", searched=True),
        Field("address1", searched=True),
        Field("address2", searched=True),
        Field("city", sortable=True, searched=True),
        Field("province_name"),
        Field("province_code"),
        Field("country_name"),
        Field("country_code"),
        Field("postal_code", searched=True),
        Field("phone_number"),
        Field("created_at", Kind.INSTANT, sortable=True),
        Field("updated_at", Kind.INSTANT, sortable=True),
    ),
)
"""How `GET /v2/consumers/{consumerId}/addresses` filters, searches and sorts."""


def check(payload: object) -> dict[str, Any]:
    """Check an address request body (a create's or a change's: both need the same three).

    Raises:
        UpdateRejected: not an object, unknown or read-only fields, wrong types, missing ones.
    """
    if not isinstance(payload, dict):
        raise UpdateRejected(
            [Violation("", ViolationCode.MALFORMED, "The request body must be a JSON object.")]
        )
    out: list[Violation] = []
    for key, value in payload.items():
        _check_field(str(key), value, out)
    out.extend(
        Violation(name, ViolationCode.REQUIRED, f"'{name}' is required.")
        for name in REQUIRED
        if name not in payload
    )
    kind = payload.get("address_type")
    if kind == RETURN_TYPE and not payload.get("phone_number"):
        message = "'phone_number' is required for a return address."
        out.append(Violation("phone_number", ViolationCode.REQUIRED, message))
    if out:
        raise UpdateRejected(out)
    return dict(payload)


def _check_field(key: str, value: object, out: list[Violation]) -> None:
    if key in READ_ONLY:
        out.append(Violation(key, ViolationCode.READ_ONLY, f"'{key}' is set by OK Capsule."))
    elif key == "is_default":
        if not isinstance(value, bool):
            out.append(
                Violation(key, ViolationCode.MALFORMED, "'is_default' must be true or false.")
            )
    elif key == "address_type":
        if value not in ADDRESS_TYPES:
            known = ", ".join(ADDRESS_TYPES)
            message = f"'address_type' must be one of: {known}."
            out.append(Violation(key, ViolationCode.MALFORMED, message))
    elif key in TEXT_LIMITS:
        _check_text(key, value, out)
    else:
        message = f"'{key}' is not an address field; fields are: {_FIELDS}."
        out.append(Violation(key, ViolationCode.NOT_UPDATABLE, message))


def _check_text(key: str, value: object, out: list[Violation]) -> None:
    if value is None and key in CLEARABLE:
        return
    limit = TEXT_LIMITS[key]
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        message = f"'{key}' must be text of 1 to {limit} characters."
        out.append(Violation(key, ViolationCode.MALFORMED, message))
    elif key == "phone_number" and not _PHONE.fullmatch(value):
        out.append(Violation(key, ViolationCode.MALFORMED, f"'{key}' must be {_PHONE_SHAPE}."))


def present(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A stored address as the API shows it: codes derived, no `null` (`RULE`), a copy."""
    shown = dict(doc)
    if _address.is_us_address(shown):
        shown["country_code"] = "US"
        state = _address.find_state(str(shown.get("province_name") or ""))
        if state is not None:
            shown["province_code"] = state.code
    return RULE.apply(shown)


def insert(  # noqa: PLR0913 - the store, the address, its consumer, client, fields, time
    conn: sqlite3.Connection,
    address: tuple[int, str],
    consumer: tuple[int, str],
    *,
    client_id: str,
    fields: Mapping[str, Any],
    now: int,
) -> dict[str, Any]:
    """Store a consumer's new address and return it as shown.

    A consumer's first address is its default unless the client says otherwise; a new
    default address makes the others not the default.

    Args:
        conn: the store, inside the caller's transaction.
        address: its number and id.
        consumer: its consumer's number and id.
        client_id: the consumer's client.
        fields: the fields sent.
        now: when.
    """
    number, address_id = address
    first = not _has_any(conn, consumer[0])
    body: dict[str, Any] = {
        "id": address_id,
        "consumer_id": consumer[1],
        "is_default": first,
        "created_at": iso(now),
        "updated_at": iso(now),
    }
    body.update({key: value for key, value in fields.items() if value is not None})
    if body["is_default"] and not first:
        _clear_default(conn, consumer[0], now)
    conn.execute(
        "INSERT INTO consumer_addresses (seq, id, consumer_seq, client_id, doc) "
        "VALUES (?, ?, ?, ?, ?)",
        (number, address_id, consumer[0], client_id, _json.dumps(body)),
    )
    return present(body)


def _has_any(conn: sqlite3.Connection, consumer_seq: int) -> bool:
    row = conn.execute(
        "SELECT 1 FROM consumer_addresses WHERE consumer_seq = ? LIMIT 1", (consumer_seq,)
    ).fetchone()
    return row is not None


def _clear_default(conn: sqlite3.Connection, consumer_seq: int, now: int) -> None:
    """Make the consumer's default address no longer the default (its old text is kept)."""
    rows = conn.execute(
        "SELECT seq, doc FROM consumer_addresses WHERE consumer_seq = ?", (consumer_seq,)
    ).fetchall()
    for seq, text in rows:
        doc = _json.loads(text)
        if doc.get("is_default"):
            _save(conn, seq, text, {**doc, "is_default": False, "updated_at": iso(now)})


def _save(conn: sqlite3.Connection, seq: int, old: str, doc: Mapping[str, Any]) -> None:
    _collections.record_version(conn, "address", seq, old)
    conn.execute("UPDATE consumer_addresses SET doc = ? WHERE seq = ?", (_json.dumps(doc), seq))


def get(conn: sqlite3.Connection, consumer_seq: int, address_id: str) -> tuple[int, dict[str, Any]]:
    """One of a consumer's addresses, stored: its number and document.

    Raises:
        NotFound: the consumer has no such address.
    """
    row = conn.execute(
        "SELECT seq, doc FROM consumer_addresses WHERE id = ? AND consumer_seq = ?",
        (address_id, consumer_seq),
    ).fetchone()
    if row is None:
        raise NotFound(f"No address with id '{address_id}' for this consumer.")
    return row[0], _json.loads(row[1])


def update(
    conn: sqlite3.Connection,
    consumer_seq: int,
    address_id: str,
    fields: Mapping[str, Any],
    now: int,
) -> dict[str, Any]:
    """Change an address (a no-op leaves `updated_at` alone) and return it as shown.

    Raises:
        NotFound: the consumer has no such address.
    """
    seq, doc = get(conn, consumer_seq, address_id)
    old = _json.dumps(doc)
    changed = dict(doc)
    for key, value in fields.items():
        if value is None:
            changed.pop(key, None)
        else:
            changed[key] = value
    if changed != doc:
        if changed.get("is_default") and not doc.get("is_default"):
            _clear_default(conn, consumer_seq, now)
        changed["updated_at"] = iso(now)
        _save(conn, seq, old, changed)
    return present(changed)


def as_of(
    conn: sqlite3.Connection,
    consumer: tuple[int, str],
    at: _collections.Moment,
    window: _collections.Window = None,
) -> list[tuple[int, dict[str, Any]]]:
    """A consumer's addresses as they were at a moment, as shown, oldest first.

    Addresses deleted since are listed as they were, from their kept text.
    """
    then = _collections.versions_then(conn, "address", at)
    end, bounds = _collections.window_sql("seq", window)
    rows = conn.execute(
        "SELECT seq, doc FROM consumer_addresses WHERE consumer_seq = ? AND seq <= ?" + end,  # noqa: S608 - fixed SQL, bound values
        [consumer[0], at.newest, *bounds],
    ).fetchall()
    found = {seq: then.get(seq, doc) for seq, doc in rows}
    after = 0 if window is None else window[0]
    for seq, doc in then.items():
        if after < seq <= at.newest and seq not in found and _deleted_of(conn, seq, consumer, doc):
            found[seq] = doc
    shown = [(seq, present(_json.loads(found[seq]))) for seq in sorted(found)]
    return shown if window is None else shown[: window[1]]


def _deleted_of(conn: sqlite3.Connection, seq: int, consumer: tuple[int, str], doc: str) -> bool:
    """Whether a kept address text is of one of the consumer's addresses deleted since."""
    row = conn.execute("SELECT 1 FROM consumer_addresses WHERE seq = ?", (seq,)).fetchone()
    return row is None and _json.loads(doc).get("consumer_id") == consumer[1]


def total(conn: sqlite3.Connection, consumer_seq: int) -> int:
    """How many addresses the consumer has."""
    (count,) = conn.execute(
        "SELECT COUNT(*) FROM consumer_addresses WHERE consumer_seq = ?", (consumer_seq,)
    ).fetchone()
    return int(count)


def delete(conn: sqlite3.Connection, consumer_seq: int, address_id: str) -> None:
    """Delete one of a consumer's addresses (its text is kept for listings paging meanwhile).

    Raises:
        NotFound: the consumer has no such address.
    """
    seq, doc = get(conn, consumer_seq, address_id)
    _collections.record_version(conn, "address", seq, _json.dumps(doc))
    conn.execute("DELETE FROM consumer_addresses WHERE seq = ?", (seq,))
