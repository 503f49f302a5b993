"""``shopsync migrate`` creates the database when missing and applies the migrations once."""

from __future__ import annotations

import uuid

import psycopg
from click.testing import CliRunner
from psycopg import conninfo, sql

from cli.main import cli
from schema.migrate import available_migrations
from tests.support.services import ADMIN_URL


def test_migrate_creates_the_database_and_is_idempotent() -> None:
    name = f"shopsync_cli_{uuid.uuid4().hex[:10]}"
    url = conninfo.make_conninfo(ADMIN_URL, dbname=name)
    runner = CliRunner()
    try:
        first = runner.invoke(cli, ["migrate"], env={"DATABASE_URL": url})
        assert first.exit_code == 0, first.output
        assert "created the database" in first.output
        assert f"applied {len(available_migrations())} migration(s)" in first.output
        second = runner.invoke(cli, ["migrate"], env={"DATABASE_URL": url})
        assert second.exit_code == 0, second.output
        assert "applied 0 migration(s)" in second.output
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def test_demo_database_is_separate() -> None:
    from cli.demo import demo_database_url

    url = demo_database_url("postgresql://postgres@127.0.0.1:5432/shopsync")
    assert conninfo.conninfo_to_dict(url)["dbname"] == "shopsync_demo"
