"""Tests for the operations profile: the packaged default, custom files and every error."""

from __future__ import annotations

import random
import re
from collections import Counter
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator._carriers import CARRIERS
from simulator._profile import (
    _KEYS,
    DEFAULT_PROFILE,
    OperationsProfile,
    ProfileError,
    ShippingOption,
    load_profile,
    parse_profile,
)

if TYPE_CHECKING:
    from pathlib import Path as PathType

DOCS = Path(__file__).parents[1] / "docs" / "operations-profile.md"


def federal_holidays(year: int) -> set[date]:
    """The US federal holidays observed in a year, computed from the rules in 5 U.S.C. 6103.

    A holiday on a Saturday is observed the Friday before (so New Year's Day of the next year
    may fall in this one), on a Sunday the Monday after.
    """

    def nth_monday(month: int, n: int) -> date:
        first = date(year, month, 1)
        return first + timedelta(days=(-first.weekday()) % 7 + 7 * (n - 1))

    def last_monday(month: int) -> date:
        last = date(year, month + 1, 1) - timedelta(days=1)
        return last - timedelta(days=last.weekday())

    def observed(day: date) -> date:
        shift = {5: -1, 6: 1}.get(day.weekday(), 0)
        return day + timedelta(days=shift)

    first_november = date(year, 11, 1)
    thanksgiving = first_november + timedelta(days=(3 - first_november.weekday()) % 7 + 21)
    days = {
        observed(date(year, 1, 1)),
        nth_monday(1, 3),
        nth_monday(2, 3),
        last_monday(5),
        observed(date(year, 6, 19)),
        observed(date(year, 7, 4)),
        nth_monday(9, 1),
        nth_monday(10, 2),
        observed(date(year, 11, 11)),
        thanksgiving,
        observed(date(year, 12, 25)),
        observed(date(year + 1, 1, 1)),
    }
    return {day for day in days if day.year == year}


def default_toml() -> str:
    """The packaged default profile's text."""
    return resources.files("simulator").joinpath(DEFAULT_PROFILE).read_text(encoding="utf-8")


class TestDefault:
    """The packaged default profile."""

    def test_loads(self) -> None:
        """load_profile() with no path gives the documented defaults."""
        profile = load_profile()
        assert profile.timezone == "America/Los_Angeles"
        assert profile.production_start_business_days == (0, 1)
        assert profile.production_business_hours == (4.0, 24.0)

    def test_holds_and_cancels_nothing_at_random(self) -> None:
        """The default profile never holds or cancels an order by chance."""
        profile = load_profile()
        assert profile.okc_hold_rate == 0.0
        assert profile.okc_cancel_rate == 0.0

    def test_production_ships_within_24_business_hours(self) -> None:
        """Production never takes more than 24 business hours by default."""
        assert load_profile().production_business_hours[1] <= 24

    def test_holidays_are_the_observed_federal_holidays_2026_2027(self) -> None:
        """The default holidays match the federal rules, including 2027-12-31 for 2028."""
        holidays = load_profile().holidays
        assert holidays == federal_holidays(2026) | federal_holidays(2027)
        assert date(2027, 12, 31) in holidays
        assert date(2026, 7, 3) in holidays
        assert all(day.weekday() < 5 for day in holidays)

    def test_every_key_is_commented(self) -> None:
        """Each key in the packaged file has a comment right above it (or its table)."""
        lines = default_toml().splitlines()
        for number, line in enumerate(lines):
            if re.match(r"^[a-z_\[]", line) and not line.startswith("[carrier_mix."):
                assert lines[number - 1].startswith("#"), line

    def test_the_shipping_options_cover_every_service(self) -> None:
        """Every carrier service appears once, with the carrier's transit days by default."""
        profile = load_profile()
        pairs = [(option.carrier, option.service) for option in profile.carriers]
        expected = [(c.name, s.code) for c in CARRIERS.values() for s in c.services]
        assert pairs == expected
        for option in profile.carriers:
            service = CARRIERS[option.carrier].service(option.service)
            assert option.transit_days == service.transit_days

    def test_empty_text_is_the_default(self) -> None:
        """A profile with no keys is the default profile."""
        assert parse_profile("") == load_profile()

    def test_packaged_file_by_path_is_the_default(self, tmp_path: PathType) -> None:
        """Loading a copy of the packaged file gives the same profile."""
        copy = tmp_path / "copy.toml"
        copy.write_text(default_toml(), encoding="utf-8")
        assert load_profile(copy) == load_profile()

    def test_calendar_uses_zone_and_holidays(self) -> None:
        """The profile's calendar has its zone and treats its holidays as non-business days."""
        calendar = load_profile().calendar
        assert calendar.zone == "America/Los_Angeles"
        assert not calendar.is_business_day(date(2026, 11, 26))
        assert calendar.is_business_day(date(2026, 11, 27))


CUSTOM = """
timezone = "UTC-8"
production_start_business_days = [1, 3]
production_business_hours = [0.5, 48]
okc_hold_rate = 0.25
okc_cancel_rate = 1
holidays = [2026-12-24, "2026-12-31"]

[carrier_mix.DHL]
"Express Worldwide" = 1

[carrier_mix.USPS]
"Priority Mail" = 3

[transit_days.UPS]
"Ground" = [3, 7]
"2nd Day Air" = [0, 2]
"""


class TestCustom:
    """A custom profile laid over the default."""

    def test_full_custom_profile(self) -> None:
        """Every key given is read, typed and stored."""
        profile = parse_profile(CUSTOM)
        assert profile.timezone == "UTC-8"
        assert profile.production_start_business_days == (1, 3)
        assert profile.production_business_hours == (0.5, 48.0)
        assert profile.okc_hold_rate == 0.25
        assert profile.okc_cancel_rate == 1.0
        assert profile.holidays == {date(2026, 12, 24), date(2026, 12, 31)}

    def test_carrier_mix_replaces_the_default_mix(self) -> None:
        """Only the services in the custom mix have a weight."""
        weights = {
            (o.carrier, o.service): o.weight for o in parse_profile(CUSTOM).carriers if o.weight
        }
        assert weights == {("DHL", "Express Worldwide"): 1.0, ("USPS", "Priority Mail"): 3.0}

    def test_transit_days_change_only_the_services_named(self) -> None:
        """Named services get the new range; the rest keep the carrier's."""
        profile = parse_profile(CUSTOM)
        assert profile.shipping_option("UPS", "Ground").transit_days == (3, 7)
        assert profile.shipping_option("UPS", "2nd Day Air").transit_days == (0, 2)
        assert profile.shipping_option("UPS", "Next Day Air").transit_days == (1, 1)
        assert profile.shipping_option("FedEx", "Ground").transit_days == (1, 5)

    def test_one_key_keeps_the_other_defaults(self) -> None:
        """A file with one key changes that key only."""
        profile = parse_profile("okc_hold_rate = 0.1")
        default = load_profile()
        assert profile.okc_hold_rate == 0.1
        assert profile.holidays == default.holidays
        assert profile.carriers == default.carriers

    def test_empty_holidays_means_none(self) -> None:
        """An empty holidays list removes every holiday."""
        assert parse_profile("holidays = []").holidays == frozenset()

    def test_load_from_file(self, tmp_path: PathType) -> None:
        """load_profile reads a file by path."""
        path = tmp_path / "ops.toml"
        path.write_text(CUSTOM, encoding="utf-8")
        assert load_profile(path) == parse_profile(CUSTOM)
        assert load_profile(str(path)) == parse_profile(CUSTOM)

    def test_fixed_offset_calendar(self) -> None:
        """A UTC-8 profile's calendar runs on the fixed offset."""
        assert parse_profile(CUSTOM).calendar.zone == "UTC-8"

    @given(
        start=st.tuples(st.integers(0, 10), st.integers(0, 10)).map(sorted),
        hours=st.tuples(st.integers(0, 96), st.integers(0, 96)).map(sorted),
        hold=st.floats(0, 1),
        cancel=st.floats(0, 1),
        days=st.lists(st.dates(date(2000, 1, 1), date(2100, 12, 31)), max_size=5),
    )
    def test_any_valid_values_round_trip(
        self,
        start: list[int],
        hours: list[int],
        hold: float,
        cancel: float,
        days: list[date],
    ) -> None:
        """Property: any in-range values written to TOML are read back unchanged."""
        text = (
            f"production_start_business_days = {start}\n"
            f"production_business_hours = {hours}\n"
            f"okc_hold_rate = {hold!r}\n"
            f"okc_cancel_rate = {cancel!r}\n"
            f"holidays = [{', '.join(day.isoformat() for day in days)}]\n"
        )
        profile = parse_profile(text)
        assert profile.production_start_business_days == tuple(start)
        assert profile.production_business_hours == tuple(map(float, hours))
        assert (profile.okc_hold_rate, profile.okc_cancel_rate) == (hold, cancel)
        assert profile.holidays == set(days)


BAD_PROFILES = [
    ("surprise = 1", "surprise", "unknown key"),
    ('"odd key" = 1', '"odd key"', "unknown key"),
    ("okc_hold_rate = 1.5", "okc_hold_rate", "from 0.0 to 1.0"),
    ("okc_hold_rate = -0.1", "okc_hold_rate", "from 0.0 to 1.0"),
    ('okc_hold_rate = "0.1"', "okc_hold_rate", "must be a number"),
    ("okc_hold_rate = true", "okc_hold_rate", "must be a number"),
    ("okc_cancel_rate = nan", "okc_cancel_rate", "must be a number"),
    ("production_start_business_days = [2, 1]", "production_start_business_days", "fewest"),
    ("production_start_business_days = [1]", "production_start_business_days", r"\[fewest"),
    ("production_start_business_days = 1", "production_start_business_days", r"\[fewest"),
    ("production_start_business_days = [0.5, 1]", "production_start_business_days", "whole"),
    ("production_start_business_days = [-1, 1]", "production_start_business_days", "negative"),
    ("production_business_hours = [30, 24]", "production_business_hours", "fewest"),
    ("production_business_hours = [1, inf]", "production_business_hours", "numbers"),
    ("production_business_hours = [false, 2]", "production_business_hours", "numbers"),
    ('holidays = ["2026-02-30"]', r"holidays\[0\]", "not a real date"),
    ('holidays = [2026-01-01, "next tuesday"]', r"holidays\[1\]", "must be a date"),
    ('holidays = ["20260101"]', r"holidays\[0\]", "must be a date"),
    ("holidays = [2026-01-01T00:00:00]", r"holidays\[0\]", "must be a date"),
    ("holidays = [12:00:00]", r"holidays\[0\]", "must be a date"),
    ('holidays = "2026-01-01"', "holidays", "list of dates"),
    ('timezone = "Mars/Olympus_Mons"', "timezone", "Unknown time zone"),
    ('timezone = "UTC-25"', "timezone", "Unknown time zone"),
    ("timezone = 8", "timezone", "string"),
    ('timezone = "  "', "timezone", "string"),
    ("carrier_mix = 3", "carrier_mix", "table"),
    ("[carrier_mix]\nUPS = 3", "carrier_mix.UPS", "table"),
    ('[carrier_mix.UPSS]\n"Ground" = 1', "carrier_mix.UPSS", "unknown carrier"),
    ('[carrier_mix.UPS]\n"Overnight" = 1', "carrier_mix.UPS.Overnight", "no service"),
    ('[carrier_mix.UPS]\n"Ground" = -1', "carrier_mix.UPS.Ground", "weight"),
    ('[carrier_mix.UPS]\n"Ground" = "lots"', "carrier_mix.UPS.Ground", "weight"),
    ('[carrier_mix.UPS]\n"Ground" = 0', "carrier_mix", "at least one"),
    ("[carrier_mix]", "carrier_mix", "at least one"),
    ('[transit_days.UPS]\n"Ground" = [5, 3]', "transit_days.UPS.Ground", "fewest"),
    ('[transit_days.FedEx]\n"2Day" = "two"', "transit_days.FedEx.2Day", "whole"),
    ('[transit_days.UPS]\n"2nd Day Air" = [3, 1]', 'transit_days.UPS."2nd Day Air"', "fewest"),
    ('[transit_days.USPS]\n"Ground" = [1, 2]', "transit_days.USPS.Ground", "no service"),
    ('[transit_days.Acme]\n"Ground" = [1, 2]', "transit_days.Acme", "unknown carrier"),
    ("transit_days = 5", "transit_days", "table"),
]


class TestErrors:
    """Every bad profile is a ProfileError naming the file and the key."""

    @pytest.mark.parametrize(("text", "key", "problem"), BAD_PROFILES)
    def test_refused_naming_source_and_key(self, text: str, key: str, problem: str) -> None:
        """The message starts with the source and the key, then says what is wrong."""
        with pytest.raises(ProfileError) as caught:
            parse_profile(text, source="ops.toml")
        assert re.match(rf"ops\.toml: {key}: .*{problem}", str(caught.value)), caught.value
        assert caught.value.source == "ops.toml"
        assert re.fullmatch(key, caught.value.key or "")

    def test_invalid_toml(self) -> None:
        """Text that is not TOML is refused, naming the source but no key."""
        with pytest.raises(ProfileError, match=r"^ops\.toml: not valid TOML") as caught:
            parse_profile("okc_hold_rate = ", source="ops.toml")
        assert caught.value.key is None

    def test_file_errors_name_the_file(self, tmp_path: PathType) -> None:
        """A bad file loaded by path is named by its path."""
        path = tmp_path / "ops.toml"
        path.write_text("okc_cancel_rate = 2\n", encoding="utf-8")
        with pytest.raises(ProfileError, match=re.escape(f"{path}: okc_cancel_rate: ")):
            load_profile(path)

    def test_missing_file(self, tmp_path: PathType) -> None:
        """A file that does not exist is a ProfileError naming it."""
        path = tmp_path / "absent.toml"
        with pytest.raises(ProfileError, match=re.escape(f"{path}: cannot read")):
            load_profile(path)

    def test_profile_error_is_a_value_error(self) -> None:
        """Callers that catch ValueError catch profile errors too."""
        assert issubclass(ProfileError, ValueError)

    def test_unknown_key_lists_the_known_ones(self) -> None:
        """An unknown key's message lists the keys that do exist."""
        with pytest.raises(ProfileError, match=r"okc_hold_rate.*transit_days"):
            parse_profile("hold_rate = 0.5")


class TestShipping:
    """Looking up and picking carrier services."""

    def test_lookup(self) -> None:
        """shipping_option finds a carrier service."""
        option = load_profile().shipping_option("USPS", "Priority Mail")
        assert option == ShippingOption("USPS", "Priority Mail", 15.0, (1, 3))

    def test_lookup_unknown(self) -> None:
        """An unknown carrier service is a ValueError."""
        with pytest.raises(ValueError, match="No carrier service"):
            load_profile().shipping_option("USPS", "Ground")

    def test_pick_follows_the_mix(self) -> None:
        """Picks land only on weighted services, roughly in proportion to their weights."""
        profile = load_profile()
        rng = random.Random(5)
        picks = Counter(
            (o.carrier, o.service) for o in (profile.pick_shipping(rng) for _ in range(4000))
        )
        weights = {(o.carrier, o.service): o.weight for o in profile.carriers if o.weight}
        assert set(picks) == set(weights)
        total = sum(weights.values())
        for pair, weight in weights.items():
            assert abs(picks[pair] / 4000 - weight / total) < 0.03, pair

    def test_pick_is_deterministic(self) -> None:
        """The same generator state picks the same services."""
        profile = load_profile()
        a, b = random.Random(9), random.Random(9)
        assert [profile.pick_shipping(a) for _ in range(50)] == [
            profile.pick_shipping(b) for _ in range(50)
        ]

    @given(
        weights=st.dictionaries(
            st.sampled_from([(c.name, s.code) for c in CARRIERS.values() for s in c.services]),
            st.integers(0, 5),
            min_size=1,
        ).filter(lambda w: any(w.values())),
        seed=st.integers(0, 2**32),
    )
    def test_never_picks_a_zero_weight(
        self, weights: dict[tuple[str, str], int], seed: int
    ) -> None:
        """Property: whatever the mix, a pick always has a weight above 0."""
        lines = [f'carrier_mix.{c}."{s}" = {w}' for (c, s), w in weights.items()]
        profile = parse_profile("\n".join(lines))
        rng = random.Random(seed)
        option = profile.pick_shipping(rng)
        assert weights[option.carrier, option.service] > 0


def test_profile_is_a_value() -> None:
    """Two loads of the same profile are equal and hashable."""
    assert isinstance(load_profile(), OperationsProfile)
    assert hash(load_profile()) == hash(load_profile())


class TestDocs:
    """docs/operations-profile.md agrees with the code."""

    def test_every_key_is_documented(self) -> None:
        """Each profile key has a row in the docs' key table."""
        text = DOCS.read_text(encoding="utf-8")
        for key in _KEYS:
            assert f"| `{key}` |" in text, key

    def test_carrier_table_matches_the_default(self) -> None:
        """The docs' carrier table lists every service's default transit days and weight."""
        rows = re.findall(
            r"^\| (\w+) \| ([^|]+?) \| (\d+)-(\d+) \| (\d+) \|$",
            DOCS.read_text(encoding="utf-8"),
            re.MULTILINE,
        )
        documented = {
            (carrier, service): ((int(low), int(high)), float(weight))
            for carrier, service, low, high, weight in rows
        }
        actual = {
            (o.carrier, o.service): (o.transit_days, o.weight) for o in load_profile().carriers
        }
        assert documented == actual
