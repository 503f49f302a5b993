"""The database pool of a long-running process: autocommit connections, opened at once."""

from __future__ import annotations

from typing import Any

from psycopg_pool import ConnectionPool


def autocommit_pool(database_url: str, *, max_size: int) -> ConnectionPool[Any]:
    """A pool, not a connection: it reconnects on its own after a database outage."""
    return ConnectionPool(
        database_url, min_size=1, max_size=max_size, kwargs={"autocommit": True}, open=True
    )
