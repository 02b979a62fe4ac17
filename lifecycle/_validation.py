"""Client request validation: which order and consumer fields a client may send, and in what shape.

Each field's rule is written once, in a declarative spec after the provider's request schemas,
read by one walk and by a create check generated from it; address *content* is not checked here.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any, Final

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
from lifecycle._validation_fast import compile_check
from lifecycle._validation_spec import (
    BOOLEAN,
    FULL_MATCHES,
    Where,
    array,
    choice,
    integer,
    obj,
    text,
)

# Re-exported, so that the spec's readers find its vocabulary beside it.
from lifecycle._validation_spec import FORMATS as FORMATS  # noqa: PLC0414
from lifecycle._validation_spec import Field as Field  # noqa: PLC0414
from lifecycle._validation_spec import Shape as Shape  # noqa: PLC0414

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

_MALFORMED = ViolationCode.MALFORMED
_REQUIRED = ViolationCode.REQUIRED
_READ_ONLY = ViolationCode.READ_ONLY
_EMPTY: Mapping[str, Any] = MappingProxyType({})

# --- cross-field rules ----------------------------------------------------------------------------


def _path(where: Where, key: object) -> str:
    """Spell out the path of member `key` of the object at `where`: "order_lines[0].duration"."""
    head = "" if where is None else _path(*where)
    if type(key) is int:
        return f"{head}[{key}]"
    return f"{head}.{key}" if head else str(key)


def _missing(path: str, why: str = "is required") -> Violation:
    return Violation(path, _REQUIRED, f"'{path}' {why}.")


def _consumer_names(
    consumer: dict[Any, Any], where: Where, out: list[Violation], *, new: bool
) -> None:
    """A consumer without an `id` is a new one: it needs a first and a last name."""
    if "last_name" in consumer or not new:
        return
    named = "first_name" in consumer
    if not named:
        out.append(_missing(_path(where, "first_name"), "is required when there is no 'id'"))
    why = "is required with 'first_name'" if named else "is required when there is no 'id'"
    out.append(_missing(_path(where, "last_name"), why))


def _consumer_names_on_create(
    consumer: dict[Any, Any], where: Where, out: list[Violation], *, new: bool
) -> None:
    """On create, also a first name needs a last name beside an `id` (the provider's rule)."""
    if "last_name" in consumer:
        return
    if new:
        _consumer_names(consumer, where, out, new=new)
    elif "first_name" in consumer and "last_name" not in consumer:
        out.append(_missing(_path(where, "last_name"), "is required with 'first_name'"))


def _pack_or_contents(
    pouch: dict[Any, Any], where: Where, out: list[Violation], *, new: bool
) -> None:
    """A pouch holds its own contents or an existing pack: not both, and a new one not neither."""
    has_pack = "pack_id" in pouch
    if "contents" not in pouch:
        if new and not has_pack:
            path = _path(where, "contents")
            out.append(_missing(path, "is required unless the pouch has a 'pack_id'"))
    elif has_pack:
        path = _path(*where) if where is not None else ""
        out.append(
            Violation(
                path, _MALFORMED, f"'{path}' must have either 'pack_id' or 'contents', not both."
            )
        )


_CONTENTS = operator.itemgetter("contents")


def _is_live(item: object) -> bool:
    """Tell whether an array item counts: an object not marked for deletion."""
    return isinstance(item, dict) and item.get("is_deleted") is not True


def _supplement_cap(pouches: list[Any], where: Where, out: list[Violation]) -> None:
    """Enforce the provider's cap on supplements per time of administration within one line."""
    try:  # at most the cap in all, whatever their times: the usual line, counted quickly
        if sum(map(len, map(_CONTENTS, pouches))) <= MAX_SUPPLEMENTS_PER_TIME:
            return
    except (KeyError, TypeError):  # a pouch with a pack, or no pouch: count properly
        pass
    counts: dict[str | None, int] = {}
    for pouch in pouches:
        if not _is_live(pouch) or not isinstance(pouch.get("contents"), list):
            continue
        time = pouch.get("time_of_administration")
        key = time if isinstance(time, str) else None
        counts[key] = counts.get(key, 0) + sum(map(_is_live, pouch["contents"]))
    for time, count in counts.items():
        if count > MAX_SUPPLEMENTS_PER_TIME:
            path = _path(*where) if where is not None else ""
            when = f"time of administration '{time}'" if time else "no time of administration"
            out.append(
                Violation(
                    path,
                    _MALFORMED,
                    f"'{path}' holds {count} supplements for {when}; at most"
                    f" {MAX_SUPPLEMENTS_PER_TIME} are allowed per time of administration.",
                )
            )


# --- the spec -------------------------------------------------------------------------------------

UUID: Final = text(format="uuid")
UUID_OR_NULL: Final = text(nullable=True, format="uuid")
TEXT: Final = text()
TEXT_OR_NULL: Final = text(nullable=True)

ADDRESS: Final = Shape(
    {
        "addressee": text(200, nullable=True),
        "address1": text(100),
        "address2": text(100, nullable=True),
        "city": text(50),
        "province_name": TEXT_OR_NULL,
        "province_code": TEXT_OR_NULL,
        "country_name": TEXT,
        "country_code": TEXT_OR_NULL,
        "postal_code": TEXT_OR_NULL,
    },
    required=dict.fromkeys(("address1", "city", "country_name"), "is required"),
)
"""A shipping address; it is always sent whole, on create and on update alike."""

CONSUMER_FIELDS: Final[Mapping[str, Field]] = {
    "email": text(100, format="email"),
    "first_name": text(100),
    "last_name": text(100),
    # The provider caps a consumer's phone at 15 characters, '+' included.
    "phone_number": text(15, nullable=True, format="phone"),
    "client_custom_consumer_id": TEXT_OR_NULL,
}
"""A consumer's own fields: what `POST`/`PUT /v2/consumers` take, and an order's consumer too."""

CONSUMER_READ_ONLY: frozenset[str] = frozenset(
    {"id", "client_id", "created_at", "updated_at", "crm_id", "crm_account_id"}
)
"""Consumer fields OK Capsule sets; `/v2/consumers` refuses them."""


def _order_consumer(*, creating: bool) -> Shape:
    """An order's consumer: an existing one by `id` (maybe with changes), or a new one by name."""
    return Shape(
        {"id": UUID, **CONSUMER_FIELDS},
        rules=(_consumer_names_on_create if creating else _consumer_names,),
        edits_by_id=True,
    )


def _order_lines(*, creating: bool) -> Field:
    """An order's lines; on update an item with an `id` edits an existing one."""
    live = {"id": UUID, "is_deleted": BOOLEAN}
    content = Shape(
        {**live, "client_product_id": UUID, "serving_size": integer(1)},
        required={"client_product_id": "is required"},
        edits_by_id=not creating,
    )
    pouch = Shape(
        {
            **live,
            "pack_id": UUID,
            "time_of_administration": choice("Morning", "Midday", "Evening"),
            "custom_label": text(30, format="label"),
            "cycle": TEXT,
            "cycle_length": integer(options=(0, 7, 10)),
            "duration": integer(1, 60, nullable=True),
            "protocol_id": UUID_OR_NULL,
            "set_id": UUID_OR_NULL,
            "contents": array(obj(content)),
        },
        read_only=frozenset({"crm_id"}),
        rules=(_pack_or_contents,),
        edits_by_id=not creating,
    )
    line = Shape(
        {
            **live,
            "fulfillment_id": UUID,
            "name": TEXT_OR_NULL,
            "physician_name": text(30, nullable=True),
            "custom_text_1": TEXT_OR_NULL,
            "custom_text_2": TEXT_OR_NULL,
            "custom_text_3": TEXT_OR_NULL,
            "duration": integer(1, 60),
            "client_custom_order_line_id": TEXT_OR_NULL,
            "client_custom_line_ids": TEXT_OR_NULL,
            "client_custom_pack_name": TEXT_OR_NULL,
            "has_special_handling": BOOLEAN,
            "special_handling_instructions": TEXT_OR_NULL,
            "is_expedited": BOOLEAN,
            "is_priority_shipping": BOOLEAN,
            "is_priority_production": BOOLEAN,
            "is_static_item": BOOLEAN,
            "contains_standalone": BOOLEAN,
            "packaging_asset_group_id": UUID_OR_NULL,
            "share_url": TEXT_OR_NULL,
            "source_line_item_ids": array(Field("string_or_number"), min_items=0, nullable=True),
            "kit_id": TEXT_OR_NULL,
            "pouches": array(obj(pouch), rules=(_supplement_cap,)),
        },
        required={"pouches": "is required for a new order line"},
        # Marked internal in the provider's request schema: OK Capsule fills them in.
        read_only=frozenset({"set_id", "status", "order_acceptance_date", "crm_id"}),
        edits_by_id=not creating,
    )
    return array(obj(line))


_CONTACT: Final[Mapping[str, Field]] = {
    "email": text(100, nullable=True, format="email"),
    "phone_number": text(nullable=True, format="phone"),
    "note": text(NOTE_MAX_LENGTH, nullable=True),
}

UPDATE_SPEC: Final[Mapping[str, Field]] = {
    "shipping_address": obj(ADDRESS),
    "consumer": obj(_order_consumer(creating=False)),
    "order_lines": _order_lines(creating=False),
    **_CONTACT,
}
"""The fields of an update request other than `status`."""

CREATE_SPEC: Final[Mapping[str, Field]] = {
    "consumer": obj(_order_consumer(creating=True)),
    "shipping_address": obj(ADDRESS),
    "order_lines": _order_lines(creating=True),
    **_CONTACT,
    "source": TEXT,
    "source_client_order_id": TEXT_OR_NULL,
    "client_custom_order_id": TEXT_OR_NULL,
    "order_type": choice("DTC", "Bulk"),
    "comments": TEXT_OR_NULL,
    "engineering_notes": TEXT_OR_NULL,
    "pack_builder_id": UUID_OR_NULL,
    "okc_affiliate_id": TEXT_OR_NULL,
}
"""The fields of a create request other than `status`."""

_CREATE_REQUIRED = ("consumer", "shipping_address", "order_lines")

UPDATABLE_FIELDS: frozenset[str] = frozenset({*UPDATE_SPEC, "status"})
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

CREATE_FIELDS: frozenset[str] = frozenset({*CREATE_SPEC, "status"})
"""The fields a create request may carry."""

# --- messages -------------------------------------------------------------------------------------

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


def _statuses_listed(statuses: frozenset[OrderStatus]) -> list[str]:
    """Statuses' values in lifecycle order."""
    return [status.value for status in OrderStatus if status in statuses]


def _statuses(statuses: frozenset[OrderStatus]) -> str:
    """List statuses in lifecycle order, quoted, for a message."""
    return _quoted(_statuses_listed(statuses))


# --- compiling the spec ---------------------------------------------------------------------------

_Check = Callable[[object, Where, object, list[Violation]], None]
"""The whole check of one value (member `key` of the object at `where`), saying what is wrong."""

_ANYWHERE = 2**30 - 1
"""Stands for "no limit" in the inline tests: the largest int CPython compares fastest.

A longer string or a larger number only goes on to the rule's check, which knows no limit.
"""


class _Rule:
    """A compiled `Field`: flat data the walk tests inline, and `check` for everything else.

    The inline tests only ever pass a value `check` would pass; a value they do not pass
    (a wrong one, or an odd right one such as a `str` subclass) goes to `check`, which says
    what is wrong, if anything.
    """

    __slots__ = (
        "array_rules",
        "boolean",
        "check",
        "fullmatch",
        "high",
        "item_members",
        "items",
        "longest",
        "low",
        "match_longest",
        "members",
        "min_items",
        "nullable",
        "numbers",
        "options",
    )

    def __init__(self, field: Field) -> None:
        plain = field.type == "string" and field.format is None and not field.enum
        self.longest = (field.max_length or _ANYWHERE) if plain else -1
        """Any `str` this short passes (-1: none without the tests below)."""
        self.fullmatch: Callable[[str], object] | None = None
        if field.type == "string" and field.format is not None:
            self.fullmatch = FULL_MATCHES[field.format]
        self.match_longest = field.max_length or _ANYWHERE
        """Any `str` this short that `fullmatch` matches passes."""
        self.options: frozenset[object] = frozenset(field.enum if field.type == "string" else ())
        numeric = field.type == "integer"
        self.low = (-_ANYWHERE if field.minimum is None else field.minimum) if numeric else 1
        self.high = (field.maximum or _ANYWHERE) if numeric else 0
        self.numbers = frozenset(field.enum) if numeric and field.enum else None
        self.nullable = field.nullable
        self.boolean = field.type == "boolean"
        self.members = _Members(field.shape) if field.shape is not None else None
        self.items = _Rule(field.items) if field.items is not None else None
        self.item_members = self.items.members if self.items is not None else None
        self.min_items = field.min_items
        self.array_rules = field.array_rules or None
        self.check = _CHECKS[field.type](field, self)


class _Members:
    """A compiled `Shape`: member rules by name, and what the walk checks once they are done."""

    __slots__ = ("by_id", "other", "required", "required_names", "rules", "shape_rules", "texts")

    def __init__(
        self,
        shape: Shape,
        other: Callable[[object, object, Where, list[Violation]], None] | None = None,
    ) -> None:
        self.rules = {name: _Rule(field) for name, field in shape.fields.items()}
        self.other = other if other is not None else _internal(shape.read_only)
        """What to do with a member the shape has no rule for (None: let it pass)."""
        self.required = tuple(shape.required.items())
        self.required_names = tuple(shape.required) or None
        self.texts = _any_text(self.rules) if self.other is None else -1
        """Every member passes any `str` this short (-1 unless every rule is on plain text)."""
        self.by_id = shape.edits_by_id
        self.shape_rules = shape.rules or None


def _any_text(rules: Mapping[str, _Rule]) -> int:
    """How short a `str` passes every rule; -1 when some rule takes no plain text."""
    return min((rule.longest for rule in rules.values()), default=-1)


def _internal(
    read_only: frozenset[str],
) -> Callable[[object, object, Where, list[Violation]], None] | None:
    """Refuse the members OK Capsule fills in; let pass others the shape does not name.

    The provider's request schemas allow members they do not name.
    """
    if not read_only:
        return None

    def other(key: object, _value: object, where: Where, out: list[Violation]) -> None:
        if key in read_only:
            at = _path(where, key)
            out.append(Violation(at, _READ_ONLY, f"'{at}' is internal to OK Capsule; omit it."))

    return other


def _report_missing(
    value: dict[Any, Any], members: _Members, where: Where, out: list[Violation]
) -> None:
    """Report the members a new object lacks, in the shape's order."""
    if members.by_id and "id" in value:
        return
    for name, why in members.required:
        if name not in value:
            out.append(_missing(_path(where, name), why))


def _text_check(field: Field, _rule: _Rule) -> _Check:
    max_length, nullable = field.max_length, field.nullable
    if field.enum:
        return _choice_check(field.enum, nullable=nullable)
    pattern, shape = FORMATS[field.format] if field.format else (None, "a string")
    shape = shape.format(max_length=max_length)
    expected = f"{shape} or null" if nullable else shape

    def check(value: object, where: Where, key: object, out: list[Violation]) -> None:
        if isinstance(value, str):
            if max_length is not None and len(value) > max_length:
                path = _path(where, key)
                out.append(
                    Violation(
                        path,
                        _MALFORMED,
                        f"'{path}' must be at most {max_length} characters (got {len(value)}).",
                    )
                )
            elif pattern is not None and pattern.fullmatch(value) is None:
                path = _path(where, key)
                out.append(Violation(path, _MALFORMED, f"'{path}' must be {shape}."))
        elif value is not None or not nullable:
            path = _path(where, key)
            out.append(
                Violation(
                    path, _MALFORMED, f"'{path}' must be {expected}, not {_json_type(value)}."
                )
            )

    return check


def _choice_check(options: tuple[str, ...], *, nullable: bool) -> _Check:
    allowed = frozenset(options)
    listed = _quoted(options) + (" or null" if nullable else "")

    def check(value: object, where: Where, key: object, out: list[Violation]) -> None:
        if isinstance(value, str) and value in allowed:
            return
        if value is None and nullable:
            return
        path = _path(where, key)
        shown = repr(value) if isinstance(value, str) else _json_type(value)
        out.append(Violation(path, _MALFORMED, f"'{path}' must be one of {listed}, not {shown}."))

    return check


def _integer_check(field: Field, _rule: _Rule) -> _Check:
    minimum, maximum, nullable = field.minimum, field.maximum, field.nullable
    allowed = frozenset(field.enum)
    if allowed:
        expected = "one of " + ", ".join(map(str, field.enum))
    elif maximum is None:
        expected = f"an integer of at least {minimum}"
    else:
        expected = f"an integer from {minimum} to {maximum}"
    if nullable:
        expected += " or null"

    def check(value: object, where: Where, key: object, out: list[Violation]) -> None:
        # `type(...) is int` rather than isinstance: JSON true is not the number 1.
        if type(value) is int:
            if (
                (allowed and value not in allowed)
                or (minimum is not None and value < minimum)
                or (maximum is not None and value > maximum)
            ):
                path = _path(where, key)
                out.append(
                    Violation(path, _MALFORMED, f"'{path}' must be {expected}, not {value}.")
                )
        elif value is not None or not nullable:
            path = _path(where, key)
            shown = repr(value) if type(value) is float else _json_type(value)
            out.append(Violation(path, _MALFORMED, f"'{path}' must be {expected}, not {shown}."))

    return check


def _boolean_check(_field: Field, _rule: _Rule) -> _Check:
    def check(value: object, where: Where, key: object, out: list[Violation]) -> None:
        if type(value) is not bool:
            path = _path(where, key)
            out.append(
                Violation(
                    path, _MALFORMED, f"'{path}' must be true or false, not {_json_type(value)}."
                )
            )

    return check


def _scalar_check(_field: Field, _rule: _Rule) -> _Check:
    """An external id: a string or a finite number."""

    def check(value: object, where: Where, key: object, out: list[Violation]) -> None:
        if isinstance(value, str) or type(value) is int:
            return
        if type(value) is float and math.isfinite(value):
            return
        path = _path(where, key)
        shown = repr(value) if type(value) is float else _json_type(value)
        out.append(
            Violation(
                path, _MALFORMED, f"'{path}' must be a string or a finite number, not {shown}."
            )
        )

    return check


def _object_check(_field: Field, rule: _Rule) -> _Check:
    def check(value: object, where: Where, key: object, out: list[Violation]) -> None:
        if isinstance(value, dict):
            _walk(value, rule.members, (where, key), out)  # type: ignore[arg-type]
        else:
            path = _path(where, key)
            out.append(
                Violation(path, _MALFORMED, f"'{path}' must be an object, not {_json_type(value)}.")
            )

    return check


def _array_check(field: Field, rule: _Rule) -> _Check:
    nullable, non_empty = field.nullable, field.min_items > 0
    expected = ("a non-empty array" if non_empty else "an array") + (" or null" if nullable else "")

    def check(value: object, where: Where, key: object, out: list[Violation]) -> None:
        if isinstance(value, list) and (value or not non_empty):
            _walk_array(value, rule, (where, key), out)
        elif value is not None or not nullable:
            path = _path(where, key)
            shown = "an empty array" if isinstance(value, list) else _json_type(value)
            out.append(Violation(path, _MALFORMED, f"'{path}' must be {expected}, not {shown}."))

    return check


_CHECKS: dict[str, Callable[[Field, _Rule], _Check]] = {
    "string": _text_check,
    "integer": _integer_check,
    "boolean": _boolean_check,
    "string_or_number": _scalar_check,
    "object": _object_check,
    "array": _array_check,
}


# --- the walk -------------------------------------------------------------------------------------


def _walk(value: dict[Any, Any], members: _Members, where: Where, out: list[Violation]) -> None:  # noqa: C901, PLR0912, PLR0915 - one flat loop, see below
    """Check an object's members against their rules, then what the object as a whole needs.

    One flat loop, as it runs for every member of every request: the common cases are tested
    inline, and only a value they do not pass costs a call.
    """
    plain = False
    texts = members.texts
    if texts >= 0:  # every rule is on plain text (an address): short text needs no lookup
        for item in value.values():
            if type(item) is not str or len(item) > texts:
                break
        else:
            plain = True
    if not plain:
        rules = members.rules
        for key, item in value.items():
            try:
                rule = rules[key]
            except KeyError:  # a member without a rule: rare, so cheaper to ask forgiveness
                if members.other is not None:
                    members.other(key, item, where, out)
                continue
            kind = type(item)
            if kind is str:
                if len(item) <= rule.longest:
                    continue
                match = rule.fullmatch
                if match is not None:
                    if len(item) <= rule.match_longest and match(item) is not None:
                        continue
                elif item in rule.options:
                    continue
            elif kind is int:
                if rule.low <= item <= rule.high and (rule.numbers is None or item in rule.numbers):
                    continue
            elif item is None:
                if rule.nullable:
                    continue
            elif kind is bool:
                if rule.boolean:
                    continue
            elif kind is dict:
                if rule.members is not None:
                    _walk(item, rule.members, (where, key), out)
                    continue
            elif kind is list and rule.item_members is not None and item:
                # `_walk_array`, inline for the usual array of objects: a call less per array.
                at = (where, key)
                item_members = rule.item_members
                index = -1  # counted by hand: cheaper than enumerate's tuples
                for element in item:
                    index += 1
                    if type(element) is dict:
                        _walk(element, item_members, (at, index), out)
                    else:
                        rule.items.check(element, at, index, out)  # type: ignore[union-attr]
                if rule.array_rules is not None:
                    for array_rule in rule.array_rules:
                        array_rule(item, at, out)
                continue
            rule.check(item, where, key, out)
    if members.required_names is not None:
        for name in members.required_names:
            if name not in value:
                _report_missing(value, members, where, out)
                break
    if members.shape_rules is not None:
        new = not (members.by_id and "id" in value)
        for shape_rule in members.shape_rules:
            shape_rule(value, where, out, new=new)


def _walk_array(items: list[Any], rule: _Rule, where: Where, out: list[Violation]) -> None:
    """Check each item of an array, then the array's own rules."""
    item_rule: _Rule = rule.items  # type: ignore[assignment]
    members = item_rule.members
    for index, item in enumerate(items):
        if members is not None and type(item) is dict:
            _walk(item, members, (where, index), out)
        else:
            item_rule.check(item, where, index, out)
    for array_rule in rule.array_rules or ():
        array_rule(items, where, out)


# --- top-level fields -----------------------------------------------------------------------------

_STATUS_BY_VALUE: dict[str, OrderStatus] = {status.value: status for status in OrderStatus}
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


def _not_a_create_field(key: object) -> Violation:
    return Violation(
        str(key),
        ViolationCode.NOT_UPDATABLE,
        f"'{key}' is not a field of an order request; fields are: {_CREATE_LIST}.",
    )


def _status_target(value: object, allowed: frozenset[OrderStatus]) -> OrderStatus | Violation:
    """Read a requested status: one of `allowed`, or the violation saying why not."""
    target = _STATUS_BY_VALUE.get(value) if isinstance(value, str) else None
    if target is None:
        shown = repr(value) if isinstance(value, str) else _json_type(value)
        return Violation(
            "status",
            _MALFORMED,
            f"'status' must be an order status such as {_statuses(allowed)}, not {shown}.",
        )
    if target not in allowed:
        return Violation(
            "status",
            ViolationCode.STATUS_NOT_ALLOWED,
            f"'status' cannot be set to '{target.value}' by a client;"
            f" allowed: {_statuses(allowed)}.",
        )
    return target


def _top_level(
    targets: frozenset[OrderStatus],
    read_only: frozenset[str],
    unknown: Callable[[object], Violation],
) -> Callable[[object, object, Where, list[Violation]], None]:
    """Handle a request's top-level members that are not fields: `status`, read-only, unknown."""

    def other(key: object, value: object, _where: Where, out: list[Violation]) -> None:
        if key == "status":
            target = _status_target(value, targets)
            if type(target) is Violation:
                out.append(target)
        elif key in read_only:
            out.append(_read_only(str(key)))
        else:
            out.append(unknown(key))

    return other


_UPDATE = _Members(
    Shape(UPDATE_SPEC), _top_level(CLIENT_STATUS_TARGETS, READ_ONLY_FIELDS, _not_updatable)
)
_CREATE = _Members(
    Shape(CREATE_SPEC),
    _top_level(CREATE_STATUS_TARGETS, _READ_ONLY_ON_CREATE, _not_a_create_field),
)

_create_passes = compile_check(
    Shape(
        {**CREATE_SPEC, "status": choice(*_statuses_listed(CREATE_STATUS_TARGETS))},
        required=dict.fromkeys(_CREATE_REQUIRED, "is required"),
    ),
    FULL_MATCHES,
    closed=True,
)
"""Tells a valid create request quickly: `_walked_create` passes it (False: ask the walk)."""


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


# --- results and entry points ---------------------------------------------------------------------


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
    _walk(payload, _UPDATE, None, out)
    if out:
        raise UpdateRejected(out)
    if "status" not in payload:
        return ValidatedUpdate(MappingProxyType(payload.copy()))
    changes = {key: value for key, value in payload.items() if key != "status"}
    target = _STATUS_BY_VALUE[payload["status"]]
    event = None if target is current else _CLIENT_EVENTS[current, target]
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
    if type(payload) is not dict or not _create_passes(payload):
        payload = _walked_create(payload)
    others = payload.copy()
    del others["consumer"], others["shipping_address"], others["order_lines"]
    status, source, order_type = OrderStatus.PENDING, DEFAULT_SOURCE, DEFAULT_ORDER_TYPE
    if "status" in others or "source" in others or "order_type" in others:
        status = _STATUS_BY_VALUE[others.pop("status", status.value)]
        source = others.pop("source", source)
        order_type = others.pop("order_type", order_type)
    # Positional, in field order: keywords cost a tenth of a valid request's validation.
    return ValidatedCreate(
        MappingProxyType(payload["consumer"].copy()),
        MappingProxyType(payload["shipping_address"].copy()),
        tuple(payload["order_lines"]),
        status,
        source,
        order_type,
        MappingProxyType(others),
    )


def _walked_create(payload: object) -> dict[Any, Any]:
    """Walk a create request the fast check did not pass: raise what is wrong, if anything."""
    if not isinstance(payload, dict):
        raise _not_an_object(payload)
    out = [_missing(name) for name in _CREATE_REQUIRED if name not in payload]
    _walk(payload, _CREATE, None, out)
    if out:
        raise UpdateRejected(out)
    return payload


# --- consumers -----------------------------------------------------------------------------------

_CONSUMER_LIST = ", ".join(CONSUMER_FIELDS)


def _not_a_consumer_field(key: object, _value: object, _where: Where, out: list[Violation]) -> None:
    code = ViolationCode.READ_ONLY if key in CONSUMER_READ_ONLY else ViolationCode.NOT_UPDATABLE
    out.append(
        Violation(str(key), code, f"'{key}' cannot be set; consumer fields are: {_CONSUMER_LIST}.")
    )


_NEW_CONSUMER = _Members(
    Shape(
        CONSUMER_FIELDS,
        required=dict.fromkeys(("first_name", "last_name"), "is required to create a consumer"),
    ),
    _not_a_consumer_field,
)
_CONSUMER_CHANGES = _Members(Shape(CONSUMER_FIELDS), _not_a_consumer_field)


def validate_consumer(payload: object, *, creating: bool) -> dict[str, Any]:
    """Validate a `POST /v2/consumers` (`creating`) or `PUT /v2/consumers/{id}` request body.

    The fields follow the same rules as an order's consumer (`CONSUMER_FIELDS`); a new
    consumer needs a first and a last name.

    Args:
        payload: the decoded JSON request body.
        creating: whether the request creates the consumer.

    Returns:
        The consumer's fields as sent.

    Raises:
        UpdateRejected: with every violation the request contains.
    """
    if not isinstance(payload, dict):
        raise _not_an_object(payload)
    out: list[Violation] = []
    _walk(payload, _NEW_CONSUMER if creating else _CONSUMER_CHANGES, None, out)
    if out:
        raise UpdateRejected(out)
    return dict(payload)
