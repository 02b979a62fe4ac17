"""The create check generated from the spec agrees with the spec's walk on every request."""

from __future__ import annotations

from copy import deepcopy
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from lifecycle import _validation
from lifecycle._errors import UpdateRejected, Violation
from lifecycle._strategies import broken_field_values, random_field_names
from lifecycle._validation import CREATE_SPEC, READ_ONLY_FIELDS, Field, Shape
from lifecycle._validation_fast import compile_check
from lifecycle._validation_spec import BOOLEAN, FULL_MATCHES, array, choice, integer, obj, text
from lifecycle.testing import create_payloads, emails, phone_numbers, uuids

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping


def spec_names(fields: Mapping[str, Field]) -> Iterator[str]:
    """Every member name the spec knows, nested ones and refused ones included."""
    for name, field in fields.items():
        yield name
        for shape in (field.shape, field.items.shape if field.items else None):
            if shape is not None:
                yield from shape.read_only
                yield from spec_names(shape.fields)


PRODUCT = "d290f1ee-6c54-4b01-90e6-d701748f0851"

MINIMAL: dict[str, Any] = {
    "consumer": {"first_name": "Ada", "last_name": "Lovelace"},
    "shipping_address": {"address1": "1 Main St", "city": "Austin", "country_name": "US"},
    "order_lines": [{"pouches": [{"contents": [{"client_product_id": PRODUCT}]}]}],
}
"""The smallest valid create request."""

MEMBER_NAMES = sorted({*spec_names(CREATE_SPEC), *READ_ONLY_FIELDS, "status", "id"})

JSON_VALUES: st.SearchStrategy[object] = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from((-1, 0, 1, 7, 10, 60, 61)),
    st.integers(),
    st.floats(),
    st.text(max_size=8),
    st.text(min_size=14, max_size=40),
    st.text(alphabet="x", min_size=1001, max_size=1001),
    uuids(),
    uuids().map(str.upper),
    emails(),
    phone_numbers(),
    st.sampled_from(("Morning", "Midday", "Night", "DTC", "Bulk", "Pending", "On Hold", "Open")),
    st.lists(st.integers() | st.text(max_size=3) | st.floats(), max_size=2),
    st.just({}),
    st.just([]),
    st.just([{}]),
)
"""Values a member may be given: right and wrong types, sizes, shapes and options."""


def containers(value: object) -> Iterator[dict[Any, Any] | list[Any]]:
    """Every object and array inside a request, the request itself first."""
    if isinstance(value, dict):
        yield value
        for member in value.values():
            yield from containers(member)
    elif isinstance(value, list):
        yield value
        for item in value:
            yield from containers(item)


def mutate(draw: st.DrawFn, target: dict[Any, Any] | list[Any]) -> None:
    """Set, remove or add one member of an object, or an item of an array, or repeat one."""
    operation = draw(st.sampled_from(("set", "remove", "repeat")))
    if isinstance(target, dict):
        if operation == "remove" and target:
            del target[draw(st.sampled_from(sorted(target)))]
        else:
            name = draw(st.sampled_from(MEMBER_NAMES) | random_field_names())
            target[name] = draw(JSON_VALUES)
    elif operation == "remove":
        target.clear()
    elif operation == "repeat" and target:  # up to past the cap on supplements
        target.extend(deepcopy(target[0]) for _ in range(draw(st.integers(1, 8))))
    elif target:
        target[draw(st.integers(0, len(target) - 1))] = draw(JSON_VALUES)
    else:
        target.append(draw(JSON_VALUES))


@st.composite
def mutated_create_payloads(draw: st.DrawFn) -> dict[str, Any]:
    """A valid create request with a few changes anywhere inside it."""
    payload: dict[str, Any] = deepcopy(draw(create_payloads()))
    for _ in range(draw(st.integers(1, 3))):
        mutate(draw, draw(st.sampled_from(list(containers(payload)))))
    return payload


@st.composite
def broken_create_payloads(draw: st.DrawFn) -> dict[str, Any]:
    """A valid create request with one field given a value of the wrong type or shape."""
    broken = broken_field_values()
    field = draw(st.sampled_from(sorted(broken)))
    return draw(create_payloads()) | {field: draw(broken[field])}


def walked(payload: object) -> list[Violation]:
    """The violations the spec's walk finds in a create request."""
    try:
        _validation._walked_create(payload)
    except UpdateRejected as rejected:
        return list(rejected.violations)
    return []


def passes(payload: dict[str, Any]) -> bool:
    """Whether the check generated from the spec passes a create request."""
    return _validation._create_passes(payload)


class TestCreateCheck:
    """The generated check passes a request exactly when the walk finds nothing wrong."""

    @given(create_payloads())
    def test_valid_requests_pass(self, payload: dict[str, Any]) -> None:
        """Every valid create request passes the generated check, so it is never walked."""
        assert walked(payload) == []
        assert passes(payload)

    @given(broken_create_payloads())
    def test_broken_fields_fail(self, payload: dict[str, Any]) -> None:
        """A request with a mistyped field fails the generated check, as the walk reports it."""
        assert walked(payload) != []
        assert not passes(payload)

    @given(mutated_create_payloads())
    def test_agrees_with_the_walk(self, payload: dict[str, Any]) -> None:
        """Whatever is set, removed or added inside a request, the check and the walk agree."""
        assert passes(payload) is (walked(payload) == [])

    @pytest.mark.parametrize(
        ("part", "change", "valid"),
        [
            ("consumer", {"last_name": None}, False),
            ("consumer", {"first_name": None, "last_name": None}, False),
            ("consumer", {"id": PRODUCT, "last_name": None}, False),
            ("consumer", {"id": PRODUCT, "first_name": None, "last_name": None}, True),
            ("pouch", {"pack_id": PRODUCT}, False),
            ("pouch", {"contents": None}, False),
            ("pouch", {"contents": None, "pack_id": PRODUCT}, True),
            ("pouch", {"contents": [{"client_product_id": PRODUCT}] * 8}, True),
            ("pouch", {"contents": [{"client_product_id": PRODUCT}] * 9}, False),
            ("content", {"client_product_id": None}, False),
            ("content", {"serving_size": 0}, False),
            ("content", {"serving_size": 1}, True),
            ("line", {"duration": 61}, False),
            ("line", {"duration": 60}, True),
            ("line", {"pouches": None}, False),
            ("address", {"city": None}, False),
        ],
    )
    def test_agrees_on_each_rule(self, part: str, change: dict[str, Any], *, valid: bool) -> None:
        """For each cross-field rule and limit, broken or kept, the check and the walk agree.

        A None in `change` removes the member.
        """
        payload = deepcopy(MINIMAL)
        line = payload["order_lines"][0]
        target = {
            "consumer": payload["consumer"],
            "address": payload["shipping_address"],
            "line": line,
            "pouch": line["pouches"][0],
            "content": line["pouches"][0]["contents"][0],
        }[part]
        for name, value in change.items():
            if value is None:
                target.pop(name, None)
            else:
                target[name] = value
        assert passes(payload) is (walked(payload) == [])
        assert passes(payload) is valid

    def test_odd_but_valid_values_are_walked(self) -> None:
        """A `str` subclass fails the quick test, and the walk still accepts the request."""

        class Name(str):
            __slots__ = ()

        payload = deepcopy(MINIMAL)
        payload["consumer"]["first_name"] = Name("Ada")
        assert not passes(payload)
        assert _validation.validate_create(payload).consumer["first_name"] == "Ada"


ANY_SHAPE = Shape(
    {
        "any_text": text(nullable=True),
        "code": text(4, format="uuid"),
        "kind": choice("a", "b", nullable=True),
        "count": integer(options=(0, 7), nullable=True),
        "flag": BOOLEAN,
        "ids": array(Field("string_or_number"), min_items=0, nullable=True),
        "inner": obj(
            Shape(
                {"name": text(3)},
                required={"name": "is required"},
                edits_by_id=True,
            )
        ),
    },
    read_only=frozenset({"secret"}),
)
"""A shape with a field of each kind, nullable ones, options, an object that edits by id."""

INNER_OBJECTS = st.fixed_dictionaries({}, optional={"name": JSON_VALUES, "id": uuids()})


class TestGenerator:
    """The generator reads every kind of field the spec can state, not only today's spec's."""

    @given(
        st.fixed_dictionaries(
            {},
            optional={
                **dict.fromkeys([*ANY_SHAPE.fields, "secret", "other"], JSON_VALUES),
                "inner": st.booleans().flatmap(
                    lambda inner: INNER_OBJECTS if inner else JSON_VALUES
                ),
            },
        )
    )
    @example({"inner": {"id": PRODUCT}})
    @example({"inner": {}})
    @example({"kind": None, "count": 7, "ids": None, "other": [], "inner": {"name": "abc"}})
    def test_agrees_with_the_walk_on_any_shape(self, value: dict[str, Any]) -> None:
        """On a shape using nullable choices, number options and open members, both agree."""
        check = compile_check(ANY_SHAPE, FULL_MATCHES)
        members = _validation._Members(ANY_SHAPE)
        out: list[Violation] = []
        _validation._walk(value, members, None, out)
        assert check(value) is (out == [])
