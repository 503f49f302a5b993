"""Deterministic, lazily generated Shopify-like orders: order ``i`` depends only on (seed, i)."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime
from typing import Any

from simulator.draws import money_bag
from simulator.figures import LineFigures, OrderFigures
from simulator.order_details import add_details

ORDER_ID_BASE = 1_000_000
"""Order index ``i`` has id ``gid://shopify/Order/<ORDER_ID_BASE + 1 + i>``."""
ORDER_NUMBER_BASE = 1001
"""Order index ``i`` has number ``ORDER_NUMBER_BASE + i`` and name ``#<number>``."""
HISTORY_SECONDS = 730 * 86_400
"""Generated createdAt values are spread over this many seconds up to ``now``."""
ORDER_GID_PREFIX = "gid://shopify/Order/"

_MASK64 = (1 << 64) - 1

_CURRENCIES = ("USD", "EUR", "CAD", "GBP", "AUD")
_PRESENTMENT = {"USD": ("EUR", 0.92), "EUR": ("USD", 1.08), "CAD": ("USD", 0.73)}
_FINANCIAL = (
    ("PAID", 700),
    ("PENDING", 80),
    ("AUTHORIZED", 50),
    ("PARTIALLY_REFUNDED", 50),
    ("REFUNDED", 30),
    ("PARTIALLY_PAID", 20),
    ("EXPIRED", 10),
    ("VOIDED", 10),
    (None, 50),
)
_FULFILLMENT = (
    ("FULFILLED", 550),
    ("UNFULFILLED", 300),
    ("PARTIALLY_FULFILLED", 70),
    ("IN_PROGRESS", 30),
    ("ON_HOLD", 20),
    ("SCHEDULED", 10),
    ("PENDING_FULFILLMENT", 10),
    ("REQUEST_DECLINED", 5),
    ("RESTOCKED", 5),
)
_CANCEL_REASONS = ("CUSTOMER", "DECLINED", "FRAUD", "INVENTORY", "STAFF", "OTHER")
_TAGS = ("vip", "wholesale", "gift", "repeat", "pos", "subscription", "preorder", "Black Friday")
_SOURCES = ("web", "web", "web", "pos", "shopify_draft_order", "iphone", "android", "580111")
_VENDORS = ("Acme", "Nordic Goods", "Café Lumière", "Żółw & Co", "O'Reilly Supply")
_PRODUCTS = (
    "Widget",
    "Café Crème Mug",
    'Poster "Wave" 50x70',
    "Back\\slash Tee",
    "Sticker pack 🎉",
    "日本茶 Matcha",
    "Ünïcødé Hoodie",
    "Gift card",
    "Plain socks",
    "Line\u2028Separator Lamp",
)
_VARIANTS = ("S", "M", "L", "XL", "Red / Large", 'Blue "Navy"', None)
_NOTES = (
    'Please leave at the "back" door',
    "Gift wrap\nwith a card: Happy birthday! 🎂",
    "Path C:\\Users\\orders\\n is not a newline",
    "Ça va? Ünïcødé ✓ — “smart quotes”",
    "Tab\tseparated\tnote",
    'Call before delivery; {"json": true}',
)


def mix64(value: int) -> int:
    """SplitMix64 finaliser: a cheap, well-distributed hash of an integer."""
    x = (value + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


def format_ts(ts: int) -> str:
    """Format epoch seconds as a second-precision UTC ISO-8601 string ending in ``Z``."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def parse_ts(value: str) -> int:
    """Parse an ISO-8601 timestamp (``Z`` or offset; naive means UTC) into epoch seconds."""
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp())


def money(
    amount_cents: int, currency: str, presentment: tuple[str, float] | None
) -> dict[str, Any]:
    """A MoneyBag with string amounts that are not zero-padded (``"12.5"``, ``"0.0"``)."""
    return money_bag(amount_cents, currency, presentment)


def order_gid(index: int) -> str:
    """The global id of the order at ``index``."""
    return f"{ORDER_GID_PREFIX}{ORDER_ID_BASE + 1 + index}"


def index_of_gid(order_id: str) -> int | None:
    """The index of an order gid (or bare numeric id), or None if it is not an order id."""
    raw = order_id[len(ORDER_GID_PREFIX) :] if order_id.startswith(ORDER_GID_PREFIX) else order_id
    if not raw.isdigit():
        return None
    index = int(raw) - ORDER_ID_BASE - 1
    return index if index >= 0 else None


def _weighted(rng: random.Random, table: tuple[tuple[Any, int], ...]) -> Any:
    roll = rng.randrange(sum(weight for _, weight in table))
    for value, weight in table:
        if roll < weight:
            return value
        roll -= weight
    return table[-1][0]  # pragma: no cover


class OrderGenerator:
    """Generates order ``i`` of ``count`` from ``(seed, i)`` without keeping any generated state."""

    def __init__(self, *, count: int, seed: int, now: datetime) -> None:
        self.count = count
        self.seed = seed
        self.now_ts = int(now.timestamp())
        self.start_ts = self.now_ts - HISTORY_SECONDS
        self.slot = HISTORY_SECONDS // count if count > 0 else 0
        self.currency = _CURRENCIES[seed % len(_CURRENCIES)]
        self._presentment = _PRESENTMENT.get(self.currency)
        self._salt = mix64(seed * 1_000_003 + 17)

    def created_ts(self, index: int) -> int:
        """createdAt of order ``index`` (strictly increasing with index when count <= span)."""
        base = self.start_ts + index * HISTORY_SECONDS // max(self.count, 1)
        if self.slot > 1:
            base += mix64(self._salt ^ (index * 2)) % self.slot
        return base

    def updated_ts(self, index: int, created: int | None = None) -> int:
        """updatedAt of generated order ``index``: >= createdAt, <= now, cheap to compute."""
        if created is None:
            created = self.created_ts(index)
        h = mix64(self._salt ^ (index * 2 + 1))
        roll = h % 1000
        rest = h >> 10
        if roll < 350:
            delta = 0
        elif roll < 900:
            delta = rest % (3 * 86_400)
        elif roll < 980:
            delta = rest % (60 * 86_400)
        else:
            delta = rest % (self.now_ts - created + 1)
        return min(created + delta, self.now_ts)

    def order(self, index: int) -> dict[str, Any]:
        """The full order at ``index`` including its ``lineItems`` list."""
        created = self.created_ts(index)
        updated = self.updated_ts(index, created)
        return build_order(
            index,
            seed=self.seed,
            created=created,
            updated=updated,
            currency=self.currency,
            presentment=self._presentment,
        )


def build_order(
    index: int,
    *,
    seed: int,
    created: int,
    updated: int,
    currency: str,
    presentment: tuple[str, float] | None,
) -> dict[str, Any]:
    """Build one order dict deterministically from ``(seed, index)`` and its two timestamps."""
    rng = random.Random(seed * 1_000_003 + index)
    numeric_id = ORDER_ID_BASE + 1 + index
    number = ORDER_NUMBER_BASE + index
    present = presentment if rng.random() < 0.2 else None

    cancelled = rng.random() < 0.05
    if cancelled:
        financial: str | None = rng.choice(("REFUNDED", "VOIDED"))
        fulfillment = rng.choice(("UNFULFILLED", "RESTOCKED"))
    else:
        financial = _weighted(rng, _FINANCIAL)
        fulfillment = _weighted(rng, _FULFILLMENT)

    line_items: list[dict[str, Any]] = []
    figures: list[LineFigures] = []
    subtotal = 0
    discounts = 0
    for k in range(rng.randint(1, 5)):
        item, line_total, line_discount, line = _line_item(
            rng, numeric_id * 10 + k, currency, present
        )
        figures.append(line)
        if fulfillment == "FULFILLED":
            item["unfulfilledQuantity"] = 0
        line_items.append(item)
        subtotal += line_total
        discounts += line_discount
    shipping = rng.choice((0, 0, 499, 999, 1250))
    tax_rate = rng.choice((0, 5, 8, 19, 20))
    tax = subtotal * tax_rate // 100
    total = subtotal + shipping + tax
    refunded = 0
    if financial == "REFUNDED":
        refunded = total
    elif financial == "PARTIALLY_REFUNDED":
        refunded = total * rng.randint(10, 60) // 100

    customer_no = rng.randrange(1, 50_000) if rng.random() < 0.85 else None
    if customer_no is not None:
        email: str | None = f"customer{customer_no}@example.com"
    else:
        email = f"guest.{number}@example.org" if rng.random() < 0.6 else None

    cancelled_at = closed_at = None
    cancel_reason = None
    closed = False
    if cancelled:
        cancelled_at = format_ts(created + (updated - created) // 2)
        cancel_reason = rng.choice(_CANCEL_REASONS)
        closed = True
        closed_at = cancelled_at
    elif fulfillment == "FULFILLED" and financial == "PAID" and rng.random() < 0.7:
        closed = True
        closed_at = format_ts(updated)

    created_s = format_ts(created)
    refunds: list[dict[str, Any]] = []
    if refunded:
        refunds.append(
            {
                "id": f"gid://shopify/Refund/{numeric_id * 10}",
                "createdAt": format_ts(updated),
                "note": None,
                "totalRefundedSet": money(refunded, currency, present),
            }
        )
    fulfillments: list[dict[str, Any]] = []
    if fulfillment in ("FULFILLED", "PARTIALLY_FULFILLED"):
        fulfillments.append(
            {
                "id": f"gid://shopify/Fulfillment/{numeric_id * 10}",
                "status": "SUCCESS",
                "createdAt": format_ts(updated),
                "trackingInfo": [{"company": "UPS", "number": f"1Z{numeric_id:012d}", "url": None}],
            }
        )
    tags = sorted(set(rng.sample(_TAGS, rng.choice((0, 0, 0, 1, 1, 2, 3)))))
    order = {
        "id": f"{ORDER_GID_PREFIX}{numeric_id}",
        "legacyResourceId": str(numeric_id),
        "name": f"#{number}",
        "number": number,
        "createdAt": created_s,
        "updatedAt": format_ts(updated),
        "processedAt": created_s,
        "cancelledAt": cancelled_at,
        "cancelReason": cancel_reason,
        "closed": closed,
        "closedAt": closed_at,
        "confirmed": rng.random() < 0.98,
        "test": rng.random() < 0.02,
        "email": email,
        "phone": f"+1555{rng.randrange(10**7):07d}" if rng.random() < 0.3 else None,
        "currencyCode": currency,
        "presentmentCurrencyCode": present[0] if present else currency,
        "displayFinancialStatus": financial,
        "displayFulfillmentStatus": fulfillment,
        "totalPriceSet": money(total, currency, present),
        "subtotalPriceSet": money(subtotal, currency, present),
        "totalTaxSet": money(tax, currency, present),
        "totalDiscountsSet": money(discounts, currency, present),
        "totalRefundedSet": money(refunded, currency, present),
        "currentTotalPriceSet": money(total - refunded, currency, present),
        "totalShippingPriceSet": money(shipping, currency, present),
        "customer": (
            {"id": f"gid://shopify/Customer/{customer_no}"} if customer_no is not None else None
        ),
        "tags": tags,
        "sourceName": rng.choice(_SOURCES),
        "note": rng.choice(_NOTES) if rng.random() < 0.3 else None,
        "refunds": refunds,
        "fulfillments": fulfillments,
        "lineItems": line_items,
    }
    figures_of_order = OrderFigures(
        seed=seed,
        numeric_id=numeric_id,
        created=created,
        updated=updated,
        currency=currency,
        present=present,
        subtotal=subtotal,
        shipping=shipping,
        tax_rate=tax_rate,
        tax=tax,
        total=total,
        refunded=refunded,
        customer_no=customer_no,
        cancelled=cancelled,
    )
    add_details(order, figures, figures_of_order)
    return order


def _line_item(
    rng: random.Random, numeric_id: int, currency: str, present: tuple[str, float] | None
) -> tuple[dict[str, Any], int, int, LineFigures]:
    product_no = rng.randrange(200)
    variant_no = rng.randrange(4)
    title = _PRODUCTS[product_no % len(_PRODUCTS)]
    variant_title = _VARIANTS[(product_no + variant_no) % len(_VARIANTS)]
    quantity = rng.randint(1, 4)
    unit = 150 + (product_no * 7919) % 9850
    percent = rng.choice((0, 0, 0, 10, 25))
    discount_unit = unit * percent // 100
    refunded = 1 if quantity > 1 and rng.random() < 0.05 else 0
    current = quantity - refunded
    is_gift = title == "Gift card"
    variant_id = 40_000_000_000 + product_no * 10 + variant_no
    attributes = [{"key": "engraving", "value": 'To "Sam" \\ with love ❤'}]
    item = {
        "id": f"gid://shopify/LineItem/{numeric_id}",
        "sku": None if rng.random() < 0.1 else f"SKU-{product_no:04d}-{variant_no}",
        "name": f"{title} - {variant_title}" if variant_title else title,
        "title": title,
        "variantTitle": variant_title,
        "vendor": _VENDORS[product_no % len(_VENDORS)],
        "quantity": quantity,
        "currentQuantity": current,
        "refundableQuantity": current,
        "unfulfilledQuantity": current,
        "originalUnitPriceSet": money(unit, currency, present),
        "discountedUnitPriceSet": money(unit - discount_unit, currency, present),
        "originalTotalSet": money(unit * quantity, currency, present),
        "discountedTotalSet": money((unit - discount_unit) * quantity, currency, present),
        "totalDiscountSet": money(discount_unit * quantity, currency, present),
        "requiresShipping": not is_gift,
        "taxable": not is_gift,
        "isGiftCard": is_gift,
        "variant": {"id": f"gid://shopify/ProductVariant/{variant_id}"},
        "product": {"id": f"gid://shopify/Product/{7_000_000_000 + product_no}"},
        "customAttributes": (attributes if rng.random() < 0.05 else []),
    }
    line = LineFigures(unit, discount_unit, percent if discount_unit else 0)
    return item, (unit - discount_unit) * quantity, discount_unit * quantity, line
