"""The request journal: the last requests the server answered, for tests to inspect."""

from __future__ import annotations

import itertools
import threading
from collections import deque
from typing import Any

import attrs


@attrs.frozen
class JournalEntry:
    """One answered request."""

    id: int
    """The request's number, counted from 1 since the app started (a reset goes on counting)."""
    at: str
    """The simulated instant the request arrived (ISO 8601, UTC)."""
    method: str
    path: str
    query: str
    status: int | None
    """The status the client received; None when a fault dropped the connection."""
    client_id: str | None
    """The client whose access token the request carried, if any and valid; for a token
    request, the client who logged in."""
    duration_ms: float
    """Real (not simulated) time spent answering, in milliseconds."""
    fault: dict[str, str] | None = None
    """The injected fault that struck the request (`id`, `kind`, `stage`), if one did."""
    observed: tuple[str, ...] = ()
    """The ids of the orders the response showed the client (an order, or a page of them)."""
    retry_after: int | None = None
    """The `Retry-After` seconds of a 429."""

    def to_json(self) -> dict[str, Any]:
        """The entry as `GET /_sim/requests` lists it."""
        return attrs.asdict(self)


class Journal:
    """A bounded, thread-safe record of the most recent requests, oldest first."""

    def __init__(self, size: int) -> None:
        """Set how many entries to keep.

        Args:
            size: the most entries kept; older ones are dropped (0 keeps none).

        Raises:
            ValueError: the size is negative.
        """
        if size < 0:
            raise ValueError(f"The journal size cannot be negative, not {size}.")
        self.size = size
        self._lock = threading.Lock()
        self._entries: deque[JournalEntry] = deque(maxlen=size)
        self._numbers = itertools.count(1)

    def next_id(self) -> int:
        """A new request number (thread-safe: `next` on a count is atomic)."""
        return next(self._numbers)

    def record(self, entry: JournalEntry) -> None:
        """Add an entry, dropping the oldest when full."""
        with self._lock:
            self._entries.append(entry)

    def recent(self, limit: int | None = None) -> list[JournalEntry]:
        """The newest `limit` entries (all when None), oldest first."""
        with self._lock:
            entries = list(self._entries)
        return entries if limit is None else entries[max(0, len(entries) - limit) :]

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()
