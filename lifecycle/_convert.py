"""Turn orders and fulfillments into the API's JSON shape and back, strictly and losslessly.

Output follows the provider's null rule (`NULL_RULE`): a missing value is `null` only where the
provider's schema allows it, and its key is left out elsewhere. Input may leave fields out, but
a value of the wrong JSON type is refused with the path of the field, never coerced.
"""

from __future__ import annotations

import datetime as dt
import math
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

import attrs
from cattrs.errors import (
    BaseValidationError,
    ClassValidationError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.fns import identity
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn
from cattrs.preconf.json import JsonConverter, make_converter

from lifecycle._errors import LifecycleError, Violation, ViolationCode
from lifecycle._instant import MalformedInstant, parse_instant
from lifecycle._models import NULL_RULE, Absent, Fulfillment, Order
from lifecycle._status import OrderStatus

_T = TypeVar("_T")

_JSON_KIND: dict[type, str] = {
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    list: "an array",
    dict: "an object",
    type(None): "null",
}


class MalformedDocument(LifecycleError, ValueError):
    """A JSON document does not fit the model; lists every offending field at once."""

    def __init__(self, kind: str, violations: tuple[Violation, ...]) -> None:
        """Collect the violations.

        Args:
            kind: what the document should have been, e.g. "Order".
            violations: one per offending field, with a dotted path such as
                `order_lines[0].pouches[1].id` (`$` for the document itself).
        """
        self.kind = kind
        self.violations = violations
        listed = "; ".join(f"{v.field}: {v.message}" for v in violations)
        super().__init__(f"Malformed {kind} document: {listed}")


def _kind(value: object) -> str:
    described = _JSON_KIND.get(value.__class__)
    if described is None:
        return f"a {type(value).__name__}"
    if value is None:
        return described
    shown = repr(value)
    # Keep one bad field from flooding the message with a whole sub-document.
    return f"{described} ({shown if len(shown) <= 60 else shown[:57] + '...'})"


# Strict scalar hooks: cattrs' defaults call `str(v)`, `int(v)`, `bool(v)`, which would turn
# 5 into "5", "7" into 7 and "no" into True; a fake server must refuse such input instead.


def _structure_str(value: object, _: object) -> str:
    if value.__class__ is str:
        return value
    if isinstance(value, str):
        return str.__str__(value)
    raise TypeError(f"expected a string, got {_kind(value)}")


def _structure_int(value: object, _: object) -> int:
    if value.__class__ is int:
        return value
    # JSON has one number type; some writers put integers as 7.0.
    if value.__class__ is float and value.is_integer():
        return int(value)
    raise TypeError(f"expected an integer, got {_kind(value)}")


def _structure_float(value: object, _: object) -> float:
    # An integer stays an int so that 10 is written back as 10, not 10.0.
    if value.__class__ is int:
        return value
    if value.__class__ is float and math.isfinite(value):
        return value
    raise TypeError(f"expected a finite number, got {_kind(value)}")


def _structure_bool(value: object, _: object) -> bool:
    if value is True or value is False:
        return value
    raise TypeError(f"expected a boolean, got {_kind(value)}")


def _structure_optional_str(value: object, _: object) -> str | None:
    if value is None or value.__class__ is str:
        return value
    return _structure_str(value, _)


def _structure_optional_float(value: object, _: object) -> float | None:
    if value is None or value.__class__ is int:
        return value
    return _structure_float(value, _)


def _structure_optional_int(value: object, _: object) -> int | None:
    if value is None or value.__class__ is int:
        return value
    return _structure_int(value, _)


def _structure_optional_bool(value: object, _: object) -> bool | None:
    if value is None or value is True or value is False:
        return value
    raise TypeError(f"expected a boolean, got {_kind(value)}")


# Most fields are optional scalars: one call each instead of a None check wrapping a hook.
_OPTIONAL_SCALARS: dict[type, Callable[[object, object], object]] = {
    str: _structure_optional_str,
    float: _structure_optional_float,
    int: _structure_optional_int,
    bool: _structure_optional_bool,
}


def _structure_str_or_number(value: object, _: object) -> str | int | float:
    if value.__class__ is str:
        return value
    if value.__class__ in {int, float}:
        return _structure_float(value, None)
    raise TypeError(f"expected a string or a number, got {_kind(value)}")


def _structure_status(value: object, _: object) -> OrderStatus:
    if isinstance(value, str):
        try:
            return OrderStatus(value)
        except ValueError:
            pass
    allowed = ", ".join(f"'{s.value}'" for s in OrderStatus)
    raise ValueError(f"expected one of {allowed}, got {_kind(value)}")


def _unstructure_status(status: OrderStatus) -> str:
    # Plain `str`, not the enum: callers compare and serialise it like any other string.
    return OrderStatus(status).value


def _structure_datetime(value: object, _: object) -> dt.datetime:
    if not isinstance(value, str):
        raise TypeError(f"expected an ISO 8601 date-time string, got {_kind(value)}")
    try:
        return parse_instant(value)
    except MalformedInstant as error:
        raise ValueError(error.reason) from None  # the violation's path names the field


def _unstructure_datetime(value: dt.datetime) -> str:
    offset = value.utcoffset()
    if offset is None:
        # A naive datetime would be read in the host's zone; refuse rather than guess.
        raise ValueError(f"cannot write naive datetime {value!r}; give it a time zone")
    utc = (value - offset).replace(tzinfo=None)
    return dt.datetime.isoformat(utc) + "Z"


def _structure_date(value: object, _: object) -> dt.date:
    if not isinstance(value, str):
        raise TypeError(f"expected an ISO 8601 date string, got {_kind(value)}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"expected an ISO 8601 date (YYYY-MM-DD), got {value!r}") from None


def _unstructure_date(value: dt.date) -> str:
    return dt.date.isoformat(value)


def _optional_inner(type_: Any) -> Any:  # noqa: ANN401 - any type expression
    """Return X for `X | None`, else None."""
    if typing.get_origin(type_) not in {types.UnionType, typing.Union}:
        return None
    args = typing.get_args(type_)
    if len(args) != 2 or type(None) not in args:
        return None
    return args[0] if args[1] is type(None) else args[1]


def _is_homogeneous_tuple(type_: Any) -> bool:  # noqa: ANN401 - any type expression
    args = typing.get_args(type_)
    return typing.get_origin(type_) is tuple and len(args) == 2 and args[1] is Ellipsis


def _register_scalars(conv: JsonConverter) -> None:
    conv.register_structure_hook(str, _structure_str)
    conv.register_structure_hook(int, _structure_int)
    conv.register_structure_hook(float, _structure_float)
    conv.register_structure_hook(bool, _structure_bool)
    # A predicate hook: a hook registered for a union type directly would lose to the preconf
    # union passthrough, which lets booleans through as ints.
    conv.register_structure_hook_func(lambda t: t == str | int | float, _structure_str_or_number)
    conv.register_unstructure_hook(str | int | float, identity)
    conv.register_structure_hook(OrderStatus, _structure_status)
    conv.register_unstructure_hook(OrderStatus, _unstructure_status)
    conv.register_structure_hook(dt.datetime, _structure_datetime)
    conv.register_unstructure_hook(dt.datetime, _unstructure_datetime)
    conv.register_structure_hook(dt.date, _structure_date)
    conv.register_unstructure_hook(dt.date, _unstructure_date)


def _register_optionals(conv: JsonConverter) -> None:
    # cattrs looks the inner hook of `X | None` up on every call; resolve it once instead.
    def structure_optional(type_: Any) -> Callable[[object, object], object]:  # noqa: ANN401
        inner_type = _optional_inner(type_)
        scalar = _OPTIONAL_SCALARS.get(inner_type)
        if scalar is not None:
            return scalar
        inner = conv.get_structure_hook(inner_type)

        def structure(value: object, _: object) -> object:
            return None if value is None else inner(value, inner_type)

        return structure

    def unstructure_optional(type_: Any) -> Callable[[Any], object]:  # noqa: ANN401
        inner = conv.get_unstructure_hook(_optional_inner(type_))
        if inner is identity:
            # Lets cattrs inline the attribute read in the generated code.
            return identity

        def unstructure(value: object) -> object:
            return None if value is None else inner(value)

        return unstructure

    conv.register_structure_hook_factory(
        lambda t: _optional_inner(t) is not None, structure_optional
    )
    conv.register_unstructure_hook_factory(
        lambda t: _optional_inner(t) is not None, unstructure_optional
    )


def _register_tuples(conv: JsonConverter) -> None:
    # cattrs would iterate a string into characters; only a JSON array (or null) is a sequence.
    def structure_tuple(type_: Any) -> Callable[[object, object], tuple[object, ...]]:  # noqa: ANN401
        item_type = typing.get_args(type_)[0]
        item = conv.get_structure_hook(item_type)

        def structure(value: object, _: object) -> tuple[object, ...]:
            if value is None:
                return ()
            if not isinstance(value, list | tuple):
                raise TypeError(f"expected an array, got {_kind(value)}")
            out: list[object] = []
            errors: list[Exception] = []
            for index, element in enumerate(value):
                try:
                    out.append(item(element, item_type))
                except Exception as exc:  # noqa: BLE001 - collected and re-raised as a group
                    exc.add_note(IterableValidationNote(f"@ index {index}", index, item_type))
                    errors.append(exc)
            if errors:
                raise IterableValidationError(f"While structuring {type_!r}", errors, type_)
            return tuple(out)

        return structure

    conv.register_structure_hook_factory(_is_homogeneous_tuple, structure_tuple)


def _register_classes(conv: JsonConverter) -> None:
    # The generated code indexes the input; check it is an object first, so that a string
    # in place of an object gives one clear error rather than one per field.
    def structure_attrs(cls: type[_T]) -> Callable[[object, object], _T]:
        inner = make_dict_structure_fn(cls, conv)

        def structure(value: object, _: object) -> _T:
            if value.__class__ is not dict and not isinstance(value, Mapping):
                raise TypeError(f"expected an object, got {_kind(value)}")
            return inner(typing.cast("Mapping[str, Any]", value), cls)

        return structure

    conv.register_structure_hook_factory(attrs.has, structure_attrs)
    conv.register_unstructure_hook_factory(attrs.has, lambda cls: _unstructure_attrs(conv, cls))


def _unstructure_attrs(conv: JsonConverter, cls: type) -> Callable[[Any], dict[str, Any]]:
    """Write `cls` with its fields in order, leaving out what `NULL_RULE` says to leave out."""
    inner: Callable[[Any], dict[str, Any]] = make_dict_unstructure_fn(cls, conv)
    rules = NULL_RULE.get(cls.__name__, {})
    left_out = tuple(name for name, rule in rules.items() if rule.value is not Absent.NULL)
    if not left_out:
        return inner

    def unstructure(value: object) -> dict[str, Any]:
        # Deleting keeps the other keys in the model's (the provider's) order.
        out = inner(value)
        for name in left_out:
            if out[name] is None:
                del out[name]
        return out

    return unstructure


def _make_converter() -> JsonConverter:
    conv = make_converter(detailed_validation=True)
    # cattrs consults the latest registration first, so these take over from its defaults.
    _register_scalars(conv)
    _register_optionals(conv)
    _register_tuples(conv)
    _register_classes(conv)
    return conv


converter: JsonConverter = _make_converter()
"""The configured cattrs converter for every model class; prefer the functions below."""


def _violations(exc: BaseException, path: str) -> Iterator[Violation]:
    if isinstance(exc, ClassValidationError):
        with_notes, others = exc.group_exceptions()
        for sub, note in with_notes:
            yield from _violations(sub, f"{path}.{note.name}" if path else note.name)
        for sub in others:
            yield from _violations(sub, path)
    elif isinstance(exc, IterableValidationError):
        with_index, others_ = exc.group_exceptions()
        for sub, index_note in with_index:
            yield from _violations(sub, f"{path}[{index_note.index}]")
        for sub in others_:
            yield from _violations(sub, path)
    elif isinstance(exc, KeyError):
        yield Violation(path or "$", ViolationCode.REQUIRED, "required field is missing")
    else:
        yield Violation(path or "$", ViolationCode.MALFORMED, str(exc))


def _structure(data: object, cls: type[_T]) -> _T:
    try:
        return converter.structure(data, cls)
    except (BaseValidationError, TypeError, ValueError) as exc:
        raise MalformedDocument(cls.__name__, tuple(_violations(exc, ""))) from exc


def order_to_json(order: Order) -> dict[str, Any]:
    """Write an order as the API's JSON object.

    Args:
        order: the order.

    Returns:
        A dict of JSON-ready values: every field with a value; a field without one is None
        where the provider's schema is nullable and left out elsewhere (`NULL_RULE`);
        datetimes as ISO 8601 UTC strings ending in "Z". `order_from_json` reads it back
        to an equal order.

    Raises:
        ValueError: a datetime of the order has no time zone, or its status is not a
            known status string.
    """
    return typing.cast("dict[str, Any]", converter.unstructure(order, Order))


def order_from_json(data: object) -> Order:
    """Read an order from the API's JSON object.

    Args:
        data: the parsed JSON; fields may be missing, unknown fields are ignored.

    Returns:
        The order, with datetimes in UTC.

    Raises:
        MalformedDocument: a value has the wrong type or a required field is missing.
    """
    return _structure(data, Order)


def fulfillment_to_json(fulfillment: Fulfillment) -> dict[str, Any]:
    """Write a fulfillment as the API's JSON object.

    Args:
        fulfillment: the fulfillment.

    Returns:
        A dict of JSON-ready values holding every field, None for absent ones.

    Raises:
        ValueError: a datetime of the fulfillment has no time zone.
    """
    return typing.cast("dict[str, Any]", converter.unstructure(fulfillment, Fulfillment))


def fulfillment_from_json(data: object) -> Fulfillment:
    """Read a fulfillment from the API's JSON object.

    Args:
        data: the parsed JSON; fields may be missing, unknown fields are ignored.

    Returns:
        The fulfillment, with datetimes in UTC.

    Raises:
        MalformedDocument: a value has the wrong type or a required field is missing.
    """
    return _structure(data, Fulfillment)
