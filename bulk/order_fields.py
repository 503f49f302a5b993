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
    # Issue #10: what a merchant's app filters and joins on.
    Field("phone", "phone"),
    Field("customer_email", "customer.email"),
    Field("presentment_currency_code", "presentmentCurrencyCode"),
    Field("total_price_presentment", "totalPriceSet.presentmentMoney.amount", "numeric"),
    Field("current_total_price", "currentTotalPriceSet.shopMoney.amount", "numeric"),
    Field("current_subtotal_price", "currentSubtotalPriceSet.shopMoney.amount", "numeric"),
    Field("current_total_tax", "currentTotalTaxSet.shopMoney.amount", "numeric"),
    Field("current_total_discounts", "currentTotalDiscountsSet.shopMoney.amount", "numeric"),
    Field("total_shipping", "totalShippingPriceSet.shopMoney.amount", "numeric"),
    Field("total_refunded", "totalRefundedSet.shopMoney.amount", "numeric"),
    Field("billing_country_code", "billingAddress.countryCodeV2"),
    Field("billing_province_code", "billingAddress.provinceCode"),
    Field("shipping_country_code", "shippingAddress.countryCodeV2"),
    Field("shipping_province_code", "shippingAddress.provinceCode"),
    Field("shipping_zip", "shippingAddress.zip"),
    Field("source_name", "sourceName"),
    Field("channel_id", "channelInformation.channelId"),
    Field("risk_recommendation", "risk.recommendation"),
    Field("tax_exempt", "taxExempt", "boolean"),
    Field("taxes_included", "taxesIncluded", "boolean"),
    Field("discount_codes", "discountCodes", "text[]"),
    Field("note", "note"),
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
    Field("total_discount", "totalDiscountSet.shopMoney.amount", "numeric"),
    Field("refundable_quantity", "refundableQuantity", "integer"),
    Field("unfulfilled_quantity", "unfulfilledQuantity", "integer"),
    Field("requires_shipping", "requiresShipping", "boolean"),
    Field("taxable", "taxable", "boolean"),
    Field("is_gift_card", "isGiftCard", "boolean"),
    Field("product_id", "product.id"),
    Field("variant_id", "variant.id"),
)

# Selected to be kept in ``raw`` only (no column): GraphQL selection text, merged with the
# fields' paths into one selection (``orders_query``). Lists of objects and interfaces live here:
# a column holds one scalar, and a path cannot say ``... on Type``. Lists only, never a
# connection: Shopify counts connections (at most 5 per bulk query) and allows none inside a
# list, so Refund.refundLineItems and Order.discountApplications (a connection whose nodes have
# no id, each a child line of its own) are not selected; a line item's refundableQuantity and
# currentQuantity, and its discountAllocations' discountApplication, say what they would.
_MONEY = "shopMoney { amount currencyCode } presentmentMoney { amount currencyCode }"
_ADDRESS = (
    "firstName lastName name company address1 address2 city province provinceCode zip"
    " country countryCodeV2 phone"
)
_TAX_LINES = f"taxLines {{ title rate ratePercentage channelLiable priceSet {{ {_MONEY} }} }}"
_APPLICATION = (
    "discountApplication { __typename allocationMethod targetSelection targetType index"
    " value { __typename ... on MoneyV2 { amount currencyCode }"
    " ... on PricingPercentageValue { percentage } }"
    " ... on DiscountCodeApplication { code }"
    " ... on AutomaticDiscountApplication { title }"
    " ... on ManualDiscountApplication { title description }"
    " ... on ScriptDiscountApplication { title } }"
)
_ALLOCATIONS = f"discountAllocations {{ allocatedAmountSet {{ {_MONEY} }} {_APPLICATION} }}"

ORDER_KEPT: Final = " ".join(
    (
        *(
            f"{money} {{ {_MONEY} }}"
            for money in (
                "totalPriceSet",
                "subtotalPriceSet",
                "totalTaxSet",
                "totalDiscountsSet",
                "currentTotalPriceSet",
                "currentSubtotalPriceSet",
                "currentTotalTaxSet",
                "currentTotalDiscountsSet",
                "totalShippingPriceSet",
                "totalRefundedSet",
            )
        ),
        f"billingAddress {{ {_ADDRESS} }}",
        f"shippingAddress {{ {_ADDRESS} }}",
        "customer { firstName lastName displayName phone tags }",
        "shippingLine { id title code source carrierIdentifier"
        f" originalPriceSet {{ {_MONEY} }} discountedPriceSet {{ {_MONEY} }} {_TAX_LINES}"
        f" {_ALLOCATIONS} }}",
        _TAX_LINES,
        "customAttributes { key value }",
        "channelInformation { displayName }",
        "risk { assessments { riskLevel } }",
        "fulfillments { id name status displayStatus createdAt updatedAt deliveredAt"
        " trackingInfo { company number url } }",
        f"refunds {{ id createdAt note totalRefundedSet {{ {_MONEY} }} }}",
    )
)
"""The order's raw-only selection."""

LINE_ITEM_KEPT: Final = " ".join(
    (
        *(
            f"{money} {{ {_MONEY} }}"
            for money in ("originalUnitPriceSet", "discountedTotalSet", "totalDiscountSet")
        ),
        _TAX_LINES,
        _ALLOCATIONS,
        "customAttributes { key value }",
    )
)
"""The line item's raw-only selection."""


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
