"""Generated payment transactions (sale, authorization, void, refund) matching an order's status."""

from __future__ import annotations

import random
from typing import Any

from simulator.draws import iso
from simulator.figures import OrderFigures


def transactions(
    rng: random.Random,
    fig: OrderFigures,
    financial: str | None,
    gateway: str,
    received: int,
    money: Any,
) -> list[dict[str, Any]]:
    base_id = fig.numeric_id * 10
    test = False

    def tx(k: int, kind: str, status: str, cents: int, at: int) -> dict[str, Any]:
        return {
            "id": f"gid://shopify/OrderTransaction/{base_id + k}",
            "kind": kind,
            "status": status,
            "gateway": gateway,
            "formattedGateway": "Shopify Payments" if gateway == "shopify_payments" else "Manual",
            "amountSet": money(cents),
            "createdAt": iso(at),
            "processedAt": iso(at),
            "test": test,
            "authorizationCode": f"{rng.randrange(10**6):06d}" if kind != "REFUND" else None,
            "accountNumber": f"•••• •••• •••• {rng.randrange(10**4):04d}"
            if gateway == "shopify_payments"
            else None,
        }

    out: list[dict[str, Any]] = []
    if financial in ("AUTHORIZED", "EXPIRED", "VOIDED"):
        out.append(tx(1, "AUTHORIZATION", "SUCCESS", fig.total, fig.created))
        if financial == "VOIDED":
            out.append(tx(2, "VOID", "SUCCESS", fig.total, fig.updated))
    elif financial == "PENDING":
        out.append(tx(1, "SALE", "PENDING", fig.total, fig.created))
    elif received:
        out.append(tx(1, "SALE", "SUCCESS", received, fig.created))
    if fig.refunded:
        out.append(tx(3, "REFUND", "SUCCESS", fig.refunded, fig.updated))
    return out
