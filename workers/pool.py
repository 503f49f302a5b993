"""The database pool of a long-running process: autocommit connections, opened at once."""

from __future__ import annotations

import os
from typing import Any

from psycopg_pool import ConnectionPool


def autocommit_pool(
    database_url: str, *, max_size: int, application_name: str
) -> ConnectionPool[Any]:
    """A pool, not a connection: it reconnects on its own after a database outage. Its
    connections carry ``application_name`` and this process's pid (pg_stat_activity shows which
    process holds which connection: a worker's job step and its merge connections)."""
    return ConnectionPool(
        database_url,
        min_size=1,
        max_size=max_size,
        kwargs={"autocommit": True, "application_name": f"{application_name} {os.getpid()}"},
        open=True,
    )
