"""schema/schema.sql is exactly the schema the migrations build, and loads on its own."""

from __future__ import annotations

import difflib
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import conninfo, sql

from schema.dump import SCHEMA_SQL, dump_schema, normalize
from tests.support.services import ADMIN_URL

_FIX = "schema/schema.sql is not the schema the migrations build: run `make schema` and commit it"


def _diff(expected: str, actual: str) -> str:
    lines = difflib.unified_diff(
        expected.splitlines(),
        actual.splitlines(),
        "schema/schema.sql",
        "migrated database",
        lineterm="",
    )
    return "\n".join(list(lines)[:80])


def test_migrated_database_equals_schema_sql(database_url: str) -> None:
    committed = SCHEMA_SQL.read_text(encoding="utf-8")
    migrated = dump_schema(database_url)
    assert migrated == committed, f"{_FIX}\n{_diff(committed, migrated)}"


@pytest.fixture
def empty_database_url() -> Iterator[str]:
    name = f"shopsync_empty_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield conninfo.make_conninfo(ADMIN_URL, dbname=name)
        finally:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def test_schema_sql_loads_into_an_empty_database(empty_database_url: str) -> None:
    """Loading the file gives the same dump: it is runnable SQL, not a stale transcript."""
    committed = SCHEMA_SQL.read_text(encoding="utf-8")
    with psycopg.connect(empty_database_url, autocommit=True) as conn:
        conn.execute(committed.encode())
    reloaded = dump_schema(empty_database_url)
    assert reloaded == committed, _diff(committed, reloaded)


def test_normalize_drops_pg_dump_noise() -> None:
    banner = (
        "--\n-- PostgreSQL database dump\n--\n\n\\restrict AbC123\n\n"
        "-- Dumped by pg_dump version 15.20\nSET statement_timeout = 0;\n"
        "SELECT pg_catalog.set_config('search_path', '', false);\n\n\n"
        "CREATE TABLE public.t (\n    id integer\n);\n\n\n\\unrestrict AbC123\n"
    )
    other_version = banner.replace("15.20", "17.6").replace("AbC123", "XyZ789")
    assert normalize(banner) == normalize(other_version)
    assert normalize(banner).endswith("\nCREATE TABLE public.t (\n    id integer\n);\n")
