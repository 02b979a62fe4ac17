"""A yes-or-no check of a request, generated once from the validation spec as straight-line code.

It only tells a valid request quickly; for any other the spec's walk runs and says what is wrong.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lifecycle._validation_spec import Field, Shape

FastCheck = Callable[[dict[Any, Any]], bool]
"""Tells whether a request object is valid; False may also mean "not sure: ask the walk"."""

Lines = list[str]
"""Generated source lines, indented from column 0 (their caller indents them further)."""

_INDENT = "    "
_FAIL = "return False"


class _Names:
    """The constants the generated code reads, each under one name, and fresh local names."""

    def __init__(self, formats: Mapping[str, Callable[[str], object]]) -> None:
        self.formats = formats
        self.constants: dict[str, object] = {"isfinite": math.isfinite}
        self.named: dict[object, str] = {}
        self.count = 0

    def fresh(self) -> int:
        """A number not used yet, to suffix the local names of one object or array."""
        self.count += 1
        return self.count

    def constant(self, value: object) -> str:
        """The name under which the generated code reads `value` (equal values share one)."""
        with contextlib.suppress(KeyError, TypeError):  # unhashable: named each time
            return self.named[value]
        name = f"c{len(self.constants)}"
        self.constants[name] = value
        with contextlib.suppress(TypeError):
            self.named[value] = name
        return name


def compile_check(
    shape: Shape,
    formats: Mapping[str, Callable[[str], object]],
    *,
    closed: bool = False,
) -> FastCheck:
    """Generate the check of an object of `shape`, its nested objects and arrays inlined.

    Members are found by name in a dict and branched to by a balanced tree of integer tests;
    cross-field rules run as the walk runs them, into a list that must stay empty.

    Args:
        shape: the object's members, read as the walk reads them.
        formats: each `Field.format` name's full-match function.
        closed: whether a member the shape does not name makes the object invalid.

    Returns:
        A function that returns True only for an object the walk would pass without a word.
    """
    names = _Names(formats)
    body = ["out = []", *_object(names, shape, "v0", closed=closed), "return not out"]
    source = "\n".join(["def check(v0):", *_indented(body)])
    namespace = dict(names.constants)
    # The source is generated from the spec's data alone: member names are constants, not text.
    exec(compile(source, "<validation fast check>", "exec"), namespace)  # noqa: S102
    check: FastCheck = namespace["check"]  # type: ignore[assignment]
    return check


def _indented(lines: Lines, levels: int = 1) -> Lines:
    return [_INDENT * levels + line for line in lines]


def _fail_if(condition: str) -> Lines:
    return [f"if {condition}:", _INDENT + _FAIL]


def _object(names: _Names, shape: Shape, value: str, *, closed: bool) -> Lines:
    """Check a dict in `value`: its members, the members a new one needs, its cross-field rules."""
    lines = _members(names, shape, value, closed=closed)
    limit = _short_text(shape, closed=closed)
    if limit is not None:  # every member takes short text (an address): look none up for it
        item = f"s{names.fresh()}"
        lines = [
            f"for {item} in {value}.values():",
            f"{_INDENT}if type({item}) is not str or len({item}) > {limit}:",
            *_indented([*lines, "break"], 2),
        ]
    required = [names.constant(name) for name in shape.required]
    if required:
        missing = " or ".join(f"{name} not in {value}" for name in required)
        if shape.edits_by_id:  # an object with an `id` edits an existing one
            missing = f"'id' not in {value} and ({missing})"
        lines += _fail_if(missing)
    new = f"'id' not in {value}" if shape.edits_by_id else "True"
    lines += [f"{names.constant(rule)}({value}, None, out, new={new})" for rule in shape.rules]
    return lines


def _short_text(shape: Shape, *, closed: bool) -> int | None:
    """How short a `str` every member of an open shape passes; None unless every one does."""
    if closed or shape.read_only or not shape.fields:
        return None
    limits = []
    for field in shape.fields.values():
        if field.type != "string" or field.format is not None or field.enum:
            return None
        limits.append(field.max_length or 2**30)
    return min(limits)


def _members(names: _Names, shape: Shape, value: str, *, closed: bool) -> Lines:
    """Loop over a dict's members: each found by name and checked by its field."""
    number = names.fresh()
    key, item, branch = f"k{number}", f"x{number}", f"b{number}"
    branches: list[Lines] = []
    branch_of: dict[str, int] = {}
    for name, field in shape.fields.items():
        lines = _field(names, field, item)
        if lines not in branches:  # members checked alike share one branch
            branches.append(lines)
        branch_of[name] = branches.index(lines)
    if shape.read_only:  # members OK Capsule fills in: the walk says so
        branches.append([_FAIL])
        branch_of |= dict.fromkeys(shape.read_only, len(branches) - 1)
    return [
        f"for {key}, {item} in {value}.items():",
        f"{_INDENT}try:",
        f"{_INDENT * 2}{branch} = {names.constant(branch_of)}[{key}]",
        f"{_INDENT}except KeyError:",
        f"{_INDENT * 2}{_FAIL if closed else 'continue'}",
        *_indented(_tree(branches, branch, 0, len(branches))),
    ]


def _tree(branches: list[Lines], branch: str, low: int, high: int) -> Lines:
    """A balanced tree of tests on the integer `branch` that runs that branch's lines."""
    if high - low == 1:
        return branches[low]
    middle = (low + high) // 2
    return [
        f"if {branch} < {middle}:",
        *_indented(_tree(branches, branch, low, middle)),
        "else:",
        *_indented(_tree(branches, branch, middle, high)),
    ]


def _field(names: _Names, field: Field, value: str) -> Lines:
    """Check one value against its field, null included: `return False` unless it passes."""
    lines = _VALUES[field.type](names, field, value)
    if field.nullable:
        return [f"if {value} is not None:", *_indented(lines)]
    return lines


def _string(names: _Names, field: Field, value: str) -> Lines:
    tests = [f"type({value}) is not str"]
    if field.enum:
        tests.append(f"{value} not in {names.constant(frozenset(field.enum))}")
    if field.max_length is not None:
        tests.append(f"len({value}) > {field.max_length}")
    if field.format is not None:  # last: the costliest test, on a string short enough
        tests.append(f"{names.constant(names.formats[field.format])}({value}) is None")
    return _fail_if(" or ".join(tests))


def _integer(names: _Names, field: Field, value: str) -> Lines:
    tests = [f"type({value}) is not int"]  # JSON true is not the number 1
    if field.minimum is not None:
        tests.append(f"{value} < {field.minimum}")
    if field.maximum is not None:
        tests.append(f"{value} > {field.maximum}")
    if field.enum:
        tests.append(f"{value} not in {names.constant(frozenset(field.enum))}")
    return _fail_if(" or ".join(tests))


def _boolean(_names: _Names, _field: Field, value: str) -> Lines:
    return _fail_if(f"type({value}) is not bool")


def _string_or_number(_names: _Names, _field: Field, value: str) -> Lines:
    finite = f"(type({value}) is float and isfinite({value}))"
    return _fail_if(f"type({value}) is not str and type({value}) is not int and not {finite}")


def _nested_object(names: _Names, field: Field, value: str) -> Lines:
    if field.shape is None:
        return [_FAIL]
    return [
        *_fail_if(f"type({value}) is not dict"),
        *_object(names, field.shape, value, closed=False),
    ]


def _array(names: _Names, field: Field, value: str) -> Lines:
    if field.items is None:
        return [_FAIL]
    empty = f" or not {value}" if field.min_items > 0 else ""
    item = f"e{names.fresh()}"
    return [
        *_fail_if(f"type({value}) is not list{empty}"),
        f"for {item} in {value}:",
        *_indented(_field(names, field.items, item)),
        *(f"{names.constant(rule)}({value}, None, out)" for rule in field.array_rules),
    ]


_VALUES: dict[str, Callable[[_Names, Field, str], Lines]] = {
    "string": _string,
    "integer": _integer,
    "boolean": _boolean,
    "string_or_number": _string_or_number,
    "object": _nested_object,
    "array": _array,
}
"""How each `Field.type` is checked when not null."""
