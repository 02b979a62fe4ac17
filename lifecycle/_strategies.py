"""The Hypothesis strategies behind `lifecycle.testing`, and the ones only our tests use.

`lifecycle.testing` re-exports the documented ones (docs/testing.md); the rest (`broken_*`,
`valid_field_values`, `random_field_names`...) serve this project's own tests.
"""

from __future__ import annotations

import math
import string
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from hypothesis import strategies as st

from lifecycle._calendar import PACIFIC, Calendar
from lifecycle._models import Order, ShippingAddress
from lifecycle._status import CLIENT_STATUS_TARGETS, EDITABLE, FINAL, OrderStatus
from lifecycle._table import DEST, TRANSITIONS, Actor, Event
from lifecycle._validation import (
    CREATE_FIELDS,
    NOTE_MAX_LENGTH,
    READ_ONLY_FIELDS,
    UPDATABLE_FIELDS,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

Payload = dict[str, Any]
History = list[tuple[datetime, OrderStatus]]

_CLIENT_TARGETS = tuple(sorted(s.value for s in CLIENT_STATUS_TARGETS))
_EDITABLE_NAMES = tuple(sorted(s.value for s in EDITABLE))
_READ_ONLY = tuple(sorted(READ_ONLY_FIELDS))
_PRODUCT = "d290f1ee-6c54-4b01-90e6-d701748f0851"


def _line(**overrides: object) -> Payload:
    """A new order line with one Morning pouch of one supplement, with some fields replaced."""
    base: Payload = {
        "duration": 30,
        "pouches": [
            {
                "time_of_administration": "Morning",
                "contents": [{"client_product_id": _PRODUCT, "serving_size": 2}],
            }
        ],
    }
    return base | overrides


TIMES_OF_ADMINISTRATION = ("Morning", "Midday", "Evening")


def uuids() -> st.SearchStrategy[str]:
    """UUIDs in their usual lower-case text form."""
    return st.uuids().map(str)


def short_text(max_size: int = 20) -> st.SearchStrategy[str]:
    """Short arbitrary text, within any length limit the request schema sets."""
    return st.text(max_size=max_size)


def emails() -> st.SearchStrategy[str]:
    """Plain email addresses of at most 100 characters."""
    part = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=1, max_size=12)
    return st.builds("{}@{}.{}".format, part, part, st.sampled_from(("com", "org", "io", "co.uk")))


def phone_numbers() -> st.SearchStrategy[str]:
    """E.164-style numbers: an optional '+' and 7 to 14 digits (15 characters at most)."""
    digits = st.text(alphabet=string.digits, min_size=7, max_size=14)
    return st.builds(str.__add__, st.sampled_from(("", "+")), digits)


def addresses() -> st.SearchStrategy[Payload]:
    """Well-formed shipping addresses: the required lines plus any of the optional ones."""
    nullable = st.none() | short_text()
    return st.fixed_dictionaries(
        {"address1": short_text(), "city": short_text(), "country_name": short_text()},
        optional={
            "addressee": nullable,
            "address2": nullable,
            "province_name": nullable,
            "province_code": nullable,
            "country_code": nullable,
            "postal_code": nullable,
        },
    )


def consumers(*, creating: bool = False) -> st.SearchStrategy[Payload]:
    """Well-formed consumers: an `id` (on update maybe with changes) or a first and last name."""
    optional: dict[str, st.SearchStrategy[Any]] = {
        "email": emails(),
        "phone_number": st.none() | phone_numbers(),
    }
    if not creating:
        named = {"first_name": short_text(), "last_name": short_text()}
        return st.fixed_dictionaries(
            {"id": uuids()}, optional=optional | named
        ) | st.fixed_dictionaries(named, optional=optional)
    return st.fixed_dictionaries({"id": uuids()}, optional=optional) | st.fixed_dictionaries(
        {"first_name": short_text(), "last_name": short_text()}, optional=optional
    )


def contents(product_ids: Sequence[str] | None = None) -> st.SearchStrategy[Payload]:
    """Well-formed pouch contents: a product and maybe a serving size.

    Args:
        product_ids: draw products from these (e.g. a catalogue's ids); any UUID if None.
    """
    products = st.sampled_from(list(product_ids)) if product_ids else uuids()
    return st.fixed_dictionaries(
        {"client_product_id": products}, optional={"serving_size": st.integers(1, 10)}
    )


def pouches(product_ids: Sequence[str] | None = None) -> st.SearchStrategy[Payload]:
    """Well-formed pouches: up to three supplements, or (without `product_ids`) a pack."""
    optional: dict[str, st.SearchStrategy[Any]] = {
        "time_of_administration": st.sampled_from(TIMES_OF_ADMINISTRATION),
        "custom_label": st.text(alphabet=string.ascii_letters + string.digits + " .-", max_size=30),
        "cycle": st.just("daily"),
        "cycle_length": st.sampled_from((0, 7, 10)),
        "duration": st.none() | st.integers(1, 60),
        "protocol_id": st.none() | uuids(),
    }
    with_contents = st.fixed_dictionaries(
        {"contents": st.lists(contents(product_ids), min_size=1, max_size=3)}, optional=optional
    )
    if product_ids:
        return with_contents
    with_pack = st.fixed_dictionaries({"pack_id": uuids()}, optional=optional)
    return with_contents | with_pack


def order_lines(product_ids: Sequence[str] | None = None) -> st.SearchStrategy[list[Payload]]:
    """One or two new order lines of one or two pouches (never over the supplement cap)."""
    external_id = (
        st.text(max_size=8) | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    )
    one_line = st.fixed_dictionaries(
        {"pouches": st.lists(pouches(product_ids), min_size=1, max_size=2)},
        optional={
            "name": st.none() | short_text(),
            "physician_name": st.none() | short_text(30),
            "duration": st.integers(1, 60),
            "is_expedited": st.booleans(),
            "client_custom_order_line_id": st.none() | short_text(),
            "source_line_item_ids": st.none() | st.lists(external_id, max_size=3),
        },
    )
    return st.lists(one_line, min_size=1, max_size=2)


def notes() -> st.SearchStrategy[str | None]:
    """Order notes within the length limit, or null."""
    return st.none() | st.text(max_size=50)


def client_status_targets() -> st.SearchStrategy[str]:
    """The statuses a client may ask for in an update."""
    return st.sampled_from(_CLIENT_TARGETS)


def valid_field_values() -> dict[str, st.SearchStrategy[Any]]:
    """For each client-updatable field except `status`, well-formed values."""
    return {
        "shipping_address": addresses(),
        "consumer": consumers(),
        "order_lines": order_lines(),
        "email": st.none() | emails(),
        "phone_number": st.none() | phone_numbers(),
        "note": notes(),
    }


def non_strings() -> st.SearchStrategy[object]:
    """JSON values that are neither a string nor null (one choice, so it never swamps others)."""
    return st.sampled_from(
        (0, 7, -1, 2.5, math.nan, math.inf, -math.inf, True, False, [], [None], ["x"], {"a": 1})
    )


def broken_addresses() -> st.SearchStrategy[object]:
    """Shipping addresses that are not objects, lack a required line, or mistype a field."""
    required = ("address1", "city", "country_name")
    missing = st.tuples(addresses(), st.sampled_from(required)).map(
        lambda pair: {k: v for k, v in pair[0].items() if k != pair[1]}
    )
    null_required = st.tuples(addresses(), st.sampled_from(required)).map(
        lambda pair: pair[0] | {pair[1]: None}
    )
    mistyped = st.builds(
        lambda base, key, value: base | {key: value},
        addresses(),
        st.sampled_from((*required, "address2", "postal_code", "province_name")),
        non_strings(),
    )
    overlong = st.builds(
        lambda base, key: base | {key: "x" * 201},
        addresses(),
        st.sampled_from(("addressee", "address1", "address2", "city")),
    )
    return (
        non_strings()
        | st.text(max_size=10)
        | st.none()
        | missing
        | null_required
        | mistyped
        | overlong
    )


def broken_consumers() -> st.SearchStrategy[object]:
    """Consumers that are not objects or carry a mistyped field."""
    bad_field = st.sampled_from(
        (
            ("id", "not-a-uuid"),
            ("id", 42),
            ("first_name", 7),
            ("last_name", None),
            ("first_name", "x" * 101),
            ("email", "nobody"),
            ("email", None),
            ("phone_number", "12"),
            ("phone_number", "+1234567890123456"),
        )
    )
    return (
        non_strings().filter(lambda value: not isinstance(value, dict))  # {} is a consumer
        | st.none()
        | st.builds(lambda base, kv: base | {kv[0]: kv[1]}, consumers(), bad_field)
    )


def broken_order_lines() -> st.SearchStrategy[object]:
    """Order lines that are not a non-empty array of well-formed lines."""
    bad_line = st.sampled_from(
        (
            [],
            {"pouches": []},
            {"duration": 30},
            _line(duration=0),
            _line(duration=61),
            _line(duration=True),
            _line(crm_id="X"),
            _line(is_expedited="yes"),
            _line(has_special_handling=None),
            _line(physician_name="D" * 31),
            _line(pouches=[{"time_of_administration": "Night", "contents": [{}]}]),
            _line(pouches=[{"time_of_administration": "Morning"}]),
            _line(pouches=[{"contents": [{"client_product_id": "nope"}]}]),
            _line(pouches=[{"contents": [{"client_product_id": _PRODUCT, "serving_size": 0}]}]),
            _line(pouches=[{"contents": [{"client_product_id": _PRODUCT, "serving_size": True}]}]),
            _line(pouches=[{"contents": [{"client_product_id": _PRODUCT, "serving_size": 2.0}]}]),
            _line(
                pouches=[{"contents": [{"client_product_id": _PRODUCT, "serving_size": math.nan}]}]
            ),
            _line(pouches=[{"contents": [{"client_product_id": _PRODUCT}] * 9}]),
            _line(pouches=[{"pack_id": _PRODUCT, "contents": [{"client_product_id": _PRODUCT}]}]),
            _line(source_line_item_ids=[math.inf]),
        )
    )
    in_array = st.builds(lambda good, bad: [*good, bad], order_lines(), bad_line)
    return non_strings() | st.none() | st.just([]) | in_array


def broken_field_values() -> dict[str, st.SearchStrategy[object]]:
    """For each client-updatable field except `status`, values of the wrong type or shape."""
    return {
        "shipping_address": broken_addresses(),
        "consumer": broken_consumers(),
        "order_lines": broken_order_lines(),
        "email": non_strings()
        | st.sampled_from(("", "nobody", "a@b", "a b@c.com", "x" * 95 + "@ex.com")),
        "phone_number": non_strings()
        | st.sampled_from(("", "123", "phone", "+1 213 373 4253", "1" * 16)),
        "note": non_strings() | st.just("x" * (NOTE_MAX_LENGTH + 1)),
    }


def disallowed_status_values() -> st.SearchStrategy[object]:
    """`status` values a client may not send: other statuses, unknown words, non-strings."""
    others = [s.value for s in OrderStatus if s.value not in _CLIENT_TARGETS]
    return st.sampled_from(others) | st.sampled_from(("pending", "Paused", "")) | non_strings()


def valid_update_payloads() -> st.SearchStrategy[Payload]:
    """Update requests an order in Pending or On Hold accepts."""
    return st.fixed_dictionaries(
        {}, optional=valid_field_values() | {"status": client_status_targets()}
    )


def invalid_update_payloads() -> st.SearchStrategy[Payload]:
    """Update requests every order rejects, whatever its status: each has a bad entry."""
    kinds: dict[str, st.SearchStrategy[tuple[str, object]]] = {
        field: st.tuples(st.just(field), values) for field, values in broken_field_values().items()
    }
    kinds["<status>"] = st.tuples(st.just("status"), disallowed_status_values())
    kinds["<read-only>"] = st.tuples(st.sampled_from(_READ_ONLY), st.integers())
    kinds["<other>"] = st.tuples(st.sampled_from(("foo", "comments", "order_type")), st.just("x"))
    # Choosing the kind first keeps each field as likely as the others, whatever its branches.
    bad_entry = st.sampled_from(sorted(kinds)).flatmap(kinds.__getitem__)
    return st.builds(lambda good, kv: good | {kv[0]: kv[1]}, valid_update_payloads(), bad_entry)


def create_payloads(
    product_ids: Sequence[str] | None = None, *, deliverable: bool = False
) -> st.SearchStrategy[Payload]:
    """Create requests the provider accepts.

    Args:
        product_ids: draw pouch contents from these product ids (a catalogue's), else any UUID.
        deliverable: use `us_addresses()`, which pass a carrier's address checks, instead of
            arbitrary well-formed ones.
    """
    return st.fixed_dictionaries(
        {
            "consumer": consumers(creating=True).filter(lambda c: "id" not in c)
            if product_ids
            else consumers(creating=True),
            "shipping_address": us_addresses() if deliverable else addresses(),
            "order_lines": order_lines(product_ids),
        },
        optional={
            "email": st.none() | emails(),
            "phone_number": st.none() | phone_numbers(),
            "note": notes(),
            "source": short_text(),
            "client_custom_order_id": st.none() | short_text(),
            "source_client_order_id": st.none() | short_text(),
            "order_type": st.sampled_from(("DTC", "Bulk")),
            "status": st.sampled_from(_EDITABLE_NAMES),
        },
    )


def order_statuses() -> st.SearchStrategy[OrderStatus]:
    """Any status, but Pending or On Hold half the time, where field rules get a say."""
    return st.booleans().flatmap(
        lambda editable: st.sampled_from(
            [OrderStatus.PENDING, OrderStatus.ON_HOLD] if editable else list(OrderStatus)
        )
    )


def random_field_names() -> st.SearchStrategy[str]:
    """Field names that are neither updatable nor read-only."""
    known = UPDATABLE_FIELDS | READ_ONLY_FIELDS | CREATE_FIELDS
    return st.text(min_size=1, max_size=12).filter(lambda name: name not in known)


# --- addresses that pass a carrier's checks ------------------------------------------------------

_US_PLACES = (
    ("Portland", "Oregon", "OR", "97201"),
    ("Seattle", "Washington", "WA", "98101"),
    ("San Francisco", "California", "CA", "94103"),
    ("Austin", "Texas", "TX", "78701"),
    ("Chicago", "Illinois", "IL", "60601"),
    ("New York", "New York", "NY", "10001"),
    ("Miami", "Florida", "FL", "33101"),
    ("Denver", "Colorado", "CO", "80202"),
    ("Boston", "Massachusetts", "MA", "02108"),
    ("Springfield", "Ohio", "OH", "45501"),
)


def us_addresses() -> st.SearchStrategy[Payload]:
    """US street addresses whose ZIP code, state and street all pass address review."""
    street = st.builds(
        "{} {} {}".format,
        st.integers(1, 9999),
        st.sampled_from(("Oak", "Maple", "Evergreen", "Main", "Cedar", "Hill")),
        st.sampled_from(("Street", "Avenue", "Terrace", "Road", "Lane")),
    )
    plus4 = st.none() | st.integers(1000, 9999).map(str)
    return st.builds(
        lambda line, place, extra: {
            "address1": line,
            "city": place[0],
            "province_name": place[1],
            "province_code": place[2],
            "postal_code": place[3] if extra is None else f"{place[3]}-{extra}",
            "country_name": "United States",
            "country_code": "US",
        },
        street,
        st.sampled_from(_US_PLACES),
        plus4,
    )


# --- statuses, events, orders, histories --------------------------------------------------------


def events(actor: Actor | None = None) -> st.SearchStrategy[Event]:
    """Lifecycle events, optionally only those one actor causes."""
    return st.sampled_from([row.event for row in TRANSITIONS if actor in (None, row.actor)])


_INSTANTS = st.datetimes(
    min_value=datetime(2020, 1, 1),  # noqa: DTZ001 - bounds of a naive range, made aware below
    max_value=datetime(2035, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)


def orders(status: st.SearchStrategy[OrderStatus] | None = None) -> st.SearchStrategy[Order]:
    """`Order` models with a status, ids, times and a deliverable address.

    Args:
        status: where to draw the status from; any status if None.
    """

    def build(
        ids: tuple[str, str], state: OrderStatus, times: tuple[datetime, int], address: Payload
    ) -> Order:
        created, age = times
        return Order(
            created_at=created,
            updated_at=created + timedelta(seconds=age),
            id=ids[0],
            client_id=ids[1],
            status=state,
            shipping_address=ShippingAddress(**address),
        )

    return st.builds(
        build,
        st.tuples(uuids(), uuids()),
        status if status is not None else st.sampled_from(list(OrderStatus)),
        st.tuples(_INSTANTS, st.integers(0, 30 * 86_400)),
        us_addresses(),
    )


def legal_histories(
    calendar: Calendar = PACIFIC, *, max_steps: int = 8
) -> st.SearchStrategy[History]:
    """Complete status histories an order could really have: `[(when, status), ...]`.

    Each starts Pending or On Hold at a random instant, then takes legal moves from the
    transition table; acceptance happens at the next nightly batch, other moves some
    minutes to days later, and the walk stops at a final status or after `max_steps`.
    """

    @st.composite
    def walk(draw: st.DrawFn) -> History:
        at = draw(_INSTANTS)
        status = draw(st.sampled_from((OrderStatus.PENDING, OrderStatus.ON_HOLD)))
        history: History = [(at, status)]
        for _ in range(draw(st.integers(0, max_steps))):
            moves = sorted(
                (event, dest)
                for (source, event), dest in DEST.items()
                if source is status and dest is not status
            )
            if status in FINAL or not moves:
                break
            event, status = draw(st.sampled_from(moves))
            if event is Event.ACCEPT:
                at = calendar.next_batch_at(at)
            else:
                at += timedelta(minutes=draw(st.integers(1, 5 * 24 * 60)))
            history.append((at, status))
        return history

    return walk()
