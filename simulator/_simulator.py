"""The simulator's Python API: a thin facade over the rooms that do the work.

Every call enters the world the same way (`World.reading` or `World.writing`): the store's
lock, the world caught up to the clock's "now" (the work that fell due, in time order, each
stamped with its due time), and for a write one SQLite transaction, committed before it returns.
The rooms: `_world` (settings, store, clock, the whole world), `_accounts` (sign-in, tokens),
`_consumer_book`, `_order_writes`, `_order_reads` and `_moves` (one order's status moves).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from lifecycle._status import OrderStatus
from simulator import (
    _accounts,
    _browse,
    _catalogue,
    _consumer_book,
    _labels,
    _lifecycle_reads,
    _moves,
    _order_reads,
    _order_writes,
)
from simulator._clock import ClockMode
from simulator._listing import DEFAULT_LIMIT
from simulator._world import AdvanceResult, ClientAccount, Settings, World

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from datetime import datetime
    from pathlib import Path

    from lifecycle._calendar import Calendar
    from lifecycle._table import Event
    from simulator._clock import SimClock
    from simulator._ids import IdFactory
    from simulator._operations import Operations
    from simulator._profile import OperationsProfile
    from simulator._store import Store
    from simulator._timeline import Timeline

__all__ = ["DEFAULT_CLIENT", "AdvanceResult", "ClientAccount", "Simulator"]

DEFAULT_CLIENT = ("integrator@example.com", "sandbox")

_T = TypeVar("_T")


class Simulator:
    """A fake OK Capsule world: clients, orders, fulfillments, and the clock that moves them."""

    def __init__(  # noqa: PLR0913 - the simulator's settings, keyword-only past the first three
        self,
        start: datetime | str | None = None,
        seed: int = 0,
        profile: OperationsProfile | str | Path | None = None,
        *,
        db: str | Path | None = None,
        clients: Sequence[tuple[str, str]] = (DEFAULT_CLIENT,),
        mode: ClockMode | str = ClockMode.FROZEN,
        speed: float = 1.0,
        timezone: str | None = None,
        monotonic: Callable[[], float] | None = None,
    ) -> None:
        """Create a world, or reopen a durable one.

        Args:
            start: the simulated start instant (aware datetime or ISO 8601); defaults to
                the real now, to the second. A reopened `db` resumes from its saved time
                when that is later: time never moves backwards.
            seed: the seed of every random draw and every id.
            profile: an `OperationsProfile`, a TOML file path, or None for the default.
            db: a SQLite file for a durable world; None keeps it in memory.
            clients: `(email, password)` of each client; the first is the default client.
            mode: "frozen" (moves only when told) or "running" (real time x speed).
            speed: simulated seconds per real second while running.
            timezone: overrides the profile's zone ("America/Los_Angeles" or "UTC-8").
            monotonic: the real-time source of a running clock (tests inject a fake).

        Raises:
            ValueError: no clients, or a `db` made with another seed.
            StoreError: `db` is not a simulator database.
            ProfileError: the profile file is invalid.
        """
        self._world = World(
            Settings(
                start=start,
                seed=seed,
                profile=profile,
                db=db,
                clients=clients,
                mode=mode,
                speed=speed,
                timezone=timezone,
                monotonic=monotonic,
            )
        )
        self._clock_listeners: list[Callable[[Simulator], None]] = []

    # --- the world's parts, for tests and tools ---------------------------------------------

    @property
    def seed(self) -> int:
        """The seed of every random draw and every id."""
        return self._world.seed

    @property
    def profile(self) -> OperationsProfile:
        """The operations profile."""
        return self._world.profile

    @property
    def calendar(self) -> Calendar:
        """The calendar of batches, status ticks and business days."""
        return self._world.calendar

    @property
    def clients(self) -> tuple[ClientAccount, ...]:
        """The clients (tenants), the default one first."""
        return self._world.clients

    @property
    def store(self) -> Store:
        """The SQLite store."""
        return self._world.store

    @property
    def operations(self) -> Operations:
        """The operations model: each order's production, shipping and delivery."""
        return self._world.operations

    @property
    def clock(self) -> SimClock:
        """The simulated clock (read it through `now`, which lets the world catch up)."""
        return self._world.clock

    @property
    def ids(self) -> IdFactory:
        """The id factory of the current world (a reset or restore replaces it)."""
        return self._world.ids

    @property
    def timeline(self) -> Timeline:
        """The time-driven work of the current world (a reset or restore replaces it)."""
        return self._world.timeline

    def client_id(self, email: str | None = None) -> str:
        """The id of a client by email (or id), or of the default client.

        Raises:
            NotFound: no such client.
        """
        return self._world.client(email)

    # --- the clock --------------------------------------------------------------------------

    @property
    def now(self) -> datetime:
        """The simulated now (aware, UTC), after the world has caught up to it."""
        return self._world.now()

    def clock_reading(self) -> datetime:
        """What the clock reads now, at once: no lock, and no catch-up of the world.

        For stamping a request's arrival; the world catches up at its next engine call.
        """
        return self._world.clock.now()

    def settled_now(self) -> datetime | None:
        """The simulated now without taking the lock, if the world has caught up to it.

        Returns:
            The same instant `now` would give, or None when a running clock has moved on
            and `now` would first run the work that fell due (which may take long).
        """
        return self._world.settled_now()

    def call_if_idle(self, work: Callable[[], _T]) -> tuple[_T] | None:
        """Run a read in this thread now, if it cannot take long; else leave it undone.

        For an event loop, which must never block on the engine's lock or on a long
        catch-up, and runs `work` in a worker thread when this refuses. `work` starts only
        when no other call holds the engine; its engine calls then take the (re-entrant)
        lock at once, and if one would have to run due work first (a running clock passed
        a tick), or write to catch up (a file store), it stops there and counts as not run.
        Its SQL is bounded too: past about a millisecond of it (a filter that scans many
        orders), SQLite interrupts it and it counts as not run.

        Args:
            work: engine reads only (an interrupted read leaves the world as it was).

        Returns:
            `(result,)`, or None when `work` did not run or was interrupted.
        """
        return self._world.call_if_idle(work)

    def clock_state(self) -> dict[str, Any]:
        """The clock as the control API reports it."""
        return self._world.clock_state()

    def advance(
        self, seconds: float | None = None, to: datetime | str | None = None
    ) -> AdvanceResult:
        """Move the clock forward, running every piece of work that falls due, in time order.

        Args:
            seconds: how far to move (not negative).
            to: the instant to move to (not earlier than now).

        Returns:
            The new now and how many status changes ran.

        Raises:
            ClockRefused: both or neither argument, a negative or non-finite amount, or a
                target earlier than now (time never moves backwards).
        """
        result = self._world.advance(seconds, to)
        self._clock_moved()
        return result

    def set_clock(self, mode: ClockMode | str | None = None, speed: float | None = None) -> None:
        """Freeze or run the clock, or change its speed, without moving time.

        Raises:
            ClockRefused: an unknown mode or a speed that is not a positive finite number.
        """
        self._world.set_clock(mode, speed)
        self._clock_moved()

    def add_clock_listener(self, listener: Callable[[Simulator], None]) -> Callable[[], None]:
        """Call `listener(self)` after every advance, clock setting and restore.

        The clock bridge (`simulator.clock_bridge`) follows the clock this way. The listener
        runs in the thread that moved the clock, after the engine's lock is released.

        Returns:
            A function that removes the listener again.
        """
        self._clock_listeners.append(listener)
        return lambda: self._clock_listeners.remove(listener)

    def _clock_moved(self) -> None:
        for listener in tuple(self._clock_listeners):
            listener(self)

    # --- clients and tokens -----------------------------------------------------------------

    def authenticate(self, email: str, password: str) -> dict[str, Any]:
        """Issue tokens for a client's credentials; access tokens live 24 simulated hours.

        Raises:
            Unauthorized: unknown email or wrong password.
        """
        return _accounts.authenticate(self._world, email, password)

    def refresh(self, refresh_token: str) -> dict[str, Any]:
        """Issue a new access token for a refresh token.

        Raises:
            Unauthorized: the refresh token is unknown, expired or from before a reset.
        """
        return _accounts.refresh(self._world, refresh_token)

    def authorize(self, access_token: str) -> str:
        """The client an access token belongs to.

        Raises:
            Unauthorized: unknown, expired (on the simulated clock) or from before a reset.
        """
        return _accounts.authorize(self._world, access_token)

    def known_client(self, access_token: str, at: datetime) -> str | None:
        """The client of an access token `authorize` has already vouched for, if valid `at`.

        Reads memory only (no lock, no catch-up); None means ask `authorize`, which also
        says why a token is refused.
        """
        return _accounts.known_client(self._world, access_token, at)

    def user(self, client: str | None = None) -> dict[str, Any]:
        """The user a client's tokens are issued to, in the provider's `User` shape."""
        return _accounts.user(self._world, client)

    # --- products and consumers -------------------------------------------------------------

    def list_products(self, client: str | None = None) -> list[dict[str, Any]]:
        """The client's seeded catalogue; product ids work as `client_product_id`."""
        return _catalogue.products(self._world.seed, self._world.client(client))

    def get_product(self, product_id: str, client: str | None = None) -> dict[str, Any]:
        """One product of the client's catalogue.

        Raises:
            NotFound: the client has no such product.
        """
        return _catalogue.get(self._world.seed, self._world.client(client), product_id)

    def list_page(  # noqa: PLR0913 - what is listed, then the client's parameters
        self,
        listed: str,
        client: str | None = None,
        *,
        scope: str | None = None,
        filters: Mapping[str, Any] | None = None,
        q: str | None = None,
        sort_by: str | None = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        """One page of products, consumers, a consumer's addresses or fulfillments.

        Paging is stable as for orders: an item that matched when the first page was asked
        for is listed on some page, however it changes meanwhile.

        Args:
            listed: "products", "consumers", "addresses" or "fulfillments".
            client: whose.
            scope: the consumer whose addresses, or the order whose fulfillments, to list.
            filters: `{"field": ["value", ...], "date_field": {"gte": "<ISO 8601>"}}`.
            q: query_string terms (`field:value`, `field:"a b"`, a word, `"a phrase"`).
            sort_by: a sortable field, or `-field` for descending.
            limit: items per page, 1 to 250.
            cursor: the previous page's `next_cursor`, with the same other arguments.

        Returns:
            `{listed: [...], "next_cursor": str | None}`.

        Raises:
            NotFound: the scope is not the client's.
            BadRequest: a bad filter, `q`, `sort_by`, limit or cursor, naming it.
        """
        ask = _browse.Ask(_browse.Listed(listed), scope, filters, q, sort_by)
        return _browse.list_page(self._world, ask, limit, cursor, client)

    def count_listed(
        self,
        listed: str,
        client: str | None = None,
        *,
        scope: str | None = None,
        filters: Mapping[str, Any] | None = None,
        q: str | None = None,
    ) -> int:
        """How many items `list_page` would list now, over all pages.

        Raises:
            NotFound: the scope is not the client's.
            BadRequest: a bad filter or `q`, naming it.
        """
        ask = _browse.Ask(_browse.Listed(listed), scope, filters, q)
        return _browse.count(self._world, ask, client)

    def create_consumer(self, payload: object, client: str | None = None) -> dict[str, Any]:
        """Create a consumer for the client.

        Raises:
            UpdateRejected: the payload is not a valid consumer.
        """
        return _consumer_book.create(self._world, payload, client)

    def get_consumer(self, consumer_id: str, client: str | None = None) -> dict[str, Any]:
        """One of the client's consumers.

        Raises:
            NotFound: no such consumer for this client.
        """
        return _consumer_book.get(self._world, consumer_id, client)

    def update_consumer(
        self, consumer_id: str, payload: object, client: str | None = None
    ) -> dict[str, Any]:
        """Change a consumer's details.

        Raises:
            NotFound: no such consumer for this client.
            UpdateRejected: the payload is not a valid consumer update.
        """
        return _consumer_book.update(self._world, consumer_id, payload, client)

    def list_consumers(self, client: str | None = None) -> list[dict[str, Any]]:
        """The client's consumers, oldest first."""
        return _consumer_book.list_all(self._world, client)

    def create_address(
        self, consumer_id: str, payload: object, client: str | None = None
    ) -> dict[str, Any]:
        """Save an address for one of the client's consumers.

        Raises:
            NotFound: no such consumer for this client.
            UpdateRejected: the payload is not a valid address.
        """
        return _consumer_book.create_address(self._world, consumer_id, payload, client)

    def get_address(
        self, consumer_id: str, address_id: str, client: str | None = None
    ) -> dict[str, Any]:
        """One of a consumer's addresses.

        Raises:
            NotFound: no such consumer for this client, or no such address of it.
        """
        return _consumer_book.get_address(self._world, consumer_id, address_id, client)

    def update_address(
        self, consumer_id: str, address_id: str, payload: object, client: str | None = None
    ) -> dict[str, Any]:
        """Change one of a consumer's addresses (address1, city and country_name are needed).

        Raises:
            NotFound: no such consumer for this client, or no such address of it.
            UpdateRejected: the payload is not a valid address.
        """
        return _consumer_book.update_address(self._world, consumer_id, address_id, payload, client)

    # --- orders -----------------------------------------------------------------------------

    def create_order(self, payload: object, client: str | None = None) -> dict[str, Any]:
        """Create an order; it starts Pending, or On Hold when its address needs review.

        Args:
            payload: the provider's create-order JSON (a dict).
            client: the client's id or email; the default client if None.

        Returns:
            The order in the provider's JSON shape.

        Raises:
            UpdateRejected: every rule the request breaks.
        """
        return _order_writes.create(self._world, payload, client)

    def get_order(self, order_id: str, client: str | None = None) -> dict[str, Any]:
        """One of the client's orders, as it is now.

        Raises:
            NotFound: no such order for this client.
        """
        return _order_reads.order_row(self._world, order_id, client).document()

    def get_order_json(self, order_id: str, client: str | None = None) -> bytes:
        """`get_order` as UTF-8 JSON, spliced from the stored document without decoding it.

        Raises:
            NotFound: no such order for this client.
        """
        return b"".join(_order_reads.order_row(self._world, order_id, client).json_parts())

    def get_order_by_client_order_id(
        self, client_custom_order_id: str, client: str | None = None
    ) -> dict[str, Any]:
        """The client's order with this `client_custom_order_id`.

        Raises:
            NotFound: the client has no such order.
        """
        row = _order_reads.order_row_by_custom_id(self._world, client_custom_order_id, client)
        return row.document()

    def get_order_by_client_order_id_json(
        self,
        client_custom_order_id: str,
        client: str | None = None,
        seen: list[str] | None = None,
    ) -> bytes:
        """`get_order_by_client_order_id` as UTF-8 JSON (no decode).

        Args:
            client_custom_order_id: the client's own id of the order.
            client: the client (default: the first).
            seen: if given, the order's id is appended to it.

        Raises:
            NotFound: the client has no such order.
        """
        row = _order_reads.order_row_by_custom_id(self._world, client_custom_order_id, client)
        if seen is not None:
            seen.append(row.id)
        return b"".join(row.json_parts())

    def update_order(
        self, order_id: str, payload: object, client: str | None = None
    ) -> dict[str, Any]:
        """Apply a client's partial update (fields and/or status) under the client rules.

        An address change that fails validation puts a Pending order On Hold; a held order
        goes back to Pending only when the client asks and the address passes.

        Raises:
            NotFound: no such order for this client.
            UpdateRejected: every rule the request breaks, including a status that no longer
                allows edits, and releasing a hold while the address still fails.
        """
        return _order_writes.update(self._world, order_id, payload, client)

    def cancel_order(self, order_id: str, client: str | None = None) -> dict[str, Any]:
        """Cancel an order as its client, under the same rules as a status update.

        Raises:
            NotFound: no such order for this client.
            UpdateRejected: the status no longer allows a cancel (contact support once Accepted).
        """
        return self.update_order(order_id, {"status": OrderStatus.CANCELED_BY_CLIENT.value}, client)

    def count_orders(
        self,
        filters: Mapping[str, Any] | None = None,
        client: str | None = None,
        q: str | None = None,
    ) -> int:
        """How many of the client's orders match the filters (and `q`'s terms) now.

        Raises:
            BadRequest: a bad filter or `q`.
        """
        return _order_reads.count(self._world, filters, client, q)

    def list_orders(  # noqa: PLR0913 - the provider's list parameters, the last two keyword-only
        self,
        filters: Mapping[str, Any] | None = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
        client: str | None = None,
        *,
        sort_by: str | None = None,
        q: str | None = None,
    ) -> dict[str, Any]:
        """One page of the client's orders, oldest first, with a cursor for the next.

        Paging is stable: an order that matched the filters when the first page was asked
        for is listed on some page, however it changes meanwhile; orders created after the
        first page wait for the next listing.

        Args:
            filters: `{"status": [...], "created_at": {"gte": ...}, ...}` (`EQUALITY_FILTERS`,
                `RANGE_FILTERS`).
            limit: orders per page, 1 to 250.
            cursor: the previous page's `next_cursor`, with the same filters, sort and `q`.
            client: the client (default: the first).
            sort_by: `created_at` or `name` (the same order), `-` in front or `:desc` after
                for newest first.
            q: `field:value` terms over the equality filters' fields, all of which must hold.

        Returns:
            `{"orders": [...], "next_cursor": str | None}`.

        Raises:
            BadRequest: a bad filter, limit, cursor, `sort_by` or `q`.
        """
        page, next_cursor = _order_reads.page(
            self._world, filters, limit, cursor, client, sort_by=sort_by, q=q
        )
        return {"orders": [row.document() for row in page], "next_cursor": next_cursor}

    def list_orders_json(  # noqa: PLR0913 - as `list_orders`, plus what it saw
        self,
        filters: Mapping[str, Any] | None = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
        client: str | None = None,
        seen: list[str] | None = None,
        *,
        sort_by: str | None = None,
        q: str | None = None,
    ) -> bytes:
        """`list_orders` as UTF-8 JSON, spliced from the stored documents (no decode).

        `seen`, if given, gets the ids of the page's orders appended.

        Raises:
            BadRequest: a bad filter, limit, cursor, `sort_by` or `q`.
        """
        rows, next_cursor = _order_reads.page(
            self._world, filters, limit, cursor, client, sort_by=sort_by, q=q
        )
        if seen is not None:
            seen.extend([row.id for row in rows])
        return _order_reads.page_json(rows, next_cursor)

    # --- fulfillments, logs, history --------------------------------------------------------

    def list_fulfillments(
        self, order_id: str | None = None, client: str | None = None
    ) -> list[dict[str, Any]]:
        """The client's fulfillments, oldest first, optionally of one order.

        Raises:
            NotFound: `order_id` is not one of the client's orders.
        """
        return _order_reads.fulfillments(self._world, order_id, client)

    def get_fulfillment(self, fulfillment_id: str, client: str | None = None) -> dict[str, Any]:
        """One of the client's fulfillments.

        Raises:
            NotFound: no such fulfillment for this client.
        """
        return _order_reads.fulfillment(self._world, fulfillment_id, client)

    def delete_address(self, consumer_id: str, address_id: str, client: str | None = None) -> None:
        """Delete one of a consumer's addresses.

        Raises:
            NotFound: no such consumer for this client, or no such address of it.
        """
        _consumer_book.delete_address(self._world, consumer_id, address_id, client)

    def fulfillment_label(self, fulfillment_id: str, client: str | None = None) -> dict[str, Any]:
        """The fulfillment's label URL, signed now and expiring 15 simulated minutes later.

        Raises:
            NotFound: no such fulfillment for this client.
        """
        return _labels.label(self._world, fulfillment_id, client)

    def transaction_logs(
        self, order_id: str | None, client: str | None = None, q: str | None = None
    ) -> list[dict[str, Any]]:
        """The order's transaction log in the provider's shape: one row per changed field.

        Args:
            order_id: the order, or None when `q` names it (`entity_id:<order id>`).
            client: the client (default: the first).
            q: `field:value` terms over `entity_id`, `column_name`, `event_type`, `event`
                and `actor`, all of which a row must match.

        Raises:
            NotFound: no such order for this client.
            BadRequest: a bad `q`, or not exactly one order named.
        """
        return _order_reads.transaction_logs(self._world, order_id, client, q)

    def get_transaction_log(self, log_id: str, client: str | None = None) -> dict[str, Any]:
        """One row of the transaction log of one of the client's orders, by its id.

        Raises:
            NotFound: no such row of this client's orders.
        """
        return _lifecycle_reads.transaction(self._world, log_id, client)

    def get_order_line(self, line_id: str, client: str | None = None) -> dict[str, Any]:
        """One line of one of the client's orders, as the order shows it now.

        Raises:
            NotFound: no such line of this client's orders.
        """
        return _lifecycle_reads.order_line(self._world, line_id, client)

    # --- statuses and batches ---------------------------------------------------------------

    def statuses(self, q: str | None = None, client: str | None = None) -> list[dict[str, Any]]:
        """Every order status in the provider's `Status` shape (`q`: `name:Pending` ...).

        Raises:
            BadRequest: a bad `q`.
            NotFound: no such client.
        """
        return _lifecycle_reads.statuses(q, self._world.client(client))

    def list_batches(  # noqa: PLR0913 - the provider's list parameters, the last two keyword-only
        self,
        filters: Mapping[str, Any] | None = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
        client: str | None = None,
        *,
        sort_by: str | None = None,
        q: str | None = None,
    ) -> dict[str, Any]:
        """One page of the batches that accepted the client's orders, oldest first.

        Args:
            filters: `{"batch_status": [...], "name": [...], "crm_id": [...]}`.
            limit: batches per page, 1 to 250.
            cursor: the previous page's `next_cursor`, with the same filters, sort and `q`.
            client: the client (default: the first).
            sort_by: `created_at` or `name` (the same order); `-` or `:desc` for newest first.
            q: `field:value` terms over the filters' fields, all of which must hold.

        Returns:
            `{"batches": [...], "next_cursor": str | None}`.

        Raises:
            BadRequest: a bad filter, limit, cursor, `sort_by` or `q`.
        """
        found, next_cursor = _lifecycle_reads.batch_page(
            self._world, filters, limit, cursor, client, sort_by=sort_by, q=q
        )
        return {"batches": found, "next_cursor": next_cursor}

    def count_batches(
        self,
        filters: Mapping[str, Any] | None = None,
        client: str | None = None,
        q: str | None = None,
    ) -> int:
        """How many batches that accepted the client's orders match the filters and `q`.

        Raises:
            BadRequest: a bad filter or `q`.
        """
        return _lifecycle_reads.batch_count(self._world, filters, client, q)

    def get_batch(self, batch_id: str, client: str | None = None) -> dict[str, Any]:
        """One batch that accepted the client's orders.

        Raises:
            NotFound: no such batch, or none of the client's orders was in it.
        """
        return _lifecycle_reads.batch(self._world, batch_id, client)

    def history(self, order_id: str) -> list[dict[str, Any]]:
        """Every status change of an order, oldest first, with event, actor and reason.

        Raises:
            NotFound: no such order.
        """
        return _order_reads.history(self._world, order_id)

    def order_changes(
        self, client: str, since: datetime
    ) -> dict[str, list[tuple[datetime, str | None]]]:
        """Every change to the client's orders from `since` on, by order id, oldest first.

        Each change is `(at, status)`: the new status, or None for a change of another field.
        """
        return _order_reads.changes(self._world, client, since)

    # --- operator events --------------------------------------------------------------------

    def force(self, order_id: str, event: Event | str, reason: str | None = None) -> dict[str, Any]:
        """Force an operations event on an order now, as an OK Capsule operator would.

        `hold` and `release` mean OKC's hold and release. Later work (production, shipping,
        delivery) is scheduled from the forced move as if it had happened naturally.

        Raises:
            NotFound: no such order.
            ValueError: the event is unknown or is a client's event.
            IllegalTransition: the state machine does not allow it from the order's status.
        """
        return _moves.force(self._world, order_id, event, reason)

    # --- the world as a whole ---------------------------------------------------------------

    def reset(self) -> None:
        """Empty the world (orders, consumers, fulfillments, logs, tokens); keep the settings.

        Tokens and cursors issued before a reset stop working. The clock keeps its time.
        """
        self._world.reset()

    def snapshot(self, path: str | Path) -> None:
        """Save the whole world, clock time included, to a SQLite file."""
        self._world.snapshot(path)

    def restore(self, path: str | Path) -> None:
        """Replace the world with a snapshot's, clock time included (the clock is frozen there).

        Raises:
            StoreError: the file is not a snapshot.
            ValueError: the snapshot was taken with another seed.
        """
        self._world.restore(path)
        self._clock_moved()

    def close(self) -> None:
        """Close the store (a durable world stays on disk)."""
        self._world.store.close()
