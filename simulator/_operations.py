"""What OK Capsule's operations do to an order after the batch: production, shipping, delivery.

Each step of each order draws from its own generator, seeded by the simulator's seed, the
order's id and the step, so one order's fate never depends on another's or on call order.
Every step falls on a 6-hourly status tick; production and shipping only on business days.
"""

from __future__ import annotations

import bisect
import itertools
import math
from datetime import timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

import attrs

from lifecycle._machine import destinations
from lifecycle._status import OrderStatus
from lifecycle._table import Actor, Event, actor_of
from simulator._address import Trigger, TriggerKind, test_trigger
from simulator._carriers import CARRIERS, Carrier
from simulator._ids import order_rng
from simulator._operator_events import OPERATOR_ALIASES, OPERATOR_EVENT_NAMES
from simulator._timefmt import from_micros, to_micros

if TYPE_CHECKING:
    import random
    from collections.abc import Mapping

    from lifecycle._calendar import Calendar
    from simulator._profile import OperationsProfile

# Steps that make one event are named after it (the store keeps the name in `next_event`).
START_PRODUCTION = Event.START_PRODUCTION.value
"""The key of the production step's draws."""
PLAN = "plan"
"""The first step after acceptance: OKC's review, then the production run is planned. Short,
because the nightly batch writes it into every order it accepts."""
BEGIN_PRODUCTION = "begin_production"
"""Production starts now as planned (`Plan`); the bulk path takes it, else `step` does."""
SHIP = Event.SHIP.value
DELIVER = Event.DELIVER.value
RETURN = Event.RETURN.value
FAIL = Event.FAIL.value

_MEMO_SIZE = 4096
"""Most calendar answers an `Operations` keeps; far more than the instants one world uses."""


class Shipment(NamedTuple):
    """A parcel handed to a carrier."""

    carrier: str
    service: str
    tracking_number: str
    tracking_url: str
    expected_delivery: int
    weight: float


class Plan(NamedTuple):
    """An order's production run worked out ahead: when it ships, and the parcel it ships in.

    Made once, when production is scheduled, from the same per-step draws the steps would
    make one at a time; the timeline then starts production, ships and delivers planned
    orders in bulk SQL, with no Python per order (`Timeline._planned_steps`).
    """

    ship_at: int
    parcel: Shipment
    after_ship: str
    """The step that follows shipping: `deliver`, or `return` for a returning parcel."""


@attrs.frozen
class Outcome:
    """What one due step does: a status event (or none, when it only reschedules) and what next."""

    event: Event | None
    next_step: str | None
    next_at: int | None
    reason: str
    shipment: Shipment | None = None
    """The parcel, when the event is `ship`."""
    plan: Plan | None = None
    """The rest of the production run, when this step scheduled it."""


def encode_trigger(trigger: Trigger) -> str:
    """The text the store keeps for a trigger."""
    return trigger.kind.value if trigger.days is None else f"{trigger.kind.value}={trigger.days}"


def parse_trigger(text: str | None) -> Trigger | None:
    """Read a stored trigger back."""
    if text is None:
        return None
    kind, _, days = text.partition("=")
    return Trigger(TriggerKind(kind), int(days) if days else None)


class Operations:
    """The operations model: turns the profile into each order's timeline."""

    def __init__(self, seed: int, profile: OperationsProfile, calendar: Calendar) -> None:
        """Bind the model to a world.

        Args:
            seed: the simulator's seed.
            profile: the operations profile.
            calendar: the calendar of batches, ticks and business days.
        """
        self.seed = seed
        self.profile = profile
        self.calendar = calendar
        self.batch_destination: OrderStatus = destinations(Event.ACCEPT)[OrderStatus.PENDING]
        self._carrier_cum_weights = list(itertools.accumulate(c.weight for c in profile.carriers))
        total = self._carrier_cum_weights[-1] + 0.0 if profile.carriers else 0.0
        self._carrier_total = total if total > 0 and math.isfinite(total) else None
        """The mix's total weight as `random.choices` takes it; None when it refuses it."""
        self._services = [
            _Service(CARRIERS[option.carrier], option.service, *option.transit_days)
            for option in profile.carriers
        ]
        """Each service of the carrier mix, in the profile's order, with what a parcel needs."""
        self._reviews = profile.okc_cancel_rate > 0 or profile.okc_hold_rate > 0
        """Whether OKC's review may cancel or hold an order (a draw below a rate above 0)."""
        self._starts: dict[tuple[int, int], int] = {}
        """Production start by (accepted at, delay in business days): see `_production_start`."""
        self._arrivals: dict[tuple[int, int], int] = {}
        """Delivery tick by (shipped at, days in transit)."""

    # --- triggers and operator events -------------------------------------------------------

    @staticmethod
    def trigger(note: Any, address: Mapping[str, Any] | None) -> Trigger | None:  # noqa: ANN401
        """The test trigger an order carries, if any.

        Raises:
            ValueError: an unknown or malformed `okc-test:` token (the message lists them).
        """
        return test_trigger(note if isinstance(note, str) else None, address)

    @staticmethod
    def operator_event(event: Event | str) -> Event:
        """The operations event an operator asks for (`hold`/`release` mean OKC's).

        Raises:
            ValueError: unknown, or an event only the client or the batch causes.
        """
        name = event.value if isinstance(event, Event) else str(event)
        chosen = OPERATOR_ALIASES.get(name)
        if chosen is None:
            try:
                chosen = Event(name)
            except ValueError:
                chosen = None
        if chosen is None or actor_of(chosen) is Actor.CLIENT:
            raise ValueError(
                f"{name!r} is not an operator event; use one of: {', '.join(OPERATOR_EVENT_NAMES)}."
            )
        return chosen

    def after_forced(
        self, order_id: str, event: Event, now: int, trigger: Trigger | None
    ) -> Outcome:
        """What an operator's forced `event` at `now` leads to: the next step, and a parcel."""
        at = from_micros(now)
        if event is Event.ACCEPT:
            start = to_micros(self.calendar.next_business_tick(at))
            return Outcome(event, PLAN, start, "forced")
        if event is Event.START_PRODUCTION:
            hours = order_rng(self.seed, order_id, START_PRODUCTION).uniform(
                *self.profile.production_business_hours
            )
            ship_at = self.calendar.business_tick_after_hours_micros(now, hours)
            return Outcome(event, SHIP, ship_at, "forced")
        if event is Event.SHIP:
            outcome = self._ship(order_id, now, trigger)
            return attrs.evolve(outcome, reason="forced")
        return Outcome(event, None, None, "forced")

    # --- the steps --------------------------------------------------------------------------

    def step(
        self, order_id: str, step: str, at: int, accepted_at: int, trigger: Trigger | None
    ) -> Outcome:
        """Decide what a due step does to one order at instant `at`.

        `accepted_at` matters to the production steps only, which come before anything else
        can change an accepted order: the caller passes the order's last change.
        """
        if step in (PLAN, BEGIN_PRODUCTION):
            return self._start_production(order_id, at, accepted_at, trigger)
        if step == SHIP:
            if trigger is not None and trigger.kind is TriggerKind.FAIL:
                return Outcome(Event.FAIL, None, None, "production failed (test trigger)")
            return self._ship(order_id, at, trigger)
        if step == DELIVER:
            return Outcome(Event.DELIVER, None, None, "delivered by the carrier")
        if step == RETURN:
            return Outcome(Event.RETURN, None, None, "returned to sender (test trigger)")
        # An unknown step (from a newer schema) must not wedge the world: drop it.
        return Outcome(None, None, None, f"unknown step {step!r} dropped")

    def _start_production(
        self, order_id: str, at: int, accepted_at: int, trigger: Trigger | None
    ) -> Outcome:
        kind = trigger.kind if trigger is not None else None
        if kind is TriggerKind.CANCEL:
            return Outcome(Event.CANCEL_BY_OKC, None, None, "canceled by OKC (test trigger)")
        if kind is TriggerKind.HOLD:
            return Outcome(Event.OKC_HOLD, None, None, "held by OKC for review (test trigger)")
        rng = order_rng(self.seed, order_id, START_PRODUCTION)
        # Two draws, so each rate is its own chance, as the profile documents. When neither
        # can happen (both rates 0, the default), the draws are passed over uncomputed.
        if self._reviews:
            cancel, hold = rng.random(), rng.random()
            if cancel < self.profile.okc_cancel_rate:
                return Outcome(Event.CANCEL_BY_OKC, None, None, "canceled by OKC after review")
            if hold < self.profile.okc_hold_rate:
                return Outcome(Event.OKC_HOLD, None, None, "held by OKC for review")
        else:
            rng.skip(2)
        planned = self._production_start(rng, accepted_at, trigger)
        hours = rng.uniform(*self.profile.production_business_hours)
        ship_at = self.calendar.business_tick_after_hours_micros(max(at, planned), hours)
        plan = self._plan(order_id, ship_at, trigger)
        if at < planned:
            return Outcome(None, BEGIN_PRODUCTION, planned, "production scheduled", plan=plan)
        return Outcome(Event.START_PRODUCTION, SHIP, ship_at, "production started", plan=plan)

    def _plan(self, order_id: str, ship_at: int, trigger: Trigger | None) -> Plan | None:
        """The rest of the run, or None when a failing order must meet its step (`step`)."""
        if trigger is not None and trigger.kind is TriggerKind.FAIL:
            return None
        returning = trigger is not None and trigger.kind is TriggerKind.RETURN
        parcel = self.shipment(order_id, ship_at, trigger)
        return Plan(ship_at, parcel, RETURN if returning else DELIVER)

    def _production_start(
        self, rng: random.Random, accepted_at: int, trigger: Trigger | None
    ) -> int:
        low, high = self.profile.production_start_business_days
        delay = rng.randint(low, high)
        if trigger is not None and trigger.kind is TriggerKind.DELAY_PRODUCTION:
            delay += trigger.days or 0
        # Every order accepted by one batch shares `accepted_at`, and delays are a few whole
        # days: a tick of ten thousand orders asks the calendar a handful of questions.
        start = self._starts.get((accepted_at, delay))
        if start is None:
            start = _remember(
                self._starts, (accepted_at, delay), self._start_after(accepted_at, delay)
            )
        return start

    def _start_after(self, accepted_at: int, delay: int) -> int:
        """The tick production starts on: `delay` business days after acceptance."""
        first = self.calendar.next_business_tick(from_micros(accepted_at))
        if delay == 0:
            return to_micros(first)
        day = self.calendar.add_business_days(self.calendar.local_date(first), delay)
        start_of_day = self.calendar.local(first).replace(
            year=day.year, month=day.month, day=day.day, hour=0, minute=0, second=0
        )
        return to_micros(self.calendar.next_business_tick(start_of_day))

    def _ship(self, order_id: str, at: int, trigger: Trigger | None) -> Outcome:
        shipment = self.shipment(order_id, at, trigger)
        returning = trigger is not None and trigger.kind is TriggerKind.RETURN
        return Outcome(
            Event.SHIP,
            RETURN if returning else DELIVER,
            shipment.expected_delivery,
            "shipped",
            shipment,
        )

    def shipment(self, order_id: str, at: int, trigger: Trigger | None = None) -> Shipment:
        """The carrier, service, tracking number and expected delivery of an order's parcel."""
        rng = order_rng(self.seed, order_id, SHIP)
        cum_weights, total = self._carrier_cum_weights, self._carrier_total
        if total is None:
            service = rng.choices(self._services, cum_weights=cum_weights)[0]  # its error
        else:
            # What `rng.choices(services, cum_weights=cum_weights)[0]` draws, without the list.
            last = len(cum_weights) - 1
            service = self._services[bisect.bisect(cum_weights, rng.random() * total, 0, last)]
        carrier = service.carrier
        number = carrier.tracking_number(rng, service.code)
        days = rng.randint(service.fewest_days, service.most_days)
        if trigger is not None and trigger.kind is TriggerKind.DELAY_DELIVERY:
            days += trigger.days or 0
        arrival = self._arrivals.get((at, days))
        if arrival is None:
            arrival = _remember(
                self._arrivals,
                (at, days),
                to_micros(self.calendar.next_status_tick(from_micros(at) + timedelta(days=days))),
            )
        weight = math.floor(rng.uniform(0.3, 1.5) * 100) / 100
        return Shipment(
            carrier.name,
            service.code,
            number,
            carrier.tracking_url(number),
            arrival,
            weight,
        )


class _Service(NamedTuple):
    """One service of the profile's carrier mix, as `Operations.shipment` uses it."""

    carrier: Carrier
    code: str
    fewest_days: int
    most_days: int


def _remember(memo: dict[tuple[int, int], int], key: tuple[int, int], answer: int) -> int:
    """Keep `answer` in `memo` under `key` (emptied past `_MEMO_SIZE` answers), and return it."""
    if len(memo) >= _MEMO_SIZE:
        memo.clear()
    memo[key] = answer
    return answer
