"""The inner bulk query per sync mode: which orders (filter + matching sortKey), and the fields
of ``order_fields`` rendered as its selection."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypeAlias

from .errors import ConfigurationError
from .order_fields import LINE_ITEM_FIELDS, ORDER_FIELDS, Field
from .types import SyncMode

# A selection: each field name to its own sub-selection (empty for a leaf).
_Tree: TypeAlias = dict[str, "_Tree"]


def _selection(fields: tuple[Field, ...]) -> str:
    """``id`` then every field's path as nested selections, in the order first declared:
    ``totalPriceSet.shopMoney.amount`` becomes ``totalPriceSet { shopMoney { amount } }``."""
    tree: _Tree = {"id": {}}
    for field in fields:
        for path in field.paths:
            node = tree
            for name in path.split("."):
                node = node.setdefault(name, {})
    return _render(tree)


def _render(tree: _Tree) -> str:
    return " ".join(f"{name} {{ {_render(sub)} }}" if sub else name for name, sub in tree.items())


ORDER_SELECTION = _selection(ORDER_FIELDS)
LINE_ITEM_SELECTION = _selection(LINE_ITEM_FIELDS)


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
        {ORDER_SELECTION}
        lineItems {{
          edges {{
            node {{
              {LINE_ITEM_SELECTION}
            }}
          }}
        }}
      }}
    }}
  }}
}}"""
