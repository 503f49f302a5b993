"""The one list of the order and line item fields shopsync stores: where each is in a bulk result
line and which column (of which Postgres type) holds it; adding a field is one line here plus a
migration adding its column."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

# The bulk query's selection (``orders_query``), the merge's column lists, extractions and casts
# (the ``{{fragments}}`` of bulk/sql/ingest.sql, filled in by ``bulk.sql`` at load time) and the
# cast diagnosis' paths and types (bound values) are all derived from it. Derived rather than a
# static .sql checked by a test, because with ~40 more fields coming, a check could only say which
# of four places a new field is still missing from.

# Types a JSON text can fail to cast to (every other declared type is text or text[]).
CAST_TYPES: Final = frozenset({"bigint", "integer", "numeric", "boolean", "timestamptz"})
_TYPES: Final = CAST_TYPES | {"text", "text[]"}


@dataclass(frozen=True)
class Field:
    """One stored field: ``column`` is read from the node at the dotted ``graphql`` path.

    ``column`` None: selected only to be kept in ``raw`` (no column). ``fallback``: a second
    path, read when the first is null. ``text[]`` reads a JSON array of strings (else NULL).
    """

    column: str | None
    graphql: str
    pg_type: str = "text"
    fallback: str | None = None

    def __post_init__(self) -> None:
        # Identifiers and types are rendered into SQL: only plain names get there.
        names = [self.column or "x", *self.graphql.split("."), *(self.fallback or "x").split(".")]
        if not all(name.replace("_", "").isalnum() and name.isascii() for name in names):
            raise ValueError(f"not a plain name in {self}")
        if self.pg_type not in _TYPES:
            raise ValueError(f"{self.column}: type {self.pg_type!r} is not one the merge casts to")

    @property
    def paths(self) -> tuple[str, ...]:
        """Every dotted path this field selects."""
        return (self.graphql,) if self.fallback is None else (self.graphql, self.fallback)


# The node's ``id`` (and a line item's ``__parentId``) are not listed: the ingest's parse step
# reads them (they key the rows), and the bulk query always selects ``id`` first.
ORDER_FIELDS: Final = (
    Field("legacy_resource_id", "legacyResourceId", "bigint"),
    Field("name", "name"),
    Field("email", "email"),
    Field("created_at", "createdAt", "timestamptz"),
    Field("updated_at", "updatedAt", "timestamptz"),  # the version compared by every write
    Field("processed_at", "processedAt", "timestamptz"),
    Field("cancelled_at", "cancelledAt", "timestamptz"),
    Field("cancel_reason", "cancelReason"),
    Field("closed", "closed", "boolean"),
    Field("closed_at", "closedAt", "timestamptz"),
    Field("test", "test", "boolean"),
    Field("currency_code", "currencyCode"),
    Field("display_financial_status", "displayFinancialStatus"),
    Field("display_fulfillment_status", "displayFulfillmentStatus"),
    Field("total_price", "totalPriceSet.shopMoney.amount", "numeric"),
    Field(None, "totalPriceSet.shopMoney.currencyCode"),
    Field("subtotal_price", "subtotalPriceSet.shopMoney.amount", "numeric"),
    Field(None, "subtotalPriceSet.shopMoney.currencyCode"),
    Field("total_tax", "totalTaxSet.shopMoney.amount", "numeric"),
    Field(None, "totalTaxSet.shopMoney.currencyCode"),
    Field("total_discounts", "totalDiscountsSet.shopMoney.amount", "numeric"),
    Field(None, "totalDiscountsSet.shopMoney.currencyCode"),
    Field("customer_id", "customer.id"),
    Field("tags", "tags", "text[]"),
)

LINE_ITEM_FIELDS: Final = (
    Field("sku", "sku"),
    Field("name", "name"),
    Field("title", "title"),
    Field("variant_title", "variantTitle"),
    Field("vendor", "vendor"),
    Field("quantity", "quantity", "integer"),
    Field("current_quantity", "currentQuantity", "integer"),
    Field("original_unit_price", "originalUnitPriceSet.shopMoney.amount", "numeric"),
    Field("discounted_total", "discountedTotalSet.shopMoney.amount", "numeric"),
    Field(
        "currency_code",
        "originalUnitPriceSet.shopMoney.currencyCode",
        fallback="discountedTotalSet.shopMoney.currencyCode",
    ),
)


def stored(fields: tuple[Field, ...]) -> tuple[Field, ...]:
    """The fields that have a column."""
    return tuple(field for field in fields if field.column is not None)


def cast_checks(fields: tuple[Field, ...]) -> tuple[list[str], list[str]]:
    """(paths, types) of the fields whose value may fail to cast, for ``ingest_cast_problem``."""
    checked = [
        (path, field.pg_type)
        for field in stored(fields)
        if field.pg_type in CAST_TYPES
        for path in field.paths
    ]
    return [path for path, _ in checked], [pg_type for _, pg_type in checked]
