"""The operations profile: what the simulated OK Capsule does with an order once it is Accepted.

Read from TOML laid over the packaged default_profile.toml, which documents every key.
"""

from __future__ import annotations

import functools
import math
import re
import tomllib
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

import attrs

from lifecycle._calendar import Calendar
from simulator._carriers import CARRIERS, Carrier

if TYPE_CHECKING:
    import os
    import random

DEFAULT_PROFILE = "default_profile.toml"
"""The packaged default profile's file name, inside the `simulator` package."""

_DEFAULT_SOURCE = f"{DEFAULT_PROFILE} (packaged default)"
_KEYS = (
    "timezone",
    "production_start_business_days",
    "production_business_hours",
    "okc_hold_rate",
    "okc_cancel_rate",
    "holidays",
    "carrier_mix",
    "transit_days",
)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


class ProfileError(ValueError):
    """A profile is not valid TOML, or a key in it is unknown or has a bad value."""

    def __init__(self, source: str, key: str | None, problem: str) -> None:
        """Say where the problem is and what it is.

        Args:
            source: the file (or other source) the profile came from.
            key: the key concerned, as a TOML dotted path; None for the file as a whole.
            problem: what is wrong, as a sentence a person can act on.
        """
        self.source = source
        self.key = key
        where = source if key is None else f"{source}: {key}"
        super().__init__(f"{where}: {problem}")


@attrs.frozen
class ShippingOption:
    """One carrier service: how often it is picked and how long its parcels travel."""

    carrier: str
    service: str
    weight: float
    """Relative weight in the carrier mix; 0 when the profile never picks it."""
    transit_days: tuple[int, int]
    """Calendar days from shipping to delivery, (fewest, most)."""


@attrs.frozen
class OperationsProfile:
    """What happens to an order after the batch accepts it; build one with `load_profile`."""

    timezone: str
    """The zone of the batch, status ticks and business days: IANA name or "UTC-8"."""
    holidays: frozenset[date]
    """Local dates on which nothing is produced or shipped."""
    production_start_business_days: tuple[int, int]
    """Business days from acceptance to the start of production, (fewest, most)."""
    production_business_hours: tuple[float, float]
    """Business hours production takes, (fewest, most)."""
    okc_hold_rate: float
    """Chance that OK Capsule holds an order for review when the batch would accept it."""
    okc_cancel_rate: float
    """Chance that OK Capsule cancels an accepted order before production."""
    carriers: tuple[ShippingOption, ...]
    """Every service of every carrier, in registry order, with its mix weight and transit days."""

    @property
    def calendar(self) -> Calendar:
        """The lifecycle calendar for this profile's zone and holidays."""
        return Calendar(self.timezone, self.holidays)

    def shipping_option(self, carrier: str, service: str) -> ShippingOption:
        """Look up one carrier service's weight and transit days.

        Args:
            carrier: the carrier's name, e.g. "UPS".
            service: the service's `shipping_method` code, e.g. "Ground".

        Returns:
            The option.

        Raises:
            ValueError: no carrier has that service.
        """
        for option in self.carriers:
            if option.carrier == carrier and option.service == service:
                return option
        raise ValueError(f"No carrier service {carrier!r} {service!r} in the profile.")

    def pick_shipping(self, rng: random.Random) -> ShippingOption:
        """Pick a carrier service at random, following the carrier mix.

        Args:
            rng: the source of randomness; the same state gives the same pick.

        Returns:
            An option whose weight is above 0.
        """
        weighted = [option for option in self.carriers if option.weight > 0]
        return rng.choices(weighted, weights=[option.weight for option in weighted])[0]


def load_profile(path: str | os.PathLike[str] | None = None) -> OperationsProfile:
    """Load an operations profile from a TOML file, over the packaged default.

    Args:
        path: the file; None loads the packaged default alone.

    Returns:
        The profile: keys the file leaves out keep their default values.

    Raises:
        ProfileError: the file cannot be read, is not TOML, or has an unknown key or a bad
            value; the message names the file and the key.
    """
    if path is None:
        return _build(_default_table(), _DEFAULT_SOURCE)
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(source, None, f"cannot read the profile: {exc}") from exc
    return parse_profile(text, source=source)


def parse_profile(text: str, *, source: str = "<profile>") -> OperationsProfile:
    """Parse an operations profile from TOML text, over the packaged default.

    `carrier_mix` and `holidays`, when given, replace the default's; `transit_days` entries
    change only the services they name; every other key replaces the default's value.

    Args:
        text: the TOML.
        source: how to name the text in error messages, usually its file name.

    Returns:
        The profile.

    Raises:
        ProfileError: the text is not TOML, or has an unknown key or a bad value.
    """
    return _build(_merge(_default_table(), _parse_toml(text, source)), source)


@functools.cache
def _default_text() -> str:
    return resources.files("simulator").joinpath(DEFAULT_PROFILE).read_text(encoding="utf-8")


def _default_table() -> dict[str, Any]:
    return _parse_toml(_default_text(), _DEFAULT_SOURCE)


def _parse_toml(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(source, None, f"not valid TOML: {exc}.") from None


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Lay a profile over the default, merging `transit_days` one service at a time."""
    merged = {**base, **override}
    base_transit, new_transit = base.get("transit_days"), override.get("transit_days")
    if isinstance(base_transit, dict) and isinstance(new_transit, dict):
        transit = {carrier: dict(services) for carrier, services in base_transit.items()}
        for carrier, services in new_transit.items():
            if isinstance(services, dict) and isinstance(transit.get(carrier), dict):
                transit[carrier].update(services)
            else:
                transit[carrier] = services
        merged["transit_days"] = transit
    return merged


def _build(table: dict[str, Any], source: str) -> OperationsProfile:
    """Check every key of a complete profile table and build the profile."""
    for key in table:
        if key not in _KEYS:
            raise ProfileError(source, _key(key), f"unknown key; known keys: {', '.join(_KEYS)}.")
    for key in _KEYS:
        if key not in table:
            raise ProfileError(source, key, "missing.")
    check = _Checker(source)
    timezone = check.text(table["timezone"], "timezone")
    holidays = check.holidays(table["holidays"])
    try:
        Calendar(timezone, holidays)
    except ValueError as exc:
        raise ProfileError(source, "timezone", str(exc)) from None
    weights = check.carrier_mix(table["carrier_mix"])
    transit = check.transit_days(table["transit_days"])
    carriers = tuple(
        ShippingOption(
            carrier.name,
            service.code,
            weights.get((carrier.name, service.code), 0.0),
            transit.get((carrier.name, service.code), service.transit_days),
        )
        for carrier in CARRIERS.values()
        for service in carrier.services
    )
    return OperationsProfile(
        timezone=timezone,
        holidays=holidays,
        production_start_business_days=check.day_range(
            table["production_start_business_days"], "production_start_business_days"
        ),
        production_business_hours=check.hour_range(
            table["production_business_hours"], "production_business_hours"
        ),
        okc_hold_rate=check.rate(table["okc_hold_rate"], "okc_hold_rate"),
        okc_cancel_rate=check.rate(table["okc_cancel_rate"], "okc_cancel_rate"),
        carriers=carriers,
    )


def _key(*parts: str) -> str:
    """Spell a dotted TOML key, quoting the parts that need it: carrier_mix.UPS."2nd Day Air"."""
    return ".".join(part if _BARE_KEY.fullmatch(part) else f'"{part}"' for part in parts)


def _is_int(value: object) -> TypeGuard[int]:
    # TOML booleans are Python bools, which are ints; a profile value never means one.
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> TypeGuard[float]:
    return _is_int(value) or (isinstance(value, float) and math.isfinite(value))


@attrs.frozen
class _Checker:
    """Checks one value at a time, naming the source and key in every error."""

    source: str

    def fail(self, key: str, problem: str) -> ProfileError:
        return ProfileError(self.source, key, problem)

    def text(self, value: object, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"must be a non-empty string, got {value!r}.")
        return value.strip()

    def rate(self, value: object, key: str) -> float:
        if not _is_number(value):
            raise self.fail(key, f"must be a number from 0.0 to 1.0, got {value!r}.")
        rate = float(value)
        if not 0.0 <= rate <= 1.0:
            raise self.fail(key, f"must be from 0.0 to 1.0, got {value!r}.")
        return rate

    def _pair(self, value: object, key: str, *, whole: bool) -> tuple[Any, Any]:
        is_kind = _is_int if whole else _is_number
        kind = "whole numbers" if whole else "numbers"
        if not isinstance(value, list) or len(value) != 2 or not all(map(is_kind, value)):
            raise self.fail(key, f"must be [fewest, most], two {kind}, got {value!r}.")
        low, high = value
        if low < 0:
            raise self.fail(key, f"must not be negative, got {value!r}.")
        if low > high:
            raise self.fail(key, f"fewest ({low}) is more than most ({high}).")
        return low, high

    def day_range(self, value: object, key: str) -> tuple[int, int]:
        low, high = self._pair(value, key, whole=True)
        return int(low), int(high)

    def hour_range(self, value: object, key: str) -> tuple[float, float]:
        low, high = self._pair(value, key, whole=False)
        return float(low), float(high)

    def holidays(self, value: object) -> frozenset[date]:
        if not isinstance(value, list):
            raise self.fail("holidays", f"must be a list of dates, got {value!r}.")
        days: set[date] = set()
        for index, item in enumerate(value):
            key = f"holidays[{index}]"
            if isinstance(item, str) and _ISO_DATE.fullmatch(item.strip()):
                try:
                    days.add(date.fromisoformat(item.strip()))
                except ValueError:
                    raise self.fail(key, f"{item!r} is not a real date.") from None
            # A datetime is a date too, but a holiday is a whole local day.
            elif isinstance(item, date) and not isinstance(item, datetime):
                days.add(item)
            else:
                raise self.fail(key, f"must be a date like 2026-12-25, got {item!r}.")
        return frozenset(days)

    def table(self, value: object, key: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key, f"must be a table, got {value!r}.")
        return value

    def carrier(self, name: str, key: str) -> Carrier:
        try:
            return CARRIERS[name]
        except KeyError:
            known = ", ".join(CARRIERS)
            raise self.fail(key, f"unknown carrier; known carriers: {known}.") from None

    def services(self, value: object, section: str) -> dict[tuple[str, str], object]:
        """Flatten a carrier -> service -> value table, checking every name."""
        found: dict[tuple[str, str], object] = {}
        for carrier_name, services in self.table(value, section).items():
            carrier = self.carrier(carrier_name, _key(section, carrier_name))
            for code, item in self.table(services, _key(section, carrier_name)).items():
                try:
                    carrier.service(code)
                except ValueError as exc:
                    raise self.fail(_key(section, carrier_name, code), str(exc)) from None
                found[carrier.name, code] = item
        return found

    def carrier_mix(self, value: object) -> dict[tuple[str, str], float]:
        weights: dict[tuple[str, str], float] = {}
        for (carrier, service), weight in self.services(value, "carrier_mix").items():
            if not _is_number(weight) or weight < 0:
                raise self.fail(
                    _key("carrier_mix", carrier, service),
                    f"must be a weight, a number 0 or above, got {weight!r}.",
                )
            weights[carrier, service] = float(weight)
        if not any(weights.values()):
            raise self.fail("carrier_mix", "needs at least one service with a weight above 0.")
        return weights

    def transit_days(self, value: object) -> dict[tuple[str, str], tuple[int, int]]:
        return {
            (carrier, service): self.day_range(days, _key("transit_days", carrier, service))
            for (carrier, service), days in self.services(value, "transit_days").items()
        }
