"""Creating the application database when it does not exist yet (first start, demo, CI)."""

from __future__ import annotations

import psycopg
from psycopg import conninfo, sql


def ensure_database(database_url: str, *, maintenance_db: str = "postgres") -> bool:
    """Create the database named in ``database_url`` if missing; return whether it was created."""
    params = conninfo.conninfo_to_dict(database_url)
    name = params.get("dbname")
    if not name:
        raise ValueError("DATABASE_URL names no database")
    admin_url = conninfo.make_conninfo(database_url, dbname=maintenance_db)
    with psycopg.connect(admin_url, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists:
            return False
        try:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(str(name))))
        except psycopg.errors.DuplicateDatabase:
            return False  # another process created it meanwhile
        return True


def recreate_database(database_url: str, *, maintenance_db: str = "postgres") -> None:
    """Drop and create the database named in ``database_url`` (the demo starts from nothing)."""
    params = conninfo.conninfo_to_dict(database_url)
    name = str(params.get("dbname") or "")
    if not name:
        raise ValueError("DATABASE_URL names no database")
    admin_url = conninfo.make_conninfo(database_url, dbname=maintenance_db)
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
