"""What OK Capsule's operations do to an order after the batch: production, shipping, delivery.

Each step of each order draws from its own generator, seeded by the simulator's seed, the
order's id and the step, so one order's fate never depends on another's or on call order.
Every step falls on a 6-hourly status tick; production and shipping only on business days.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import attrs

from lifecycle._machine import destinations
from lifecycle._status import OrderStatus
from lifecycle._table import BY_EVENT, Actor, Event
from simulator._address import Trigger, TriggerKind, test_trigger
from simulator._carriers import CARRIERS
from simulator._ids import order_rng, stable_uuid
from simulator._timefmt import from_micros, iso, to_micros

if TYPE_CHECKING:
    import random
    from collections.abc import Mapping

    from lifecycle._calendar import Calendar
    from simulator._profile import OperationsProfile

START_PRODUCTION = "start_production"
SHIP = "ship"
DELIVER = "deliver"
RETURN = "return"
FAIL = "fail"

_OPERATOR_ALIASES = {"hold": Event.OKC_HOLD, "release": Event.OKC_RELEASE}


@attrs.frozen
class Shipment:
    """A parcel handed to a carrier."""

    carrier: str
    service: str
    tracking_number: str
    tracking_url: str
    expected_delivery: int
    weight: float


@attrs.frozen
class Outcome:
    """What one due step does: a status event (or none, when it only reschedules) and what next."""

    event: Event | None
    next_step: str | None
    next_at: int | None
    reason: str
    shipment: Shipment | None = None
    """The parcel, when the event is `ship`."""


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
        self._carrier_weights = [choice.weight for choice in profile.carriers]

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
        chosen = _OPERATOR_ALIASES.get(name)
        if chosen is None:
            try:
                chosen = Event(name)
            except ValueError:
                chosen = None
        allowed = [e.value for e in Event if BY_EVENT[e].actor is not Actor.CLIENT]
        if chosen is None or BY_EVENT[chosen].actor is Actor.CLIENT:
            raise ValueError(
                f"{name!r} is not an operator event; use one of: hold, release, "
                + ", ".join(allowed)
                + "."
            )
        return chosen

    def after_forced(
        self, order_id: str, event: Event, now: int, trigger: Trigger | None
    ) -> Outcome:
        """What an operator's forced `event` at `now` leads to: the next step, and a parcel."""
        at = from_micros(now)
        if event is Event.ACCEPT:
            start = to_micros(self.calendar.next_business_tick(at))
            return Outcome(event, START_PRODUCTION, start, "forced")
        if event is Event.START_PRODUCTION:
            hours = order_rng(self.seed, order_id, START_PRODUCTION).uniform(
                *self.profile.production_business_hours
            )
            return Outcome(event, SHIP, self._ship_at(now, hours), "forced")
        if event is Event.SHIP:
            outcome = self._ship(order_id, now, trigger)
            return attrs.evolve(outcome, reason="forced")
        return Outcome(event, None, None, "forced")

    # --- the steps --------------------------------------------------------------------------

    def step(
        self, order_id: str, step: str, at: int, accepted_at: int, trigger: Trigger | None
    ) -> Outcome:
        """Decide what a due step does to one order at instant `at`."""
        if step == START_PRODUCTION:
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
        # Two draws, so each rate is its own chance, as the profile documents.
        cancel, hold = rng.random(), rng.random()
        if cancel < self.profile.okc_cancel_rate:
            return Outcome(Event.CANCEL_BY_OKC, None, None, "canceled by OKC after review")
        if hold < self.profile.okc_hold_rate:
            return Outcome(Event.OKC_HOLD, None, None, "held by OKC for review")
        planned = self._production_start(rng, accepted_at, trigger)
        if at < planned:
            return Outcome(None, START_PRODUCTION, planned, "production scheduled")
        hours = rng.uniform(*self.profile.production_business_hours)
        return Outcome(Event.START_PRODUCTION, SHIP, self._ship_at(at, hours), "production started")

    def _production_start(
        self, rng: random.Random, accepted_at: int, trigger: Trigger | None
    ) -> int:
        low, high = self.profile.production_start_business_days
        delay = rng.randint(low, high)
        if trigger is not None and trigger.kind is TriggerKind.DELAY_PRODUCTION:
            delay += trigger.days or 0
        first = self.calendar.next_business_tick(from_micros(accepted_at))
        if delay == 0:
            return to_micros(first)
        day = self.calendar.add_business_days(self.calendar.local_date(first), delay)
        start_of_day = self.calendar.local(first).replace(
            year=day.year, month=day.month, day=day.day, hour=0, minute=0, second=0
        )
        return to_micros(self.calendar.next_business_tick(start_of_day))

    def _ship_at(self, at: int, hours: float) -> int:
        ready = self.calendar.add_business_hours(from_micros(at), hours)
        return to_micros(self.calendar.next_business_tick(ready))

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
        choice = rng.choices(self.profile.carriers, weights=self._carrier_weights)[0]
        carrier = CARRIERS[choice.carrier]
        number = carrier.tracking_number(rng, choice.service)
        low, high = choice.transit_days
        days = rng.randint(low, high)
        if trigger is not None and trigger.kind is TriggerKind.DELAY_DELIVERY:
            days += trigger.days or 0
        arrival = self.calendar.next_status_tick(from_micros(at) + timedelta(days=days))
        weight = math.floor(rng.uniform(0.3, 1.5) * 100) / 100
        return Shipment(
            carrier.name,
            choice.service,
            number,
            carrier.tracking_url(number),
            to_micros(arrival),
            weight,
        )

    @staticmethod
    def fulfillment_document(
        fulfillment_id: str, order: Mapping[str, Any], shipment: Shipment, at: int, number: int
    ) -> dict[str, Any]:
        """The fulfillment created when an order ships, in the provider's shape."""
        order_id = order["id"]
        consumer = order.get("consumer") or {}
        return {
            "id": fulfillment_id,
            "order_id": order_id,
            "consumer_id": consumer.get("id"),
            "status_id": stable_uuid("fulfillment-status", "shipped"),
            "delivery_date": iso(shipment.expected_delivery),
            "pickup_date": iso(at),
            "tracking_info": {
                "shipping_carrier": shipment.carrier,
                "shipping_method": shipment.service,
                "tracking_number": shipment.tracking_number,
                "tracking_url": shipment.tracking_url,
            },
            "shipment_order_id": str(1_000_000_000 + number),
            "shipment_order_number": f"SO-{10000 + number}",
            "label_url": None,
            "shipper_okc_product_id": None,
            "shipping_net_charge": 5.95,
            "shipping_charge_model": "FLAT_RATE",
            "weight": shipment.weight,
            "external_fulfillment_id": None,
            "order_lines": [
                {
                    "id": line.get("id"),
                    "order_id": order_id,
                    "fulfillment_id": fulfillment_id,
                    "name": line.get("name"),
                    "supplement_pack_name": line.get("client_custom_pack_name"),
                    "physician_name": line.get("physician_name"),
                    "duration": line.get("duration"),
                    "total": line.get("total"),
                    "unit_price": line.get("unit_price"),
                    "client_custom_order_line_id": line.get("client_custom_order_line_id"),
                    "is_priority_shipping": line.get("is_priority_shipping"),
                }
                for line in order.get("order_lines") or ()
            ],
            "crm_id": None,
            "created_at": iso(at),
            "updated_at": iso(at),
        }
