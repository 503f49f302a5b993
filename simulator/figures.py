"""The core figures of a generated order (amounts in cents) that its details are derived from."""

from __future__ import annotations

from dataclasses import dataclass

from simulator.draws import Presentment


@dataclass(frozen=True)
class LineFigures:
    """What the core generator decided for one line item (amounts in cents)."""

    unit: int
    discount_unit: int
    percent: int


@dataclass(frozen=True)
class OrderFigures:
    """What the core generator decided for the order (amounts in cents)."""

    seed: int
    numeric_id: int
    created: int
    updated: int
    currency: str
    present: Presentment
    subtotal: int
    shipping: int
    tax_rate: int
    tax: int
    total: int
    refunded: int
    customer_no: int | None
    cancelled: bool
