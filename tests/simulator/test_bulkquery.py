"""Bulk query validation (Shopify's messages, verbatim) and plan compilation."""

from __future__ import annotations

import pytest

from simulator.bulkquery import (
    BulkQueryInvalid,
    BulkUserError,
    compile_bulk_query,
    validate_bulk_query,
)

ORDERS = "{ orders { edges { node { id lineItems { edges { node { id } } } } } } }"


def messages(document: str) -> list[str]:
    errors = validate_bulk_query(document)
    assert all(e.field == ["query"] and e.code == "INVALID" for e in errors)
    return [e.message for e in errors]


def test_valid_orders_with_line_items() -> None:
    assert validate_bulk_query(ORDERS) == []


def test_error_shape() -> None:
    assert validate_bulk_query("{ shop { id } }") == [
        BulkUserError(["query"], "Bulk queries must contain at least one connection.", "INVALID")
    ]


def test_syntax_error_empty_document() -> None:
    assert messages("") == ["Invalid bulk query: syntax error, unexpected end of file"]
    assert messages("{ orders { edges ")[0] == (
        "Invalid bulk query: syntax error, unexpected end of file"
    )


def test_syntax_error_other() -> None:
    (message,) = messages("{ orders(:) }")
    assert message.startswith("Invalid bulk query: syntax error, ")


def test_too_large() -> None:
    document = ORDERS + " " * (65_536 - len(ORDERS))
    assert messages(document) == ["Query is too large (65536 bytes; maximum is 65535 bytes)"]
    assert validate_bulk_query(ORDERS + " " * (65_535 - len(ORDERS))) == []


def test_mutation_document() -> None:
    assert messages("mutation { orderCancel(id: 1) { id } }") == [
        "Invalid operation type. Only `query` operations are supported."
    ]


def test_no_connection() -> None:
    assert messages("{ shop { id name } }") == [
        "Bulk queries must contain at least one connection."
    ]


def test_more_than_five_connections() -> None:
    inner = "edges { node { id lineItems { edges { node { id } } } } }"
    document = (
        "{ orders { edges { node { id "
        "a: lineItems { edges { node { id } } } b: lineItems { edges { node { id } } } "
        "c: lineItems { edges { node { id } } } d: lineItems { edges { node { id } } } "
        f"customer {{ orders {{ {inner} }} }} }} }} }} }}"
    )
    assert "Bulk queries cannot contain more than 5 connections." in messages(document)
    five = (
        "{ orders { edges { node { id a: lineItems { edges { node { id } } } "
        "b: lineItems { edges { node { id } } } c: lineItems { edges { node { id } } } "
        "d: lineItems { edges { node { id } } } } } } }"
    )
    assert validate_bulk_query(five) == []


def test_nesting_depth_three_rejected_depth_two_allowed() -> None:
    depth3 = (
        "{ orders { edges { node { id lineItems { edges { node { id product { id "
        "collections { edges { node { id products { edges { node { id } } } } } } } } } } } } } }"
    )
    assert messages(depth3) == [
        "Bulk queries cannot contain connections with a nesting depth greater than 2."
    ]
    depth2 = (
        "{ orders { edges { node { id lineItems { edges { node { id product { "
        "variants { edges { node { id } } } } } } } } } } }"
    )
    assert validate_bulk_query(depth2) == []


def test_top_level_node() -> None:
    assert messages('{ node(id: "gid://shopify/Order/1") { id } }') == [
        "Bulk queries cannot contain a top level `node` field.",
        "Bulk queries must contain at least one connection.",
    ]


def test_parent_without_unaliased_id() -> None:
    expected = (
        "The parent 'node' field for a nested connection must select the 'id' field without an "
        "alias and must be of 'ID' return type. Connection fields without 'id': lineItems."
    )
    missing = "{ orders { edges { node { name lineItems { edges { node { id } } } } } } }"
    aliased = "{ orders { edges { node { gid: id lineItems { edges { node { id } } } } } } }"
    assert messages(missing) == [expected]
    assert messages(aliased) == [expected]


@pytest.mark.parametrize(
    "document",
    [
        "{ orders { edges { node { id refunds { id refundLineItems "
        "{ edges { node { quantity } } } } } } } }",
        "{ orders { edges { node { id fulfillments { id fulfillmentLineItems "
        "{ edges { node { id } } } } } } } }",
        "{ orders { edges { node { id fulfillments { events { edges { node { id } } } } } } } }",
    ],
)
def test_connection_inside_list_field(document: str) -> None:
    assert messages(document) == [
        "Queries that contain a connection field within a list field are not currently supported."
    ]


def test_lists_without_connections_are_fine() -> None:
    document = "{ orders { edges { node { id refunds { id } fulfillments { id } tags } } } }"
    assert validate_bulk_query(document) == []


def test_nodes_instead_of_edges() -> None:
    assert messages("{ orders { edges { node { id lineItems { nodes { id } } } } } }") == [
        "All connection fields in a bulk query must select their contents using 'edges' > "
        "'node' ... Selecting via 'nodes' is not supported. Invalid connection fields: "
        "'lineItems'."
    ]


def test_unknown_field_and_argument() -> None:
    assert messages("{ orders { edges { node { id bogus } } } }") == [
        "Field 'bogus' doesn't exist on type 'Order'"
    ]
    assert messages("{ orders(bogus: 1) { edges { node { id } } } }") == [
        "Field 'orders' doesn't accept argument 'bogus'"
    ]


def test_compile_root_arguments_and_ignored_pagination() -> None:
    plan = compile_bulk_query(
        """{ orders(first: 10, after: "abc", query: "updated_at:>='2026-11-01T00:00:00Z'",
                    sortKey: UPDATED_AT, reverse: true) {
              pageInfo { hasNextPage } edges { cursor node { id } } } }"""
    )
    assert plan.root_field == "orders"
    assert plan.search == "updated_at:>='2026-11-01T00:00:00Z'"
    assert plan.sort_key == "UPDATED_AT" and plan.reverse is True
    assert [f.key for f in plan.fields] == ["id"]


def test_compile_defaults() -> None:
    plan = compile_bulk_query(ORDERS)
    assert (plan.search, plan.sort_key, plan.reverse) == (None, "PROCESSED_AT", False)
    assert [c.name for c in plan.connections] == ["lineItems"]


def test_compile_aliases_typename_and_fragments() -> None:
    plan = compile_bulk_query(
        """query { orders { edges { node { ...OrderBits ... on Order { t: __typename }
              lineItems { edges { node { id ... on LineItem { s: sku } } } } } } } }
           fragment OrderBits on Order { id total: totalPriceSet { shopMoney { amount } } }"""
    )
    assert [f.key for f in plan.fields] == ["id", "total", "t"]
    assert plan.fields[2].typename == "Order"
    assert [f.key for f in plan.connections[0].fields] == ["id", "s"]


def test_compile_invalid_raises() -> None:
    with pytest.raises(BulkQueryInvalid):
        compile_bulk_query("{ shop { id } }")
