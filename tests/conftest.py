"""Shared fixtures: a fresh, migrated Postgres database per test, cloned from a template."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
import structlog
from psycopg import sql

from cli.log import route_structlog_through_logging
from schema.migrate import migrate
from tests.support.services import ADMIN_URL, RABBITMQ_URL, REDIS_URL


def _database_url(name: str) -> str:
    return psycopg.conninfo.make_conninfo(ADMIN_URL, dbname=name)


def _drop_database(admin: psycopg.Connection[object], name: str) -> None:
    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def template_database() -> Iterator[str]:
    """A migrated database used as the template of every test database."""
    name = f"shopsync_tmpl_{os.getpid()}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        _drop_database(admin, name)
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        with psycopg.connect(_database_url(name)) as conn:
            migrate(conn)
        yield name
        _drop_database(admin, name)


@pytest.fixture
def database_url(template_database: str) -> Iterator[str]:
    """URL of a fresh database holding the full schema, dropped after the test."""
    name = f"shopsync_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template_database)
            )
        )
        try:
            yield _database_url(name)
        finally:
            _drop_database(admin, name)


@pytest.fixture
def conn(database_url: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """An autocommit connection to the test's database."""
    with psycopg.connect(database_url, autocommit=True) as connection:
        yield connection


@pytest.fixture
def redis_url() -> str:
    return REDIS_URL


@pytest.fixture
def rabbitmq_url() -> str:
    return RABBITMQ_URL


@pytest.fixture(autouse=True)
def _structlog_through_logging() -> None:
    """As in every process: structlog events are standard-library records, so ``caplog`` and
    the handlers a test installs see them (structlog's default prints to stdout instead)."""
    route_structlog_through_logging()


@pytest.fixture(autouse=True)
def _development_token_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every Settings built in a test falls back to the development token key (TEST_CIPHER),
    whatever this shell exports; tests that need real keys pass them explicitly."""
    monkeypatch.delenv("SHOP_TOKEN_KEYS", raising=False)


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Put the root logger and structlog back as they were, for tests that configure logging
    the way a process does (``configure_logging``)."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()
