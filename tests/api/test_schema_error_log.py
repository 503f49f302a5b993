"""A client's mistake is not an operator's error: bad input is logged at info, without a
traceback; an unexpected failure still is an error with one."""

from __future__ import annotations

import json
from typing import Any

import pytest

from api.app import create_app
from api.settings import ApiSettings
from cli.log import configure_logging
from tests.support.api import BrokenQueue, FakeVerifier, api_client
from tests.support.token_keys import PRODUCTION

pytestmark = pytest.mark.anyio

BAD_FIRST = "{ syncJobs(first: 0) { __typename } }"
UNKNOWN_FIELD = "{ noSuchField }"
BROKEN_CONNECT = """mutation {
  connectShop(input: {domain: "demo.myshopify.com", accessToken: "shpat_abc"}) { __typename }
}"""


@pytest.mark.usefixtures("restore_logging")
async def test_bad_input_is_logged_at_info_without_a_traceback(
    database_url: str, capfd: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO", environment="production")
    app = create_app(
        ApiSettings(database_url=database_url, **PRODUCTION),
        queue=BrokenQueue(),
        verifier=FakeVerifier(),
    )
    async with api_client(app) as c:
        capfd.readouterr()
        for query in (BAD_FIRST, UNKNOWN_FIELD):
            body = (await c.post("/graphql", json={"query": query})).json()
            assert body["errors"]
        lines: list[dict[str, Any]] = [
            json.loads(line) for line in capfd.readouterr().err.splitlines() if line.strip()
        ]
        # An unexpected failure stays an error, with its cause.
        assert (await c.post("/graphql", json={"query": BROKEN_CONNECT})).json()["errors"]
        errors = [
            json.loads(line) for line in capfd.readouterr().err.splitlines() if '"error"' in line
        ]
    client_errors = [line for line in lines if line["event"] == "graphql.client_error"]
    assert len(client_errors) == 2, lines
    assert client_errors[0]["code"] == "BAD_USER_INPUT"
    assert all(line["level"] == "info" for line in client_errors)
    assert not [line for line in lines if line["level"] in ("error", "critical")], lines
    assert not [line for line in lines if "exception" in line or "exc_info" in line], lines
    assert errors and "RuntimeError: broker unreachable" in errors[0]["exception"], errors
