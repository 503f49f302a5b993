"""Helpers for drawing generated order details: a cheap deterministic RNG, MoneyBags, times."""

from __future__ import annotations

import random
import time
from typing import Any

Money = dict[str, Any]
Presentment = tuple[str, float] | None
"""Presentment currency and its rate from the shop currency, or None (same as the shop's)."""


class FastRandom(random.Random):
    """Mersenne Twister with cheaper integer draws (one ``random()`` each): the details of a
    million orders are drawn without the cost of ``_randbelow``'s retries."""

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:
        low, high = (0, start) if stop is None else (start, stop)
        return low + int(self.random() * (high - low))

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))

    def choice(self, seq: Any) -> Any:
        return seq[int(self.random() * len(seq))]


def money_bag(cents: int, currency: str, present: Presentment) -> Money:
    """A MoneyBag of ``cents``: string amounts, not zero-padded, presentment converted."""
    shop = {"amount": str(cents / 100), "currencyCode": currency}
    if present is None:
        return {"shopMoney": shop, "presentmentMoney": dict(shop)}
    code, rate = present
    return {
        "shopMoney": shop,
        "presentmentMoney": {"amount": str(round(cents * rate) / 100), "currencyCode": code},
    }


def iso(ts: int) -> str:
    """Epoch seconds as a second-precision UTC timestamp ending in ``Z``."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))
