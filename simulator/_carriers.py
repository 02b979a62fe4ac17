"""Carriers, their services, and tracking numbers in each carrier's real format.

Numbers are random but carry real check digits, so integrators' own validators accept them.
"""

from __future__ import annotations

import re
import string
import types
from typing import TYPE_CHECKING
from urllib.parse import quote

import attrs

if TYPE_CHECKING:
    import random
    from collections.abc import Callable, Iterable, Mapping


@attrs.frozen
class Service:
    """One shipping service, named as the order's `shipping_method` names it."""

    code: str
    """The `shipping_method` value, e.g. "Ground" or "Priority Mail"."""
    transit_days: tuple[int, int]
    """Calendar days from shipping to delivery, (fewest, most); the profile may override."""
    tracking_code: str = ""
    """Digits the carrier's tracking number embeds for this service (UPS service indicator,
    USPS IMpb prefix); empty when the format has none."""


@attrs.frozen
class Carrier:
    """A carrier: its services, its tracking-number format and its tracking page."""

    name: str
    services: tuple[Service, ...]
    """The carrier's services; the first is its default."""
    url_template: str = attrs.field(repr=False)
    """The public tracking page, with `{number}` where the tracking number goes."""
    _generate: Callable[[random.Random, Service], str] = attrs.field(alias="generate", repr=False)
    _is_valid: Callable[[str], bool] = attrs.field(alias="is_valid", repr=False)
    _url_split: tuple[str, str] | None = attrs.field(init=False, repr=False, eq=False)
    """The tracking page before and after its `{number}`; None when it holds other braces."""

    def __attrs_post_init__(self) -> None:
        """Split the tracking page around `{number}` once, rather than format it per number."""
        head, field, tail = self.url_template.partition("{number}")
        plain = field and "{" not in head + tail and "}" not in head + tail
        object.__setattr__(self, "_url_split", (head, tail) if plain else None)

    def service(self, code: str) -> Service:
        """Look one of this carrier's services up by its `shipping_method` code.

        Args:
            code: the exact code, e.g. "2nd Day Air".

        Returns:
            The service.

        Raises:
            ValueError: the carrier has no such service; the message lists the ones it has.
        """
        for service in self.services:
            if service.code == code:
                return service
        known = ", ".join(repr(s.code) for s in self.services)
        raise ValueError(f"{self.name} has no service {code!r}; it has {known}.")

    def tracking_number(self, rng: random.Random, service: str | None = None) -> str:
        """Make a new tracking number in this carrier's format, with a valid check digit.

        Numbers are random, not guaranteed unique: a caller that needs uniqueness checks.

        Args:
            rng: the source of randomness; the same state gives the same number.
            service: the service's code, for formats that embed it; None uses the default.

        Returns:
            The tracking number.

        Raises:
            ValueError: the carrier has no such service.
        """
        chosen = self.services[0] if service is None else self.service(service)
        return self._generate(rng, chosen)

    def tracking_url(self, number: str) -> str:
        """Return the carrier's public tracking page for a tracking number."""
        # Letters and digits need no escaping (every generated number is such): skip `quote`.
        if not (number.isascii() and number.isalnum()):
            number = quote(number, safe="")
        if self._url_split is None:
            return self.url_template.format(number=number)
        head, tail = self._url_split
        return head + number + tail

    def is_valid_tracking_number(self, number: str) -> bool:
        """Tell whether a number has this carrier's format and a correct check digit."""
        return self._is_valid(number)


def _digits(rng: random.Random, count: int) -> str:
    """`count` random decimal digits, leading zeros included, from one draw."""
    return str(rng.randrange(10**count)).zfill(count)


_VALUES = bytes(byte - 48 if 48 <= byte <= 57 else (byte - 3) % 10 for byte in range(256))
"""Each ASCII character's value in a check digit, as a `bytes.translate` table: a digit its
own value, any other character (ASCII code - 3) mod 10, as UPS counts letters (A is 2, B is
3, ...). Summing the translated bytes adds the values up in C, not one `int()` at a time."""


def _mod10(digits: str) -> int:
    """The GS1 mod-10 check digit: weights 3, 1, 3, ... from the rightmost digit.

    `digits` must be ASCII digits (as the formats' patterns and the generators ensure).
    """
    values = digits.encode().translate(_VALUES)
    return -(3 * sum(values[-1::-2]) + sum(values[-2::-2])) % 10


_UPS_ALPHABET = string.digits + string.ascii_uppercase
_UPS = re.compile(r"1Z[0-9A-Z]{15}[0-9]")
_BASE36_PAIRS = [high + low for high in _UPS_ALPHABET for low in _UPS_ALPHABET]
"""Every two-character base-36 string, by value: `_BASE36_PAIRS[n]` for n < 36 ** 2."""


def _base36(number: int, width: int) -> str:
    """`number` in base 36 (digits, then A to Z), zero-padded to `width` characters.

    Two characters at a time; only the low `width` digits of a larger number are kept.
    """
    text = ""
    for _ in range(width // 2):
        number, pair = divmod(number, 36 * 36)
        text = _BASE36_PAIRS[pair] + text
    if width % 2:
        text = _UPS_ALPHABET[number % 36] + text
    return text


def _ups_check(body: str) -> int:
    """UPS's check digit over the 15 characters after "1Z".

    Letters count as (ASCII code - 3) mod 10 (A is 2, B is 3, ...); the characters in even
    positions (2nd, 4th, ...) count double; the check digit tops the sum up to a multiple of 10.
    `body` must be ASCII letters and digits (as the format's pattern and the generator ensure).
    """
    values = body.encode().translate(_VALUES)
    return -(sum(values[0::2]) + 2 * sum(values[1::2])) % 10


def _ups_number(rng: random.Random, service: Service) -> str:
    # 1Z, a 6-character shipper account, the 2-digit service, a 7-digit package number.
    shipper = _base36(rng.randrange(36**6), 6)
    body = f"{shipper}{service.tracking_code}{_digits(rng, 7)}"
    return f"1Z{body}{_ups_check(body)}"


def _ups_valid(number: str) -> bool:
    return _UPS.fullmatch(number) is not None and _ups_check(number[2:-1]) == int(number[-1])


_USPS = re.compile(r"9[1-5][0-9]{20}")


def _usps_number(rng: random.Random, service: Service) -> str:
    # IMpb: the 4-digit channel and service prefix, 17 digits of mailer and serial, a check.
    body = f"{service.tracking_code}{_digits(rng, 17)}"
    return f"{body}{_mod10(body)}"


def _usps_valid(number: str) -> bool:
    return _USPS.fullmatch(number) is not None and _mod10(number[:-1]) == int(number[-1])


_FEDEX = re.compile(r"[0-9]{12}")


def _fedex_check(digits: str) -> int:
    """FedEx Express's check digit: weights 1, 3, 7, ... from the right, sum mod 11, mod 10.

    `digits` must be ASCII digits (as the format's pattern and the generator ensure).
    """
    values = digits.encode().translate(_VALUES)
    total = sum(values[-1::-3]) + 3 * sum(values[-2::-3]) + 7 * sum(values[-3::-3])
    return total % 11 % 10


def _fedex_number(rng: random.Random, _service: Service) -> str:
    # A leading zero is legal but looks odd to people reading the number.
    body = rng.choice("123456789") + _digits(rng, 10)
    return f"{body}{_fedex_check(body)}"


def _fedex_valid(number: str) -> bool:
    return _FEDEX.fullmatch(number) is not None and _fedex_check(number[:-1]) == int(number[-1])


_DHL = re.compile(r"[0-9]{10}")


def _dhl_number(rng: random.Random, _service: Service) -> str:
    # DHL Express waybills: 9 digits, then their remainder modulo 7.
    body = rng.choice("123456789") + _digits(rng, 8)
    return f"{body}{int(body) % 7}"


def _dhl_valid(number: str) -> bool:
    return _DHL.fullmatch(number) is not None and int(number[:-1]) % 7 == int(number[-1])


def _registry(carriers: Iterable[Carrier]) -> Mapping[str, Carrier]:
    return types.MappingProxyType({carrier.name: carrier for carrier in carriers})


CARRIERS: Mapping[str, Carrier] = _registry(
    (
        Carrier(
            "UPS",
            (
                Service("Ground", (1, 5), "03"),
                Service("3 Day Select", (3, 3), "12"),
                Service("2nd Day Air", (2, 2), "02"),
                Service("Next Day Air", (1, 1), "01"),
            ),
            "https://www.ups.com/track?tracknum={number}",
            generate=_ups_number,
            is_valid=_ups_valid,
        ),
        Carrier(
            "USPS",
            (
                Service("Ground Advantage", (2, 5), "9400"),
                Service("Priority Mail", (1, 3), "9205"),
                Service("Priority Mail Express", (1, 2), "9270"),
            ),
            "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}",
            generate=_usps_number,
            is_valid=_usps_valid,
        ),
        Carrier(
            "FedEx",
            (
                Service("Ground", (1, 5)),
                Service("Home Delivery", (1, 5)),
                Service("2Day", (2, 2)),
                Service("Standard Overnight", (1, 1)),
            ),
            "https://www.fedex.com/fedextrack/?trknbr={number}",
            generate=_fedex_number,
            is_valid=_fedex_valid,
        ),
        Carrier(
            "DHL",
            (Service("Express Worldwide", (2, 5)), Service("Express 12:00", (1, 3))),
            "https://www.dhl.com/en/express/tracking.html?AWB={number}",
            generate=_dhl_number,
            is_valid=_dhl_valid,
        ),
    )
)
"""Every carrier the simulator ships with, by name: "UPS", "USPS", "FedEx", "DHL"."""


def validate_tracking_number(carrier: Carrier | str, number: str) -> bool:
    """Tell whether a tracking number has a carrier's format and a correct check digit.

    Args:
        carrier: the carrier, or its name in `CARRIERS`.
        number: the tracking number, exactly (no spaces, upper case for UPS).

    Returns:
        True when the number is well formed for that carrier.

    Raises:
        ValueError: the carrier name is not in `CARRIERS`.
    """
    if isinstance(carrier, str):
        try:
            carrier = CARRIERS[carrier]
        except KeyError:
            known = ", ".join(CARRIERS)
            raise ValueError(f"Unknown carrier {carrier!r}; known carriers: {known}.") from None
    return carrier.is_valid_tracking_number(number)
