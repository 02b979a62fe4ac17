"""Client request validation: which order fields a client may send, when, and in what shape.

Shapes follow the provider's create and update request schemas; address *content* is not checked.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from collections.abc import Set as AbstractSet
from types import MappingProxyType
from typing import Any, Final, TypeGuard

import attrs

from lifecycle._errors import UpdateRejected, Violation, ViolationCode
from lifecycle._status import (
    CLIENT_STATUS_TARGETS,
    EDITABLE,
    CancelPolicy,
    OrderStatus,
    can_cancel,
)
from lifecycle._table import TRANSITIONS, Actor, Event

NOTE_MAX_LENGTH: Final = 1000
"""Longest `note` accepted; the provider documents no limit, so this is the simulator's own."""

MAX_SUPPLEMENTS_PER_TIME: Final = 8
"""Most supplements one order line may hold for one time of administration (provider's note)."""

DEFAULT_SOURCE: Final = "v2 API"
"""The `source` an order gets when the create request names none (the provider's default)."""

DEFAULT_ORDER_TYPE: Final = "DTC"
"""The `order_type` an order gets when the create request names none (the provider's default)."""

CREATE_STATUS_TARGETS: frozenset[OrderStatus] = frozenset(
    {OrderStatus.PENDING, OrderStatus.ON_HOLD}
)
"""The statuses a create request may ask for; absent means Pending."""

_Check = Callable[[object, str, list[Violation]], None]
"""Checks one value at a path, appending a violation for each problem; silent when fine."""

# The happy path must stay in the low microseconds: everything below is built once at import,
# checks are plain type tests, and no exception is raised unless a violation was found.
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+?[0-9]{7,15}")
# The provider's pattern for a pouch's custom label, verbatim.
_LABEL = re.compile(r"[a-zA-Z0-9\s!?@#$%^&*()_\-+\[\]{}':;~/|.,]*")

_STATUS_BY_VALUE: dict[str, OrderStatus] = {status.value: status for status in OrderStatus}
_EMPTY: Mapping[str, Any] = MappingProxyType({})

_MALFORMED = ViolationCode.MALFORMED
_REQUIRED = ViolationCode.REQUIRED
_READ_ONLY = ViolationCode.READ_ONLY

_JSON_TYPES: dict[type, str] = {
    type(None): "null",
    bool: "a boolean",
    int: "a number",
    float: "a number",
    str: "a string",
    list: "an array",
    tuple: "an array",
    dict: "an object",
}


def _json_type(value: object) -> str:
    """Name a value's JSON type for a message ("an array", "null", ...)."""
    for kind in type(value).__mro__:
        name = _JSON_TYPES.get(kind)
        if name is not None:
            return name
    return type(value).__name__


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(f"'{name}'" for name in names)


def _statuses(statuses: frozenset[OrderStatus]) -> str:
    """List statuses in lifecycle order, quoted, for a message."""
    return _quoted(status.value for status in OrderStatus if status in statuses)


# --- fast twins -----------------------------------------------------------------------------------

# On create, a valid request is recognised by twins of the checks alone: they build no paths and
# no messages, and look at each member once. A request they are unsure of (any invalid one, and
# the odd valid one, say with a `str` subclass in it) walks the checks, which say what is wrong:
# the twins speed up the valid path and have no say in the violations.

_Accept = Callable[[object], bool]
"""Tells whether a value passes a check silently; False means "ask the check" (see `_Twin`)."""


def _refuse(_value: object) -> bool:
    """The twin of a check whose `_Twin` data says all it knows: anything else, ask the check."""
    return False


_NO_TEXTS: frozenset[str] = frozenset()


@attrs.frozen
class _Twin:
    """What the fast path knows of one check: values the check passes without a word.

    `_FastMembers` tests the data inline and asks `accepts` about anything else. Either may
    turn down a value the check would pass (a `str` subclass, say), which only sends the
    request the slow way; neither may pass a value the check would report.
    """

    accepts: _Accept = _refuse
    text_limit: int = -1
    """The check passes any `str` of at most this many characters (-1: none known)."""
    texts: AbstractSet[str] = _NO_TEXTS
    """The check passes these strings (a choice's options, or UUIDs already seen to match)."""
    fullmatch: Callable[[str], object] | None = None
    longest: int = -1
    """The check passes any `str` of at most `longest` characters that `fullmatch` matches."""
    low: int = 1
    high: int = 0
    """The check passes any `int` from `low` to `high` (none, by default)."""
    nullable: bool = False
    """The check passes null."""


_TWINS: dict[_Check, _Twin] = {}
"""Each check used on create, with its twin (filled in by `_twin` as checks are built)."""


def _twin(check: _Check, twin: _Twin) -> _Check:
    """Record the twin of a check, and return the check."""
    _TWINS[check] = twin
    return check


# --- value checks -------------------------------------------------------------------------------


def _string(
    *,
    nullable: bool = False,
    max_length: int | None = None,
    pattern: re.Pattern[str] | None = None,
    shape: str = "a string",
    remember: bool = False,
) -> _Check:
    """Build a check for a string, optionally null, bounded in length, or of a given pattern.

    With `remember`, its twin keeps the strings seen to match, to pass them again without the
    pattern: for short strings that recur, such as product ids.
    """
    expected = f"{shape} or null" if nullable else shape

    def check(value: object, path: str, out: list[Violation]) -> None:
        if isinstance(value, str):
            if max_length is not None and len(value) > max_length:
                out.append(
                    Violation(
                        path,
                        _MALFORMED,
                        f"'{path}' must be at most {max_length} characters (got {len(value)}).",
                    )
                )
            elif pattern is not None and pattern.fullmatch(value) is None:
                out.append(Violation(path, _MALFORMED, f"'{path}' must be {shape}."))
        elif value is not None or not nullable:
            out.append(
                Violation(
                    path, _MALFORMED, f"'{path}' must be {expected}, not {_json_type(value)}."
                )
            )

    if pattern is None:
        limit = sys.maxsize if max_length is None else max_length
        return _twin(check, _Twin(text_limit=limit, nullable=nullable))
    return _twin(check, _pattern_twin(pattern, max_length, nullable=nullable, remember=remember))


_REMEMBERED_MAX: Final = 4096
"""Most strings a `remember`ing twin keeps (each check its own), so a flood cannot grow it."""


def _pattern_twin(
    pattern: re.Pattern[str], max_length: int | None, *, nullable: bool, remember: bool
) -> _Twin:
    """Build the twin of a string check with a pattern (see `_string` for `remember`)."""
    fullmatch = pattern.fullmatch
    limit = sys.maxsize if max_length is None else max_length
    if not remember:
        return _Twin(fullmatch=fullmatch, longest=limit, nullable=nullable)
    seen: set[str] = set()

    def accepts(value: object) -> bool:
        if type(value) is not str or len(value) > limit or fullmatch(value) is None:
            return False
        if len(seen) < _REMEMBERED_MAX:
            seen.add(value)
        return True

    return _Twin(accepts, texts=seen, nullable=nullable)


def _choice(options: tuple[str, ...], *, nullable: bool = False) -> _Check:
    """Build a check for one of a fixed set of strings."""
    allowed = frozenset(options)
    listed = _quoted(options) + (" or null" if nullable else "")

    def check(value: object, path: str, out: list[Violation]) -> None:
        if isinstance(value, str) and value in allowed:
            return
        if value is None and nullable:
            return
        shown = repr(value) if isinstance(value, str) else _json_type(value)
        out.append(Violation(path, _MALFORMED, f"'{path}' must be one of {listed}, not {shown}."))

    return _twin(check, _Twin(texts=allowed, nullable=nullable))


def _integer(
    *,
    minimum: int,
    maximum: int | None = None,
    options: tuple[int, ...] = (),
    nullable: bool = False,
) -> _Check:
    """Build a check for a whole number in a range or from a set; booleans and floats fail."""
    if options:
        expected = "one of " + ", ".join(map(str, options))
    elif maximum is None:
        expected = f"an integer of at least {minimum}"
    else:
        expected = f"an integer from {minimum} to {maximum}"
    if nullable:
        expected += " or null"
    allowed = frozenset(options)

    def check(value: object, path: str, out: list[Violation]) -> None:
        # `type(...) is int` rather than isinstance: JSON true is not the number 1.
        if type(value) is int:
            if (
                (allowed and value not in allowed)
                or value < minimum
                or (maximum is not None and value > maximum)
            ):
                out.append(
                    Violation(path, _MALFORMED, f"'{path}' must be {expected}, not {value}.")
                )
        elif value is not None or not nullable:
            shown = repr(value) if type(value) is float else _json_type(value)
            out.append(Violation(path, _MALFORMED, f"'{path}' must be {expected}, not {shown}."))

    if not options:  # up to sys.maxsize when unbounded: a larger number is left to the check
        high = sys.maxsize if maximum is None else maximum
        return _twin(check, _Twin(low=minimum, high=high, nullable=nullable))

    def accepts(value: object) -> bool:
        return (
            type(value) is int
            and value in allowed
            and value >= minimum
            and (maximum is None or value <= maximum)
        )

    return _twin(check, _Twin(accepts, nullable=nullable))


def _boolean(value: object, path: str, out: list[Violation]) -> None:
    if type(value) is not bool:
        out.append(
            Violation(path, _MALFORMED, f"'{path}' must be true or false, not {_json_type(value)}.")
        )


def _is_boolean(value: object) -> bool:
    return type(value) is bool


_twin(_boolean, _Twin(_is_boolean))


def _external_ids(value: object, path: str, out: list[Violation]) -> None:
    """Check `source_line_item_ids`: null or an array of strings and finite numbers."""
    if value is None:
        return
    if not isinstance(value, list):
        out.append(
            Violation(
                path, _MALFORMED, f"'{path}' must be an array or null, not {_json_type(value)}."
            )
        )
        return
    for index, item in enumerate(value):
        if isinstance(item, str) or type(item) is int:
            continue
        if type(item) is float and math.isfinite(item):
            continue
        at = f"{path}[{index}]"
        shown = repr(item) if type(item) is float else _json_type(item)
        out.append(
            Violation(at, _MALFORMED, f"'{at}' must be a string or a finite number, not {shown}.")
        )


def _external_ids_accepted(value: object) -> bool:
    """The fast twin of `_external_ids`."""
    if value is None:
        return True
    if type(value) is not list:
        return False
    for item in value:
        kind = type(item)
        if kind is not str and kind is not int and not (kind is float and math.isfinite(item)):
            return False
    return True


_twin(_external_ids, _Twin(_external_ids_accepted, nullable=True))


_UUID_CHECK = _string(pattern=_UUID, shape="a UUID", remember=True)
_UUID_OR_NULL = _string(nullable=True, pattern=_UUID, shape="a UUID", remember=True)
_TEXT = _string()
_TEXT_OR_NULL = _string(nullable=True)
_EMAIL_SHAPE = "an email address of at most 100 characters"
_EMAIL_CHECK = _string(max_length=100, pattern=_EMAIL, shape=_EMAIL_SHAPE)
_EMAIL_OR_NULL = _string(nullable=True, max_length=100, pattern=_EMAIL, shape=_EMAIL_SHAPE)
_PHONE_SHAPE = "a phone number: an optional '+' then 7 to 15 digits"
_PHONE_OR_NULL = _string(nullable=True, pattern=_PHONE, shape=_PHONE_SHAPE)
# The provider caps a consumer's phone at 15 characters, '+' included.
_CONSUMER_PHONE = _string(nullable=True, max_length=15, pattern=_PHONE, shape=_PHONE_SHAPE)
_NOTE = _string(nullable=True, max_length=NOTE_MAX_LENGTH)
_DURATION = _integer(minimum=1, maximum=60)


# --- objects ------------------------------------------------------------------------------------


def _not_object(value: object, path: str) -> Violation:
    return Violation(path, _MALFORMED, f"'{path}' must be an object, not {_json_type(value)}.")


def _missing(path: str, why: str = "is required") -> Violation:
    return Violation(path, _REQUIRED, f"'{path}' {why}.")


def _check_members(
    obj: dict[Any, Any],
    path: str,
    checks: Mapping[str, _Check],
    read_only: frozenset[str],
    out: list[Violation],
) -> None:
    """Check an object's known members; unknown ones pass, as the provider's schemas allow."""
    for key, value in obj.items():
        check = checks.get(key)
        if check is not None:
            check(value, f"{path}.{key}", out)
        elif key in read_only:
            at = f"{path}.{key}"
            out.append(Violation(at, _READ_ONLY, f"'{at}' is internal to OK Capsule; omit it."))


@attrs.frozen
class _FastMembers:
    """The fast twin of `_check_members` for one kind of object: its members' twins by name."""

    twins: dict[str, _Twin]
    read_only: frozenset[str]
    closed: bool
    """Whether members without a check are refused too (as in a request body)."""
    any_text: int
    """Every member passes any `str` this short (-1 unless every check is on plain text)."""

    @classmethod
    def of(
        cls,
        checks: Mapping[str, _Check],
        *,
        read_only: frozenset[str] = frozenset(),
        closed: bool = False,
        more: Mapping[str, _Twin] = _EMPTY,
    ) -> _FastMembers:
        """Read the fast twin off an object's member checks (and `more` twins by name)."""
        twins = {key: _TWINS[check] for key, check in checks.items()} | dict(more)
        plain = not read_only and not closed and all(t.text_limit >= 0 for t in twins.values())
        any_text = min(twin.text_limit for twin in twins.values()) if plain else -1
        return cls(twins, read_only, closed, any_text)

    def accept(self, obj: object) -> TypeGuard[dict[Any, Any]]:  # noqa: C901, PLR0911
        """Tell whether `obj` is an object whose members `_check_members` passes without a word.

        One flat loop, as it runs for every member of every request: helpers would cost a call
        per member.
        """
        if type(obj) is not dict:
            return False
        twins = self.twins
        for key, value in obj.items():
            try:
                twin = twins[key]
            except KeyError:  # a member without a check: rare, so cheaper to ask forgiveness
                if self.closed or key in self.read_only:
                    return False
                continue
            if type(value) is str:
                if not (
                    len(value) <= twin.text_limit
                    or value in twin.texts
                    or (
                        twin.fullmatch is not None
                        and len(value) <= twin.longest
                        and twin.fullmatch(value) is not None
                    )
                    or twin.accepts(value)
                ):
                    return False
            elif type(value) is int:
                if not (twin.low <= value <= twin.high or twin.accepts(value)):
                    return False
            elif value is None:
                if not (twin.nullable or twin.accepts(value)):
                    return False
            elif not twin.accepts(value):
                return False
        return True

    def accept_short_text(self, obj: dict[Any, Any]) -> bool:
        """Tell, without looking members up, that every value is a `str` of `any_text` or less.

        Such an object passes `accept`; this is merely quicker at it (when `any_text` >= 0).
        """
        limit = self.any_text
        for value in obj.values():  # noqa: SIM110 - a loop: all() would cost a generator
            if type(value) is not str or len(value) > limit:
                return False
        return True


def _array(value: object, path: str, out: list[Violation]) -> list[Any] | None:
    """Return the value if it is a non-empty array, else record why not and return None."""
    if isinstance(value, list) and value:
        return value
    shown = "an empty array" if isinstance(value, list) else _json_type(value)
    out.append(Violation(path, _MALFORMED, f"'{path}' must be a non-empty array, not {shown}."))
    return None


_ADDRESS_CHECKS: dict[str, _Check] = {
    "addressee": _string(nullable=True, max_length=200),
    "address1": _string(max_length=100),
    "address2": _string(nullable=True, max_length=100),
    "city": _string(max_length=50),
    "province_name": _TEXT_OR_NULL,
    "province_code": _TEXT_OR_NULL,
    "country_name": _TEXT,
    "country_code": _TEXT_OR_NULL,
    "postal_code": _TEXT_OR_NULL,
}
_ADDRESS_REQUIRED = ("address1", "city", "country_name")
_NOTHING: frozenset[str] = frozenset()


def _check_address(value: object, path: str, out: list[Violation]) -> None:
    """Check a shipping address; it is always sent whole, on create and on update alike."""
    if not isinstance(value, dict):
        out.append(_not_object(value, path))
        return
    _check_members(value, path, _ADDRESS_CHECKS, _NOTHING, out)
    out.extend(_missing(f"{path}.{name}") for name in _ADDRESS_REQUIRED if name not in value)


_ADDRESS_MEMBERS = _FastMembers.of(_ADDRESS_CHECKS)


def _address_accepted(value: object) -> bool:
    """The fast twin of `_check_address`."""
    return (
        type(value) is dict
        and "address1" in value
        and "city" in value
        and "country_name" in value
        # Addresses are all text, most of it short: the first test usually settles it.
        and (_ADDRESS_MEMBERS.accept_short_text(value) or _ADDRESS_MEMBERS.accept(value))
    )


_twin(_check_address, _Twin(_address_accepted))


_CONSUMER_CHECKS: dict[str, _Check] = {
    "id": _UUID_CHECK,
    "first_name": _string(max_length=100),
    "last_name": _string(max_length=100),
    "email": _EMAIL_CHECK,
    "phone_number": _CONSUMER_PHONE,
}


def _check_consumer_update(value: object, path: str, out: list[Violation]) -> None:
    if not isinstance(value, dict):
        out.append(_not_object(value, path))
        return
    _check_members(value, path, _CONSUMER_CHECKS, _NOTHING, out)


def _check_consumer_create(value: object, path: str, out: list[Violation]) -> None:
    """Check a new order's consumer: an existing `id`, or a first and last name."""
    if not isinstance(value, dict):
        out.append(_not_object(value, path))
        return
    _check_members(value, path, _CONSUMER_CHECKS, _NOTHING, out)
    named = "first_name" in value
    if "id" not in value and not named:
        out.append(_missing(f"{path}.first_name", "is required when there is no 'id'"))
    if (named or "id" not in value) and "last_name" not in value:
        why = "is required with 'first_name'" if named else "is required when there is no 'id'"
        out.append(_missing(f"{path}.last_name", why))


_CONSUMER_MEMBERS = _FastMembers.of(_CONSUMER_CHECKS)


def _consumer_create_accepted(value: object) -> bool:
    """The fast twin of `_check_consumer_create`."""
    if not _CONSUMER_MEMBERS.accept(value):
        return False
    # With a first name the last is needed too; without one, an `id` is.
    return "last_name" in value if "first_name" in value else "id" in value


_twin(_check_consumer_create, _Twin(_consumer_create_accepted))


_CONTENT_CHECKS: dict[str, _Check] = {
    "id": _UUID_CHECK,
    "is_deleted": _boolean,
    "client_product_id": _UUID_CHECK,
    "serving_size": _integer(minimum=1),
}

_TIMES_OF_ADMINISTRATION = ("Morning", "Midday", "Evening")
_POUCH_CHECKS: dict[str, _Check] = {
    "id": _UUID_CHECK,
    "is_deleted": _boolean,
    "pack_id": _UUID_CHECK,
    "time_of_administration": _choice(_TIMES_OF_ADMINISTRATION),
    "custom_label": _string(
        max_length=30, pattern=_LABEL, shape="a label of letters, digits, spaces and punctuation"
    ),
    "cycle": _TEXT,
    "cycle_length": _integer(minimum=0, options=(0, 7, 10)),
    "duration": _integer(minimum=1, maximum=60, nullable=True),
    "protocol_id": _UUID_OR_NULL,
    "set_id": _UUID_OR_NULL,
}
_POUCH_READ_ONLY = frozenset({"crm_id"})

_LINE_CHECKS: dict[str, _Check] = {
    "id": _UUID_CHECK,
    "is_deleted": _boolean,
    "fulfillment_id": _UUID_CHECK,
    "name": _TEXT_OR_NULL,
    "physician_name": _string(nullable=True, max_length=30),
    "custom_text_1": _TEXT_OR_NULL,
    "custom_text_2": _TEXT_OR_NULL,
    "custom_text_3": _TEXT_OR_NULL,
    "duration": _DURATION,
    "client_custom_order_line_id": _TEXT_OR_NULL,
    "client_custom_line_ids": _TEXT_OR_NULL,
    "client_custom_pack_name": _TEXT_OR_NULL,
    "has_special_handling": _boolean,
    "special_handling_instructions": _TEXT_OR_NULL,
    "is_expedited": _boolean,
    "is_priority_shipping": _boolean,
    "is_priority_production": _boolean,
    "is_static_item": _boolean,
    "contains_standalone": _boolean,
    "packaging_asset_group_id": _UUID_OR_NULL,
    "share_url": _TEXT_OR_NULL,
    "source_line_item_ids": _external_ids,
    "kit_id": _TEXT_OR_NULL,
}
# Marked internal in the provider's request schema: OK Capsule fills them in.
_LINE_READ_ONLY = frozenset({"set_id", "status", "order_acceptance_date", "crm_id"})


def _is_live(item: object) -> bool:
    """Tell whether an array item counts: an object not marked for deletion."""
    return isinstance(item, dict) and item.get("is_deleted") is not True


def _check_contents(value: object, path: str, out: list[Violation], *, creating: bool) -> None:
    contents = _array(value, path, out)
    for index, content in enumerate(contents or ()):
        at = f"{path}[{index}]"
        if not isinstance(content, dict):
            out.append(_not_object(content, at))
            continue
        _check_members(content, at, _CONTENT_CHECKS, _NOTHING, out)
        # In an update an item with an `id` edits an existing one, so it may send only changes.
        if "client_product_id" not in content and (creating or "id" not in content):
            out.append(_missing(f"{at}.client_product_id"))


def _check_pouch(pouch: object, path: str, out: list[Violation], *, creating: bool) -> None:
    if not isinstance(pouch, dict):
        out.append(_not_object(pouch, path))
        return
    _check_members(pouch, path, _POUCH_CHECKS, _POUCH_READ_ONLY, out)
    if "contents" in pouch:
        _check_contents(pouch["contents"], f"{path}.contents", out, creating=creating)
        if "pack_id" in pouch:
            out.append(
                Violation(
                    path,
                    _MALFORMED,
                    f"'{path}' must have either 'pack_id' or 'contents', not both.",
                )
            )
    elif "pack_id" not in pouch and (creating or "id" not in pouch):
        out.append(_missing(f"{path}.contents", "is required unless the pouch has a 'pack_id'"))


def _check_supplement_counts(pouches: list[Any], path: str, out: list[Violation]) -> None:
    """Enforce the provider's cap on supplements per time of administration within one line."""
    counts: dict[str | None, int] = {}
    for pouch in pouches:
        if not _is_live(pouch) or not isinstance(pouch.get("contents"), list):
            continue
        time = pouch.get("time_of_administration")
        key = time if isinstance(time, str) else None
        counts[key] = counts.get(key, 0) + sum(map(_is_live, pouch["contents"]))
    for time, count in counts.items():
        if count > MAX_SUPPLEMENTS_PER_TIME:
            when = f"time of administration '{time}'" if time else "no time of administration"
            out.append(
                Violation(
                    path,
                    _MALFORMED,
                    f"'{path}' holds {count} supplements for {when}; at most"
                    f" {MAX_SUPPLEMENTS_PER_TIME} are allowed per time of administration.",
                )
            )


def _check_line(line: object, path: str, out: list[Violation], *, creating: bool) -> None:
    if not isinstance(line, dict):
        out.append(_not_object(line, path))
        return
    _check_members(line, path, _LINE_CHECKS, _LINE_READ_ONLY, out)
    if "pouches" not in line:
        if creating or "id" not in line:
            out.append(_missing(f"{path}.pouches", "is required for a new order line"))
        return
    at = f"{path}.pouches"
    pouches = _array(line["pouches"], at, out)
    if pouches is None:
        return
    for index, pouch in enumerate(pouches):
        _check_pouch(pouch, f"{at}[{index}]", out, creating=creating)
    _check_supplement_counts(pouches, at, out)


def _check_lines_update(value: object, path: str, out: list[Violation]) -> None:
    for index, line in enumerate(_array(value, path, out) or ()):
        _check_line(line, f"{path}[{index}]", out, creating=False)


def _check_lines_create(value: object, path: str, out: list[Violation]) -> None:
    for index, line in enumerate(_array(value, path, out) or ()):
        _check_line(line, f"{path}[{index}]", out, creating=True)


# A new line's pouches and their contents are members of the line and pouch twins, with twins
# of their own. The loops are plain loops: all() over a generator would cost a frame per item,
# and all(map(...)) a new interpreter loop per call, from C.
_CONTENT_MEMBERS = _FastMembers.of(_CONTENT_CHECKS)


def _contents_accepted(contents: object) -> bool:
    """The fast twin of `_check_contents` for a new pouch."""
    if type(contents) is not list or not contents:
        return False
    for content in contents:
        if not _CONTENT_MEMBERS.accept(content) or "client_product_id" not in content:
            return False
    return True


_POUCH_MEMBERS = _FastMembers.of(
    _POUCH_CHECKS, read_only=_POUCH_READ_ONLY, more={"contents": _Twin(_contents_accepted)}
)


def _pouches_accepted(pouches: object) -> bool:
    """The fast twin of a new line's pouches: `_check_pouch` on each, and the supplement cap."""
    if type(pouches) is not list or not pouches:
        return False
    supplements = 0
    for pouch in pouches:
        # Its contents or a pack, not both and not neither.
        if not _POUCH_MEMBERS.accept(pouch) or ("contents" in pouch) is ("pack_id" in pouch):
            return False
        if "contents" in pouch:
            supplements += len(pouch["contents"])
    if supplements <= MAX_SUPPLEMENTS_PER_TIME:
        return True  # within the cap whatever their times, deleted or not
    cap: list[Violation] = []
    _check_supplement_counts(pouches, "", cap)
    return not cap


_LINE_MEMBERS = _FastMembers.of(
    _LINE_CHECKS,
    read_only=_LINE_READ_ONLY,
    more={"pouches": _Twin(_pouches_accepted)},
)


def _lines_create_accepted(value: object) -> bool:
    """The fast twin of `_check_lines_create`."""
    if type(value) is not list or not value:
        return False
    for line in value:  # noqa: SIM110 - see above: no generators here
        if not _LINE_MEMBERS.accept(line) or "pouches" not in line:
            return False
    return True


_twin(_check_lines_create, _Twin(_lines_create_accepted))


# --- top-level fields ---------------------------------------------------------------------------

_UPDATE_CHECKS: dict[str, _Check] = {
    "shipping_address": _check_address,
    "consumer": _check_consumer_update,
    "order_lines": _check_lines_update,
    "email": _EMAIL_OR_NULL,
    "phone_number": _PHONE_OR_NULL,
    "note": _NOTE,
}

_CREATE_CHECKS: dict[str, _Check] = {
    "consumer": _check_consumer_create,
    "shipping_address": _check_address,
    "order_lines": _check_lines_create,
    "email": _EMAIL_OR_NULL,
    "phone_number": _PHONE_OR_NULL,
    "note": _NOTE,
    "source": _TEXT,
    "source_client_order_id": _TEXT_OR_NULL,
    "client_custom_order_id": _TEXT_OR_NULL,
    "order_type": _choice(("DTC", "Bulk")),
    "comments": _TEXT_OR_NULL,
    "engineering_notes": _TEXT_OR_NULL,
    "pack_builder_id": _UUID_OR_NULL,
    "okc_affiliate_id": _TEXT_OR_NULL,
}
_CREATE_REQUIRED = ("consumer", "shipping_address", "order_lines")
_CREATE_MEMBERS = _FastMembers.of(
    _CREATE_CHECKS,
    closed=True,
    more={"status": _Twin(texts=frozenset(status.value for status in CREATE_STATUS_TARGETS))},
)

UPDATABLE_FIELDS: frozenset[str] = frozenset({*_UPDATE_CHECKS, "status"})
"""The fields a client may send in an update, and only while the order is Pending or On Hold."""

READ_ONLY_FIELDS: frozenset[str] = frozenset(
    {
        "id",
        "client_id",
        "name",
        "created_at",
        "updated_at",
        "created_by",
        "updated_by",
        "total",
        "discount_total",
        "fulfillment_fee_total",
        "shipping_fee_total",
        "total_pouch_count",
        "composition",
        "state",
        "billing_status",
        "submission_date",
        "source",
        "crm_id",
    }
)
"""Order fields OK Capsule sets; a client sending one in an update gets a READ_ONLY violation.

`source` is the one exception on create, where a client may name it.
"""

CREATE_FIELDS: frozenset[str] = frozenset({*_CREATE_CHECKS, "status"})
"""The fields a create request may carry."""

_CREATE_ONLY = CREATE_FIELDS - UPDATABLE_FIELDS - READ_ONLY_FIELDS
_READ_ONLY_ON_CREATE = READ_ONLY_FIELDS - CREATE_FIELDS
_UPDATABLE_LIST = _quoted(sorted(UPDATABLE_FIELDS))
_CREATE_LIST = _quoted(sorted(CREATE_FIELDS))


def _read_only(key: str) -> Violation:
    if key == "source":
        why = "can be set only when the order is created; it is read-only afterwards."
    else:
        why = "is set by OK Capsule and is read-only for clients."
    return Violation(key, _READ_ONLY, f"'{key}' {why}")


def _not_updatable(key: object) -> Violation:
    if key in _CREATE_ONLY:
        why = "can be set only when the order is created"
    else:
        why = "is not a field a client can update"
    return Violation(
        str(key),
        ViolationCode.NOT_UPDATABLE,
        f"'{key}' {why}; updatable fields are: {_UPDATABLE_LIST}.",
    )


def _status_target(
    value: object, allowed: frozenset[OrderStatus], out: list[Violation]
) -> OrderStatus | None:
    """Read a requested status, recording a violation unless it is one of `allowed`."""
    target = _STATUS_BY_VALUE.get(value) if isinstance(value, str) else None
    if target is None:
        shown = repr(value) if isinstance(value, str) else _json_type(value)
        out.append(
            Violation(
                "status",
                _MALFORMED,
                f"'status' must be an order status such as {_statuses(allowed)}, not {shown}.",
            )
        )
        return None
    if target not in allowed:
        out.append(
            Violation(
                "status",
                ViolationCode.STATUS_NOT_ALLOWED,
                f"'status' cannot be set to '{target.value}' by a client;"
                f" allowed: {_statuses(allowed)}.",
            )
        )
        return None
    return target


def _refusal(status: OrderStatus, *, cancelling: bool) -> Violation:
    """The order-level violation for an update to an order whose status forbids it."""
    if can_cancel(status) is CancelPolicy.CONTACT_SUPPORT:
        wish = "cancel" if cancelling else "change"
        return Violation(
            "order",
            ViolationCode.CONTACT_SUPPORT,
            f"The order is '{status.value}': to {wish} it now, contact OK Capsule support.",
        )
    return Violation(
        "order",
        ViolationCode.NOT_EDITABLE,
        f"The order is '{status.value}': it can no longer be changed or canceled.",
    )


_REFUSALS: dict[tuple[OrderStatus, bool], Violation] = {
    (status, cancelling): _refusal(status, cancelling=cancelling)
    for status in OrderStatus
    if status not in EDITABLE
    for cancelling in (False, True)
}

_CLIENT_EVENTS: dict[tuple[OrderStatus, OrderStatus], Event] = {
    (source, row.dest): row.event
    for row in TRANSITIONS
    if row.actor is Actor.CLIENT and row.dest is not None
    for source in row.sources
}
"""`(current, requested status) -> event`, read off the transition table."""


# --- results and entry points -------------------------------------------------------------------


@attrs.frozen
class ValidatedUpdate:
    """An update request that passed validation, split into field changes and a status move."""

    changes: Mapping[str, Any]
    """The fields to change other than `status`, with their values as sent (read-only view)."""
    status: OrderStatus | None = None
    """The status the client asked for, or None when the request names none."""
    event: Event | None = None
    """The lifecycle event the requested status means from the current one; None if no move."""

    @property
    def is_cancel(self) -> bool:
        """Whether the client asked to cancel the order."""
        return self.event is Event.CANCEL


@attrs.frozen
class ValidatedCreate:
    """A create request that passed validation, with the provider's defaults filled in."""

    consumer: Mapping[str, Any]
    shipping_address: Mapping[str, Any]
    order_lines: tuple[Mapping[str, Any], ...]
    status: OrderStatus = OrderStatus.PENDING
    source: str = DEFAULT_SOURCE
    order_type: str = DEFAULT_ORDER_TYPE
    other_fields: Mapping[str, Any] = _EMPTY
    """The remaining optional fields sent (email, note, client_custom_order_id, ...), as sent."""


def _not_an_object(payload: object) -> UpdateRejected:
    return UpdateRejected(
        [
            Violation(
                "",
                _MALFORMED,
                f"The request body must be a JSON object, not {_json_type(payload)}.",
            )
        ]
    )


def validate_update(status: OrderStatus | str, payload: object) -> ValidatedUpdate:
    """Validate a client's update request against an order's current status.

    Every problem is collected before anything is raised. An empty object is a valid no-op in
    any status.

    Args:
        status: the order's current status, as an `OrderStatus` or its exact API string.
        payload: the decoded JSON request body.

    Returns:
        The changes to apply and the status move the client asked for.

    Raises:
        UpdateRejected: with every violation the request contains.
        ValueError: `status` is not a known order status (a caller's bug, not the client's).
    """
    current = status if type(status) is OrderStatus else OrderStatus(status)
    if not isinstance(payload, dict):
        raise _not_an_object(payload)
    out: list[Violation] = []
    if payload and current not in EDITABLE:
        cancelling = payload.get("status") == OrderStatus.CANCELED_BY_CLIENT
        out.append(_REFUSALS[current, cancelling])
    target: OrderStatus | None = None
    has_status = False
    for key, value in payload.items():
        check = _UPDATE_CHECKS.get(key)
        if check is not None:
            check(value, key, out)
        elif key == "status":
            has_status = True
            target = _status_target(value, CLIENT_STATUS_TARGETS, out)
        elif key in READ_ONLY_FIELDS:
            out.append(_read_only(key))
        else:
            out.append(_not_updatable(key))
    if out:
        raise UpdateRejected(out)
    if not has_status:
        return ValidatedUpdate(MappingProxyType(payload.copy()))
    changes = {key: value for key, value in payload.items() if key != "status"}
    event = None if target is None or target is current else _CLIENT_EVENTS[current, target]
    return ValidatedUpdate(MappingProxyType(changes), target, event)


def validate_create(payload: object) -> ValidatedCreate:
    """Validate a client's request to create an order.

    Args:
        payload: the decoded JSON request body.

    Returns:
        The order's parts, with `status`, `source` and `order_type` defaulted as the provider does.

    Raises:
        UpdateRejected: with every violation the request contains.
    """
    if (
        type(payload) is dict
        and _CREATE_MEMBERS.accept(payload)
        and "consumer" in payload
        and "shipping_address" in payload
        and "order_lines" in payload
    ):
        return _accepted_create(payload)
    return _walked_create(payload)


def _accepted_create(payload: dict[Any, Any]) -> ValidatedCreate:
    """Build the result for a request the fast twins passed: known fields only, in plain dicts.

    The same result as `_walked_create` builds, built for less.
    """
    others = payload.copy()
    del others["consumer"], others["shipping_address"], others["order_lines"]
    status, source, order_type = OrderStatus.PENDING, DEFAULT_SOURCE, DEFAULT_ORDER_TYPE
    if "status" in others or "source" in others or "order_type" in others:
        status = _STATUS_BY_VALUE[others.pop("status", status.value)]
        source = others.pop("source", source)
        order_type = others.pop("order_type", order_type)
    # Positional, in field order: keywords would cost a tenth of the fast path.
    return ValidatedCreate(
        MappingProxyType(payload["consumer"].copy()),
        MappingProxyType(payload["shipping_address"].copy()),
        tuple(payload["order_lines"]),
        status,
        source,
        order_type,
        MappingProxyType(others),
    )


def _walked_create(payload: object) -> ValidatedCreate:
    """Validate a create request by walking every check: `validate_create` without the twins."""
    if not isinstance(payload, dict):
        raise _not_an_object(payload)
    out: list[Violation] = [_missing(name) for name in _CREATE_REQUIRED if name not in payload]
    target = OrderStatus.PENDING
    for key, value in payload.items():
        check = _CREATE_CHECKS.get(key)
        if check is not None:
            check(value, key, out)
        elif key == "status":
            target = _status_target(value, CREATE_STATUS_TARGETS, out) or target
        elif key in _READ_ONLY_ON_CREATE:
            out.append(_read_only(key))
        else:
            out.append(
                Violation(
                    str(key),
                    ViolationCode.NOT_UPDATABLE,
                    f"'{key}' is not a field of an order request; fields are: {_CREATE_LIST}.",
                )
            )
    if out:
        raise UpdateRejected(out)
    others = {
        key: value
        for key, value in payload.items()
        if key not in _CREATE_REQUIRED and key not in {"status", "source", "order_type"}
    }
    return ValidatedCreate(
        consumer=MappingProxyType(dict(payload["consumer"])),
        shipping_address=MappingProxyType(dict(payload["shipping_address"])),
        order_lines=tuple(payload["order_lines"]),
        status=target,
        source=payload.get("source", DEFAULT_SOURCE),
        order_type=payload.get("order_type", DEFAULT_ORDER_TYPE),
        other_fields=MappingProxyType(others),
    )
