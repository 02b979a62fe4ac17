"""A fulfillment's shipping label: a signed-looking S3 URL, valid 15 simulated minutes."""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING, Any

from simulator import _fulfillments
from simulator._timefmt import from_micros

if TYPE_CHECKING:
    from simulator._world import World

LABEL_LIFETIME_SECONDS = 900
"""How long a label URL works: the provider's pre-signed URLs expire in 15 minutes."""
BUCKET = "https://okc-label-bucket.s3.amazonaws.com"
REGION = "us-west-2"


def label(world: World, fulfillment_id: str, client: str | None) -> dict[str, Any]:
    """The fulfillment's label URL in the provider's shape, signed at the simulated now.

    The same seed, fulfillment and instant always give the same URL.

    Raises:
        NotFound: no such fulfillment for this client.
    """
    with world.reading as conn:
        client_id = world.client(client)
        number = world.ids.number_of("fulfillment", fulfillment_id)
        parcel = _fulfillments.get(conn, number, fulfillment_id, client_id)
        now = from_micros(world.stamp())
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    path = f"/{client_id}/{parcel['id']}/{parcel['shipment_order_number']}.pdf"
    query = (
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD"
        f"&X-Amz-Credential=OKCSIMULATOR%2F{stamp[:8]}%2F{REGION}%2Fs3%2Faws4_request"
        f"&X-Amz-Date={stamp}&X-Amz-Expires={LABEL_LIFETIME_SECONDS}&X-Amz-SignedHeaders=host"
    )
    key = f"okc-sim-labels:{world.seed}".encode()
    signature = hmac.new(key, f"{path}?{query}".encode(), hashlib.sha256).hexdigest()
    return {"label_url": f"{BUCKET}{path}?{query}&X-Amz-Signature={signature}"}
