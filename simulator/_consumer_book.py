"""A client's consumers through the engine: create, read, change and list them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simulator import _consumers

if TYPE_CHECKING:
    from simulator._world import World


def create(world: World, payload: object, client: str | None) -> dict[str, Any]:
    """Create a consumer for the client.

    Raises:
        NotFound: no such client.
        UpdateRejected: the payload is not a valid consumer.
    """
    client_id = world.client(client)
    fields = _consumers.check_fields(payload, creating=True)
    with world.writing as conn:
        consumer_id = world.ids.next(conn, "consumer")
        number = world.ids.last("consumer")
        return _consumers.insert(conn, (number, consumer_id), client_id, fields, world.stamp())


def get(world: World, consumer_id: str, client: str | None) -> dict[str, Any]:
    """One of the client's consumers.

    Raises:
        NotFound: no such consumer for this client.
    """
    # Consumers do not change as time passes: no catch-up.
    with world.store.lock:
        consumer = world.consumer_key(consumer_id)
        return _consumers.get(world.store.conn, consumer, world.client(client))


def update(world: World, consumer_id: str, payload: object, client: str | None) -> dict[str, Any]:
    """Change a consumer's details.

    Raises:
        NotFound: no such consumer for this client.
        UpdateRejected: the payload is not a valid consumer update.
    """
    client_id = world.client(client)
    with world.writing as conn:
        consumer = world.consumer_key(consumer_id)
        _consumers.get(conn, consumer, client_id)  # an unknown consumer is a 404 first
        fields = _consumers.check_fields(payload, creating=False)
        return _consumers.update(conn, consumer, client_id, fields, world.stamp())


def list_all(world: World, client: str | None) -> list[dict[str, Any]]:
    """The client's consumers, oldest first."""
    with world.store.lock:
        return _consumers.list_all(world.store.conn, world.client(client))
