"""The inner bulk query per sync mode: which orders (filter + matching sortKey) and which fields."""

from __future__ import annotations

from datetime import UTC, datetime

from .errors import ConfigurationError
from .types import SyncMode

_MONEY = "shopMoney { amount currencyCode }"

ORDER_FIELDS = f"""id legacyResourceId name email createdAt updatedAt processedAt
        cancelledAt cancelReason closed closedAt test currencyCode
        displayFinancialStatus displayFulfillmentStatus
        totalPriceSet {{ {_MONEY} }}
        subtotalPriceSet {{ {_MONEY} }}
        totalTaxSet {{ {_MONEY} }}
        totalDiscountsSet {{ {_MONEY} }}
        customer {{ id }}
        tags"""

LINE_ITEM_FIELDS = f"""id sku name title variantTitle vendor quantity currentQuantity
              originalUnitPriceSet {{ {_MONEY} }}
              discountedTotalSet {{ {_MONEY} }}"""


def search_instant(moment: datetime) -> str:
    """``2026-11-01T00:00:00Z``: UTC, second precision, as Shopify's search syntax expects."""
    if moment.tzinfo is None:
        raise ConfigurationError("the filter instant must be timezone-aware")
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def orders_arguments(mode: SyncMode, filter_since: datetime | None) -> str:
    """The ``orders(...)`` arguments: a date filter paired with the matching sortKey."""
    if mode is SyncMode.UPDATE:
        if filter_since is None:
            raise ConfigurationError("an UPDATE sync needs the instant it filters from")
        # Single quotes: the filter sits inside a double-quoted GraphQL string.
        return f"query: \"updated_at:>='{search_instant(filter_since)}'\", sortKey: UPDATED_AT"
    if mode in (SyncMode.POPULATE, SyncMode.RECONCILE):
        if filter_since is None:
            return "sortKey: CREATED_AT"
        return f"query: \"created_at:>='{search_instant(filter_since)}'\", sortKey: CREATED_AT"
    return "sortKey: CREATED_AT"


def build_orders_query(mode: SyncMode, filter_since: datetime | None) -> str:
    """The bulk query document for ``mode``; orders and their line items (2 connections), or
    for RECONCILE the orders' ids only (no connection: cheap, one short line per order)."""
    if mode is SyncMode.RECONCILE:
        return f"""{{
  orders({orders_arguments(mode, filter_since)}) {{
    edges {{
      node {{
        id
      }}
    }}
  }}
}}"""
    return f"""{{
  orders({orders_arguments(mode, filter_since)}) {{
    edges {{
      node {{
        {ORDER_FIELDS}
        lineItems {{
          edges {{
            node {{
              {LINE_ITEM_FIELDS}
            }}
          }}
        }}
      }}
    }}
  }}
}}"""
