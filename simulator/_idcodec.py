"""Ids that read back: version-4-shaped UUIDs that encode their kind's number, keyed by the world.

The store finds an order, consumer or fulfillment by its number (the row's integer key), so
no index of random UUID text is kept: inserting into one lands on a random page every time.
"""

from __future__ import annotations

import hashlib

_BITS = 60
"""Bits of the UUID that carry the number, scrambled: the 48 before the version digit and
the 12 after it. The other 62 free bits are a check that only the right key reproduces."""
_MASK = (1 << _BITS) - 1
_HALF = _BITS // 2
_MASK64 = (1 << 64) - 1
_CHECK_MASK = (1 << 62) - 1
# Odd multipliers (SplitMix64's), so multiplying by one is a bijection modulo 2**60.
_M1, _M2, _M3 = 0xBF58476D1CE4E5B9, 0x94D049BB133111EB, 0x9E3779B97F4A7C15
_INVERSE1, _INVERSE2 = pow(_M1, -1, 1 << _BITS), pow(_M2, -1, 1 << _BITS)
_VERSION_AND_VARIANT = (4 << 76) | (2 << 62)
_DASHES = (8, 13, 18, 23)
_LENGTH = 36


class IdCodec:
    """Makes the ids of one world (seed and epoch) and reads their numbers back.

    `make(kind, n)` scrambles `n` with a keyed bijection on 60 bits (xor a key, multiply by
    an odd constant, fold the high half onto the low; twice) and adds a 62-bit check made
    from the result and a third key. `number(kind, text)` undoes the scramble and accepts
    the text only if making that number again gives the very same text, so an id from
    another world, of another kind, or typed wrong reads as no number at all.
    """

    def __init__(self, seed: int, epoch: int) -> None:
        """Key the ids of the world with this seed and epoch."""
        self._salt = f"{seed}:{epoch}:"
        self._keys: dict[str, tuple[int, int, int]] = {}

    def _key(self, kind: str) -> tuple[int, int, int]:
        keys = self._keys.get(kind)
        if keys is None:
            digest = hashlib.blake2b((self._salt + kind).encode(), digest_size=24).digest()
            keys = self._keys[kind] = (
                int.from_bytes(digest[0:8], "little") & _MASK,
                int.from_bytes(digest[8:16], "little") & _MASK,
                int.from_bytes(digest[16:24], "little"),
            )
        return keys

    def make(self, kind: str, number: int) -> str:
        """The id of the `number`-th thing of `kind` (numbers from 1 to 2**60 - 1)."""
        if not 0 < number <= _MASK:
            raise ValueError(f"id number {number} is outside 1..2**60-1")
        k1, k2, k3 = self._key(kind)
        x = ((number ^ k1) * _M1) & _MASK
        x ^= x >> _HALF
        x = ((x ^ k2) * _M2) & _MASK
        x ^= x >> _HALF
        check = ((x ^ k3) * _M3) & _MASK64
        check ^= check >> 31
        value = (x >> 12) << 80 | (x & 0xFFF) << 64 | _VERSION_AND_VARIANT | check & _CHECK_MASK
        h = f"{value:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def number(self, kind: str, text: object) -> int | None:
        """The number `make(kind, number)` gave `text`, or None when no number gives it."""
        if not isinstance(text, str) or len(text) != _LENGTH:
            return None
        if any(text[i] != "-" for i in _DASHES):
            return None
        try:
            value = int(text.replace("-", ""), 16)
        except ValueError:
            return None
        x = (value >> 80) << 12 | (value >> 64) & 0xFFF
        k1, k2, _ = self._key(kind)
        x ^= x >> _HALF  # folding the high half onto the low undoes itself
        x = ((x * _INVERSE2) & _MASK) ^ k2
        x ^= x >> _HALF
        x = ((x * _INVERSE1) & _MASK) ^ k1
        if x == 0 or self.make(kind, x) != text:
            return None
        return x
