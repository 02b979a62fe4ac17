"""Deterministic shipping-address checks that put orders On Hold, and the test triggers.

Both are documented for integrators in docs/operations-profile.md.
"""

from __future__ import annotations

import enum
import functools
import re
import types
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from collections.abc import Mapping


class ProblemCode(enum.StrEnum):
    """Why an address needs review; stable strings for the API."""

    REQUIRED = "required"
    """A field the carrier needs is empty or missing."""
    PO_BOX = "po_box"
    """A PO box: carriers need a street address."""
    POSTAL_CODE_FORMAT = "postal_code_format"
    """A US postal code that is neither "12345" nor "12345-6789"."""
    UNKNOWN_STATE = "unknown_state"
    """A US state code or name that is not in the table."""
    POSTAL_CODE_STATE_MISMATCH = "postal_code_state_mismatch"
    """A US ZIP code whose first three digits belong to another state."""


@attrs.frozen
class AddressProblem:
    """One reason an address needs review: which field, why, and a sentence to act on."""

    field: str
    code: ProblemCode
    message: str


@attrs.frozen
class UsState:
    """A US state, district, territory or armed-forces code and its ZIP codes."""

    code: str
    name: str
    zip3_ranges: tuple[tuple[int, int], ...]
    """Inclusive ranges of the ZIP codes' first three digits, as numbers (005 is 5)."""
    extra_zips: tuple[str, ...] = ()
    """Whole ZIP codes in another state's 3-digit range that belong to this one."""

    def owns_zip(self, zip5: str) -> bool:
        """Tell whether a 5-digit ZIP code belongs to this state.

        Args:
            zip5: five ASCII digits.

        Returns:
            True when its first three digits fall in one of the ranges, or it is an extra ZIP.
        """
        prefix = int(zip5[:3])
        return zip5 in self.extra_zips or any(
            low <= prefix <= high for low, high in self.zip3_ranges
        )

    def describe_ranges(self) -> str:
        """Spell the ranges for a message, e.g. "100-149, 005, 063"."""
        return ", ".join(
            f"{low:03d}" if low == high else f"{low:03d}-{high:03d}"
            for low, high in self.zip3_ranges
        )


def _state(
    code: str, name: str, *ranges: tuple[int, int], extra_zips: tuple[str, ...] = ()
) -> UsState:
    return UsState(code, name, ranges, extra_zips)


# USPS 3-digit ZIP prefixes. A range may span prefixes USPS leaves unassigned; they belong
# to no other state, so accepting them costs nothing and keeps the table readable.
_STATE_TABLE: tuple[UsState, ...] = (
    _state("AL", "Alabama", (350, 369)),
    _state("AK", "Alaska", (995, 999)),
    _state("AZ", "Arizona", (850, 865)),
    _state("AR", "Arkansas", (716, 729)),
    _state("CA", "California", (900, 961)),
    _state("CO", "Colorado", (800, 816)),
    _state("CT", "Connecticut", (60, 69)),
    _state("DE", "Delaware", (197, 199)),
    # 569 is the parcel return service; 201 (Dulles) is Virginia's.
    _state("DC", "District of Columbia", (200, 200), (202, 205), (569, 569)),
    # 340 is Armed Forces Americas.
    _state("FL", "Florida", (320, 339), (341, 349)),
    _state("GA", "Georgia", (300, 319), (398, 399)),
    _state("HI", "Hawaii", (967, 968)),
    _state("ID", "Idaho", (832, 838)),
    _state("IL", "Illinois", (600, 629)),
    _state("IN", "Indiana", (460, 479)),
    _state("IA", "Iowa", (500, 528)),
    _state("KS", "Kansas", (660, 679)),
    _state("KY", "Kentucky", (400, 427)),
    _state("LA", "Louisiana", (700, 715)),
    _state("ME", "Maine", (39, 49)),
    _state("MD", "Maryland", (206, 219)),
    # 055 is the IRS in Andover, inside Vermont's range.
    _state("MA", "Massachusetts", (10, 27), (55, 55)),
    _state("MI", "Michigan", (480, 499)),
    _state("MN", "Minnesota", (550, 567)),
    _state("MS", "Mississippi", (386, 397)),
    _state("MO", "Missouri", (630, 658)),
    _state("MT", "Montana", (590, 599)),
    _state("NE", "Nebraska", (680, 693)),
    _state("NV", "Nevada", (889, 898)),
    _state("NH", "New Hampshire", (30, 38)),
    _state("NJ", "New Jersey", (70, 89)),
    _state("NM", "New Mexico", (870, 884)),
    # 005 is the IRS in Holtsville; Fishers Island (06390) sits in Connecticut's 063.
    _state("NY", "New York", (5, 5), (100, 149), extra_zips=("06390",)),
    _state("NC", "North Carolina", (270, 289)),
    _state("ND", "North Dakota", (580, 588)),
    _state("OH", "Ohio", (430, 459)),
    # 733 is the IRS in Austin, Texas.
    _state("OK", "Oklahoma", (730, 732), (734, 749)),
    _state("OR", "Oregon", (970, 979)),
    _state("PA", "Pennsylvania", (150, 196)),
    _state("RI", "Rhode Island", (28, 29)),
    _state("SC", "South Carolina", (290, 299)),
    _state("SD", "South Dakota", (570, 577)),
    _state("TN", "Tennessee", (370, 385)),
    _state("TX", "Texas", (733, 733), (750, 799), (885, 885)),
    _state("UT", "Utah", (840, 847)),
    _state("VT", "Vermont", (50, 54), (56, 59)),
    _state("VA", "Virginia", (201, 201), (220, 246)),
    _state("WA", "Washington", (980, 994)),
    _state("WV", "West Virginia", (247, 268)),
    _state("WI", "Wisconsin", (530, 549)),
    # Alta (83414) sits in Idaho's 834.
    _state("WY", "Wyoming", (820, 831), extra_zips=("83414",)),
    _state("PR", "Puerto Rico", (6, 7), (9, 9)),
    _state("VI", "U.S. Virgin Islands", (8, 8)),
    _state("GU", "Guam", (969, 969)),
    _state("AS", "American Samoa", (967, 967)),
    _state("MP", "Northern Mariana Islands", (969, 969)),
    _state("FM", "Federated States of Micronesia", (969, 969)),
    _state("MH", "Marshall Islands", (969, 969)),
    _state("PW", "Palau", (969, 969)),
    _state("AA", "Armed Forces Americas", (340, 340)),
    _state("AE", "Armed Forces Europe", (90, 98)),
    _state("AP", "Armed Forces Pacific", (962, 966)),
)

US_STATES: Mapping[str, UsState] = types.MappingProxyType({s.code: s for s in _STATE_TABLE})
"""Every state, DC, territory and armed-forces code OK Capsule ships to, by 2-letter code."""

_US_COUNTRY_NAMES = frozenset({"united states", "united states of america", "usa", "us"})
_US_COUNTRY_CODES = frozenset({"US", "USA"})
_STATE_ALIASES = {
    "washington dc": "DC",
    "virgin islands": "VI",
    "us virgin islands": "VI",
    "united states virgin islands": "VI",
    "micronesia": "FM",
}
_STATES_BY_NAME: Mapping[str, str] = types.MappingProxyType(
    {**{s.name.lower().replace(".", ""): s.code for s in _STATE_TABLE}, **_STATE_ALIASES}
)

_ZIP = re.compile(r"[0-9]{5}(?:-[0-9]{4})?")
_PO_BOX = re.compile(
    r"""
    \b(?:
        p\.?\s*o\.?\s*b(?:ox)?(?:\b|\.|(?=[0-9]))  # PO Box, P.O. Box, P O Box, POB 12, P.O.B.
      | post\s*office\s*box
    )
    | ^\s*box\s*\#?\s*[0-9]             # "Box 123" only at the start: "12 Box Elder Rd" is a street
    """,
    re.IGNORECASE | re.VERBOSE,
)
_REQUIRED = ("address1", "city", "postal_code")
_STREET_LINES = ("address1", "address2")


def _text(address: Mapping[str, Any], key: str) -> str:
    """Read a field as stripped text; a missing or null field reads as ""."""
    value = address.get(key)
    return "" if value is None else str(value).strip()


def _normalise_name(name: str) -> str:
    """Fold case, drop "." and ",", collapse spaces: "Washington, D.C." -> "washington dc"."""
    return " ".join(re.sub(r"[.,]", "", name).lower().split())


def is_us_address(address: Mapping[str, Any]) -> bool:
    """Tell whether the US-only rules apply to an address.

    Args:
        address: the shipping address, as the API sends it.

    Returns:
        True when `country_code` is "US" or "USA"; failing a code, when `country_name` names
        the United States; and when the address names no country at all.
    """
    code = _text(address, "country_code")
    if code:
        return code.upper() in _US_COUNTRY_CODES
    name = _text(address, "country_name")
    # OK Capsule ships from, and mostly to, the US: an address naming no country is a US one.
    return not name or _normalise_name(name) in _US_COUNTRY_NAMES


def find_state(code_or_name: str) -> UsState | None:
    """Look a US state up by its 2-letter code or its name, ignoring case.

    Args:
        code_or_name: e.g. "CA", "ca", "California" or "District of Columbia".

    Returns:
        The state, or None when it is not in the table.
    """
    key = code_or_name.strip().upper()
    if key in US_STATES:
        return US_STATES[key]
    code = _STATES_BY_NAME.get(_normalise_name(code_or_name))
    return None if code is None else US_STATES[code]


def validate_address(address: Mapping[str, Any]) -> tuple[AddressProblem, ...]:
    """Check a shipping address against the rules that put an order On Hold for review.

    Every address needs a non-empty `address1`, `city` and `postal_code`, and no PO box in
    `address1` or `address2` ("PO Box 12", "P.O. Box", "P O Box", "Post Office Box",
    "POB 12", or "Box 123" at the start), since carriers need a street address. A US
    address (see `is_us_address`) also needs a 5-digit ZIP or ZIP+4, a known state
    (`province_code`, else `province_name`; see `US_STATES`), and a ZIP whose first three
    digits belong to that state.

    Field names in the problems are the address's own keys; prefix them as the API needs.

    Args:
        address: the shipping address, as the API sends it.

    Returns:
        Every problem found, in a fixed order (required fields, PO boxes, then the US rules);
        empty when the address is fine.
    """
    problems = [
        AddressProblem(key, ProblemCode.REQUIRED, f"{key} is required.")
        for key in _REQUIRED
        if not _text(address, key)
    ]
    for key in _STREET_LINES:
        line = _text(address, key)
        if _PO_BOX.search(line):
            problems.append(
                AddressProblem(
                    key,
                    ProblemCode.PO_BOX,
                    f"{key} {line!r} is a PO box; carriers need a street address.",
                )
            )
    if is_us_address(address):
        problems.extend(_us_problems(address))
    return tuple(problems)


def _us_problems(address: Mapping[str, Any]) -> tuple[AddressProblem, ...]:
    """The US-only rules: ZIP format, a known state, and a ZIP that belongs to it."""
    return _us_rules(
        _text(address, "postal_code"),
        _text(address, "province_code"),
        _text(address, "province_name"),
    )


# Orders come again and again from the same ZIP codes and states: the verdict on the three
# fields is remembered (the problems are immutable), saving a state lookup and a range scan.
@functools.lru_cache(maxsize=4096)
def _us_rules(
    postal_code: str, province_code: str, province_name: str
) -> tuple[AddressProblem, ...]:
    """`_us_problems` on the fields' stripped text."""
    problems: list[AddressProblem] = []
    zip_ok = bool(postal_code) and _ZIP.fullmatch(postal_code) is not None
    if postal_code and not zip_ok:
        problems.append(
            AddressProblem(
                "postal_code",
                ProblemCode.POSTAL_CODE_FORMAT,
                f"postal_code {postal_code!r} is not a US ZIP code: "
                "use 5 digits or ZIP+4, like '94107' or '94107-1234'.",
            )
        )
    state_field = "province_code" if province_code else "province_name"
    given = province_code or province_name
    if not given:
        problems.append(
            AddressProblem(
                "province_code",
                ProblemCode.REQUIRED,
                "A US address needs its state: province_code (like 'CA') or province_name.",
            )
        )
        return tuple(problems)
    state = find_state(given)
    if state is None:
        problems.append(
            AddressProblem(
                state_field,
                ProblemCode.UNKNOWN_STATE,
                f"{state_field} {given!r} is not a US state, district, territory "
                "or armed-forces code.",
            )
        )
    elif zip_ok and not state.owns_zip(postal_code[:5]):
        problems.append(
            AddressProblem(
                "postal_code",
                ProblemCode.POSTAL_CODE_STATE_MISMATCH,
                f"ZIP code {postal_code} is not in {state.name} ({state.code}), whose ZIP "
                f"codes start with {state.describe_ranges()}.",
            )
        )
    return tuple(problems)


class TriggerKind(enum.StrEnum):
    """What a test trigger makes the simulated OK Capsule do; the value is the note token name."""

    HOLD = "hold"
    """OK Capsule holds the accepted order for review (On Hold) before production starts."""
    CANCEL = "cancel"
    """OK Capsule cancels the order (Canceled by OKC) after acceptance, before production."""
    DELAY_PRODUCTION = "delay-production"
    """Production starts N business days later than the profile says."""
    DELAY_DELIVERY = "delay-delivery"
    """The parcel spends N more calendar days in transit."""
    FAIL = "fail"
    """Production fails: the order goes to Error."""
    RETURN = "return"
    """The parcel comes back after shipping: the order goes to Returned."""
    ADDRESS_REVIEW = "address-review"
    """The address needs review (On Hold) even though it passes validation."""


@attrs.frozen
class TriggerSpec:
    """How a trigger is written and what it does, for error messages and documentation."""

    kind: TriggerKind
    description: str
    takes_days: bool = attrs.field(default=False, kw_only=True)
    """Whether the token needs `=<N>`."""

    @property
    def token(self) -> str:
        """The note token, e.g. "okc-test:delay-production=<N>"."""
        suffix = "=<N>" if self.takes_days else ""
        return f"{TRIGGER_PREFIX}{self.kind.value}{suffix}"


@attrs.frozen
class Trigger:
    """A test trigger found on an order."""

    kind: TriggerKind
    days: int | None = None
    """N for the delay triggers; None for the others."""


TRIGGER_PREFIX = "okc-test:"
"""Every note token starts with this (any case)."""

HOLD_STREET = "1 Hold Street"
"""An address1 that forces address review (any case and spacing), like a test card number."""

MAX_TRIGGER_DAYS = 60
"""The largest N a delay trigger accepts; the smallest is 1."""

TRIGGERS: Mapping[TriggerKind, TriggerSpec] = types.MappingProxyType(
    {
        spec.kind: spec
        for spec in (
            TriggerSpec(
                TriggerKind.HOLD,
                "OK Capsule holds the order for review after acceptance, before production.",
            ),
            TriggerSpec(TriggerKind.CANCEL, "OK Capsule cancels the order before production."),
            TriggerSpec(
                TriggerKind.DELAY_PRODUCTION,
                "Production starts N business days late.",
                takes_days=True,
            ),
            TriggerSpec(
                TriggerKind.DELAY_DELIVERY, "Transit takes N more calendar days.", takes_days=True
            ),
            TriggerSpec(TriggerKind.FAIL, "Production fails: the order goes to Error."),
            TriggerSpec(TriggerKind.RETURN, "The parcel comes back after shipping: Returned."),
            TriggerSpec(
                TriggerKind.ADDRESS_REVIEW,
                f"The address needs review (On Hold); so does address1 {HOLD_STREET!r}.",
            ),
        )
    }
)
"""Every trigger, in documentation order."""


class TriggerError(ValueError):
    """A note carries an unknown, malformed or extra `okc-test:` token."""

    def __init__(self, problem: str) -> None:
        """Name the problem and list the tokens that do work.

        Args:
            problem: what is wrong with the token, as a sentence.
        """
        known = ", ".join(spec.token for spec in TRIGGERS.values())
        super().__init__(f"{problem} Known test triggers: {known}.")


_TOKEN = re.compile(
    rf"(?<![\w-]){re.escape(TRIGGER_PREFIX)}(?P<name>[a-z0-9_-]*)(?:=(?P<value>[^\s,;)]*))?",
    re.IGNORECASE,
)
_DAYS = re.compile(r"[0-9]{1,6}")


def test_trigger(note: str | None, address: Mapping[str, Any] | None) -> Trigger | None:
    """Find the test trigger an order carries, if any.

    An order carries at most one: a `okc-test:<name>[=<N>]` token anywhere in its note
    (any case), or the address1 "1 Hold Street" (address review).

    Args:
        note: the order's note.
        address: the order's shipping address.

    Returns:
        The trigger, or None when the order carries none.

    Raises:
        TriggerError: a token names no trigger, its N is missing, not a whole number from 1
            to `MAX_TRIGGER_DAYS`, or given to a trigger that takes none; or the order carries
            more than one trigger. The message lists the known triggers.
    """
    found = [_parse_token(match) for match in _TOKEN.finditer(note or "")]
    if address is not None and _is_hold_street(_text(address, "address1")):
        found.append(Trigger(TriggerKind.ADDRESS_REVIEW))
    if len(found) > 1:
        kinds = ", ".join(trigger.kind.value for trigger in found)
        raise TriggerError(f"An order may carry one test trigger, this one carries {kinds}.")
    return found[0] if found else None


# pytest would collect the function as a test wherever a test module imports it.
test_trigger.__test__ = False  # type: ignore[attr-defined]


def _is_hold_street(line: str) -> bool:
    return " ".join(line.split()).casefold() == HOLD_STREET.casefold()


def _parse_token(match: re.Match[str]) -> Trigger:
    """Turn one `okc-test:` token into a trigger, or explain what is wrong with it."""
    name, value = match["name"].lower(), match["value"]
    try:
        spec = TRIGGERS[TriggerKind(name)]
    except ValueError:
        raise TriggerError(f"Unknown test trigger {match[0]!r}.") from None
    if not spec.takes_days:
        if value is not None:
            raise TriggerError(f"Test trigger {spec.token!r} takes no value, got {match[0]!r}.")
        return Trigger(spec.kind)
    # Sentence punctuation after the number is not part of it: "okc-test:delay-delivery=3."
    digits = (value or "").rstrip(".!?")
    if not _DAYS.fullmatch(digits) or not 1 <= int(digits) <= MAX_TRIGGER_DAYS:
        raise TriggerError(
            f"Test trigger {match[0]!r} needs N, a whole number of days from 1 to "
            f"{MAX_TRIGGER_DAYS}: write {spec.token!r}."
        )
    return Trigger(spec.kind, int(digits))
