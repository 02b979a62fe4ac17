"""The fault injector: one app's rules, each with its own seeded draws, and the pick per request.

Given a seed and a clock (the simulated now), not the simulator: the same requests in the same
order meet the same faults.
"""

from __future__ import annotations

import random
import threading
from typing import TYPE_CHECKING, Any

import attrs

from simulator.http._fault_rules import (
    CONTROL_PREFIX,
    DEFAULT_ROUTE,
    Fault,
    FaultKind,
    FaultSpecError,
    FaultStage,
    parse_rule,
    route_pattern,
    rule_bodies,
)

if TYPE_CHECKING:
    import re
    from collections.abc import Callable, Iterable
    from datetime import datetime


@attrs.define(eq=False)
class _Rule:
    """A stored rule with its own generator and counters (guarded by the injector's lock)."""

    fault: Fault
    pattern: re.Pattern[str]
    rng: random.Random
    remaining: int | None
    applied: int = 0

    def matches(self, method: str, path: str) -> bool:
        methods = self.fault.methods
        return (methods is None or method in methods) and bool(self.pattern.fullmatch(path))

    def spent(self, now: datetime) -> bool:
        until = self.fault.until
        return self.remaining == 0 or (until is not None and now >= until)

    def snapshot(self) -> Fault:
        return attrs.evolve(self.fault, remaining=self.remaining, applied=self.applied)


class FaultInjector:
    """The fault rules of one app; thread-safe. The app keeps it at `app.state.faults`.

    Faults never touch `/_sim` routes. Each request that a rule matches (route, method, still
    active) draws once from that rule's generator, seeded from the simulator's seed and the
    rule's id; the first rule, in the order added, whose draw strikes applies.

    Example:
        ```python
        faults = app.state.faults
        faults.add("error", route="/v2/orders", methods="POST", status=503, count=2)
        faults.add("latency", latency_ms=40, probability=0.25)
        faults.add("rate_limit", retry_after=30, for_seconds=600)
        ```
    """

    def __init__(self, seed: int, clock: Callable[[], datetime]) -> None:
        """Start with no rules.

        Args:
            seed: the seed of every rule's draws (with the rule's id): the simulator's.
            clock: the simulated now, which ends rules (`until`, `for_seconds`).
        """
        self._seed = seed
        self._clock = clock
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []
        self._next_id = 1

    def add(  # noqa: PLR0913 - a rule's fields, keyword-only after the kind
        self,
        kind: FaultKind,
        *,
        route: str = DEFAULT_ROUTE,
        methods: str | Iterable[str] | None = None,
        status: int | None = None,
        latency_ms: float | None = None,
        retry_after: int | None = None,
        probability: float = 1.0,
        count: int | None = None,
        until: datetime | str | None = None,
        for_seconds: float | None = None,
        stage: FaultStage = "request",
    ) -> Fault:
        """Add one fault rule.

        Args:
            kind: "error", "latency", "drop" or "rate_limit".
            route: the paths it applies to: "*" (all but `/_sim`), a path, a path with
                `{name}` or `*` for one segment, or ending in `*` for everything below.
            methods: the methods it applies to ("POST" or ["GET", "PUT"]); None for all.
            status: an error's status: 500, 502, 503 (the default) or 504.
            latency_ms: real milliseconds to wait before answering (required for "latency").
            retry_after: a rate-limit fault's `Retry-After` seconds (default 60).
            probability: the share of matching requests it strikes, from 0 to 1.
            count: strike at most this many times.
            until: stop at this simulated instant (aware datetime or ISO 8601 text).
            for_seconds: stop this many simulated seconds from now (instead of `until`).
            stage: "request" strikes before the request is handled; "response" lets the
                server do the work, then fails, delays or drops its answer.

        Returns:
            The stored rule, with its id.

        Raises:
            ValueError: a field is missing, unknown or out of range; the message names it.
        """
        rule: dict[str, object] = {
            "kind": kind,
            "route": route,
            "methods": methods if methods is None or isinstance(methods, str) else list(methods),
            "status": status,
            "latency_ms": latency_ms,
            "retry_after": retry_after,
            "probability": probability,
            "count": count,
            "until": until,
            "for_seconds": for_seconds,
            "stage": stage,
        }
        return self.add_json(rule)[0]

    def add_json(self, body: object) -> list[Fault]:
        """Add rules given as `POST /_sim/faults` takes them: one rule, or `{"faults": [...]}`.

        Either every rule is added or, when one is bad, none.

        Args:
            body: a rule as a JSON object (a mapping), or `{"faults": [rule, ...]}`.

        Returns:
            The stored rules, in the order given.

        Raises:
            ValueError: a rule is bad; the message names each bad field (`faults[1].status`).
        """
        bodies, many = rule_bodies(body)
        now = self._clock()
        specs, problems = [], []
        for index, item in enumerate(bodies):
            spec, found = parse_rule(item, now, f"faults[{index}]." if many else "")
            specs.append(spec)
            problems += found
        if problems:
            raise FaultSpecError(problems)
        with self._lock:
            added = [self._store(spec) for spec in specs]
        return [rule.snapshot() for rule in added]

    def _store(self, spec: dict[str, Any]) -> _Rule:
        fault_id = f"fault-{self._next_id}"
        self._next_id += 1
        fault = Fault(id=fault_id, remaining=spec["count"], applied=0, **spec)
        rng = random.Random(f"{self._seed}:fault:{fault_id}")  # noqa: S311 - simulation, not security
        rule = _Rule(fault, route_pattern(fault.route), rng, fault.count)
        self._rules.append(rule)
        return rule

    def active(self) -> list[Fault]:
        """The rules still in force (not used up, not past `until`), oldest first."""
        now = self._clock()
        with self._lock:
            self._prune(now)
            return [rule.snapshot() for rule in self._rules]

    def remove(self, fault: Fault | str) -> None:
        """Remove one rule.

        Args:
            fault: the rule, or its id.

        Raises:
            KeyError: no active rule has that id.
        """
        fault_id = fault.id if isinstance(fault, Fault) else fault
        with self._lock:
            kept = [rule for rule in self._rules if rule.fault.id != fault_id]
            if len(kept) == len(self._rules):
                raise KeyError(fault_id)
            self._rules = kept

    def clear(self) -> None:
        """Remove every rule; ids count from "fault-1" again."""
        with self._lock:
            self._rules = []
            self._next_id = 1

    def pick(self, method: str, path: str, now: datetime) -> Fault | None:
        """Decide whether a request meets a fault, and count the strike.

        Args:
            method: the request's method.
            path: the request's path.
            now: the simulated instant the request arrived.

        Returns:
            The rule that strikes, as it stands after this strike; None for no fault.
        """
        if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
            return None
        with self._lock:
            self._prune(now)
            chosen: _Rule | None = None
            for rule in self._rules:
                if not rule.matches(method, path):
                    continue
                # Every matching rule draws, so a rule's draws depend only on the requests
                # it matches, not on what the rules before it did.
                struck = rule.rng.random() < rule.fault.probability
                if struck and chosen is None:
                    chosen = rule
            if chosen is None:
                return None
            chosen.applied += 1
            if chosen.remaining is not None:
                chosen.remaining -= 1
            return chosen.snapshot()

    def _prune(self, now: datetime) -> None:
        self._rules = [rule for rule in self._rules if not rule.spent(now)]
