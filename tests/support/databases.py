"""Databases that are not ready: one that does not exist, one created but never migrated."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import conninfo, sql

ADMIN_URL = os.environ.get(
    "SHOPSYNC_TEST_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def missing_database_url() -> str:
    """The URL of a database nobody created."""
    return conninfo.make_conninfo(ADMIN_URL, dbname=f"shopsync_missing_{uuid.uuid4().hex[:12]}")


@contextmanager
def unmigrated_database() -> Iterator[str]:
    """An empty database (no schema_migrations), dropped afterwards; yields its URL."""
    name = f"shopsync_empty_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield conninfo.make_conninfo(ADMIN_URL, dbname=name)
        finally:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
