"""Generated fulfilments: parcels with tracking, delivery times and their fulfilled line items."""

from __future__ import annotations

import random
from typing import Any

from simulator.draws import iso
from simulator.figures import OrderFigures

_CARRIERS = (
    ("UPS", "1Z{n:012d}", "https://www.ups.com/track?tracknum={number}"),
    ("DHL Express", "JD{n:014d}", "https://www.dhl.com/track?tracking-id={number}"),
    ("USPS", "9400{n:018d}", "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}"),
)
_MANUAL_SERVICE = {
    "id": "gid://shopify/FulfillmentService/1",
    "handle": "manual",
    "serviceName": "Manual",
    "trackingSupport": False,
    "type": "MANUAL",
    "permitsSkuSharing": True,
    "inventoryManagement": False,
}


def fulfillments(
    rng: random.Random, order: dict[str, Any], items: list[dict[str, Any]], fig: OrderFigures
) -> list[dict[str, Any]]:
    """Extend the core fulfilment; FULFILLED orders with several lines ship in two parcels."""
    existing: list[dict[str, Any]] = order["fulfillments"]
    if not existing:
        return existing
    core = existing[0]
    shippable = [item for item in items if item["requiresShipping"]] or items
    if order["displayFulfillmentStatus"] == "PARTIALLY_FULFILLED":
        parcels = [shippable[: max(1, len(shippable) // 2)]]
    elif len(shippable) > 1 and rng.random() < 0.4:
        parcels = [shippable[:1], shippable[1:]]
    else:
        parcels = [shippable]
    out: list[dict[str, Any]] = []
    for k, parcel in enumerate(parcels):
        carrier, pattern, url = _CARRIERS[0 if k == 0 else fig.numeric_id % len(_CARRIERS)]
        # The core fulfilment keeps its UPS tracking number.
        number = core["trackingInfo"][0]["number"] if k == 0 else pattern.format(n=fig.numeric_id)
        fulfilment_id = fig.numeric_id * 10 + k
        # The first parcel keeps the core fulfilment's createdAt; later ones follow an hour apart.
        created = fig.updated + k * 3_600
        delivered = rng.random() < 0.7
        fulfilment = dict(core) if k == 0 else {}
        fulfilment.update(
            {
                "id": core["id"] if k == 0 else f"gid://shopify/Fulfillment/{fulfilment_id}",
                "legacyResourceId": str(fulfilment_id),
                "name": f"{order['name']}.{k + 1}",
                "status": "SUCCESS",
                "displayStatus": "DELIVERED" if delivered else "IN_TRANSIT",
                "createdAt": iso(created),
                "updatedAt": iso(created),
                "deliveredAt": iso(created + 2 * 86_400) if delivered else None,
                "estimatedDeliveryAt": iso(created + 3 * 86_400),
                "inTransitAt": iso(created + 3_600),
                "requiresShipping": True,
                "totalQuantity": sum(item["currentQuantity"] for item in parcel),
                "location": {"id": "gid://shopify/Location/1", "name": "Main warehouse"},
                "service": _MANUAL_SERVICE,
                "trackingInfo": [
                    {"company": carrier, "number": number, "url": url.format(number=number)}
                ],
                "fulfillmentLineItems": [
                    {
                        "id": f"gid://shopify/FulfillmentLineItem/{item['id'].rsplit('/', 1)[1]}",
                        "quantity": item["currentQuantity"],
                        "lineItem": item,
                        "originalTotalSet": item["originalTotalSet"],
                        "discountedTotalSet": item["discountedTotalSet"],
                    }
                    for item in parcel
                ],
                "events": [
                    {
                        "id": f"gid://shopify/FulfillmentEvent/{fulfilment_id * 10 + 1}",
                        "status": "IN_TRANSIT",
                        "happenedAt": iso(created + 3_600),
                        "message": None,
                    }
                ],
            }
        )
        out.append(fulfilment)
    return out
