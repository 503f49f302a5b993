"""Is the database there and migrated? One quick check, for start-up (every process) and for
the API's ``/readyz``."""

from __future__ import annotations

import psycopg
import structlog
from psycopg import conninfo

from bulk.errors import DatabaseNotReady
from schema.migrate import available_migrations

log = structlog.get_logger(__name__)

MIGRATE_HINT = "run `shopsync migrate`"
UNREACHABLE = "is unreachable"


def database_problem(database_url: str, *, timeout_s: float = 3.0) -> str | None:
    """What is wrong with the database named in ``database_url``, or None when it answers and
    has every shipped migration. Gives up after about ``timeout_s`` (never the 30 s of a
    pool's first connection); the message never carries the URL's password."""
    url = conninfo.make_conninfo(database_url, connect_timeout=max(int(timeout_s), 1))
    name = conninfo.conninfo_to_dict(database_url).get("dbname") or "?"
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                "SELECT set_config('statement_timeout', %s, false)", (str(int(timeout_s * 1000)),)
            )
            ledger = conn.execute("SELECT to_regclass('schema_migrations')").fetchone()
            applied: set[str] = set()
            if ledger is not None and ledger[0] is not None:
                applied = {row[0] for row in conn.execute("SELECT name FROM schema_migrations")}
    except psycopg.OperationalError as exc:
        if "does not exist" in str(exc):
            return f"the database {name!r} does not exist: {MIGRATE_HINT} (it creates it)"
        return f"the database {name!r} {UNREACHABLE} ({_first_line(exc)}); is Postgres running?"
    missing = [m.name for m in available_migrations() if m.name not in applied]
    if missing:
        return (
            f"the database {name!r} lacks {len(missing)} migration(s) "
            f"(first: {missing[0]}): {MIGRATE_HINT}"
        )
    return None


def check_database(database_url: str, *, timeout_s: float = 3.0) -> None:
    """At start-up: raise ``DatabaseNotReady`` at once when the database does not exist or lacks
    migrations (starting would only fail later, or hang). A Postgres that does not answer is
    logged and tolerated: it may be restarting, and the pools reconnect when it is back."""
    problem = database_problem(database_url, timeout_s=timeout_s)
    if problem is None:
        return
    if UNREACHABLE in problem:
        log.warning("startup.database_unreachable", problem=problem)
        return
    raise DatabaseNotReady(problem)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
