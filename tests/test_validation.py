"""Tests for client request validation: fields, statuses, shapes, and the all-at-once report."""

from __future__ import annotations

import math
from copy import deepcopy
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lifecycle import _validation
from lifecycle._errors import UpdateRejected, Violation, ViolationCode
from lifecycle._status import OrderStatus
from lifecycle._strategies import (
    broken_field_values,
    client_status_targets,
    disallowed_status_values,
    random_field_names,
    valid_field_values,
)
from lifecycle._table import DEST, Event
from lifecycle._validation import (
    CREATE_FIELDS,
    NOTE_MAX_LENGTH,
    READ_ONLY_FIELDS,
    UPDATABLE_FIELDS,
    ValidatedCreate,
    ValidatedUpdate,
    validate_consumer,
    validate_create,
    validate_update,
)
from lifecycle.testing import (
    create_payloads,
    invalid_update_payloads,
    order_statuses,
    valid_update_payloads,
)

S = OrderStatus
Code = ViolationCode
Payload = dict[str, Any]

# The rule list, written out independently of the module so the oracle cannot share its bugs.
CLIENT_FIELDS = frozenset(
    {"shipping_address", "consumer", "order_lines", "email", "phone_number", "note"}
)
CLIENT_TARGETS = ("Pending", "On Hold", "Canceled by Client")
EDITABLE_NAMES = ("Pending", "On Hold")
SPEC_READ_ONLY = (
    "total",
    "discount_total",
    "fulfillment_fee_total",
    "shipping_fee_total",
    "state",
    "submission_date",
    "source",
    "crm_id",
    "id",
    "client_id",
    "name",
    "created_at",
    "updated_at",
)
AFTER_ACCEPTED = (
    S.IN_PRODUCTION,
    S.SHIPPED,
    S.DELIVERED,
    S.CANCELED_BY_CLIENT,
    S.CANCELED_BY_OKC,
    S.REPLACED,
    S.VOIDED,
    S.RETURNED,
    S.ERROR,
)
PRODUCT = "d290f1ee-6c54-4b01-90e6-d701748f0851"
OTHER_PRODUCT = "e2f3a4b5-c6d7-8901-2345-678901bcdef0"
LINE_ID = "f1e2d3c4-b5a6-7890-1234-567890abcdef"


def address(**overrides: object) -> Payload:
    """A complete, well-formed shipping address, with some fields replaced."""
    base: Payload = {
        "addressee": "John Doe",
        "address1": "742 Evergreen Terrace",
        "address2": "Apt 2B",
        "city": "Springfield",
        "province_name": "Illinois",
        "country_name": "United States",
        "postal_code": "62701",
    }
    return base | overrides


def line(**overrides: object) -> Payload:
    """A new order line with one Morning pouch of one supplement, with some fields replaced."""
    base: Payload = {
        "duration": 30,
        "pouches": [
            {
                "time_of_administration": "Morning",
                "contents": [{"client_product_id": PRODUCT, "serving_size": 2}],
            }
        ],
    }
    return base | overrides


def create_body(**overrides: object) -> Payload:
    """The provider's required-only create example, with some fields replaced."""
    base: Payload = {
        "consumer": {"first_name": "John", "last_name": "Doe"},
        "shipping_address": {
            "address1": "742 Evergreen Terrace",
            "city": "Springfield",
            "country_name": "United States",
        },
        "order_lines": [{"pouches": [{"contents": [{"client_product_id": PRODUCT}]}]}],
    }
    return base | overrides


def rejected(status: OrderStatus | str, payload: object) -> tuple[Violation, ...]:
    """Run an update expected to fail and return its violations."""
    with pytest.raises(UpdateRejected) as caught:
        validate_update(status, payload)
    return caught.value.violations


def rejected_create(payload: object) -> tuple[Violation, ...]:
    """Run a create expected to fail and return its violations."""
    with pytest.raises(UpdateRejected) as caught:
        validate_create(payload)
    return caught.value.violations


def only(violations: tuple[Violation, ...]) -> Violation:
    """Return the single violation, failing if there is not exactly one."""
    assert len(violations) == 1, violations
    return violations[0]


# --- strategies: the public ones live in lifecycle.testing -------------------------------------


def labelled_entries() -> st.SearchStrategy[tuple[str, object, bool]]:
    """`(field, value, well_typed)` mixing every kind of field with good and bad values.

    `well_typed` says whether the value has the right shape for the field, as built; it says
    nothing about whether the field may be sent at all, which is the oracle's business.
    """
    good = valid_field_values()
    bad = broken_field_values()
    fields = sorted(good)
    # Half the entries are well-formed client fields, so whole payloads pass often enough.
    allowed = st.sampled_from(fields).flatmap(
        lambda k: st.tuples(st.just(k), good[k], st.just(True))
    ) | st.tuples(st.just("status"), client_status_targets(), st.just(True))
    risky = (
        st.sampled_from(fields).flatmap(lambda k: st.tuples(st.just(k), bad[k], st.just(False)))
        | st.tuples(st.just("status"), disallowed_status_values(), st.just(True))
        | st.tuples(st.sampled_from(SPEC_READ_ONLY), st.text(max_size=5), st.just(True))
        | st.tuples(random_field_names(), st.none() | st.text(max_size=5), st.just(True))
    )
    # `|` would flatten both into one uniform choice among six; pick a half first instead.
    return st.booleans().flatmap(lambda well_formed: allowed if well_formed else risky)


def oracle_accepts(status: OrderStatus, entries: list[tuple[str, object, bool]]) -> bool:
    """Decide from the rule list alone whether an update request is allowed."""
    if not entries:
        return True
    if status.value not in EDITABLE_NAMES:
        return False
    for field, value, well_typed in entries:
        if field == "status":
            if not (isinstance(value, str) and value in CLIENT_TARGETS):
                return False
        elif field not in CLIENT_FIELDS or not well_typed:
            return False
    return True


# --- tests --------------------------------------------------------------------------------------


class TestFieldSets:
    """The published field sets."""

    def test_updatable_fields_are_the_documented_seven(self) -> None:
        """Exactly the documented fields plus `status` are client-updatable."""
        assert CLIENT_FIELDS | {"status"} == UPDATABLE_FIELDS

    def test_read_only_fields_include_the_documented_ones(self) -> None:
        """Every field the provider marks read-only is in the read-only set."""
        assert set(SPEC_READ_ONLY) <= READ_ONLY_FIELDS

    def test_sets_are_disjoint(self) -> None:
        """No field is both updatable and read-only."""
        assert not UPDATABLE_FIELDS & READ_ONLY_FIELDS


SAMPLE_VALUES: dict[str, object] = {
    "shipping_address": address(),
    "consumer": {"id": PRODUCT, "first_name": "Jane", "phone_number": None},
    "order_lines": [line()],
    "email": "jane@example.com",
    "phone_number": "+12133734253",
    "note": "Please include gift message",
}


class TestEditableOrders:
    """Updates to Pending and On Hold orders."""

    @pytest.mark.parametrize("status", [S.PENDING, S.ON_HOLD])
    @pytest.mark.parametrize("field", sorted(SAMPLE_VALUES))
    def test_each_updatable_field_is_accepted(self, status: OrderStatus, field: str) -> None:
        """A well-formed value for any client field passes and is returned as a change."""
        result = validate_update(status, {field: SAMPLE_VALUES[field]})
        assert result == ValidatedUpdate({field: SAMPLE_VALUES[field]})

    def test_all_fields_together_are_accepted(self) -> None:
        """A request changing every client field at once passes."""
        result = validate_update(S.ON_HOLD, SAMPLE_VALUES)
        assert dict(result.changes) == SAMPLE_VALUES

    def test_status_may_be_given_as_its_string(self) -> None:
        """The current status is accepted as its exact API string."""
        assert validate_update("On Hold", {"note": None}).changes == {"note": None}

    def test_unknown_current_status_is_a_caller_error(self) -> None:
        """A current status the library does not know raises ValueError, not a rejection."""
        with pytest.raises(ValueError, match="Paused"):
            validate_update("Paused", {})

    @pytest.mark.parametrize("field", ["email", "phone_number", "note"])
    def test_nullable_fields_accept_null(self, field: str) -> None:
        """Email, phone number and note may be cleared with null."""
        assert validate_update(S.PENDING, {field: None}).changes == {field: None}

    def test_changes_cannot_be_modified(self) -> None:
        """The returned changes are a read-only view."""
        result = validate_update(S.PENDING, {"note": "x"})
        with pytest.raises(TypeError):
            result.changes["note"] = "y"  # type: ignore[index]

    def test_changes_do_not_follow_later_edits_of_the_payload(self) -> None:
        """Adding a key to the payload after validation does not change the result."""
        payload: Payload = {"note": "x"}
        result = validate_update(S.PENDING, payload)
        payload["email"] = "a@b.co"
        assert dict(result.changes) == {"note": "x"}

    def test_changes_leave_out_status(self) -> None:
        """`status` is reported separately, not among the changes."""
        result = validate_update(S.PENDING, {"note": "x", "status": "On Hold"})
        assert dict(result.changes) == {"note": "x"}
        assert result.status is S.ON_HOLD

    @pytest.mark.parametrize("status", list(OrderStatus))
    def test_empty_update_is_a_no_op_in_every_status(self, status: OrderStatus) -> None:
        """An empty object changes nothing and is accepted whatever the order's status."""
        assert validate_update(status, {}) == ValidatedUpdate({})


class TestReadOnlyFields:
    """Fields OK Capsule owns."""

    @pytest.mark.parametrize("field", sorted(READ_ONLY_FIELDS))
    def test_read_only_field_is_rejected_by_name(self, field: str) -> None:
        """Sending a read-only field gives one READ_ONLY violation naming it."""
        violation = only(rejected(S.PENDING, {field: "anything"}))
        assert violation.field == field
        assert violation.code is Code.READ_ONLY
        assert f"'{field}'" in violation.message

    def test_source_is_read_only_after_creation(self) -> None:
        """The message for `source` says it can be set only at creation."""
        assert "created" in only(rejected(S.PENDING, {"source": "Shopify"})).message


class TestOtherFields:
    """Fields that are neither updatable nor read-only."""

    def test_unknown_field_is_not_updatable(self) -> None:
        """An unknown field is NOT_UPDATABLE and the message lists the updatable fields."""
        violation = only(rejected(S.PENDING, {"foo": 1}))
        assert violation.field == "foo"
        assert violation.code is Code.NOT_UPDATABLE
        assert violation.message.startswith(
            "'foo' is not a field a client can update; updatable fields are: "
        )
        assert all(f"'{name}'" in violation.message for name in UPDATABLE_FIELDS)

    @pytest.mark.parametrize("field", ["client_custom_order_id", "comments", "order_type"])
    def test_create_only_field_says_so(self, field: str) -> None:
        """A field only a create request may carry is NOT_UPDATABLE and says why."""
        violation = only(rejected(S.PENDING, {field: "x"}))
        assert violation.code is Code.NOT_UPDATABLE
        assert "only when the order is created" in violation.message

    def test_non_string_key_is_not_updatable(self) -> None:
        """A key that is not a string is reported under its text form."""
        assert only(rejected(S.PENDING, {1: "x"})).field == "1"


class TestStatusGate:
    """Updates to orders whose status forbids them."""

    def test_accepted_edit_needs_support(self) -> None:
        """Editing an Accepted order is CONTACT_SUPPORT on the order, telling whom to ask."""
        violation = only(rejected(S.ACCEPTED, {"note": "x"}))
        assert violation == Violation(
            "order",
            Code.CONTACT_SUPPORT,
            "The order is 'Accepted': to change it now, contact OK Capsule support.",
        )

    def test_accepted_cancel_needs_support(self) -> None:
        """Canceling an Accepted order is CONTACT_SUPPORT and the message speaks of canceling."""
        violation = only(rejected(S.ACCEPTED, {"status": "Canceled by Client"}))
        assert violation.code is Code.CONTACT_SUPPORT
        assert "to cancel it" in violation.message

    @pytest.mark.parametrize("status", AFTER_ACCEPTED)
    @pytest.mark.parametrize("payload", [{"note": "x"}, {"status": "Canceled by Client"}])
    def test_later_statuses_are_not_editable(self, status: OrderStatus, payload: Payload) -> None:
        """Past Accepted, an edit or a cancel is NOT_EDITABLE naming the status."""
        violation = only(rejected(status, payload))
        assert violation.field == "order"
        assert violation.code is Code.NOT_EDITABLE
        assert violation.message == (
            f"The order is '{status.value}': it can no longer be changed or canceled."
        )

    def test_gate_is_reported_with_field_problems(self) -> None:
        """A refused order still reports every field problem, after the order-level one."""
        violations = rejected(S.SHIPPED, {"total": 1, "note": 5})
        assert [(v.field, v.code) for v in violations] == [
            ("order", Code.NOT_EDITABLE),
            ("total", Code.READ_ONLY),
            ("note", Code.MALFORMED),
        ]


class TestStatusTargets:
    """The `status` a client asks for."""

    @pytest.mark.parametrize("current", [S.PENDING, S.ON_HOLD])
    @pytest.mark.parametrize("target", CLIENT_TARGETS)
    def test_client_targets_are_allowed(self, current: OrderStatus, target: str) -> None:
        """Pending, On Hold and Canceled by Client may be asked for."""
        assert validate_update(current, {"status": target}).status == target

    def test_target_may_be_an_order_status(self) -> None:
        """A caller may pass the enum member rather than its string."""
        assert validate_update(S.PENDING, {"status": S.ON_HOLD}).event is Event.HOLD

    @pytest.mark.parametrize(
        "target", [s for s in OrderStatus if s.value not in CLIENT_TARGETS], ids=str
    )
    def test_other_statuses_are_not_allowed(self, target: OrderStatus) -> None:
        """Any other status is STATUS_NOT_ALLOWED naming it and listing the allowed ones."""
        violation = only(rejected(S.PENDING, {"status": target.value}))
        assert violation.field == "status"
        assert violation.code is Code.STATUS_NOT_ALLOWED
        assert f"'{target.value}'" in violation.message
        assert "allowed: 'Pending', 'On Hold', 'Canceled by Client'" in violation.message

    @pytest.mark.parametrize("value", [None, 1, True, ["Pending"], {"v": 1}, "pending", "Paused"])
    def test_non_statuses_are_malformed(self, value: object) -> None:
        """A value that is not a known status string is MALFORMED."""
        violation = only(rejected(S.PENDING, {"status": value}))
        assert (violation.field, violation.code) == ("status", Code.MALFORMED)


class TestEvents:
    """The lifecycle event a requested status means."""

    @pytest.mark.parametrize(
        ("current", "target", "event"),
        [
            (S.PENDING, S.PENDING, None),
            (S.PENDING, S.ON_HOLD, Event.HOLD),
            (S.PENDING, S.CANCELED_BY_CLIENT, Event.CANCEL),
            (S.ON_HOLD, S.PENDING, Event.RELEASE),
            (S.ON_HOLD, S.ON_HOLD, None),
            (S.ON_HOLD, S.CANCELED_BY_CLIENT, Event.CANCEL),
        ],
    )
    def test_event_for_each_move(
        self, current: OrderStatus, target: OrderStatus, event: Event | None
    ) -> None:
        """Each (current, requested) pair maps to its event, and staying put to none."""
        result = validate_update(current, {"status": target.value})
        assert (result.status, result.event) == (target, event)
        assert result.is_cancel is (event is Event.CANCEL)

    @pytest.mark.parametrize("current", [S.PENDING, S.ON_HOLD])
    @pytest.mark.parametrize("target", CLIENT_TARGETS)
    def test_event_leads_to_the_requested_status(self, current: OrderStatus, target: str) -> None:
        """Firing the returned event from the current status reaches the requested one."""
        event = validate_update(current, {"status": target}).event
        reached = current if event is None else DEST[current, event]
        assert reached == target

    def test_no_status_means_no_event(self) -> None:
        """A request without `status` asks for no move."""
        result = validate_update(S.PENDING, {"note": "x"})
        assert (result.status, result.event, result.is_cancel) == (None, None, False)


def _paths(payload: object, status: OrderStatus = S.PENDING) -> list[tuple[str, ViolationCode]]:
    return [(v.field, v.code) for v in rejected(status, payload)]


class TestMalformedValues:
    """Values of the wrong type or shape, reported at their path."""

    @pytest.mark.parametrize("body", [[], "x", None, 5, 1.5, True, [{"note": "x"}]])
    def test_body_that_is_not_an_object(self, body: object) -> None:
        """A body that is not a JSON object is one MALFORMED violation on the body itself."""
        violation = only(rejected(S.SHIPPED, body))
        assert (violation.field, violation.code) == ("", Code.MALFORMED)

    @pytest.mark.parametrize(
        ("value", "path", "code"),
        [
            ("742 Evergreen Terrace", "shipping_address", Code.MALFORMED),
            (address(postal_code=62701), "shipping_address.postal_code", Code.MALFORMED),
            (address(address1=None), "shipping_address.address1", Code.MALFORMED),
            (address(city="x" * 51), "shipping_address.city", Code.MALFORMED),
            (address(addressee=["John"]), "shipping_address.addressee", Code.MALFORMED),
            (address(country_code=True), "shipping_address.country_code", Code.MALFORMED),
            (
                {"address1": "1 Main St", "city": "X"},
                "shipping_address.country_name",
                Code.REQUIRED,
            ),
        ],
    )
    def test_shipping_address(self, value: object, path: str, code: ViolationCode) -> None:
        """A mistyped, missing or overlong address part is reported at its path."""
        assert _paths({"shipping_address": value}) == [(path, code)]

    def test_address_nullable_parts_accept_null(self) -> None:
        """The provider lets a shipping address omit or null its province and postal code."""
        value = address(province_name=None, postal_code=None, address2=None, addressee=None)
        assert validate_update(S.PENDING, {"shipping_address": value}).changes

    def test_address_unknown_keys_pass(self) -> None:
        """Keys the schema does not name pass, since it does not forbid extra properties."""
        value = address(phone_number="+12133734253")
        assert validate_update(S.PENDING, {"shipping_address": value}).changes

    @pytest.mark.parametrize(
        ("value", "path"),
        [
            ([{"first_name": "J"}], "consumer"),
            ({"id": "abc"}, "consumer.id"),
            ({"id": 7}, "consumer.id"),
            ({"id": PRODUCT, "email": "nobody"}, "consumer.email"),
            ({"id": PRODUCT, "first_name": "J" * 101}, "consumer.first_name"),
            ({"id": PRODUCT, "last_name": False}, "consumer.last_name"),
            ({"id": PRODUCT, "phone_number": "+123456789012345"}, "consumer.phone_number"),
            ({"id": PRODUCT, "phone_number": 2133734253}, "consumer.phone_number"),
            ({"id": PRODUCT, "client_custom_consumer_id": 7}, "consumer.client_custom_consumer_id"),
        ],
    )
    def test_consumer(self, value: object, path: str) -> None:
        """A mistyped consumer part is MALFORMED at its path."""
        assert _paths({"consumer": value}) == [(path, Code.MALFORMED)]

    @pytest.mark.parametrize(
        ("value", "path", "code"),
        [
            ([], "order_lines", Code.MALFORMED),
            ({"pouches": []}, "order_lines", Code.MALFORMED),
            ([[line()]], "order_lines[0]", Code.MALFORMED),
            ([line(), "line"], "order_lines[1]", Code.MALFORMED),
            ([{"duration": 30}], "order_lines[0].pouches", Code.REQUIRED),
            ([line(pouches=[])], "order_lines[0].pouches", Code.MALFORMED),
            ([line(pouches={})], "order_lines[0].pouches", Code.MALFORMED),
            ([line(duration=61)], "order_lines[0].duration", Code.MALFORMED),
            ([line(duration=True)], "order_lines[0].duration", Code.MALFORMED),
            ([line(duration=30.0)], "order_lines[0].duration", Code.MALFORMED),
            ([line(is_expedited=1)], "order_lines[0].is_expedited", Code.MALFORMED),
            ([line(physician_name="D" * 31)], "order_lines[0].physician_name", Code.MALFORMED),
            ([line(crm_id="X")], "order_lines[0].crm_id", Code.READ_ONLY),
            ([line(status="Pending")], "order_lines[0].status", Code.READ_ONLY),
            (
                [line(source_line_item_ids=["a", 1, math.nan])],
                "order_lines[0].source_line_item_ids[2]",
                Code.MALFORMED,
            ),
            (
                [line(source_line_item_ids=[True])],
                "order_lines[0].source_line_item_ids[0]",
                Code.MALFORMED,
            ),
        ],
    )
    def test_order_lines(self, value: object, path: str, code: ViolationCode) -> None:
        """A malformed order line is reported at its path."""
        assert _paths({"order_lines": value}) == [(path, code)]

    @pytest.mark.parametrize(
        ("pouch", "path", "code"),
        [
            ([], "", Code.MALFORMED),
            (
                {"time_of_administration": "Night", "pack_id": PRODUCT},
                ".time_of_administration",
                Code.MALFORMED,
            ),
            ({"pack_id": "pack"}, ".pack_id", Code.MALFORMED),
            ({"pack_id": PRODUCT, "custom_label": "<b>"}, ".custom_label", Code.MALFORMED),
            ({"pack_id": PRODUCT, "custom_label": "L" * 31}, ".custom_label", Code.MALFORMED),
            ({"pack_id": PRODUCT, "cycle_length": 5}, ".cycle_length", Code.MALFORMED),
            ({"pack_id": PRODUCT, "crm_id": "X"}, ".crm_id", Code.READ_ONLY),
            ({"time_of_administration": "Morning"}, ".contents", Code.REQUIRED),
            (
                {"pack_id": PRODUCT, "contents": [{"client_product_id": PRODUCT}]},
                "",
                Code.MALFORMED,
            ),
            ({"contents": [{"serving_size": 1}]}, ".contents[0].client_product_id", Code.REQUIRED),
            ({"contents": [[PRODUCT]]}, ".contents[0]", Code.MALFORMED),
            ({"contents": []}, ".contents", Code.MALFORMED),
        ],
    )
    def test_pouches(self, pouch: object, path: str, code: ViolationCode) -> None:
        """A malformed pouch (the second of a line) is reported at its path."""
        value = [line(pouches=[{"pack_id": PRODUCT}, pouch])]
        assert _paths({"order_lines": value}) == [(f"order_lines[0].pouches[1]{path}", code)]

    @pytest.mark.parametrize(
        ("content", "bad_key"),
        [
            ({"client_product_id": "d290f1ee"}, "client_product_id"),
            ({"client_product_id": 5}, "client_product_id"),
            ({"client_product_id": PRODUCT, "serving_size": 0}, "serving_size"),
            ({"client_product_id": PRODUCT, "serving_size": True}, "serving_size"),
            ({"client_product_id": PRODUCT, "serving_size": 1.5}, "serving_size"),
            ({"client_product_id": PRODUCT, "serving_size": math.nan}, "serving_size"),
            ({"client_product_id": PRODUCT, "serving_size": math.inf}, "serving_size"),
            ({"client_product_id": PRODUCT, "serving_size": "2"}, "serving_size"),
            ({"client_product_id": PRODUCT, "is_deleted": "yes"}, "is_deleted"),
        ],
    )
    def test_contents(self, content: Payload, bad_key: str) -> None:
        """A malformed content item is MALFORMED at the exact field's path."""
        value = [line(pouches=[{"pack_id": PRODUCT}, {"contents": [content]}])]
        path = f"order_lines[0].pouches[1].contents[0].{bad_key}"
        assert _paths({"order_lines": value}) == [(path, Code.MALFORMED)]

    def test_nan_message_shows_the_value(self) -> None:
        """The message for a non-finite number shows it, so the client sees what was sent."""
        value = [line(duration=math.nan)]
        assert "nan" in only(rejected(S.PENDING, {"order_lines": value})).message

    @pytest.mark.parametrize(
        "pouches",
        [
            [
                {
                    "time_of_administration": "Morning",
                    "contents": [{"client_product_id": PRODUCT}] * 9,
                }
            ],
            [
                {
                    "time_of_administration": "Evening",
                    "contents": [{"client_product_id": PRODUCT}] * 5,
                },
                {
                    "time_of_administration": "Evening",
                    "contents": [{"client_product_id": PRODUCT}] * 4,
                },
            ],
            [{"contents": [{"client_product_id": PRODUCT}] * 9}],
        ],
    )
    def test_more_than_eight_supplements_per_time(self, pouches: list[Payload]) -> None:
        """Nine supplements for one time of administration in a line are too many."""
        violation = only(rejected(S.PENDING, {"order_lines": [line(pouches=pouches)]}))
        assert (violation.field, violation.code) == ("order_lines[0].pouches", Code.MALFORMED)
        assert "at most 8" in violation.message

    def test_eight_supplements_per_time_are_fine(self) -> None:
        """Eight per time, across times and lines, and deleted items do not count."""
        eight = [{"client_product_id": PRODUCT}] * 8
        deleted = {"id": LINE_ID, "client_product_id": PRODUCT, "is_deleted": True}
        pouches = [
            {"time_of_administration": "Morning", "contents": eight},
            {"time_of_administration": "Evening", "contents": [*eight, deleted]},
            {"time_of_administration": "Evening", "contents": eight, "is_deleted": True},
        ]
        lines = [line(pouches=pouches), line(pouches=pouches)]
        assert validate_update(S.PENDING, {"order_lines": lines}).changes

    def test_update_may_edit_existing_items_partially(self) -> None:
        """Items with an `id` edit existing ones, so their required parts may be left out."""
        value = [
            {"id": LINE_ID, "duration": 60},
            {"id": LINE_ID, "is_deleted": True},
            {
                "id": LINE_ID,
                "pouches": [{"id": LINE_ID, "contents": [{"id": LINE_ID, "serving_size": 3}]}],
            },
        ]
        assert validate_update(S.PENDING, {"order_lines": value}).changes

    @pytest.mark.parametrize(
        "value", ["", "nobody", "a@b", "a b@c.com", "x" * 95 + "@ex.com", 5, True, ["a@b.co"]]
    )
    def test_email(self, value: object) -> None:
        """An email that is not an address of at most 100 characters is MALFORMED."""
        assert _paths({"email": value}) == [("email", Code.MALFORMED)]

    @pytest.mark.parametrize(
        "value", ["", "123456", "phone", "+1 213 373 4253", "1" * 16, "+", 12133734253, True]
    )
    def test_phone_number(self, value: object) -> None:
        """A phone number that is not '+' and 7 to 15 digits is MALFORMED."""
        assert _paths({"phone_number": value}) == [("phone_number", Code.MALFORMED)]

    @pytest.mark.parametrize("value", ["1234567", "+123456789012345"])
    def test_phone_number_limits(self, value: str) -> None:
        """Seven and fifteen digits are both accepted."""
        assert validate_update(S.PENDING, {"phone_number": value}).changes

    @pytest.mark.parametrize("value", [5, True, ["note"], {"text": "x"}])
    def test_note_type(self, value: object) -> None:
        """A note that is not a string or null is MALFORMED."""
        assert _paths({"note": value}) == [("note", Code.MALFORMED)]

    def test_very_long_note(self) -> None:
        """A note over the limit is MALFORMED and the message states the limit."""
        violation = only(rejected(S.PENDING, {"note": "n" * (NOTE_MAX_LENGTH + 1)}))
        assert (violation.field, violation.code) == ("note", Code.MALFORMED)
        assert "at most 1000 characters" in violation.message

    def test_note_at_the_limit(self) -> None:
        """A note of exactly the limit is accepted."""
        assert validate_update(S.PENDING, {"note": "n" * NOTE_MAX_LENGTH}).changes


class TestAllViolationsTogether:
    """Every problem is reported in one rejection."""

    def test_every_problem_is_reported_in_payload_order(self) -> None:
        """Problems in several fields and nested parts all come back, in the order sent."""
        payload = {
            "note": 5,
            "total": 10,
            "foo": "bar",
            "status": "Shipped",
            "shipping_address": {"address1": 1, "city": "X"},
            "order_lines": [line(duration=0), {"pouches": [{"pack_id": "x"}]}],
        }
        assert _paths(payload) == [
            ("note", Code.MALFORMED),
            ("total", Code.READ_ONLY),
            ("foo", Code.NOT_UPDATABLE),
            ("status", Code.STATUS_NOT_ALLOWED),
            ("shipping_address.address1", Code.MALFORMED),
            ("shipping_address.country_name", Code.REQUIRED),
            ("order_lines[0].duration", Code.MALFORMED),
            ("order_lines[1].pouches[0].pack_id", Code.MALFORMED),
        ]

    def test_summary_names_every_field(self) -> None:
        """The exception's text names each offending field."""
        with pytest.raises(UpdateRejected, match=r"note: .*; total: "):
            validate_update(S.PENDING, {"note": 5, "total": 1})


class TestValidateCreate:
    """Create requests."""

    def test_required_only_request_gets_defaults(self) -> None:
        """The minimal request passes and gets Pending, the default source and order type."""
        body = create_body()
        assert validate_create(body) == ValidatedCreate(
            consumer=body["consumer"],
            shipping_address=body["shipping_address"],
            order_lines=tuple(body["order_lines"]),
            status=S.PENDING,
            source="v2 API",
            order_type="DTC",
            other_fields={},
        )

    def test_optional_fields_are_kept(self) -> None:
        """Optional fields come back: named ones as attributes, the rest in other_fields."""
        body = create_body(
            source="Shopify",
            order_type="Bulk",
            status="On Hold",
            email="john@example.com",
            note="gift",
            client_custom_order_id="CUSTOM-001",
            pack_builder_id=None,
        )
        result = validate_create(body)
        assert (result.source, result.order_type, result.status) == ("Shopify", "Bulk", S.ON_HOLD)
        assert dict(result.other_fields) == {
            "email": "john@example.com",
            "note": "gift",
            "client_custom_order_id": "CUSTOM-001",
            "pack_builder_id": None,
        }

    @pytest.mark.parametrize("field", ["consumer", "shipping_address", "order_lines"])
    def test_each_required_field(self, field: str) -> None:
        """Leaving out a required field is REQUIRED naming it."""
        body = create_body()
        del body[field]
        assert only(rejected_create(body)) == Violation(
            field, Code.REQUIRED, f"'{field}' is required."
        )

    def test_empty_request_lists_all_required_fields(self) -> None:
        """An empty request names all three required fields at once."""
        assert [v.field for v in rejected_create({})] == [
            "consumer",
            "shipping_address",
            "order_lines",
        ]

    @pytest.mark.parametrize("consumer", [{"id": PRODUCT}, {"first_name": "J", "last_name": "D"}])
    def test_consumer_by_id_or_by_name(self, consumer: Payload) -> None:
        """A consumer is given by its id or by first and last name."""
        assert validate_create(create_body(consumer=consumer)).consumer == consumer

    @pytest.mark.parametrize(
        ("consumer", "missing"),
        [
            ({}, ["consumer.first_name", "consumer.last_name"]),
            ({"email": "a@b.co"}, ["consumer.first_name", "consumer.last_name"]),
            ({"first_name": "J"}, ["consumer.last_name"]),
            ({"id": PRODUCT, "first_name": "J"}, ["consumer.last_name"]),
        ],
    )
    def test_consumer_needs_id_or_names(self, consumer: Payload, missing: list[str]) -> None:
        """Without an id, first and last name are required; a first name needs a last name."""
        violations = rejected_create(create_body(consumer=consumer))
        assert [(v.field, v.code) for v in violations] == [(m, Code.REQUIRED) for m in missing]

    @pytest.mark.parametrize(
        ("status", "code"),
        [
            ("Canceled by Client", Code.STATUS_NOT_ALLOWED),
            ("Accepted", Code.STATUS_NOT_ALLOWED),
            ("pending", Code.MALFORMED),
            (1, Code.MALFORMED),
        ],
    )
    def test_status_on_create(self, status: object, code: ViolationCode) -> None:
        """A new order may start only Pending or On Hold."""
        violation = only(rejected_create(create_body(status=status)))
        assert (violation.field, violation.code) == ("status", code)

    @pytest.mark.parametrize("field", sorted(READ_ONLY_FIELDS - {"source"}))
    def test_read_only_fields_on_create(self, field: str) -> None:
        """Fields OK Capsule owns are READ_ONLY on create too."""
        violation = only(rejected_create(create_body(**{field: "x"})))
        assert (violation.field, violation.code) == (field, Code.READ_ONLY)

    def test_unknown_field_on_create(self) -> None:
        """An unknown field is NOT_UPDATABLE, described as not a field of an order request."""
        violation = only(rejected_create(create_body(foo=1)))
        assert violation.code is Code.NOT_UPDATABLE
        assert violation.message.startswith("'foo' is not a field of an order request")

    @pytest.mark.parametrize(
        ("overrides", "path"),
        [
            ({"order_type": "Retail"}, "order_type"),
            ({"source": None}, "source"),
            ({"pack_builder_id": "pb"}, "pack_builder_id"),
            ({"order_lines": [{"id": LINE_ID}]}, "order_lines[0].pouches"),
            (
                {"order_lines": [line(pouches=[{"id": LINE_ID}])]},
                "order_lines[0].pouches[0].contents",
            ),
            (
                {"shipping_address": {"address1": "1 Main St", "city": "X"}},
                "shipping_address.country_name",
            ),
        ],
    )
    def test_malformed_create_fields(self, overrides: Payload, path: str) -> None:
        """A malformed create field, or an existing-item shortcut, is reported at its path."""
        assert only(rejected_create(create_body(**overrides))).field == path

    @pytest.mark.parametrize("body", [[], None, "order"])
    def test_body_that_is_not_an_object(self, body: object) -> None:
        """A create body that is not a JSON object is one MALFORMED violation on the body."""
        violation = only(rejected_create(body))
        assert (violation.field, violation.code) == ("", Code.MALFORMED)


class TestProperties:
    """Properties over generated requests."""

    @given(
        status=order_statuses(),
        entries=st.lists(labelled_entries(), max_size=3, unique_by=lambda entry: entry[0]),
    )
    def test_accepts_exactly_what_the_rules_allow(
        self, status: OrderStatus, entries: list[tuple[str, object, bool]]
    ) -> None:
        """For any status and mix of fields and values, validation accepts iff the oracle does."""
        payload = {field: value for field, value, _ in entries}
        if oracle_accepts(status, entries):
            validate_update(status, payload)
        else:
            with pytest.raises(UpdateRejected):
                validate_update(status, payload)

    @given(status=st.sampled_from([S.PENDING, S.ON_HOLD]), payload=valid_update_payloads())
    def test_valid_payloads_pass_unchanged(self, status: OrderStatus, payload: Payload) -> None:
        """A well-formed request to an editable order passes with its fields as the changes."""
        result = validate_update(status, payload)
        assert dict(result.changes) == {k: v for k, v in payload.items() if k != "status"}
        assert result.status == payload.get("status")

    @given(status=order_statuses(), payload=invalid_update_payloads())
    def test_invalid_payloads_fail_in_every_status(
        self, status: OrderStatus, payload: Payload
    ) -> None:
        """A request with a bad entry is rejected whatever the order's status."""
        with pytest.raises(UpdateRejected):
            validate_update(status, payload)

    @given(payload=create_payloads())
    def test_valid_create_requests_pass(self, payload: Payload) -> None:
        """A well-formed create request passes and keeps its consumer, address and lines."""
        result = validate_create(payload)
        assert dict(result.consumer) == payload["consumer"]
        assert dict(result.shipping_address) == payload["shipping_address"]
        assert list(result.order_lines) == payload["order_lines"]


# --- the one walk over the spec ----------------------------------------------------------------
# `validate_create` and `validate_update` walk one compiled spec. Its inline tests take the
# common values without a call and hand anything else to the rule's own check: the tests below
# hold the two to the same answer, and show that a change anywhere in a valid request is
# reported where it was made, for values around every limit the spec draws.


class _Text(str):
    """A `str` subclass: a string to the rules, left by the inline tests to the check."""

    __slots__ = ()


class _Object(dict[str, Any]):
    """A `dict` subclass: an object to the rules, left by the inline tests to the check."""


_LONG_EMAIL = "a" * 90 + "@example.com"  # well formed, 102 characters
BOUNDARY_VALUES: tuple[object, ...] = (
    *(None, True, False, 0, 1, -1, 7, 10, 60, 61, 2**63 - 1, 2**63, 1.0, 2.5),
    *(math.nan, math.inf, -math.inf),
    *("x" * n for n in (0, 1, 7, 14, 15, 16, 29, 30, 31, 35, 36, 37, 49, 50, 51, 99, 100, 101)),
    *("x" * n for n in (199, 200, 201, NOTE_MAX_LENGTH, NOTE_MAX_LENGTH + 1)),
    *(PRODUCT, OTHER_PRODUCT, PRODUCT.upper(), PRODUCT[:-1], PRODUCT + "0", PRODUCT[:-1] + "g"),
    *("Morning", "Midday", "Evening", "Night", "morning", "DTC", "Bulk", "Retail"),
    *("Pending", "On Hold", "Accepted", "Canceled by Client"),
    *("a@b.co", "john@example.com", "a@b", "a b@c.co", "@b.co", "a@b.", _LONG_EMAIL),
    *("1234567", "123456", "+14155550123", "+12345678901234", "+123456789012345", "1" * 16),
    *("+1 213 373 4253", "Label (1)!", "label\u00e9", "tab\there", "line\nbreak"),
    *(_Text("x"), _Text(PRODUCT), _Text("Morning"), _Text("Pending"), _Text("a@b.co")),
    *([], [{}], ["x"], [1, 2.5, "y"], [math.nan], [math.inf], [True], [None], {}, {"a": 1}),
    *(_Object(), _Object(first_name="J", last_name="D")),
    {"first_name": "J", "last_name": "D"},
    {"address1": "1 Main St", "city": "Springfield", "country_name": "United States"},
    [{"pouches": [{"contents": [{"client_product_id": PRODUCT}]}]}],
    [{"contents": [{"client_product_id": PRODUCT}]}],
    [{"pack_id": PRODUCT}],
    [{"client_product_id": PRODUCT, "serving_size": 2}],
    [{"client_product_id": OTHER_PRODUCT, "is_deleted": True}],
)
"""Values around every limit the spec draws, of every JSON type and then some."""


def _shapes(fields: Any) -> list[_validation.Shape]:
    """Every object shape reachable from a mapping of field specs."""
    found: list[_validation.Shape] = []
    for field in fields.values():
        part = field
        while part is not None:
            if part.shape is not None:
                found += [part.shape, *_shapes(part.shape.fields)]
            part = part.items
    return found


SHAPES = _shapes(_validation.CREATE_SPEC) + _shapes(_validation.UPDATE_SPEC)

# Member names from every level of a request, to add where they do not belong too.
MEMBER_NAMES = sorted(
    {
        *CREATE_FIELDS,
        *READ_ONLY_FIELDS,
        *(name for shape in SHAPES for name in (*shape.fields, *shape.read_only)),
        "foo",
    }
)

RICH_CREATE: Payload = {
    "consumer": {
        "id": LINE_ID,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
        "phone_number": "+14155550123",
    },
    "shipping_address": address(address2=None, country_code="US", province_code=None),
    "order_lines": [
        line(
            id=LINE_ID,
            name="Daily pack",
            physician_name="Dr Who",
            client_custom_order_line_id=None,
            has_special_handling=False,
            source_line_item_ids=["a", 1, 2.5],
            packaging_asset_group_id=None,
            pouches=[
                {
                    "time_of_administration": "Morning",
                    "custom_label": "AM (daily)",
                    "cycle": "daily",
                    "cycle_length": 7,
                    "duration": None,
                    "protocol_id": OTHER_PRODUCT,
                    "contents": [
                        {"client_product_id": PRODUCT, "serving_size": 2},
                        {"id": LINE_ID, "client_product_id": OTHER_PRODUCT, "is_deleted": True},
                    ],
                },
                {"pack_id": OTHER_PRODUCT, "is_deleted": False},
            ],
        ),
        line(),
    ],
    "email": None,
    "phone_number": "1234567",
    "note": "Leave at the door.",
    "source": "Shopify",
    "client_custom_order_id": "shop-1",
    "order_type": "Bulk",
    "status": "On Hold",
    "pack_builder_id": None,
}
"""A valid create request with every kind of member the spec knows, at every level."""


DROP = object()
"""Stands for "no value": `changed` drops the spot."""


def spots(document: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """The path to every member and item of a JSON document (the root's path is empty)."""
    found = [path]
    if isinstance(document, dict):
        for key, value in document.items():
            found += spots(value, (*path, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            found += spots(value, (*path, index))
    return found


def at(document: object, path: tuple[object, ...]) -> Any:
    """The value at `path` in a JSON document."""
    for step in path:
        document = document[step]  # type: ignore[index]
    return document


def changed(document: object, path: tuple[object, ...], value: object) -> object:
    """A deep copy of a document with the spot at `path` set to `value` (or dropped if DROP)."""
    if not path:
        return value
    copy = deepcopy(document)
    parent = at(copy, path[:-1])
    last = path[-1]
    if value is DROP:
        del parent[last]
    else:
        parent[last] = value
    return copy


def spelled(path: tuple[object, ...]) -> str:
    """A path as violations spell it: "order_lines[0].pouches"."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text


def near(field: str, path: tuple[object, ...]) -> bool:
    """Whether a violation's field is at `path`, inside it, or one step below an ancestor.

    A change reaches no further: its own value, what it holds, and what the objects around it
    need as a whole (a required member, a pouch's pack or contents, the supplement cap).
    """
    spot = spelled(path)
    if not spot or field in ("", spot) or field.startswith((f"{spot}.", f"{spot}[")):
        return True
    for depth in range(len(path)):
        ancestor = spelled(path[:depth])
        rest = field.removeprefix(f"{ancestor}.") if ancestor else field
        if ancestor and rest == field and not field.startswith(f"{ancestor}["):
            continue
        rest = rest.removeprefix(ancestor) if rest == field else rest
        if "." not in rest.lstrip(".") and rest.count("[") <= 1:
            return True
    return False


def outcome(payload: object) -> tuple[object, ...]:
    """What `validate_create` returns, down to the types and key order of what it keeps."""
    try:
        result = validate_create(payload)
    except UpdateRejected as rejection:
        return ("rejected", rejection.violations)
    return (
        "accepted",
        *(
            (type(part), list(part.items()))
            for part in (result.consumer, result.shipping_address, result.other_fields)
        ),
        [id(item) for item in result.order_lines],
    )


class TestOneWalk:
    """The walk's inline tests agree with the rules' checks, and report where a change is."""

    @pytest.mark.parametrize("shape", SHAPES, ids=lambda shape: ",".join(sorted(shape.fields)))
    def test_inline_tests_agree_with_the_checks(self, shape: _validation.Shape) -> None:
        """Any boundary value in any member: the walk reports what the member's check reports."""
        members = _validation._Members(shape)
        for name, rule in members.rules.items():
            for value in BOUNDARY_VALUES:
                walked: list[Violation] = []
                _validation._walk({name: value}, members, (None, "x"), walked)
                checked: list[Violation] = []
                rule.check(value, (None, "x"), name, checked)
                walked_members = [v for v in walked if v.field.startswith(f"x.{name}")]
                assert walked_members == checked, (name, value)

    @pytest.mark.parametrize("base", [RICH_CREATE, create_body()], ids=["rich", "minimal"])
    def test_a_change_is_reported_where_it_is(self, base: Payload) -> None:
        """A change at one spot of a valid request is reported at, in or beside that spot.

        Any spot set to any boundary value, or dropped: every violation is at that spot,
        inside it, or one step below one of its ancestors.
        """
        assert outcome(base)[0] == "accepted"
        values: tuple[object, ...] = (*BOUNDARY_VALUES, DROP)
        for path in spots(base):
            for value in values:
                if value is DROP and not path:
                    continue
                result = outcome(changed(base, path, value))
                if result[0] == "rejected":
                    violations: Any = result[1]
                    assert violations, (path, value)
                    assert all(near(v.field, path) for v in violations), (path, value, violations)

    @pytest.mark.parametrize("base", [RICH_CREATE, create_body()], ids=["rich", "minimal"])
    def test_added_members_are_reported_where_they_are(self, base: Payload) -> None:
        """A member name from any level added to any object is reported at, in or beside it."""
        objects = [path for path in spots(base) if isinstance(at(base, path), dict)]
        added: tuple[object, ...] = ("x", None, 1, PRODUCT, "Morning", [])
        for path in objects:
            for name in MEMBER_NAMES:
                if isinstance(at(base, path), dict) and name in at(base, path):
                    continue
                for value in added:
                    result = outcome(changed(base, (*path, name), value))
                    if result[0] == "rejected":
                        violations: Any = result[1]
                        assert all(near(v.field, (*path, name)) for v in violations), (
                            path,
                            name,
                            value,
                        )

    @given(payload=create_payloads() | create_payloads(deliverable=True))
    def test_valid_requests_keep_their_parts(self, payload: Payload) -> None:
        """A generated valid request passes, its parts kept as sent, in read-only views."""
        result = outcome(payload)
        assert result[0] == "accepted"
        assert result[1] == (MappingProxyType, list(payload["consumer"].items()))
        assert result[2] == (MappingProxyType, list(payload["shipping_address"].items()))
        assert result[4] == [id(item) for item in payload["order_lines"]]

    def test_subclasses_are_strings_and_objects(self) -> None:
        """A `str` or `dict` subclass is taken as the string or object it is."""
        body = create_body(consumer=_Object(first_name=_Text("J"), last_name="D"))
        body["order_lines"][0]["pouches"][0]["contents"][0]["client_product_id"] = _Text(PRODUCT)
        body["status"] = _Text("On Hold")
        result = validate_create(body)
        assert (type(result.consumer), result.status) == (MappingProxyType, S.ON_HOLD)
        assert dict(result.consumer) == {"first_name": "J", "last_name": "D"}

    @pytest.mark.parametrize(
        ("times", "deleted", "over"),
        [
            (["Morning"] * 8, 0, None),
            (["Morning"] * 9, 0, "time of administration 'Morning'"),
            (["Morning"] * 9, 1, None),
            (["Morning"] * 5 + ["Evening"] * 5, 0, None),
            ([None] * 5 + ["Morning"] * 4, 0, None),
            ([None] * 9, 0, "no time of administration"),
        ],
    )
    def test_supplement_cap_past_eight(
        self, times: list[str | None], deleted: int, over: str | None
    ) -> None:
        """Past eight contents in a line the cap is counted per time, deleted ones left out."""
        pouches: list[Payload] = []
        for index, time in enumerate(times):
            content: Payload = {"client_product_id": PRODUCT}
            if index < deleted:
                content["is_deleted"] = True
            pouch: Payload = {"contents": [content]}
            if time is not None:
                pouch["time_of_administration"] = time
            pouches.append(pouch)
        body = create_body(order_lines=[{"pouches": pouches}])
        if over is None:
            validate_create(body)
        else:
            violation = only(rejected_create(body))
            assert violation.field == "order_lines[0].pouches"
            assert f"9 supplements for {over}" in violation.message

    def test_supplement_cap_with_a_pack(self) -> None:
        """A pouch with a pack beside nine supplements for one time still breaks the cap."""
        contents = [{"client_product_id": PRODUCT}] * 9
        pouches = [{"pack_id": PRODUCT}, {"time_of_administration": "Midday", "contents": contents}]
        violation = only(rejected_create(create_body(order_lines=[{"pouches": pouches}])))
        assert violation.field == "order_lines[0].pouches"


class TestConsumers:
    """One consumer validator: `/v2/consumers` and an order's consumer follow the same rules."""

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("email", "nobody"),
            ("email", "x" * 95 + "@ex.com"),
            ("phone_number", "12"),
            ("phone_number", "+1234567890123456"),
            ("first_name", "J" * 101),
            ("last_name", None),
            ("client_custom_consumer_id", 7),
        ],
    )
    def test_same_refusal_everywhere(self, field: str, value: object) -> None:
        """A bad consumer field is MALFORMED with the same message on every path that takes one."""
        endpoint = only(
            rejected_consumer({"first_name": "J", "last_name": "D", field: value}, creating=True)
        )
        change = only(rejected_consumer({field: value}, creating=False))
        # On create a first name needs a last name beside it, even with an `id`.
        known: Payload = (
            {"id": PRODUCT, "last_name": "D"} if field == "first_name" else {"id": PRODUCT}
        )
        on_create = only(rejected_create(create_body(consumer={**known, field: value})))
        on_update = only(rejected(S.PENDING, {"consumer": {"id": PRODUCT, field: value}}))
        assert endpoint == change
        assert (endpoint.code, endpoint.field) == (Code.MALFORMED, field)
        for nested in (on_create, on_update):
            assert nested.field == f"consumer.{field}"
            assert nested.message == endpoint.message.replace(f"'{field}'", f"'consumer.{field}'")

    def test_new_consumer_on_update_needs_names(self) -> None:
        """An update's consumer without an `id` is a new one: first and last name are required."""
        violations = rejected(S.PENDING, {"consumer": {}})
        assert [(v.field, v.code) for v in violations] == [
            ("consumer.first_name", Code.REQUIRED),
            ("consumer.last_name", Code.REQUIRED),
        ]

    @pytest.mark.parametrize(
        "consumer",
        [
            {"id": PRODUCT},
            {"id": PRODUCT, "first_name": "J"},
            {"first_name": "J", "last_name": "D"},
        ],
    )
    def test_update_takes_an_id_or_names(self, consumer: Payload) -> None:
        """An update's consumer is an existing one by `id` (maybe with changes) or a named one."""
        assert validate_update(S.PENDING, {"consumer": consumer}).changes == {"consumer": consumer}

    def test_create_needs_both_names(self) -> None:
        """`POST /v2/consumers` without names names both, as REQUIRED."""
        violations = rejected_consumer({"email": "a@b.co"}, creating=True)
        assert violations == (
            Violation(
                "first_name", Code.REQUIRED, "'first_name' is required to create a consumer."
            ),
            Violation("last_name", Code.REQUIRED, "'last_name' is required to create a consumer."),
        )

    def test_changes_need_no_names(self) -> None:
        """`PUT /v2/consumers/{id}` may change one field alone."""
        assert validate_consumer({"email": "a@b.co"}, creating=False) == {"email": "a@b.co"}

    @pytest.mark.parametrize(
        ("field", "code"),
        [("id", Code.READ_ONLY), ("crm_id", Code.READ_ONLY), ("foo", Code.NOT_UPDATABLE)],
    )
    def test_other_fields_are_refused(self, field: str, code: ViolationCode) -> None:
        """A consumer body is closed: read-only and unknown fields are refused by name."""
        violation = only(rejected_consumer({field: "x"}, creating=False))
        assert (violation.field, violation.code) == (field, code)
        assert violation.message.endswith(
            "consumer fields are: email, first_name, last_name, phone_number,"
            " client_custom_consumer_id."
        )

    @pytest.mark.parametrize("body", [[], None, "consumer"])
    def test_body_that_is_not_an_object(self, body: object) -> None:
        """A consumer body that is not a JSON object is one MALFORMED violation on the body."""
        violation = only(rejected_consumer(body, creating=True))
        assert (violation.field, violation.code) == ("", Code.MALFORMED)

    def test_valid_fields_come_back(self) -> None:
        """A valid body comes back as its fields, in a dict of its own."""
        body = {"first_name": "Ada", "last_name": "Lovelace", "phone_number": None}
        fields = validate_consumer(body, creating=True)
        assert fields == body
        assert fields is not body


def rejected_consumer(payload: object, *, creating: bool) -> tuple[Violation, ...]:
    """Run a consumer validation expected to fail and return its violations."""
    with pytest.raises(UpdateRejected) as caught:
        validate_consumer(payload, creating=creating)
    return caught.value.violations
