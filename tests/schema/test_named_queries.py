"""Every named query of every ``.sql`` file beside bulk's loader (bulk/sql/, its fragments filled
in) is valid SQL against the migrated schema: a renamed or misspelt column fails here, not in
production. No named query lives anywhere else."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import LiteralString

import psycopg
import pytest

from bulk.sql import queries, sql_files

_PACKAGES = ("api", "bulk", "cli", "schema", "service", "workers")
_PLACEHOLDER = re.compile(r"%\((?P<name>[a-z_][a-z0-9_]*)\)s")

# Statements PREPARE refuses; each is checked another way instead.
# prepare_batch: several statements (SET LOCAL, CREATE TEMP TABLE): executed, in a transaction.
# copy_batch: COPY: run FROM STDIN with no rows, which checks the table and its columns.
_EXECUTED = {("ingest", "prepare_batch")}
_COPIED = {("ingest", "copy_batch")}
_MARKER = re.compile(r"^--\s*name:", re.MULTILINE)

SQL_FILES = sql_files()


def to_prepare(query: str) -> str:
    """The query with ``%(name)s`` as ``$n`` (one number per name) and ``%%`` as ``%``."""
    numbers: dict[str, int] = {}

    def number(match: re.Match[str]) -> str:
        return f"${numbers.setdefault(match.group('name'), len(numbers) + 1)}"

    return _PLACEHOLDER.sub(number, query).replace("%%", "%")


def _stage_ingest_batch(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    """Create the session's temp table the ingest and dead-letter queries read."""
    with conn.transaction():
        conn.execute(queries("ingest")["prepare_batch"])


def _problem(conn: psycopg.Connection[tuple[object, ...]], key: tuple[str, str]) -> str:
    """Why the query ``key`` does not fit the schema, or '' when it does."""
    filename, name = key
    query: LiteralString = queries(filename)[name]
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
    assert "ingest" in SQL_FILES and "lease" in SQL_FILES
    for filename, name in _EXECUTED | _COPIED:
        assert name in queries(filename), f"{filename}:{name} is listed but gone"


def test_named_queries_live_only_beside_the_loader() -> None:
    """A ``.sql`` file of named queries elsewhere would be checked by nothing here."""
    beside = Path(str(resources.files("bulk.sql")))
    elsewhere = [
        path
        for package in _PACKAGES
        for path in Path(str(resources.files(package))).rglob("*.sql")
        if path.parent != beside and _MARKER.search(path.read_text(encoding="utf-8"))
    ]
    assert not elsewhere


def test_to_prepare_numbers_each_name_once() -> None:
    query = "SELECT %(a)s, %(b)s, %(a)s WHERE x LIKE 'y%%'"
    assert to_prepare(query) == "SELECT $1, $2, $1 WHERE x LIKE 'y%'"


@pytest.mark.parametrize("filename", SQL_FILES)
def test_every_named_query_prepares(
    conn: psycopg.Connection[tuple[object, ...]], filename: str
) -> None:
    _stage_ingest_batch(conn)
    problems = [_problem(conn, (filename, name)) for name in queries(filename)]
    problems = [problem for problem in problems if problem]
    assert not problems, "queries that do not fit the migrated schema:\n" + "\n".join(problems)
