"""Tests for the Shopify search syntax parser and evaluator."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from simulator.search import SearchSyntaxError, parse_search

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)


def order(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "gid://shopify/Order/1000005",
        "name": "#1005",
        "email": "alice@example.com",
        "createdAt": "2026-01-01T00:00:00Z",
        "updatedAt": "2026-11-01T10:00:00Z",
        "processedAt": "2026-01-01T00:00:00Z",
        "cancelledAt": None,
        "closed": False,
        "displayFinancialStatus": "PAID",
        "displayFulfillmentStatus": "UNFULFILLED",
        "tags": ["VIP", "gift"],
        "test": False,
        "customer": {"id": "gid://shopify/Customer/77"},
        "lineItems": [{"sku": "SKU-1"}, {"sku": None}],
    }
    base.update(fields)
    return base


def matches(text: str, **fields: Any) -> bool:
    return parse_search(text, now=NOW).matches(order(**fields))


@pytest.mark.parametrize(
    "text",
    [
        "updated_at:>='2026-11-01T00:00:00Z'",
        'updated_at:>="2026-11-01T00:00:00Z"',
        "updated_at:>=2026-11-01T00:00:00Z",
        "updated_at:>=2026-11-01",
        "updated_at:>='2026-11-01T00:00:00+00:00'",
        "updated_at:>'2026-11-01T09:59:59Z'",
        "updated_at:<=2026-11-01T10:00:00Z",
        "updated_at:<now",
        "updated_at:2026-11-01",
    ],
)
def test_time_filters_quoted_and_unquoted_match(text: str) -> None:
    assert matches(text)


@pytest.mark.parametrize(
    "text",
    [
        "updated_at:<'2026-11-01T10:00:00Z'",
        "updated_at:>2026-11-01T10:00:00Z",
        "updated_at:>=2026-11-02",
        "updated_at:>now",
        "updated_at:2026-11-02",
    ],
)
def test_time_filters_exclude(text: str) -> None:
    assert not matches(text)


def test_relative_now_offset() -> None:
    assert matches("updated_at:>now-30d")
    assert not matches("updated_at:>now-1d")


def test_implicit_and_explicit_and_or_not() -> None:
    assert matches("status:open financial_status:paid")
    assert not matches("status:open AND financial_status:refunded")
    assert matches("financial_status:refunded OR financial_status:paid")
    assert not matches("NOT financial_status:paid")
    assert not matches("-financial_status:paid")
    assert matches("-financial_status:refunded")
    assert matches("(financial_status:refunded OR tag:vip) AND status:open")
    assert not matches("financial_status:refunded OR (tag:vip AND status:closed)")


def test_unknown_field_ignored_with_warning() -> None:
    query = parse_search("bogus_field:1 AND status:open", now=NOW)
    assert query.matches(order())
    assert query.warnings == [
        {"field": "bogus_field", "message": "Invalid search field for this query."}
    ]
    assert parse_search("status:open", now=NOW).warnings == []


def test_id_numeric_gid_and_ranges() -> None:
    assert matches("id:1000005")
    assert matches("id:'gid://shopify/Order/1000005'")
    assert matches("id:>=1000005 id:<1000006")
    assert not matches("id:>1000005")
    assert parse_search("id:>1000005 id:<=1000010", now=NOW).bounds("id") == (1000006, 1000011)


@pytest.mark.parametrize(
    ("status", "fields", "expected"),
    [
        ("open", {}, True),
        ("open", {"closed": True}, False),
        ("closed", {"closed": True}, True),
        ("cancelled", {"cancelledAt": "2026-02-01T00:00:00Z", "closed": True}, True),
        ("cancelled", {}, False),
        ("not_closed", {}, True),
        ("not_closed", {"closed": True}, False),
    ],
)
def test_status_filter(status: str, fields: dict[str, Any], expected: bool) -> None:
    assert matches(f"status:{status}", **fields) is expected


def test_other_fields() -> None:
    assert matches("fulfillment_status:unshipped")
    assert matches("name:#1005") and matches("name:1005")
    assert matches("email:alice@example.com") and matches("email:alice*")
    assert matches("tag:vip") and not matches("tag_not:vip") and matches("tag_not:wholesale")
    assert matches("test:false") and not matches("test:true")
    assert matches("sku:SKU-1") and not matches("sku:SKU-2")
    assert matches("customer_id:77")


def test_free_text_matches_name_or_email() -> None:
    assert matches("alice")
    assert matches("1005")
    assert not matches("bob")


def test_colon_equals_is_literal_not_equality() -> None:
    assert not matches("email:=alice@example.com")
    assert matches("email:=alice@example.com", email="=alice@example.com")


def test_invalid_timestamp_ignored_with_warning() -> None:
    query = parse_search("created_at:>yesterday-ish", now=NOW)
    assert query.matches(order())
    assert query.warnings[0]["field"] == "created_at"


def test_bounds_only_for_pure_and() -> None:
    query = parse_search("created_at:>=2026-01-01 created_at:<2026-02-01 status:open", now=NOW)
    assert query.bounds("created_at") == (
        int(datetime(2026, 1, 1, tzinfo=UTC).timestamp()),
        int(datetime(2026, 2, 1, tzinfo=UTC).timestamp()),
    )
    assert parse_search("created_at:>=2026-01-01 OR id:1", now=NOW).bounds("created_at") == (
        None,
        None,
    )


@pytest.mark.parametrize("text", ["(status:open", "status:open)", "name:'unterminated", "NOT"])
def test_syntax_errors(text: str) -> None:
    with pytest.raises(SearchSyntaxError):
        parse_search(text, now=NOW)


def test_empty_query_matches_everything() -> None:
    assert parse_search("", now=NOW).matches(order())
    assert parse_search("   ", now=NOW).matches(order())
