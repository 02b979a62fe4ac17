"""The null rule as data: per field of a document, what it shows when it holds no value.

A field the provider's schema marks non-nullable never reads `null`: it gets a realistic value
or is left out. Each document states its rule once (`Rule`), and both its rendering and the
table in `docs/conformance.md` come from that rule.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any

import attrs

Filler = Callable[[Mapping[str, Any]], Any]
"""Makes a field's value from the rest of its document."""


@attrs.frozen
class FieldRule:
    """What one field shows when the document holds no value for it (None or absent)."""

    name: str
    why: str
    """Why the field reads so, in the words of `docs/conformance.md`."""
    fill: Filler | None = None
    """Makes the realistic value; None leaves the key out."""
    shown: str = "left out"
    """How the table describes the value (`left out` when `fill` is None)."""


@attrs.frozen
class Rule:
    """One document's null rule: its fields that may hold no value, and what each shows."""

    document: str
    fields: tuple[FieldRule, ...]

    def apply(self, doc: dict[str, Any]) -> dict[str, Any]:
        """The document with each such field filled or left out (changed in place, returned)."""
        for field in self.fields:
            if doc.get(field.name) is not None:
                continue
            if field.fill is None:
                doc.pop(field.name, None)
            else:
                doc[field.name] = field.fill(doc)
        return doc

    def table(self) -> list[tuple[str, str, str]]:
        """(field, value or "left out", why) per field, as `docs/conformance.md` lists them."""
        return [(field.name, field.shown, field.why) for field in self.fields]


def left_out(name: str, why: str) -> FieldRule:
    """A field whose key is left out when it holds no value."""
    return FieldRule(name, why)


def filled(name: str, shown: str, why: str, fill: Filler) -> FieldRule:
    """A field given a realistic value, made by `fill`, when it holds none."""
    return FieldRule(name, why, fill, shown)


_CRM_ALPHABET = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_CRM_CHARS = bytes(_CRM_ALPHABET[byte % len(_CRM_ALPHABET)] for byte in range(256))
"""Each byte value to one of the 62 characters (a translation table: one call per id)."""


def crm_reference(prefix: str, key: str) -> str:
    """A CRM record id in Salesforce's 18-character style, the same for the same key.

    Args:
        prefix: the record type's three characters ("001" an account, "003" a contact).
        key: what the record stands for (a document's id).
    """
    digest = hashlib.sha256(f"{prefix}:{key}".encode()).digest()
    return prefix + digest[:15].translate(_CRM_CHARS).decode("ascii")
