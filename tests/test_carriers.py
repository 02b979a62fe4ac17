"""Tests for carriers, their services, and tracking numbers in each carrier's real format."""

from __future__ import annotations

import itertools
import random
import re

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator import _carriers
from simulator._carriers import CARRIERS, Carrier, validate_tracking_number

# Real numbers published as valid, checked against our validators independently of the
# generators. The UPS pair is UPS's own example and a real parcel.
KNOWN_VALID = {
    "UPS": ["1Z999AA10123456784", "1Z879E930346834440"],
    "USPS": ["9400111201080805483016", "9505511069605048600624", "9405803699300124287899"],
    "FedEx": ["986578788855", "477179081230", "799531274483", "790535312317", "974367662710"],
    "DHL": ["3318810025", "8487135506", "1099255990", "3821724944"],
}
# The same numbers with the last digit changed, and plain format errors.
KNOWN_INVALID = {
    "UPS": ["1Z999AA10123456785", "1Z999AA1012345678", "1z999aa10123456784", "2Z999AA10123456784"],
    "USPS": ["9400111201080805483017", "940011120108080548301", "8400111201080805483016"],
    "FedEx": ["996578788855", "98657878885", "98657878885X"],
    "DHL": ["3318810010", "3318810034", "331881002"],
}
FORMATS = {
    "UPS": r"1Z[0-9A-Z]{6}(03|12|02|01)[0-9]{8}",
    "USPS": r"(9400|9205|9270)[0-9]{18}",
    "FedEx": r"[1-9][0-9]{11}",
    "DHL": r"[1-9][0-9]{9}",
}


def rng(seed: int) -> random.Random:
    """A seeded generator: tracking numbers are test data, not secrets."""
    return random.Random(seed)


SERVICE_OF_CARRIER = [(c.name, s.code) for c in CARRIERS.values() for s in c.services]


class TestRegistry:
    """The carriers and their services."""

    def test_carriers_by_name(self) -> None:
        """The four carriers are registered under their names."""
        assert list(CARRIERS) == ["UPS", "USPS", "FedEx", "DHL"]
        assert all(name == carrier.name for name, carrier in CARRIERS.items())

    def test_registry_is_read_only(self) -> None:
        """Nobody can add or replace a carrier at run time."""
        with pytest.raises(TypeError):
            CARRIERS["Acme"] = CARRIERS["UPS"]  # type: ignore[index]

    @pytest.mark.parametrize(
        ("carrier", "service"),
        [
            ("UPS", "Ground"),
            ("UPS", "2nd Day Air"),
            ("USPS", "Priority Mail"),
            ("USPS", "Ground Advantage"),
            ("FedEx", "Ground"),
            ("FedEx", "2Day"),
        ],
    )
    def test_expected_services(self, carrier: str, service: str) -> None:
        """The common services exist under their shipping_method codes."""
        assert CARRIERS[carrier].service(service).code == service

    @pytest.mark.parametrize(("carrier", "service"), SERVICE_OF_CARRIER)
    def test_transit_days_are_sensible(self, carrier: str, service: str) -> None:
        """Each service takes between 1 and 10 calendar days, fewest first."""
        low, high = CARRIERS[carrier].service(service).transit_days
        assert 1 <= low <= high <= 10

    def test_service_codes_are_unique_per_carrier(self) -> None:
        """No carrier lists the same service twice."""
        for carrier in CARRIERS.values():
            codes = [s.code for s in carrier.services]
            assert len(codes) == len(set(codes)), carrier.name

    def test_unknown_service_lists_the_known_ones(self) -> None:
        """Asking for a service a carrier lacks names the ones it has."""
        with pytest.raises(ValueError, match=r"UPS has no service 'Overnight'.*'Ground'"):
            CARRIERS["UPS"].service("Overnight")


class TestTrackingNumbers:
    """Generated numbers: real format, real check digits, deterministic."""

    @pytest.mark.parametrize(("carrier", "service"), SERVICE_OF_CARRIER)
    def test_format_and_check_digit_for_many_seeds(self, carrier: str, service: str) -> None:
        """Across 200 seeds every number has the carrier's format and a valid check digit."""
        for seed in range(200):
            number = CARRIERS[carrier].tracking_number(rng(seed), service)
            assert re.fullmatch(FORMATS[carrier], number), number
            assert validate_tracking_number(carrier, number), number

    def test_ups_embeds_the_service(self) -> None:
        """UPS numbers carry the service indicator: 03 Ground, 02 2nd Day Air."""
        ups = CARRIERS["UPS"]
        assert ups.tracking_number(rng(1), "Ground")[8:10] == "03"
        assert ups.tracking_number(rng(1), "2nd Day Air")[8:10] == "02"

    def test_usps_embeds_the_service(self) -> None:
        """USPS numbers start 9400 for Ground Advantage and 9205 for Priority Mail."""
        usps = CARRIERS["USPS"]
        assert usps.tracking_number(rng(1), "Ground Advantage").startswith("9400")
        assert usps.tracking_number(rng(1), "Priority Mail").startswith("9205")

    def test_default_service_is_the_first(self) -> None:
        """Without a service, the number is made for the carrier's default service."""
        ups = CARRIERS["UPS"]
        assert ups.tracking_number(rng(3)) == ups.tracking_number(rng(3), ups.services[0].code)

    @pytest.mark.parametrize("carrier", list(CARRIERS))
    def test_same_rng_state_same_numbers(self, carrier: str) -> None:
        """Two generators seeded alike produce the same sequence of numbers."""
        a, b = rng(42), rng(42)
        first = [CARRIERS[carrier].tracking_number(a) for _ in range(20)]
        second = [CARRIERS[carrier].tracking_number(b) for _ in range(20)]
        assert first == second
        assert len(set(first)) == 20

    def test_unknown_service_refused(self) -> None:
        """Making a number for a service the carrier lacks is an error."""
        with pytest.raises(ValueError, match="no service"):
            CARRIERS["DHL"].tracking_number(rng(0), "Ground")

    @given(
        carrier=st.sampled_from(list(CARRIERS.values())),
        seed=st.integers(0, 2**64),
        data=st.data(),
    )
    def test_generated_numbers_always_validate(
        self, carrier: Carrier, seed: int, data: st.DataObject
    ) -> None:
        """Property: every generated number validates for its carrier."""
        service = data.draw(st.sampled_from(carrier.services))
        number = carrier.tracking_number(rng(seed), service.code)
        assert carrier.is_valid_tracking_number(number)

    @given(
        carrier=st.sampled_from(list(CARRIERS.values())),
        seed=st.integers(0, 2**64),
        data=st.data(),
    )
    def test_changing_the_check_digit_breaks_validation(
        self, carrier: Carrier, seed: int, data: st.DataObject
    ) -> None:
        """Property: any other last digit makes a generated number invalid."""
        number = carrier.tracking_number(rng(seed))
        wrong = data.draw(st.sampled_from([d for d in "0123456789" if d != number[-1]]))
        assert not carrier.is_valid_tracking_number(number[:-1] + wrong)


class TestValidation:
    """The validators against numbers published elsewhere."""

    @pytest.mark.parametrize(
        ("carrier", "number"), [(c, n) for c, ns in KNOWN_VALID.items() for n in ns]
    )
    def test_published_numbers_validate(self, carrier: str, number: str) -> None:
        """Real, published numbers pass their carrier's check."""
        assert validate_tracking_number(carrier, number)
        assert validate_tracking_number(CARRIERS[carrier], number)

    @pytest.mark.parametrize(
        ("carrier", "number"), [(c, n) for c, ns in KNOWN_INVALID.items() for n in ns]
    )
    def test_broken_numbers_fail(self, carrier: str, number: str) -> None:
        """A wrong check digit, length or prefix fails."""
        assert not validate_tracking_number(carrier, number)

    def test_other_carriers_numbers_fail(self) -> None:
        """A number in one carrier's format is not valid for a carrier with another format."""
        assert not validate_tracking_number("USPS", KNOWN_VALID["UPS"][0])
        assert not validate_tracking_number("UPS", KNOWN_VALID["USPS"][0])
        assert not validate_tracking_number("DHL", KNOWN_VALID["FedEx"][0])

    def test_unicode_digits_fail(self) -> None:
        """Only ASCII digits count."""
        assert not validate_tracking_number("DHL", "٣٣١٨٨١٠٠٢٥")

    def test_unknown_carrier_name(self) -> None:
        """An unknown carrier name is an error listing the known ones."""
        with pytest.raises(ValueError, match=r"Unknown carrier 'Acme'.*UPS, USPS, FedEx, DHL"):
            validate_tracking_number("Acme", "123")


class TestTrackingUrls:
    """Each carrier's public tracking page."""

    @pytest.mark.parametrize(
        ("carrier", "prefix"),
        [
            ("UPS", "https://www.ups.com/track?tracknum="),
            ("USPS", "https://tools.usps.com/go/TrackConfirmAction?tLabels="),
            ("FedEx", "https://www.fedex.com/fedextrack/?trknbr="),
            ("DHL", "https://www.dhl.com/en/express/tracking.html?AWB="),
        ],
    )
    def test_url_is_the_page_plus_the_number(self, carrier: str, prefix: str) -> None:
        """The URL is the carrier's page with the number appended."""
        number = CARRIERS[carrier].tracking_number(rng(7))
        assert CARRIERS[carrier].tracking_url(number) == prefix + number

    def test_url_escapes_odd_characters(self) -> None:
        """A number with URL-special characters cannot break out of its parameter."""
        assert CARRIERS["UPS"].tracking_url("1Z&x=1 2").endswith("tracknum=1Z%26x%3D1%202")

    def test_a_page_with_other_braces_is_formatted(self) -> None:
        """A template with more than `{number}` in braces is filled by `str.format`."""
        carrier = attrs.evolve(
            CARRIERS["UPS"], url_template="https://x/{{a}}?n={number}&m={number}"
        )
        assert carrier.tracking_url("1Z1") == "https://x/{a}?n=1Z1&m=1Z1"


class TestCheckDigitArithmetic:
    """The check digits, summed over translated bytes, are their definitions spelt out."""

    @given(st.text(alphabet="0123456789", max_size=30))
    def test_mod10(self, digits: str) -> None:
        """GS1: weights 3, 1, 3, ... from the right; the digit tops the sum up to ten."""
        weights = itertools.cycle((3, 1))
        total = sum(int(d) * w for d, w in zip(reversed(digits), weights, strict=False))
        assert _carriers._mod10(digits) == -total % 10

    @given(st.text(alphabet="0123456789", max_size=30))
    def test_fedex(self, digits: str) -> None:
        """Weights 1, 3, 7, ... from the right, the sum mod 11, mod 10."""
        weights = itertools.cycle((1, 3, 7))
        total = sum(int(d) * w for d, w in zip(reversed(digits), weights, strict=False))
        assert _carriers._fedex_check(digits) == total % 11 % 10

    @given(st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", max_size=30))
    def test_ups(self, body: str) -> None:
        """Letters count (ASCII code - 3) mod 10; every second character counts double."""
        values = [int(c) if c.isdigit() else (ord(c) - 3) % 10 for c in body]
        assert _carriers._ups_check(body) == -(sum(values[0::2]) + 2 * sum(values[1::2])) % 10

    @given(st.integers(0, 36**9), st.integers(0, 8))
    def test_base36(self, number: int, width: int) -> None:
        """Two characters at a time is one at a time: the low `width` base-36 digits."""
        characters, rest = [], number
        for _ in range(width):
            rest, digit = divmod(rest, 36)
            characters.append(_carriers._UPS_ALPHABET[digit])
        assert _carriers._base36(number, width) == "".join(reversed(characters))
