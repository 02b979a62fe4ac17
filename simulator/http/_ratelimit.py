"""Rate limits on the simulated clock: a fixed window per client, aligned to the clock hour.

Fixed, because the provider's `X-RateLimit-Reset` names one instant when the window resets.
"""

from __future__ import annotations

import math
import threading
from datetime import UTC, datetime, timedelta

import attrs

WINDOW = timedelta(hours=1)


@attrs.frozen
class Verdict:
    """Whether one request may go ahead, and what the rate-limit headers say about it."""

    allowed: bool
    limit: int
    remaining: int
    resets_at: datetime
    retry_after: int
    """Whole simulated seconds until the window ends (at least 1)."""

    def headers(self) -> dict[str, str]:
        """`X-RateLimit-*` headers, plus `Retry-After` when the request is refused."""
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": self.resets_at.isoformat().replace("+00:00", "Z"),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after)
        return headers


class RateLimiter:
    """Counts requests per key in the current simulated clock hour; thread-safe.

    A key is a client, or a remote address for requests without a valid token. The window
    runs from 10:00:00 to 10:59:59.999999 (simulated); every count starts again at 11:00.
    """

    def __init__(self, limit: int) -> None:
        """Set the limit.

        Args:
            limit: requests allowed per key per simulated hour (at least 1).

        Raises:
            ValueError: the limit is below 1.
        """
        if limit < 1:
            raise ValueError(f"The rate limit must be at least 1 request per hour, not {limit}.")
        self.limit = limit
        self._lock = threading.Lock()
        self._window: datetime | None = None
        self._counts: dict[str, int] = {}

    def hit(self, key: str, now: datetime) -> Verdict:
        """Count a request by `key` at simulated `now`, unless it is over the limit.

        A refused request is not counted, so a client that waits out the window gets
        its full allowance back.
        """
        start = window_start(now)
        with self._lock:
            if start != self._window:
                # Every key shares the window, so the past hour's counts can all go.
                self._window = start
                self._counts = {}
            used = self._counts.get(key, 0)
            allowed = used < self.limit
            if allowed:
                used += 1
                self._counts[key] = used
        resets_at = start + WINDOW
        retry_after = max(1, math.ceil((resets_at - now).total_seconds()))
        return Verdict(allowed, self.limit, self.limit - used, resets_at, retry_after)

    def clear(self) -> None:
        """Forget every count (after the world is reset)."""
        with self._lock:
            self._window = None
            self._counts = {}


def window_start(now: datetime) -> datetime:
    """The start of the simulated clock hour that holds `now`, in UTC."""
    return now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
