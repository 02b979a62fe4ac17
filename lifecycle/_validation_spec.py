"""The validation spec's vocabulary: a member's `Field` (type and limits) and an object's `Shape`.

`lifecycle._validation` states the request rules in it; its walk and the generated check read them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final, Literal, Protocol

import attrs

from lifecycle._errors import Violation

_EMPTY: Mapping[str, Any] = MappingProxyType({})

Where = tuple[Any, Any] | None
"""Where an object sits in the request: None at the top, else `(where its parent sits, key)`.

Paths are spelled out only for a violation, so a valid request builds no strings.
"""


class Rule(Protocol):
    """A cross-field rule over one object (at `where`): appends a violation for each problem."""

    def __call__(
        self, value: dict[Any, Any], where: Where, out: list[Violation], /, *, new: bool
    ) -> None:
        """Check `value`; `new` tells whether it is a new object (see `Shape.edits_by_id`)."""


ArrayRule = Callable[[list[Any], Where, list[Violation]], None]
"""A rule over a whole array's items (at `where`), run once each item has been checked."""

FieldType = Literal["string", "integer", "boolean", "object", "array", "string_or_number"]

FORMATS: Mapping[str, tuple[re.Pattern[str], str]] = {
    "uuid": (
        re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"),
        "a UUID",
    ),
    "email": (
        re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+"),
        "an email address of at most {max_length} characters",
    ),
    "phone": (re.compile(r"\+?[0-9]{7,15}"), "a phone number: an optional '+' then 7 to 15 digits"),
    # The provider's pattern for a pouch's custom label, verbatim.
    "label": (
        re.compile(r"[a-zA-Z0-9\s!?@#$%^&*()_\-+\[\]{}':;~/|.,]*"),
        "a label of letters, digits, spaces and punctuation",
    ),
}
"""The named shapes a string may have: a pattern it must match whole, and how to say it."""

FULL_MATCHES = {name: pattern.fullmatch for name, (pattern, _) in FORMATS.items()}
"""Each format's full-match function, as the walk and the generated create check call it."""


@attrs.frozen
class Field:
    """One member's rule, as the provider's request schema states it: JSON type and limits."""

    type: FieldType
    nullable: bool = False
    max_length: int | None = None
    format: str | None = None
    """A key of `FORMATS` the string must match."""
    enum: tuple[Any, ...] = ()
    """The only values allowed (strings or integers), when not empty."""
    minimum: int | None = None
    maximum: int | None = None
    shape: Shape | None = None
    """An object's members."""
    items: Field | None = None
    """An array's items."""
    min_items: int = 0
    array_rules: tuple[ArrayRule, ...] = ()


@attrs.frozen
class Shape:
    """An object's members: their fields, what a new object needs, and its cross-field rules."""

    fields: Mapping[str, Field]
    required: Mapping[str, str] = _EMPTY
    """Members a new object must have, each with the end of its message ("is required")."""
    read_only: frozenset[str] = frozenset()
    """Members OK Capsule fills in: a client sending one gets a READ_ONLY violation."""
    rules: tuple[Rule, ...] = ()
    edits_by_id: bool = False
    """An object with an `id` edits an existing one, so it may leave out what a new one needs."""


def text(
    max_length: int | None = None,
    *,
    nullable: bool = False,
    format: str | None = None,  # noqa: A002 - the provider's word, as `Field.format`
) -> Field:
    """A string field, optionally null, bounded in length or of a named shape."""
    return Field("string", nullable=nullable, max_length=max_length, format=format)


def choice(*options: str, nullable: bool = False) -> Field:
    """A string field that takes one of a few values."""
    return Field("string", nullable=nullable, enum=options)


def integer(
    minimum: int | None = None,
    maximum: int | None = None,
    *,
    options: tuple[int, ...] = (),
    nullable: bool = False,
) -> Field:
    """A whole-number field, in a range or from a set; booleans and floats are not numbers."""
    return Field("integer", nullable=nullable, minimum=minimum, maximum=maximum, enum=options)


BOOLEAN: Final = Field("boolean")


def obj(shape: Shape) -> Field:
    """An object field with the given members."""
    return Field("object", shape=shape)


def array(
    items: Field, *, min_items: int = 1, nullable: bool = False, rules: tuple[ArrayRule, ...] = ()
) -> Field:
    """An array field (non-empty unless `min_items` is 0) of items of one kind."""
    return Field("array", nullable=nullable, items=items, min_items=min_items, array_rules=rules)
