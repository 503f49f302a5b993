"""Comparing the mirror's orders with the simulator's own view of them: every selected field of
every order and line item, in its column and in ``raw``."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx

from bulk.order_fields import LINE_ITEM_FIELDS, ORDER_FIELDS, Field, stored
from bulk.orders_query import order_tree
from tests.support.mirror import read_mirror
from tests.support.shopify_sim import SHOP

Tree = dict[str, Any]


def sim_orders(base_url: str, limit: int) -> dict[str, dict[str, Any]]:
    """The simulator's orders (its control API: every field it serves), by id."""
    response = httpx.get(f"{base_url}/_sim/shops/{SHOP}/orders", params={"limit": limit})
    response.raise_for_status()
    return {order["id"]: order for order in response.json()["orders"]}


def project(value: Any, tree: Tree) -> Any:
    """``value`` as a GraphQL response selecting ``tree`` gives it (lists element by element;
    ``... on Type`` applies when the value's ``__typename`` is that type)."""
    if value is None or not tree:
        return value
    if isinstance(value, list):
        return [project(element, tree) for element in value]
    out: dict[str, Any] = {}
    for key, sub in tree.items():
        if key.startswith("... on "):
            if value.get("__typename") == key.removeprefix("... on "):
                out |= project(value, sub)
            continue
        alias, _, name = key.split("(", 1)[0].rpartition(": ")
        out[alias or name] = project(value.get(name), sub)
    return out


def _at(doc: Any, path: str) -> Any:
    for name in path.split("."):
        doc = doc.get(name) if isinstance(doc, dict) else None
    return doc


def expected_column(doc: dict[str, Any], field: Field) -> Any:
    """The value ``field``'s column should hold for the Shopify node ``doc``."""
    value = _at(doc, field.graphql)
    if value is None and field.fallback is not None:
        value = _at(doc, field.fallback)
    if value is None:
        return None
    if field.pg_type == "numeric":
        return Decimal(str(value))
    if field.pg_type in ("bigint", "integer"):
        return int(value)
    if field.pg_type == "timestamptz":
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return value


def mismatches(database_url: str, shopify: dict[str, dict[str, Any]]) -> list[str]:
    """Every difference between the mirror and ``shopify`` (empty when they agree): ids, each
    stored field's column, and ``raw`` against the query's selection of the simulator's node."""
    orders, items = read_mirror(database_url)
    tree = order_tree()
    item_tree = tree.pop("lineItems")["edges"]["node"]
    found: list[str] = []
    if set(orders) != set(shopify):
        found.append(f"order ids differ: {len(orders)} mirrored, {len(shopify)} in Shopify")
    expected_items = {i["id"]: (o["id"], i) for o in shopify.values() for i in o["lineItems"]}
    if set(items) != set(expected_items):
        found.append(f"line item ids differ: {len(items)} mirrored, {len(expected_items)}")
    pairs = [(orders.get(k), doc, ORDER_FIELDS, tree, None) for k, doc in shopify.items()]
    pairs += [
        (items.get(k), doc, LINE_ITEM_FIELDS, item_tree, o)
        for k, (o, doc) in expected_items.items()
    ]
    for row, doc, fields, selection, parent in pairs:
        if row is None:
            continue
        for field in stored(fields):
            want = expected_column(doc, field)
            if row[field.column] != want:
                found.append(f"{doc['id']} {field.column}: {row[field.column]!r} != {want!r}")
        raw = dict(row["raw"])
        if parent is not None and (
            raw.pop("__parentId", None) != parent or row["order_id"] != parent
        ):
            found.append(f"{doc['id']}: parent is not {parent}")
        want_raw = project(doc, selection)
        for key in sorted(set(raw) | set(want_raw)):
            if raw.get(key, "<missing>") != want_raw.get(key, "<missing>"):
                found.append(f"{doc['id']} raw.{key}: {raw.get(key)!r} != {want_raw.get(key)!r}")
    return found
