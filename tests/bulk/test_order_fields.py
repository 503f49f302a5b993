"""The one field list (bulk/order_fields.py) agrees with everything derived from it: the migrated
tables, the merge (each field lands in its column), the cast diagnosis and the bulk query."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from graphql import FieldNode, OperationDefinitionNode, SelectionSetNode, parse
from psycopg import sql

from bulk.order_fields import (
    LINE_ITEM_FIELDS,
    LINE_ITEM_KEPT,
    ORDER_FIELDS,
    ORDER_KEPT,
    Field,
    cast_checks,
    stored,
)
from bulk.orders_query import build_orders_query
from bulk.types import SyncMode
from tests.support.ingest import item, jsonl, make_job, make_shop, order, run

Conn = psycopg.Connection[Any]

# Columns the engine itself fills (keys, the line as jsonb, bookkeeping), not read from a field.
_ENGINE_COLUMNS = {
    "shop_id",
    "id",
    "order_id",
    "raw",
    "synced_job_id",
    "synced_at",
    "synced_version",
    "deleted_at",  # set by RECONCILE and the orders/delete webhook, not read from a line
}
_TABLES = (("orders", ORDER_FIELDS), ("line_items", LINE_ITEM_FIELDS))
_PG_TYPES = {"timestamptz": "timestamp with time zone"}

# A value of each type, as the JSON holds it and as the column gives it back.
_SAMPLES: dict[str, tuple[Any, Any]] = {
    "text": ("v", "v"),
    "bigint": ("9007199254740993", 9007199254740993),
    "integer": (41, 41),
    "numeric": ("12.345", Decimal("12.345")),
    "boolean": (True, True),
    "timestamptz": ("2025-05-05T05:05:05Z", datetime(2025, 5, 5, 5, 5, 5, tzinfo=UTC)),
    "text[]": (["a", "b"], ["a", "b"]),
}


def _set(doc: dict[str, Any], path: str, value: Any) -> None:
    *objects, leaf = path.split(".")
    for name in objects:
        doc = doc.setdefault(name, {})
    doc[leaf] = value


def _distinct(field: Field, value: Any) -> Any:
    """A text sample that names its column, so two text columns swapped are told apart."""
    return f"{value}-{field.column}" if field.pg_type == "text" else value


@pytest.mark.parametrize(("table", "fields"), _TABLES)
def test_declared_columns_are_the_tables_columns(conn: Conn, table: str, fields: Any) -> None:
    rows = conn.execute(
        "SELECT column_name, format_type(atttypid, atttypmod) FROM information_schema.columns"
        " JOIN pg_attribute ON attrelid = %s::regclass AND attname = column_name"
        " WHERE table_schema = 'public' AND table_name = %s",
        (table, table),
    ).fetchall()
    columns = {str(name): str(pg_type) for name, pg_type in rows}
    declared = {f.column: _PG_TYPES.get(f.pg_type, f.pg_type) for f in stored(fields)}
    assert {c: t for c, t in columns.items() if c not in _ENGINE_COLUMNS} == declared


def test_every_declared_field_lands_in_its_column(conn: Conn) -> None:
    shop = make_shop(conn)
    job = make_job(conn, shop, SyncMode.FULL)
    doc, line = order(1), item(10, 1)
    for fields, target in ((ORDER_FIELDS, doc), (LINE_ITEM_FIELDS, line)):
        for field in stored(fields):
            _set(target, field.graphql, _distinct(field, _SAMPLES[field.pg_type][0]))
    run(conn, jsonl([doc, line]), job_id=job, shop_id=shop, mode=SyncMode.FULL)
    for table, fields in _TABLES:
        names = [f.column for f in stored(fields) if f.column is not None]
        query = sql.SQL("SELECT {} FROM {}").format(
            sql.SQL(", ").join(map(sql.Identifier, names)), sql.Identifier(table)
        )
        row = conn.execute(query).fetchone()
        assert row is not None
        expected = [_distinct(f, _SAMPLES[f.pg_type][1]) for f in stored(fields)]
        assert dict(zip(names, row, strict=True)) == dict(zip(names, expected, strict=True))


def test_a_fallback_path_is_read_when_the_first_is_missing(conn: Conn) -> None:
    shop = make_shop(conn)
    job = make_job(conn, shop, SyncMode.FULL)
    line = item(10, 1, originalUnitPriceSet=None)
    line["discountedTotalSet"]["shopMoney"]["currencyCode"] = "JPY"
    run(conn, jsonl([order(1), line]), job_id=job, shop_id=shop, mode=SyncMode.FULL)
    assert conn.execute("SELECT currency_code FROM line_items").fetchone() == ("JPY",)


@pytest.mark.parametrize(("kind", "fields"), [("order", ORDER_FIELDS), ("item", LINE_ITEM_FIELDS)])
def test_the_cast_diagnosis_tries_every_cast_of_the_merge(
    conn: Conn, kind: str, fields: tuple[Field, ...]
) -> None:
    paths, types = cast_checks(fields)
    assert paths and len(paths) == len(types)
    good = order(1) if kind == "order" else item(10, 1)
    check = "SELECT ingest_line_problem(%s, %s, %s)"
    assert conn.execute(check, (jsonl([good]).decode(), paths, types)).fetchone() == (None,)
    for path in paths:
        bad = copy.deepcopy(good)
        _set(bad, path, "not-a-value")
        row = conn.execute(check, (jsonl([bad]).decode(), paths, types)).fetchone()
        assert row is not None and str(row[0]).startswith(f"field {path}: "), row


def _leaves(selection: SelectionSetNode, prefix: str = "") -> dict[str, SelectionSetNode]:
    """Dotted path of every field under ``selection`` to its own selection (or an empty one)."""
    found: dict[str, SelectionSetNode] = {}
    for node in selection.selections:
        if not isinstance(node, FieldNode):  # an inline fragment of a raw-only selection
            continue
        path = prefix + node.name.value
        found[path] = node.selection_set or SelectionSetNode(selections=())
        if node.selection_set is not None:
            found |= _leaves(node.selection_set, path + ".")
    return found


def test_the_query_selects_every_declared_path() -> None:
    document = parse(build_orders_query(SyncMode.FULL, None))
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    orders = _leaves(operation.selection_set)["orders.edges.node"]
    order_paths = _leaves(orders)
    item_paths = _leaves(order_paths["lineItems.edges.node"])
    for fields, kept, selected in (
        (ORDER_FIELDS, ORDER_KEPT, order_paths),
        (LINE_ITEM_FIELDS, LINE_ITEM_KEPT, item_paths),
    ):
        wanted = {"id"} | {path for field in fields for path in field.paths}
        kept_operation = parse("{ " + kept + " }").definitions[0]
        assert isinstance(kept_operation, OperationDefinitionNode)
        kept_paths = _leaves(kept_operation.selection_set)
        wanted |= {path for path, sub in kept_paths.items() if not sub.selections}
        leaves = {path for path, sub in selected.items() if not sub.selections}
        assert leaves - {path for path in leaves if path.startswith("lineItems.")} == wanted


def test_a_field_is_a_plain_name_of_a_known_type() -> None:
    with pytest.raises(ValueError, match="plain name"):
        Field("x; DROP TABLE orders", "x")
    with pytest.raises(ValueError, match="plain name"):
        Field("x", "a.b'c")
    with pytest.raises(ValueError, match="type"):
        Field("x", "x", "money")
