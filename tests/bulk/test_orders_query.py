"""The inner bulk query per mode: filter, sortKey, selected fields, and Shopify's own validation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from graphql import parse

from bulk.errors import ConfigurationError
from bulk.orders_query import build_orders_query, search_instant
from bulk.types import SyncMode
from simulator.bulkquery import validate_bulk_query

SINCE = datetime(2026, 11, 1, 12, 30, 15, 123456, tzinfo=UTC)


def test_populate_filters_created_at_with_matching_sort() -> None:
    query = build_orders_query(SyncMode.POPULATE, SINCE)
    assert "orders(query: \"created_at:>='2026-11-01T12:30:15Z'\", sortKey: CREATED_AT)" in query


def test_populate_without_days_has_no_filter() -> None:
    query = build_orders_query(SyncMode.POPULATE, None)
    assert "orders(sortKey: CREATED_AT)" in query and "created_at" not in query


def test_update_filters_updated_at_with_matching_sort() -> None:
    query = build_orders_query(SyncMode.UPDATE, SINCE)
    assert "orders(query: \"updated_at:>='2026-11-01T12:30:15Z'\", sortKey: UPDATED_AT)" in query


def test_update_requires_an_instant() -> None:
    with pytest.raises(ConfigurationError):
        build_orders_query(SyncMode.UPDATE, None)


def test_full_has_no_filter() -> None:
    query = build_orders_query(SyncMode.FULL, SINCE)
    assert "query:" not in query and "updated_at" not in query


def test_instants_are_utc_z_at_second_precision() -> None:
    plus_two = timezone(timedelta(hours=2))
    assert search_instant(datetime(2026, 1, 1, 2, 0, 0, 999, tzinfo=plus_two)) == (
        "2026-01-01T00:00:00Z"
    )
    with pytest.raises(ConfigurationError):
        search_instant(datetime(2026, 1, 1))


@pytest.mark.parametrize("mode", [m for m in SyncMode if m is not SyncMode.RECONCILE])
def test_query_parses_and_selects_what_the_ingest_stores(mode: SyncMode) -> None:
    query = build_orders_query(mode, SINCE)
    parse(query)
    for field in (
        "legacyResourceId",
        "displayFinancialStatus",
        "displayFulfillmentStatus",
        "totalPriceSet",
        "subtotalPriceSet",
        "totalTaxSet",
        "totalDiscountsSet",
        "customer { id email",
        "billingAddress {",
        "fulfillments {",
        "discountAllocations {",
        "tags",
        "cancelReason",
        "closedAt",
        "variantTitle",
        "currentQuantity",
        "originalUnitPriceSet",
        "discountedTotalSet",
        "shopMoney { amount currencyCode }",
    ):
        assert field in query
    assert "lineItems {" in query and query.count("edges {") == 2
    assert query.count("edges") == 2  # no connection beyond orders and lineItems


def test_reconcile_selects_order_ids_only_in_its_created_at_window() -> None:
    query = build_orders_query(SyncMode.RECONCILE, SINCE)
    parse(query)
    assert "orders(query: \"created_at:>='2026-11-01T12:30:15Z'\", sortKey: CREATED_AT)" in query
    assert " ".join(query.split()).endswith("node { id } } } }")
    assert "orders(sortKey: CREATED_AT)" in build_orders_query(SyncMode.RECONCILE, None)


@pytest.mark.parametrize("mode", list(SyncMode))
def test_query_passes_the_bulk_restrictions(mode: SyncMode) -> None:
    assert not validate_bulk_query(build_orders_query(mode, SINCE))
