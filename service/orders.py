"""Orders of the mirror: reading them (the ``orders`` query), and changes from outside a job
(Shopify's ``orders/delete`` webhook)."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from bulk import deleted_orders, mirror, webhook_deliveries
from bulk.deleted_orders import DeletedOrder
from bulk.errors import Forbidden
from bulk.mirror import MirrorLineItem, MirrorOrder, OrderPosition

from .principal import Principal


@dataclass(frozen=True)
class OrderDeletion:
    deleted: DeletedOrder | None  # None: no such live order of that shop (nothing written)
    duplicate: bool  # the delivery was handled before


@dataclass
class OrderService:
    pool: ConnectionPool[Any]

    def list(
        self,
        principal: Principal,
        shop_id: int,
        *,
        first: int,
        updated_since: datetime | None = None,
        after: OrderPosition | None = None,
    ) -> builtins.list[MirrorOrder]:
        """The shop's live orders, oldest change first; none when the shop does not exist for
        the caller."""
        with self.pool.connection() as conn:
            return mirror.list_orders(
                conn,
                shop_id=shop_id,
                first=first,
                tenant_id=principal.scope,
                updated_since=updated_since,
                after=after,
            )

    def line_items_of(
        self, principal: Principal, shop_id: int, order_ids: Sequence[str], *, first: int
    ) -> dict[str, builtins.list[MirrorLineItem]]:
        """The first ``first`` live line items of each of the shop's orders, in one statement."""
        with self.pool.connection() as conn:
            return mirror.line_items_of_orders(
                conn, shop_id=shop_id, order_ids=order_ids, first=first, tenant_id=principal.scope
            )

    def delete_by_webhook(
        self, principal: Principal, *, domain: str, legacy_id: int, webhook_id: str | None
    ) -> OrderDeletion:
        """Mark the shop's order deleted, once per delivery (remembered in the database, with the
        deletion in one transaction). System only: the receiver checked Shopify's signature,
        and the shop is the one whose domain the delivery names."""
        if not principal.is_system:
            raise Forbidden("only the system applies Shopify's webhooks")
        keys = [f"orders/delete:{domain}:{legacy_id}"]
        if webhook_id:
            keys.append(f"webhook:{webhook_id}")
        deleted = None
        duplicate = False
        with self.pool.connection() as conn, conn.transaction() as tx:
            if not webhook_deliveries.claim(conn, keys):
                duplicate = True
                raise psycopg.Rollback(tx)  # leaves the block, undoing the claim
            deleted = deleted_orders.delete_by_legacy_id(conn, domain=domain, legacy_id=legacy_id)
            if deleted is None:
                # Not remembered: the order may arrive later with a sync; then the next copy
                # of this delivery still deletes it.
                raise psycopg.Rollback(tx)
        return OrderDeletion(deleted=deleted, duplicate=duplicate)
