"""Migrations apply once, concurrently safe, and give the schema the code expects."""

from __future__ import annotations

import threading

import psycopg
import pytest

from schema.migrate import available_migrations, migrate, migrate_url

EXPECTED_TABLES = {
    "shops",
    "sync_jobs",
    "orders",
    "line_items",
    "job_orders",
    "pending_line_items",
    "dead_letters",
    "schema_migrations",
}


def _tables(conn: psycopg.Connection[tuple[object, ...]]) -> set[str]:
    rows = conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
    ).fetchall()
    return {str(row[0]) for row in rows}


def test_template_has_every_table(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    assert _tables(conn) >= EXPECTED_TABLES
    applied = {row[0] for row in conn.execute("SELECT name FROM schema_migrations")}
    assert applied == {m.name for m in available_migrations()}


def test_migrate_is_idempotent(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    assert migrate(conn) == []


def test_concurrent_migrations_apply_once(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(migrate_url(database_url))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    names = [m.name for m in available_migrations()]
    assert sorted(results, key=len) == [[], [], names]


def test_one_active_job_per_shop(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    shop_id = conn.execute(
        "INSERT INTO shops (domain, access_token, api_version, admin_url)"
        " VALUES ('a.myshopify.com', 't', '2026-10', 'http://x') RETURNING id"
    ).fetchone()
    assert shop_id is not None
    insert = "INSERT INTO sync_jobs (shop_id, sync_mode) VALUES (%s, 'FULL')"
    conn.execute(insert, shop_id)
    with pytest.raises(psycopg.errors.UniqueViolation):
        conn.execute(insert, shop_id)
