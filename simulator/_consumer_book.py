"""A client's consumers and their addresses through the engine: create, read, change them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simulator import _consumer_addresses, _consumers

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
        stored = _consumers.get(world.store.conn, consumer, world.client(client))
    return _consumers.present(stored)


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


def create_address(
    world: World, consumer_id: str, payload: object, client: str | None
) -> dict[str, Any]:
    """Save a new address for one of the client's consumers.

    Raises:
        NotFound: no such consumer for this client.
        UpdateRejected: the payload is not a valid address.
    """
    client_id = world.client(client)
    with world.writing as conn:
        consumer = world.consumer_key(consumer_id)
        _consumers.get(conn, consumer, client_id)  # an unknown consumer is a 404 first
        fields = _consumer_addresses.check(payload)
        address_id = world.ids.next(conn, "address")
        address = (world.ids.last("address"), address_id)
        return _consumer_addresses.insert(
            conn, address, consumer, client_id=client_id, fields=fields, now=world.stamp()
        )


def get_address(
    world: World, consumer_id: str, address_id: str, client: str | None
) -> dict[str, Any]:
    """One of a consumer's addresses.

    Raises:
        NotFound: no such consumer for this client, or no such address for the consumer.
    """
    with world.store.lock:
        consumer = world.consumer_key(consumer_id)
        conn = world.store.conn
        _consumers.get(conn, consumer, world.client(client))
        _seq, doc = _consumer_addresses.get(conn, consumer[0], address_id)
    return _consumer_addresses.present(doc)


def update_address(
    world: World, consumer_id: str, address_id: str, payload: object, client: str | None
) -> dict[str, Any]:
    """Change one of a consumer's addresses.

    Raises:
        NotFound: no such consumer for this client, or no such address for the consumer.
        UpdateRejected: the payload is not a valid address change.
    """
    client_id = world.client(client)
    with world.writing as conn:
        consumer = world.consumer_key(consumer_id)
        _consumers.get(conn, consumer, client_id)
        _consumer_addresses.get(conn, consumer[0], address_id)  # a 404 before a 422
        fields = _consumer_addresses.check(payload)
        return _consumer_addresses.update(conn, consumer[0], address_id, fields, world.stamp())


def list_all(world: World, client: str | None) -> list[dict[str, Any]]:
    """The client's consumers, oldest first."""
    with world.store.lock:
        return _consumers.list_all(world.store.conn, world.client(client))


def delete_address(world: World, consumer_id: str, address_id: str, client: str | None) -> None:
    """Delete one of a consumer's addresses.

    Raises:
        NotFound: no such consumer for this client, or no such address for the consumer.
    """
    client_id = world.client(client)
    with world.writing as conn:
        consumer = world.consumer_key(consumer_id)
        _consumers.get(conn, consumer, client_id)
        _consumer_addresses.delete(conn, consumer[0], address_id)
