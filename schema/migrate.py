"""Applies the ordered SQL migrations in ``schema/migrations`` exactly once each."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any, LiteralString

import psycopg

# Safe when several processes start at once: the whole run holds a transaction-level advisory
# lock, so a second process waits and then finds nothing left to apply.

# Arbitrary, fixed key of the advisory lock that serialises migration runs.
_LOCK_KEY = 0x5305_5E1C

_CREATE_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    name        text PRIMARY KEY,
    applied_at  timestamptz NOT NULL DEFAULT now()
)
"""


@dataclass(frozen=True)
class Migration:
    name: str
    sql: LiteralString


def available_migrations() -> list[Migration]:
    """All migrations shipped with the package, in the order they apply."""
    folder = resources.files("schema").joinpath("migrations")
    files = sorted(
        (entry for entry in folder.iterdir() if entry.name.endswith(".sql")),
        key=lambda entry: entry.name,
    )
    return [Migration(entry.name, entry.read_text(encoding="utf-8")) for entry in files]


def migrate(conn: psycopg.Connection[Any]) -> list[str]:
    """Apply the pending migrations on ``conn``; return the names applied by this call."""
    applied_now: list[str] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        conn.execute(_CREATE_LEDGER)
        done = {row[0] for row in conn.execute("SELECT name FROM schema_migrations")}
        for migration in available_migrations():
            if migration.name in done:
                continue
            conn.execute(migration.sql)
            conn.execute("INSERT INTO schema_migrations (name) VALUES (%s)", (migration.name,))
            applied_now.append(migration.name)
    return applied_now


def migrate_url(database_url: str) -> list[str]:
    """Connect to ``database_url`` and apply the pending migrations."""
    with psycopg.connect(database_url) as conn:
        return migrate(conn)
