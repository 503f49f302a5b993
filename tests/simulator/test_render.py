"""Tests for the JSONL renderer: layouts, projection, counts, determinism, cancellation."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from simulator.bulkquery import compile_bulk_query
from simulator.render import (
    RenderResult,
    UpdatedDuringExport,
    iter_result_lines,
    updated_version,
    write_result,
)
from simulator.store import OrderStore

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
QUERY = """{ orders(sortKey: CREATED_AT) { edges { node {
  id name createdAt t: __typename totalPriceSet { shopMoney { amount currencyCode } }
  customer { id } tags
  lineItems { edges { node { id sku quantity title } } } } } } }"""


@pytest.fixture(scope="module")
def store() -> OrderStore:
    return OrderStore(count=300, seed=21, now=NOW, clock=lambda: NOW)


def render(
    store: OrderStore, layout: str, query: str = QUERY, seed: int = 1
) -> list[dict[str, Any]]:
    plan = compile_bulk_query(query)
    return [json.loads(line) for line in iter_result_lines(plan, store, layout=layout, seed=seed)]


def check_complete(rows: list[dict[str, Any]], store: OrderStore) -> None:
    roots = [r for r in rows if "__parentId" not in r]
    children = [r for r in rows if "__parentId" in r]
    root_ids = {r["id"] for r in roots}
    assert len(roots) == 300
    assert all(child["__parentId"] in root_ids for child in children)
    expected_children = sum(len(o["lineItems"]) for o in store.iter_orders())
    assert len(children) == expected_children
    created = [r["createdAt"] for r in roots]
    assert created == sorted(created)


def test_grouped_children_directly_under_parent(store: OrderStore) -> None:
    rows = render(store, "grouped")
    check_complete(rows, store)
    current = None
    for row in rows:
        if "__parentId" in row:
            assert row["__parentId"] == current
        else:
            current = row["id"]


def test_ungrouped_children_after_parent_and_not_adjacent(store: OrderStore) -> None:
    rows = render(store, "ungrouped")
    check_complete(rows, store)
    position = {r["id"]: i for i, r in enumerate(rows) if "__parentId" not in r}
    children = [(i, r) for i, r in enumerate(rows) if "__parentId" in r]
    assert all(i > position[r["__parentId"]] for i, r in children)
    roots_between = [
        sum(1 for r in rows[position[c["__parentId"]] + 1 : i] if "__parentId" not in r)
        for i, c in children
    ]
    # Only the last parents' children (flushed at EOF) may directly follow their parent.
    assert sum(1 for n in roots_between if n == 0) <= 20
    assert sum(1 for n in roots_between if n >= 1) > 0.9 * len(roots_between)
    assert max(roots_between) >= 3


def test_adversarial_has_children_before_parent(store: OrderStore) -> None:
    rows = render(store, "adversarial")
    check_complete(rows, store)
    position = {r["id"]: i for i, r in enumerate(rows) if "__parentId" not in r}
    early = [i for i, r in enumerate(rows) if "__parentId" in r and i < position[r["__parentId"]]]
    late = [i for i, r in enumerate(rows) if "__parentId" in r and i > position[r["__parentId"]]]
    assert early and late


def test_projection_aliases_typename_and_inline_objects(store: OrderStore) -> None:
    rows = render(store, "grouped")
    root = rows[0]
    assert list(root) == ["id", "name", "createdAt", "t", "totalPriceSet", "customer", "tags"]
    assert root["t"] == "Order"
    assert set(root["totalPriceSet"]["shopMoney"]) == {"amount", "currencyCode"}
    child = rows[1]
    assert list(child) == ["id", "sku", "quantity", "title", "__parentId"]
    assert "__typename" not in child


def test_lines_are_compact_utf8_json(store: OrderStore) -> None:
    plan = compile_bulk_query(QUERY)
    lines = list(iter_result_lines(plan, store, layout="grouped", seed=1))
    assert all(line.endswith(b"\n") and line.count(b"\n") == 1 for line in lines)
    assert all(b'": ' not in line and b", " not in line.split(b'"')[0] for line in lines)
    text = b"".join(lines).decode("utf-8")
    assert "\\u" not in text or "\\u2028" not in text


def test_deterministic_for_seed(store: OrderStore) -> None:
    plan = compile_bulk_query(QUERY)
    one = list(iter_result_lines(plan, store, layout="ungrouped", seed=5))
    two = list(iter_result_lines(plan, store, layout="ungrouped", seed=5))
    other = list(iter_result_lines(plan, store, layout="ungrouped", seed=6))
    assert one == two and sorted(one) == sorted(other) and one != other


def test_write_result_counts_and_size(store: OrderStore, tmp_path: Path) -> None:
    plan = compile_bulk_query(QUERY)
    path = tmp_path / "out.jsonl"
    progress: list[int] = []
    result = write_result(
        plan, store, path, layout="adversarial", seed=2, on_progress=progress.append
    )
    lines = path.read_bytes().splitlines()
    assert result.object_count == len(lines)
    assert result.root_object_count == 300
    assert result.file_size == path.stat().st_size
    assert progress and progress[-1] == result.object_count


def test_zero_matches_empty_file(store: OrderStore, tmp_path: Path) -> None:
    plan = compile_bulk_query(
        """{ orders(query: "created_at:<2000-01-01") { edges { node { id
             lineItems { edges { node { id } } } } } } }"""
    )
    path = tmp_path / "empty.jsonl"
    assert write_result(plan, store, path, layout="grouped", seed=1) == RenderResult(0, 0, 0)
    assert path.read_bytes() == b""


def test_search_sort_and_window(store: OrderStore) -> None:
    rows = render(
        store,
        "grouped",
        """{ orders(query: "status:open", sortKey: UPDATED_AT, reverse: true) {
             edges { node { id updatedAt closed cancelledAt } } } }""",
    )
    stamps = [r["updatedAt"] for r in rows]
    assert stamps == sorted(stamps, reverse=True)
    assert all(not r["closed"] and r["cancelledAt"] is None for r in rows)
    plan = compile_bulk_query("{ orders { edges { node { id } } } }")
    recent = list(iter_result_lines(plan, store, layout="grouped", seed=1, read_all_orders=False))
    assert 0 < len(recent) < 300


def test_should_stop_cancels(store: OrderStore, tmp_path: Path) -> None:
    plan = compile_bulk_query(QUERY)
    result = write_result(
        plan, store, tmp_path / "x.jsonl", layout="grouped", seed=1, should_stop=lambda: True
    )
    assert result.stopped
    assert result.object_count < 1200


@pytest.mark.slow
def test_render_sixty_thousand_orders_quickly(tmp_path: Path) -> None:
    import time

    big = OrderStore(count=60_000, seed=4, now=NOW, clock=lambda: NOW)
    plan = compile_bulk_query(QUERY)
    started = time.perf_counter()
    result = write_result(plan, big, tmp_path / "big.jsonl", layout="ungrouped", seed=1)
    assert result.root_object_count == 60_000
    # Each generated order carries the whole order domain (customer, addresses, tax and shipping
    # lines, discounts, payments, fulfilments...; ~4x the work of the core fields alone), so this
    # bound catches super-linear rendering, not a few seconds of generation on a busy machine.
    assert time.perf_counter() - started < 45


@pytest.mark.parametrize("newer_first", [False, True])
@pytest.mark.parametrize("layout", ["grouped", "ungrouped"])
def test_an_order_updated_during_the_export_appears_twice(
    store: OrderStore, layout: str, newer_first: bool
) -> None:
    plan = compile_bulk_query(QUERY.replace("createdAt t:", "createdAt updatedAt t:"))
    twice = UpdatedDuringExport(position=5, newer_first=newer_first)
    lines = iter_result_lines(plan, store, layout=layout, seed=3, twice=twice)
    rows = [json.loads(line) for line in lines]
    roots = [r for r in rows if "__parentId" not in r]
    assert len(roots) == 301
    first, second = (i for i, r in enumerate(rows) if r["id"] == roots[4]["id"])
    assert first < second
    old, new = (rows[second], rows[first]) if newer_first else (rows[first], rows[second])
    assert new["updatedAt"] > old["updatedAt"]
    # The block at the end: its root line, then exactly its line items.
    tail = rows[second + 1 :]
    assert tail and all(r["__parentId"] == rows[second]["id"] for r in tail)
    stored = next(o for o in store.iter_orders() if o["id"] == roots[4]["id"])
    kids = {i["id"] for i in stored["lineItems"]}
    newer_kids = {i["id"] for i in updated_version(stored)["lineItems"]}
    assert newer_kids != kids and len(newer_kids & kids) >= 1
    expected_tail = kids if newer_first else newer_kids
    assert {r["id"] for r in tail} == expected_tail
    others = [r for r in rows[:second] if r.get("__parentId") == rows[first]["id"]]
    assert {r["id"] for r in others} == (newer_kids if newer_first else kids)
