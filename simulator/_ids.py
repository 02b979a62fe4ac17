"""Deterministic identifiers: the same seed and the same calls give the same ids."""

from __future__ import annotations

import hashlib
import json
import random
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3


# The RFC 4122 variant sets the top two bits of the 17th hex digit to 10 and keeps the low
# two, so 0-f map to 8-b.
_VARIANT_DIGIT = {f"{n:x}": f"{n & 0x3 | 0x8:x}" for n in range(16)}


def stable_uuid(*parts: object) -> str:
    """A version-4-shaped UUID derived from the parts (a hash, not a random draw).

    The same text as `str(uuid.UUID(bytes=digest[:16], version=4))`, spelt out with string
    slicing: this runs for every id the simulator makes, and `uuid.UUID` costs twice as much.
    """
    h = hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT_DIGIT[h[16]]}{h[17:20]}-{h[20:32]}"


def order_rng(seed: int, order_id: str, step: str) -> random.Random:
    """The random generator for one step of one order, independent of every other draw."""
    return random.Random(f"{seed}:{order_id}:{step}")  # noqa: S311 - simulation, not security


def secret_token(*parts: object) -> str:
    """An opaque token string derived from the parts (URL-safe hex)."""
    return hashlib.sha256(":".join(str(p) for p in parts).encode()).hexdigest()


class IdFactory:
    """Numbered ids per kind, derived from the seed and the world's epoch, saved with the data."""

    def __init__(self, seed: int, epoch: int, counters: dict[str, int] | None = None) -> None:
        """Start numbering (or carry on from saved counters).

        Args:
            seed: the simulator's seed.
            epoch: how many resets the world has had; ids never repeat across resets.
            counters: the last number issued per kind, as saved in the store.
        """
        self.seed = seed
        self.epoch = epoch
        self.counters: dict[str, int] = dict(counters or {})

    def next(self, conn: sqlite3.Connection, kind: str) -> str:
        """The next id of a kind; the counter is saved in the caller's transaction."""
        made = self.issue(kind)
        self.save(conn)
        return made

    def issue(self, kind: str) -> str:
        """The next id of a kind, counted but not yet saved: `save` before the commit.

        For a caller that makes many ids in one transaction (an order's lines, pouches
        and contents) and saves the counters once rather than once per id.
        """
        number = self.counters.get(kind, 0) + 1
        self.counters[kind] = number
        return stable_uuid(self.seed, self.epoch, kind, number)

    def save(self, conn: sqlite3.Connection) -> None:
        """Save every counter in the caller's transaction."""
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('counters', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (json.dumps(self.counters, sort_keys=True),),
        )

    def last(self, kind: str) -> int:
        """The number of the last id issued of a kind."""
        return self.counters.get(kind, 0)
