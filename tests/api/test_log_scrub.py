"""No token in any log line: Strawberry's execution-error log prints the failing document,
which may carry an inline ``accessToken`` literal."""

from __future__ import annotations

import io
import logging
from typing import Any

import pytest
import structlog

from api.app import create_app
from api.settings import ApiSettings
from bulk.log_scrub import scrub
from cli.log import configure_logging
from tests.support.api import BrokenQueue, FakeVerifier, api_client
from tests.support.token_keys import PRODUCTION

pytestmark = pytest.mark.anyio

SECRET_PART = "inline0literal0secret0abc123"
TOKEN = f"shpat_{SECRET_PART}"
UNKNOWN_FIELD = f"""mutation {{
  connectShop(input: {{domain: "demo.myshopify.com", accessToken: "{TOKEN}", bogus: 1}}) {{
    __typename
  }}
}}"""
FAILING = f"""mutation {{
  connectShop(input: {{domain: "demo.myshopify.com", accessToken: "{TOKEN}"}}) {{
    __typename
  }}
}}"""


def _cli_logging(capfd: pytest.CaptureFixture[str]) -> Any:
    """The processes' own set-up (``shopsync api``): structlog lines on stderr."""
    configure_logging("INFO")
    return lambda: capfd.readouterr().err


def _plain_handler(capfd: pytest.CaptureFixture[str]) -> Any:
    """Any other set-up (e.g. uvicorn's defaults): a standard handler on the root logger."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    logging.getLogger().addHandler(handler)
    logging.getLogger().setLevel(logging.INFO)
    return stream.getvalue


@pytest.mark.parametrize("logging_setup", [_cli_logging, _plain_handler])
@pytest.mark.parametrize("environment", [{"environment": "development"}, PRODUCTION])
@pytest.mark.usefixtures("restore_logging")
async def test_a_failing_connect_shop_logs_no_inline_token(
    database_url: str,
    capfd: pytest.CaptureFixture[str],
    logging_setup: Any,
    environment: dict[str, Any],
) -> None:
    read_log = logging_setup(capfd)
    app = create_app(
        ApiSettings(database_url=database_url, **environment),
        queue=BrokenQueue(),
        verifier=FakeVerifier(),
    )
    async with api_client(app) as c:
        invalid = (await c.post("/graphql", json={"query": UNKNOWN_FIELD})).json()
        failed = (await c.post("/graphql", json={"query": FAILING})).json()

    assert invalid["errors"] and failed["errors"]  # both requests failed
    output = read_log()
    # The errors were logged, with the document's failing line, but the token blanked out.
    assert "strawberry.execution" in output
    assert "accessToken: [redacted]" in output
    assert SECRET_PART not in output


@pytest.mark.parametrize(
    "line",
    [
        f'accessToken: "{TOKEN}"',
        f'{{"accessToken": "{TOKEN}"}}',
        f"access_token='{TOKEN}'",
        f"X-Shopify-Access-Token: {SECRET_PART}",
        f"token {TOKEN} in a message",
        f'accessToken: "with \\" quote {SECRET_PART}"',
    ],
)
def test_scrub_blanks_every_token_shape(line: str) -> None:
    assert SECRET_PART not in scrub(line)
    assert "[redacted]" in scrub(line)


@pytest.mark.usefixtures("restore_logging")
def test_structlog_events_and_tracebacks_are_scrubbed(capfd: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO")
    structlog.get_logger("bulk.workflow").warning("job.failed", error=f"401 for {TOKEN}")
    try:
        raise ValueError(f"header X-Shopify-Access-Token: {TOKEN}")
    except ValueError:
        logging.getLogger("api").exception("request failed")
    output = capfd.readouterr().err
    assert "job.failed" in output and "request failed" in output and "ValueError" in output
    assert SECRET_PART not in output
