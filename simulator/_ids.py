"""Deterministic identifiers: the same seed and the same calls give the same ids."""

from __future__ import annotations

import hashlib
import random
import uuid


def stable_uuid(*parts: object) -> str:
    """A version-4-shaped UUID derived from the parts (a hash, not a random draw)."""
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def order_rng(seed: int, order_id: str, step: str) -> random.Random:
    """The random generator for one step of one order, independent of every other draw."""
    return random.Random(f"{seed}:{order_id}:{step}")  # noqa: S311 - simulation, not security


def secret_token(*parts: object) -> str:
    """An opaque token string derived from the parts (URL-safe hex)."""
    return hashlib.sha256(":".join(str(p) for p in parts).encode()).hexdigest()
