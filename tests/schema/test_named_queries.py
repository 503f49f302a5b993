"""Every named query of every ``.sql`` file in bulk/, service/ and schema/ is valid SQL against
the migrated schema: a renamed or misspelt column fails here, not in production."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import LiteralString

import psycopg
import pytest

from schema.sqlfile import load_queries

_PACKAGES = ("bulk", "service", "schema")
_PLACEHOLDER = re.compile(r"%\((?P<name>[a-z_][a-z0-9_]*)\)s")

# Statements PREPARE refuses; each is checked another way instead.
# prepare_batch: several statements (SET LOCAL, CREATE TEMP TABLE): executed, in a transaction.
# copy_batch: COPY: run FROM STDIN with no rows, which checks the table and its columns.
_EXECUTED = {("bulk", "sql/ingest.sql", "prepare_batch")}
_COPIED = {("bulk", "sql/ingest.sql", "copy_batch")}


def _sql_files() -> list[tuple[str, str]]:
    """(package, path inside it) of every ``.sql`` file holding named queries."""
    found: list[tuple[str, str]] = []
    for package in _PACKAGES:
        root = Path(str(resources.files(package)))
        for path in sorted(root.rglob("*.sql")):
            relative = path.relative_to(root).as_posix()
            if load_queries(package, relative):
                found.append((package, relative))
    return found


SQL_FILES = _sql_files()


def to_prepare(query: str) -> str:
    """The query with ``%(name)s`` as ``$n`` (one number per name) and ``%%`` as ``%``."""
    numbers: dict[str, int] = {}

    def number(match: re.Match[str]) -> str:
        return f"${numbers.setdefault(match.group('name'), len(numbers) + 1)}"

    return _PLACEHOLDER.sub(number, query).replace("%%", "%")


def _stage_ingest_batch(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    """Create the session's temp table the ingest and dead-letter queries read."""
    with conn.transaction():
        conn.execute(load_queries("bulk", "sql/ingest.sql")["prepare_batch"])


def _problem(conn: psycopg.Connection[tuple[object, ...]], key: tuple[str, str, str]) -> str:
    """Why the query ``key`` does not fit the schema, or '' when it does."""
    package, filename, name = key
    query: LiteralString = load_queries(package, filename)[name]
    try:
        if key in _EXECUTED:
            with conn.transaction(force_rollback=True):
                conn.execute(query)
        elif key in _COPIED:
            with conn.transaction(force_rollback=True), conn.cursor().copy(query):
                pass
        else:
            conn.execute(f"PREPARE checked AS {to_prepare(query)}".encode())
            conn.execute("DEALLOCATE checked")
    except psycopg.Error as error:
        return f"{filename}:{name}: {str(error).strip()}"
    return ""


def test_the_sql_files_are_found() -> None:
    """The search below is not vacuous: it sees the engine's files and their queries."""
    assert ("bulk", "sql/ingest.sql") in SQL_FILES
    assert ("bulk", "sql/lease.sql") in SQL_FILES
    for key in _EXECUTED | _COPIED:
        assert key[2] in load_queries(key[0], key[1]), f"{key} is listed but gone"


def test_to_prepare_numbers_each_name_once() -> None:
    query = "SELECT %(a)s, %(b)s, %(a)s WHERE x LIKE 'y%%'"
    assert to_prepare(query) == "SELECT $1, $2, $1 WHERE x LIKE 'y%'"


@pytest.mark.parametrize(("package", "filename"), SQL_FILES, ids=[f for _, f in SQL_FILES])
def test_every_named_query_prepares(
    conn: psycopg.Connection[tuple[object, ...]], package: str, filename: str
) -> None:
    _stage_ingest_batch(conn)
    names = load_queries(package, filename)
    problems = [_problem(conn, (package, filename, name)) for name in names]
    problems = [problem for problem in problems if problem]
    assert not problems, "queries that do not fit the migrated schema:\n" + "\n".join(problems)
