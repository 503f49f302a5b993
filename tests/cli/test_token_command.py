"""``shopsync token create|list|revoke``: a token is printed once and stored only as a hash."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner, Result

from bulk.tenants import hash_token
from cli.main import cli
from cli.services import local_services
from service.settings import CommonSettings

Conn = psycopg.Connection[Any]


def _run(database_url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["token", *args], env={"DATABASE_URL": database_url})


def test_create_prints_a_random_token_once_and_stores_only_its_sha256(
    database_url: str, conn: Conn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    first = _run(database_url, "create", "--tenant", "Acme")
    second = _run(database_url, "create", "--tenant", "acme", "--role", "viewer")
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    token, other = first.stdout.strip(), second.stdout.strip()
    assert token.startswith("sst_") and len(token) >= 40 and token != other

    rows = conn.execute(
        "SELECT t.name, k.role, k.token_hash FROM api_tokens k JOIN tenants t ON t.id = k.tenant_id"
        " ORDER BY k.id"
    ).fetchall()
    assert rows == [
        ("acme", "admin", hashlib.sha256(token.encode()).digest()),
        ("acme", "viewer", hash_token(other)),
    ]
    # Nowhere else: no column, no listing, no log line holds the token.
    dump = str(conn.execute("SELECT * FROM api_tokens").fetchall())
    listed = _run(database_url, "list")
    logged = " ".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    for text in (dump, listed.output, logged, first.stderr):
        assert token not in text and other not in text
    assert listed.exit_code == 0
    assert [line.split("\t")[:3] for line in listed.stdout.splitlines()] == [
        ["1", "acme", "admin"],
        ["2", "acme", "viewer"],
    ]


def test_revoke_stops_authentication_and_last_use_is_recorded(
    database_url: str, conn: Conn
) -> None:
    token = _run(database_url, "create", "--tenant", "acme").stdout.strip()
    with local_services(CommonSettings(database_url=database_url)) as services:
        principal = services.tokens.authenticate(token)
        assert principal is not None and principal.role.value == "admin"
        assert services.tokens.authenticate(token + "x") is None
        assert services.tokens.authenticate("not-a-token") is None
    [(used,)] = conn.execute("SELECT last_used_at FROM api_tokens").fetchall()
    assert used is not None

    revoked = _run(database_url, "revoke", "1")
    again = _run(database_url, "revoke", "1")
    assert revoked.exit_code == 0 and revoked.stdout.strip() == "revoked token 1"
    assert again.exit_code == 1 and "no active token with id 1" in again.output
    with local_services(CommonSettings(database_url=database_url)) as services:
        assert services.tokens.authenticate(token) is None
    assert "revoked" in _run(database_url, "list").stdout


def test_bad_tenant_or_role_is_refused(database_url: str) -> None:
    bad_tenant = _run(database_url, "create", "--tenant", "no spaces please")
    bad_role = _run(database_url, "create", "--tenant", "acme", "--role", "owner")
    assert bad_tenant.exit_code == 1 and "tenant name" in bad_tenant.output
    assert bad_role.exit_code == 2
