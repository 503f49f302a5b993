"""Generated customers: customer ``no`` of a shop is the same person on every order it places."""

from __future__ import annotations

from typing import Any

from simulator.addresses import customer_address
from simulator.draws import FastRandom, iso

_FIRST = ("Ana", "Zoë", "José", "Åsa", "Søren", "Mei", "Sakura", "Liam", "Noah", "Olivia", "Émile")
_LAST = ("García", "Müller", "O'Brien", "Smith", "Nguyen", "Kowalski", "Tanaka", "Dubois", "Rossi")
_CUSTOMER_TAGS = ("vip", "newsletter", "wholesale", "returning")
_CUSTOMER_EPOCH = 1_577_836_800  # 2020-01-01: every customer exists before the oldest order
LOCALES = {"US": "en", "CA": "en", "GB": "en", "AU": "en", "DE": "de", "FR": "fr", "JP": "ja"}
"""Customer locale by country."""


def customer(no: int, seed: int, currency: str) -> dict[str, Any]:
    """Customer ``no`` of the shop: the same on every order it places."""
    rng = FastRandom(seed * 7_919 + no * 104_729)
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    created = _CUSTOMER_EPOCH + rng.randrange(3 * 365 * 86_400)
    address = customer_address(rng, no, first, last)
    email = f"customer{no}@example.com"
    state = "ENABLED" if rng.random() < 0.7 else rng.choice(("DISABLED", "INVITED", "DECLINED"))
    marketing = rng.choice(("SUBSCRIBED", "NOT_SUBSCRIBED", "UNSUBSCRIBED", "PENDING"))
    orders = rng.randint(1, 40)
    return {
        "__typename": "Customer",
        "id": f"gid://shopify/Customer/{no}",
        "legacyResourceId": str(no),
        "firstName": first,
        "lastName": last,
        "displayName": f"{first} {last}",
        "email": email,
        "phone": address["phone"],
        "defaultEmailAddress": {"emailAddress": email, "marketingState": marketing},
        "tags": sorted(set(rng.sample(_CUSTOMER_TAGS, rng.choice((0, 0, 1, 2))))),
        "note": "Prefers morning delivery" if rng.random() < 0.1 else None,
        "state": state,
        "verifiedEmail": rng.random() < 0.9,
        "validEmailAddress": True,
        "taxExempt": rng.random() < 0.03,
        "locale": LOCALES.get(str(address["countryCodeV2"]), "en"),
        "createdAt": iso(created),
        "updatedAt": iso(created + rng.randrange(365 * 86_400)),
        "numberOfOrders": str(orders),
        "amountSpent": {
            "amount": str(orders * rng.randrange(1_000, 20_000) / 100),
            "currencyCode": currency,
        },
        "lifetimeDuration": f"about {rng.randint(1, 6)} years",
        "defaultAddress": address,
        "addresses": [address],
    }
