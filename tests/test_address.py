"""Tests for shipping-address validation and the test triggers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator import _address
from simulator._address import (
    HOLD_STREET,
    MAX_TRIGGER_DAYS,
    TRIGGERS,
    US_STATES,
    AddressProblem,
    ProblemCode,
    Trigger,
    TriggerError,
    TriggerKind,
    find_state,
    is_us_address,
    validate_address,
)

# Written out by hand, independently of the table under test.
FIFTY_STATES = (
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV "
    "NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY"
)

DOCS = Path(__file__).parents[1] / "docs" / "operations-profile.md"

# Imported through the module: pytest would otherwise see a function named test_*.
find_trigger = _address.test_trigger


def us(**changes: Any) -> dict[str, Any]:
    """A valid US address in San Francisco, with some fields changed or removed (None)."""
    address: dict[str, Any] = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "address1": "500 Howard Street",
        "address2": "Suite 3",
        "city": "San Francisco",
        "province_code": "CA",
        "province_name": "California",
        "postal_code": "94105",
        "country_code": "US",
        "country_name": "United States",
    }
    address.update(changes)
    return {key: value for key, value in address.items() if value is not None}


def codes(address: dict[str, Any]) -> list[tuple[str, ProblemCode]]:
    """The (field, code) pairs of an address's problems, in order."""
    return [(problem.field, problem.code) for problem in validate_address(address)]


class TestValidUsAddresses:
    """Addresses that pass, across states and spellings."""

    @pytest.mark.parametrize(
        ("city", "state", "postal_code"),
        [
            ("San Francisco", "CA", "94105"),
            ("New York", "NY", "10001"),
            ("Holtsville", "NY", "00501"),
            ("Fishers Island", "NY", "06390"),
            ("Austin", "TX", "73301"),
            ("El Paso", "TX", "88510"),
            ("Andover", "MA", "05501"),
            ("Boston", "MA", "02108-4603"),
            ("Dulles", "VA", "20166"),
            ("Washington", "DC", "20500-0003"),
            ("Alta", "WY", "83414"),
            ("Anchorage", "AK", "99501"),
            ("Honolulu", "HI", "96813"),
            ("San Juan", "PR", "00901"),
            ("Pago Pago", "AS", "96799"),
            ("Hagatna", "GU", "96910"),
            ("APO", "AE", "09001"),
            ("APO", "AP", "96201"),
            ("Portland", "ME", "04101"),
            ("Albany", "GA", "39870"),
        ],
    )
    def test_passes(self, city: str, state: str, postal_code: str) -> None:
        """A ZIP code inside its state's prefix range raises no problem."""
        address = us(city=city, province_code=state, province_name=None, postal_code=postal_code)
        assert validate_address(address) == ()

    def test_state_by_name_when_no_code(self) -> None:
        """province_name is used when province_code is missing, in any case."""
        address = us(province_code=None, province_name="new york", postal_code="10001")
        assert validate_address(address) == ()

    def test_state_code_ignores_case_and_spaces(self) -> None:
        """A lower-case, padded state code is still recognised."""
        assert validate_address(us(province_code=" ca ")) == ()

    def test_dc_by_its_common_names(self) -> None:
        """Both "Washington, D.C." and "District of Columbia" name DC."""
        for name in ("Washington, D.C.", "District of Columbia", "washington dc"):
            address = us(province_code=None, province_name=name, postal_code="20001")
            assert validate_address(address) == (), name

    def test_no_country_is_validated_as_us(self) -> None:
        """An address naming no country gets the US rules."""
        address = us(country_code=None, country_name=None, postal_code="1234")
        assert codes(address) == [("postal_code", ProblemCode.POSTAL_CODE_FORMAT)]

    @pytest.mark.parametrize(
        "country",
        [
            {"country_code": "us"},
            {"country_code": "USA"},
            {"country_name": "United States"},
            {"country_name": "united states of america"},
            {"country_name": "U.S.A."},
        ],
    )
    def test_us_spellings(self, country: dict[str, str]) -> None:
        """Each accepted spelling of the United States gets the US rules."""
        address = us(**{"country_code": None, "country_name": None, **country})
        assert is_us_address(address)
        assert codes({**address, "postal_code": "ABCDE"}) == [
            ("postal_code", ProblemCode.POSTAL_CODE_FORMAT)
        ]


class TestUsRules:
    """Each US-only rule, broken on its own."""

    @pytest.mark.parametrize(
        "postal_code", ["9410", "941050", "94105-12", "94105 1234", "941051234", "ABCDE", "٩٤١٠٥"]
    )
    def test_bad_zip_format(self, postal_code: str) -> None:
        """Anything but 5 ASCII digits or ZIP+4 is a format problem, and nothing else."""
        assert codes(us(postal_code=postal_code)) == [
            ("postal_code", ProblemCode.POSTAL_CODE_FORMAT)
        ]

    def test_zip_in_another_state(self) -> None:
        """A New York ZIP with a California state is a mismatch naming both."""
        (problem,) = validate_address(us(postal_code="10001"))
        assert problem.field == "postal_code"
        assert problem.code is ProblemCode.POSTAL_CODE_STATE_MISMATCH
        assert "10001" in problem.message
        assert "California" in problem.message
        assert "900-961" in problem.message

    def test_zip_plus_four_in_another_state(self) -> None:
        """The state check reads the first five digits of a ZIP+4."""
        assert codes(us(postal_code="10001-1234")) == [
            ("postal_code", ProblemCode.POSTAL_CODE_STATE_MISMATCH)
        ]

    def test_fishers_island_exception_is_only_that_zip(self) -> None:
        """NY owns 06390 but not the rest of Connecticut's 063."""
        assert codes(us(province_code="NY", postal_code="06340")) == [
            ("postal_code", ProblemCode.POSTAL_CODE_STATE_MISMATCH)
        ]
        assert validate_address(us(province_code="CT", postal_code="06340")) == ()

    def test_unknown_state_code(self) -> None:
        """An unknown province_code is reported on that field."""
        assert codes(us(province_code="XX")) == [("province_code", ProblemCode.UNKNOWN_STATE)]

    def test_unknown_state_name(self) -> None:
        """An unknown province_name is reported on that field when there is no code."""
        address = us(province_code=None, province_name="Atlantis")
        assert codes(address) == [("province_name", ProblemCode.UNKNOWN_STATE)]

    def test_missing_state(self) -> None:
        """A US address without any state is missing its province_code."""
        address = us(province_code=None, province_name="  ")
        assert codes(address) == [("province_code", ProblemCode.REQUIRED)]

    def test_bad_format_and_unknown_state_together(self) -> None:
        """Independent problems are all reported at once, in a fixed order."""
        assert codes(us(postal_code="1", province_code="ZZ")) == [
            ("postal_code", ProblemCode.POSTAL_CODE_FORMAT),
            ("province_code", ProblemCode.UNKNOWN_STATE),
        ]


class TestRequiredFields:
    """address1, city and postal_code must be present for every country."""

    @pytest.mark.parametrize("field", ["address1", "city", "postal_code"])
    @pytest.mark.parametrize("value", [None, "", "   "])
    def test_missing(self, field: str, value: str | None) -> None:
        """A missing, empty or blank field is required, and only that is reported."""
        (problem,) = validate_address(us(**{field: value}))
        assert problem == AddressProblem(field, ProblemCode.REQUIRED, f"{field} is required.")

    def test_all_missing(self) -> None:
        """An empty address lists every required field plus the US state."""
        assert codes({}) == [
            ("address1", ProblemCode.REQUIRED),
            ("city", ProblemCode.REQUIRED),
            ("postal_code", ProblemCode.REQUIRED),
            ("province_code", ProblemCode.REQUIRED),
        ]

    def test_address2_is_optional(self) -> None:
        """address2 may be absent."""
        assert validate_address(us(address2=None)) == ()


class TestPoBoxes:
    """PO boxes are refused in either street line."""

    @pytest.mark.parametrize(
        "line",
        [
            "PO Box 12",
            "po box 12",
            "P.O. Box 12",
            "P. O. Box 12",
            "P O Box 12",
            "PO BOX 12",
            "POBox 12",
            "Post Office Box 12",
            "POB 12",
            "POB12",
            "P.O.B. 12",
            "Box 123",
            "box #123",
            "Apt 4, PO Box 9",
        ],
    )
    @pytest.mark.parametrize("field", ["address1", "address2"])
    def test_refused(self, line: str, field: str) -> None:
        """Each spelling of a PO box is a po_box problem on its line."""
        assert codes(us(**{field: line})) == [(field, ProblemCode.PO_BOX)]

    @pytest.mark.parametrize(
        "line",
        [
            "12 Box Elder Road",
            "77 Boxwood Lane",
            "1 Post Office Square",
            "9 Poblano Way",
            "4 Pobst Avenue",
            "3 Polo Boulevard",
            "Apt 5",
        ],
    )
    def test_streets_that_only_look_alike(self, line: str) -> None:
        """Streets containing "box" or "po b" letters are not PO boxes."""
        assert validate_address(us(address1=line, address2=None)) == ()

    def test_refused_outside_the_us(self) -> None:
        """The PO box rule applies to every country."""
        address = {"address1": "PO Box 7", "city": "Toronto", "postal_code": "M5V 2T6"}
        assert codes({**address, "country_code": "CA"}) == [("address1", ProblemCode.PO_BOX)]


class TestNonUs:
    """Outside the US only the required-field and PO-box rules apply."""

    def test_foreign_postal_code_and_region_pass(self) -> None:
        """A Canadian postal code and province raise nothing."""
        address = {
            "address1": "290 Bremner Blvd",
            "city": "Toronto",
            "province_code": "ON",
            "postal_code": "M5V 3L9",
            "country_code": "CA",
        }
        assert validate_address(address) == ()

    def test_country_name_only(self) -> None:
        """A country given only by a non-US name skips the US rules."""
        address = {"address1": "1 Rue de Rivoli", "city": "Paris", "postal_code": "75001"}
        assert validate_address({**address, "country_name": "France"}) == ()

    def test_country_code_wins_over_name(self) -> None:
        """country_code decides when both are given."""
        assert not is_us_address({"country_code": "GB", "country_name": "United States"})

    def test_still_needs_required_fields(self) -> None:
        """A foreign address still needs address1, city and postal code."""
        assert codes({"country_code": "DE"}) == [
            ("address1", ProblemCode.REQUIRED),
            ("city", ProblemCode.REQUIRED),
            ("postal_code", ProblemCode.REQUIRED),
        ]


class TestStateTable:
    """The ZIP prefix table itself."""

    def test_covers_50_states_dc_and_more(self) -> None:
        """All 50 states and DC are there, plus territories and armed forces."""
        fifty = set(FIFTY_STATES.split())
        assert len(fifty) == 50
        assert fifty | {"DC", "PR", "VI", "GU", "AS", "MP", "AA", "AE", "AP"} <= set(US_STATES)

    def test_ranges_are_well_formed(self) -> None:
        """Every range is ordered and within 000-999."""
        for state in US_STATES.values():
            for low, high in state.zip3_ranges:
                assert 0 <= low <= high <= 999, state.code

    def test_prefixes_belong_to_one_state_except_known_shared_ones(self) -> None:
        """Only Hawaii/American Samoa (967) and the western Pacific (969) share a prefix."""
        owners: dict[int, set[str]] = {}
        for state in US_STATES.values():
            for low, high in state.zip3_ranges:
                for prefix in range(low, high + 1):
                    owners.setdefault(prefix, set()).add(state.code)
        shared = {prefix: codes for prefix, codes in owners.items() if len(codes) > 1}
        assert shared == {
            967: {"HI", "AS"},
            969: {"GU", "MP", "FM", "MH", "PW"},
        }

    @pytest.mark.parametrize(
        ("prefix", "state"),
        [
            (5, "NY"),
            (55, "MA"),
            (63, "CT"),
            (201, "VA"),
            (340, "AA"),
            (569, "DC"),
            (733, "TX"),
            (834, "ID"),
            (885, "TX"),
            (398, "GA"),
        ],
    )
    def test_odd_prefixes(self, prefix: int, state: str) -> None:
        """The well-known out-of-place prefixes belong where USPS puts them."""
        owners = [s.code for s in US_STATES.values() if s.owns_zip(f"{prefix:03d}00")]
        assert owners == [state]

    def test_find_state_by_code_name_and_alias(self) -> None:
        """States are found by code, name or alias, in any case; unknowns are None."""
        assert find_state("ca") is US_STATES["CA"]
        assert find_state("New  Hampshire") is US_STATES["NH"]
        assert find_state("U.S. Virgin Islands") is US_STATES["VI"]
        assert find_state("Narnia") is None

    @given(state=st.sampled_from(sorted(US_STATES)), data=st.data())
    def test_any_zip_in_range_passes(self, state: str, data: st.DataObject) -> None:
        """Property: any ZIP (or ZIP+4) whose prefix is in the state's ranges validates."""
        low, high = data.draw(st.sampled_from(US_STATES[state].zip3_ranges))
        prefix = data.draw(st.integers(low, high))
        rest = data.draw(st.integers(0, 99))
        plus4 = data.draw(st.none() | st.integers(0, 9999))
        postal_code = f"{prefix:03d}{rest:02d}" + ("" if plus4 is None else f"-{plus4:04d}")
        address = us(province_code=state, province_name=None, postal_code=postal_code)
        assert validate_address(address) == ()


class TestTriggers:
    """Test triggers in the note or the address."""

    def test_none_without_a_token(self) -> None:
        """An ordinary note and address carry no trigger."""
        assert find_trigger("Leave at the door, thanks", us()) is None
        assert find_trigger(None, None) is None

    @pytest.mark.parametrize(
        ("note", "expected"),
        [
            ("okc-test:hold", Trigger(TriggerKind.HOLD)),
            ("please okc-test:cancel now", Trigger(TriggerKind.CANCEL)),
            ("OKC-TEST:FAIL", Trigger(TriggerKind.FAIL)),
            ("okc-test:return.", Trigger(TriggerKind.RETURN)),
            ("okc-test:address-review", Trigger(TriggerKind.ADDRESS_REVIEW)),
            ("okc-test:delay-production=3", Trigger(TriggerKind.DELAY_PRODUCTION, 3)),
            ("(okc-test:delay-delivery=2)", Trigger(TriggerKind.DELAY_DELIVERY, 2)),
            ("Gift. okc-test:delay-delivery=60.", Trigger(TriggerKind.DELAY_DELIVERY, 60)),
        ],
    )
    def test_note_tokens(self, note: str, expected: Trigger) -> None:
        """Each token anywhere in the note, in any case, is found."""
        assert find_trigger(note, us()) == expected

    def test_every_trigger_has_a_working_token(self) -> None:
        """The documented token of every trigger parses back to that trigger."""
        for spec in TRIGGERS.values():
            trigger = find_trigger(spec.token.replace("<N>", "1"), None)
            assert trigger is not None
            assert trigger.kind is spec.kind
            assert trigger.days == (1 if spec.takes_days else None)

    @pytest.mark.parametrize("line", [HOLD_STREET, "1 hold street", "  1   HOLD  Street "])
    def test_hold_street_forces_review(self, line: str) -> None:
        """address1 "1 Hold Street" forces review even though the address is valid."""
        address = us(address1=line)
        assert validate_address(address) == ()
        assert find_trigger(None, address) == Trigger(TriggerKind.ADDRESS_REVIEW)

    def test_similar_street_is_not_a_trigger(self) -> None:
        """Only the exact street triggers review."""
        assert find_trigger(None, us(address1="11 Hold Street")) is None

    def test_unknown_token_lists_known_triggers(self) -> None:
        """An unknown token is an error that lists every known token."""
        with pytest.raises(TriggerError, match="okc-test:holdd") as caught:
            find_trigger("okc-test:holdd", None)
        for spec in TRIGGERS.values():
            assert spec.token in str(caught.value)

    def test_empty_token_is_unknown(self) -> None:
        """The prefix alone names no trigger."""
        with pytest.raises(TriggerError, match="Unknown"):
            find_trigger("okc-test:", None)

    @pytest.mark.parametrize(
        "note",
        [
            "okc-test:delay-production",
            "okc-test:delay-production=",
            "okc-test:delay-production=abc",
            "okc-test:delay-production=-1",
            "okc-test:delay-production=0",
            "okc-test:delay-production=1.5",
            f"okc-test:delay-delivery={MAX_TRIGGER_DAYS + 1}",
        ],
    )
    def test_malformed_days(self, note: str) -> None:
        """A delay needs a whole N from 1 to the maximum, and says how to write it."""
        with pytest.raises(TriggerError, match=r"needs N.*=<N>"):
            find_trigger(note, None)

    def test_value_on_a_trigger_without_one(self) -> None:
        """A trigger that takes no N refuses one."""
        with pytest.raises(TriggerError, match="takes no value"):
            find_trigger("okc-test:hold=2", None)

    @pytest.mark.parametrize(
        ("note", "address1"),
        [
            ("okc-test:hold okc-test:cancel", "500 Howard Street"),
            ("okc-test:hold okc-test:hold", "500 Howard Street"),
            ("okc-test:fail", HOLD_STREET),
        ],
    )
    def test_more_than_one_trigger(self, note: str, address1: str) -> None:
        """An order may carry one trigger only."""
        with pytest.raises(TriggerError, match="one test trigger"):
            find_trigger(note, us(address1=address1))

    def test_token_must_stand_alone(self) -> None:
        """A prefix glued to a preceding word is not a token."""
        assert find_trigger("xokc-test:hold", None) is None

    def test_trigger_error_is_a_value_error(self) -> None:
        """Callers that catch ValueError catch trigger errors too."""
        assert issubclass(TriggerError, ValueError)

    def test_not_collected_by_pytest(self) -> None:
        """The function named test_trigger is marked so pytest never runs it as a test."""
        assert getattr(_address.test_trigger, "__test__", True) is False

    @given(
        kind=st.sampled_from([s for s in TRIGGERS.values() if s.takes_days]),
        days=st.integers(1, MAX_TRIGGER_DAYS),
        before=st.text(alphabet="abc .,\n", max_size=20),
        after=st.text(alphabet="abc ,\n", max_size=20),
    )
    def test_delay_round_trips(self, kind: Any, days: int, before: str, after: str) -> None:
        """Property: a delay token with any valid N, amid any text, parses to that N."""
        note = f"{before} {kind.token.replace('<N>', str(days))} {after}"
        assert find_trigger(note, None) == Trigger(kind.kind, days)


def test_problem_codes_are_unique() -> None:
    """Problem codes are distinct stable strings."""
    values = [code.value for code in ProblemCode]
    assert len(values) == len(set(values))


def test_docs_list_every_trigger_and_the_day_limit() -> None:
    """docs/operations-profile.md documents every trigger token and N's range."""
    text = DOCS.read_text(encoding="utf-8")
    for spec in TRIGGERS.values():
        assert f"`{spec.token}`" in text, spec.token
    assert f"`{HOLD_STREET}`" in text
    assert f"from 1 to {MAX_TRIGGER_DAYS}" in text


def test_docs_list_every_problem_code() -> None:
    """docs/operations-profile.md documents every address problem code."""
    text = DOCS.read_text(encoding="utf-8")
    for code in ProblemCode:
        assert f"`{code.value}`" in text, code
