"""Deterministic identifiers: the same seed and the same calls give the same ids."""

from __future__ import annotations

import hashlib
import random
from typing import TYPE_CHECKING

import orjson

from simulator._idcodec import IdCodec

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
    return _uuid_of(":".join(map(str, parts)))


def _uuid_of(key: str) -> str:
    h = hashlib.sha256(key.encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT_DIGIT[h[16]]}{h[17:20]}-{h[20:32]}"


_MASK64 = (1 << 64) - 1


class StepDraws(random.Random):
    """A small counter-based generator (SplitMix64) for the few draws of one step of one order.

    Seeding the Mersenne Twister costs microseconds (624 words of state, and a SHA-512 of a
    string seed), which is most of a step's work when a tick moves ten thousand orders.
    SplitMix64 from a BLAKE2b hash of the key is cheap to start, passes BigCrush, and keeps
    every draw a pure function of (seed, order, step).

    The draws a step makes are written out here rather than left to `random.Random`'s
    pure-Python methods over `getrandbits`: `random()` and `uniform()` give exactly what
    those would; integers (`randrange`, `randint`, and `choice` through `_randbelow`) take
    one output each by Lemire's method, where `random.Random` masks outputs until one falls
    in range and throws up to half of them away. `random.Random` supplies `choices` and the
    rest on top of these.
    """

    def __init__(self, key: str) -> None:
        digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
        self._state = int.from_bytes(digest, "little")

    def seed(self, *_args: object, **_kwargs: object) -> None:
        """Refuse re-seeding: a step's draws are fixed by its key."""
        raise TypeError("StepDraws is seeded by its key only.")

    def _next64(self) -> int:
        self._state = z = (self._state + 0x9E3779B97F4A7C15) & _MASK64
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
        return z ^ (z >> 31)

    def random(self) -> float:
        """A float in [0, 1): the top 53 bits of one output (`_next64`, written out)."""
        self._state = z = (self._state + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
        return ((z ^ (z >> 31)) >> 11) * (1.0 / 9007199254740992.0)

    def _randbelow(self, n: int) -> int:
        """An integer in [0, n), exactly uniform, from one output: Lemire's multiply-shift.

        The draw is the high 64 bits of `output * n`. An output whose low 64 bits fall below
        2**64 mod n (a chance under n / 2**64) is drawn again: that removes the bias. Past
        2**64, `getrandbits(n.bit_length())` again until below `n`, as `random.Random` does.

        Raises:
            ValueError: `n` is not positive.
        """
        if not 0 < n <= 0x10000000000000000:
            if n <= 0:
                raise ValueError(f"_randbelow needs n > 0, got {n}.")
            k = n.bit_length()
            r = self.getrandbits(k)
            while r >= n:
                r = self.getrandbits(k)
            return r
        state = self._state
        while True:
            state = z = (state + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
            product = (z ^ (z >> 31)) * n
            low = product & 0xFFFFFFFFFFFFFFFF
            # 2**64 mod n is below n, so the test that settles nearly every draw comes first.
            if low >= n or low >= 0x10000000000000000 % n:
                self._state = state
                return product >> 64

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:
        """`random.Random.randrange`, with its common integer cases taken first.

        `randrange(n)` and `randrange(a, b)` on plain ints are `_randbelow(n)` and
        `a + _randbelow(b - a)`, as there; anything else (a step, bad or odd arguments,
        an empty range) goes to `random.Random.randrange` itself, for its answer or error.
        """
        if type(step) is int and step == 1 and type(start) is int:
            if stop is None:
                if start > 0:
                    return self._randbelow(start)
            elif type(stop) is int and stop > start:
                return start + self._randbelow(stop - start)
        return super().randrange(start, stop, step)

    def randint(self, a: int, b: int) -> int:
        """`random.Random.randint`, that is `randrange(a, b + 1)`, with its common case first."""
        if type(a) is int and type(b) is int and b >= a:
            return a + self._randbelow(b - a + 1)
        return super().randint(a, b)

    def uniform(self, a: float, b: float) -> float:
        """`random.Random.uniform`, that is `a + (b - a) * random()`, in one call."""
        self._state = z = (self._state + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
        return a + (b - a) * (((z ^ (z >> 31)) >> 11) * (1.0 / 9007199254740992.0))

    def skip(self, n: int) -> None:
        """Pass over the next `n` outputs (`random()` calls) without working them out.

        SplitMix64's output `i` is a function of the key and `i` alone, so the draws after
        the skipped ones are those that would follow had the skipped ones been made.
        """
        self._state = (self._state + n * 0x9E3779B97F4A7C15) & _MASK64

    def getrandbits(self, k: int, /) -> int:
        """An integer of `k` random bits."""
        if k < 0:
            raise ValueError("number of bits must be non-negative")
        bits, have = 0, 0
        while have < k:
            bits |= self._next64() << have
            have += 64
        return bits & ((1 << k) - 1)

    def getstate(self) -> tuple[int, ...]:
        """The generator's state, for `setstate`."""
        return (self._state,)

    def setstate(self, state: tuple[int, ...]) -> None:
        """Return to a state `getstate` gave."""
        (self._state,) = state


def order_rng(seed: int, order_id: str, step: str) -> StepDraws:
    """The random generator for one step of one order, independent of every other draw."""
    return StepDraws(f"{seed}:{order_id}:{step}")


LOOKED_UP = frozenset({"order", "consumer", "fulfillment"})
"""Kinds whose ids read back to their number (`IdCodec`): the store finds such a thing by
its number, its row's integer key, and keeps no index of the id text."""


class IdFactory:
    """Numbered ids per kind, derived from the seed and the world's epoch, saved with the data.

    The ids of `LOOKED_UP` kinds are `IdCodec`'s and read back to their number; the others
    (an order's lines, pouches and contents) are hashes of seed, epoch, kind, number.
    """

    def __init__(
        self,
        seed: int,
        epoch: int,
        counters: dict[str, int] | None = None,
        *,
        durable: bool = True,
    ) -> None:
        """Start numbering (or carry on from saved counters).

        Args:
            seed: the simulator's seed.
            epoch: how many resets the world has had; ids never repeat across resets.
            counters: the last number issued per kind, as saved in the store.
            durable: whether every write transaction must save the counters (a file store,
                which a crash may reopen at any commit). An in-memory world saves them only
                at `flush` (an advance, a snapshot): nothing reopens it in between.
        """
        self.seed = seed
        self.epoch = epoch
        self.counters: dict[str, int] = dict(counters or {})
        self.durable = durable
        self.codec = IdCodec(seed, epoch)
        self._prefixes: dict[str, str] = {}

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
        if kind in LOOKED_UP:
            return self.codec.make(kind, number)
        prefix = self._prefixes.get(kind)
        if prefix is None:
            prefix = self._prefixes[kind] = f"{self.seed}:{self.epoch}:{kind}:"
        return _uuid_of(prefix + str(number))  # = stable_uuid(seed, epoch, kind, number)

    def save(self, conn: sqlite3.Connection) -> None:
        """Save every counter in the caller's transaction, if the store is durable."""
        if self.durable:
            self.flush(conn)

    def flush(self, conn: sqlite3.Connection) -> None:
        """Save every counter in the caller's transaction, whatever the store."""
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('counters', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (orjson.dumps(self.counters, option=orjson.OPT_SORT_KEYS).decode(),),
        )

    def mark(self) -> dict[str, int]:
        """The counters as they are, for `undo_to` (a `Store` keeper: see `Store.keep`)."""
        return dict(self.counters)

    def undo_to(self, mark: object) -> None:
        """Put the counters back as `mark` found them: a write that issued ids rolled back."""
        assert isinstance(mark, dict)  # noqa: S101 - only `mark` makes one
        self.counters = mark

    def number_of(self, kind: str, made: object) -> int:
        """The number of a `LOOKED_UP` kind's id, or 0 (no row's) when this world made no such id.

        Args:
            kind: what the id names ("order", "consumer", "fulfillment").
            made: the id as a caller sent it (any value: a wrong one gives 0).
        """
        return self.codec.number(kind, made) or 0

    def last(self, kind: str) -> int:
        """The number of the last id issued of a kind."""
        return self.counters.get(kind, 0)
