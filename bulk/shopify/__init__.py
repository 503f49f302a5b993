"""The Shopify Admin GraphQL adapter: every httpx/gql error is translated into bulk.errors here."""

from __future__ import annotations

from .client import OrdersCount, ShopifyClient, ShopInfo
from .endpoint import ShopifyEndpoint
from .operation import BulkOperation, BulkOperationStatus

__all__ = [
    "BulkOperation",
    "BulkOperationStatus",
    "OrdersCount",
    "ShopInfo",
    "ShopifyClient",
    "ShopifyEndpoint",
]
