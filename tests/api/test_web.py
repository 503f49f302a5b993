"""The dashboard at / and the GraphiQL page: every asset served by us, strict CSP, no CDN."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import httpx
import psycopg
import pytest

from api.app import create_app
from api.settings import ApiSettings
from api.web.routes import STATIC_DIR
from tests.support.api import (
    FakeVerifier,
    RecordingQueue,
    api_client,
    connect_shop,
    graphql,
)
from tests.support.token_keys import PRODUCTION

pytestmark = pytest.mark.anyio

URL_IN_TEXT = re.compile(r"""(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}[/"'\s)]""", re.IGNORECASE)


class _Assets(HTMLParser):
    """The src and href values of a page (scripts, stylesheets, icons, links)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("src", "href"):
            if values.get(name):
                self.urls.append(str(values[name]))
        if tag == "script" and not values.get("src"):
            self.inline_scripts += 1


def _assets(html: str) -> _Assets:
    parser = _Assets()
    parser.feed(html)
    return parser


def _directives(csp: str) -> dict[str, list[str]]:
    parts = (part.split() for part in csp.split(";") if part.strip())
    return {words[0]: words[1:] for words in parts}


async def _every_asset_served(client: httpx.AsyncClient, urls: list[str]) -> None:
    for url in urls:
        if url.startswith("#") or url in ("/", "/graphql"):
            continue  # the page's own places
        assert url.startswith("/") and not url.startswith("//"), f"{url} is not served by us"
        response = await client.get(url)
        assert response.status_code == 200, url
        assert response.content, url


async def test_dashboard_page_has_a_strict_csp_and_only_local_assets(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/", headers={"Authorization": ""})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    csp = _directives(response.headers["content-security-policy"])
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["default-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert response.headers["x-content-type-options"] == "nosniff"
    page = _assets(response.text)
    assert page.inline_scripts == 0
    assert "/static/app.js" in page.urls
    await _every_asset_served(client, page.urls)


async def test_dashboard_modules_are_served_with_the_csp(client: httpx.AsyncClient) -> None:
    for name in ("app.js", "gql.js", "queries.js", "app.css"):
        response = await client.get(f"/static/{name}")
        assert response.status_code == 200, name
        assert "script-src 'self'" in response.headers["content-security-policy"]
    js = await client.get("/static/app.js")
    assert js.headers["content-type"].split(";")[0] in ("text/javascript", "application/javascript")


def test_dashboard_sources_name_no_other_origin() -> None:
    """Our own files load nothing from elsewhere (the vendored builds are checked by serving)."""
    for path in STATIC_DIR.glob("**/*"):
        if (
            path.is_file()
            and "vendor" not in path.parts
            and path.suffix in (".js", ".css", ".html")
        ):
            text = path.read_text(encoding="utf-8")
            assert not URL_IN_TEXT.search(text), f"{path.name} names another origin"


async def test_dashboard_needs_no_token_but_the_data_does(app: object) -> None:
    async with api_client(app, anonymous=True) as anonymous:  # type: ignore[arg-type]
        assert (await anonymous.get("/")).status_code == 200
        assert (await anonymous.get("/static/app.js")).status_code == 200
        denied = await anonymous.post("/graphql", json={"query": "{ shops { id } }"})
        assert denied.status_code == 401


async def test_unknown_static_file_is_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/static/nope.js")).status_code == 404
    assert (await client.get("/static/../api/app.py")).status_code == 404


async def test_graphiql_page_references_no_external_url_and_its_assets_are_served(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "GraphiQL" in response.text
    assert not URL_IN_TEXT.search(response.text), "the GraphiQL page names another origin"
    page = _assets(response.text)
    assert page.inline_scripts == 0
    assert any("graphiql.min.js" in url for url in page.urls)
    csp = _directives(response.headers["content-security-policy"])
    assert csp["script-src"] == ["'self'"]
    await _every_asset_served(client, page.urls)


async def test_job_exposes_its_result_file_size(
    client: httpx.AsyncClient, conn: psycopg.Connection[Any]
) -> None:
    """The progress bar's denominator: null until the operation's file exists, then its size
    (beyond 32 bits: a BigInt)."""
    await connect_shop(client)
    query = "{ syncJobs(first: 1) { id resultFileSize } }"
    job = (await graphql(client, query))["data"]["syncJobs"][0]
    assert job["resultFileSize"] is None
    conn.execute("UPDATE sync_jobs SET result_file_size = 5000000000 WHERE id = %s", (job["id"],))
    job = (await graphql(client, query))["data"]["syncJobs"][0]
    assert int(job["resultFileSize"]) == 5_000_000_000


async def test_production_serves_the_dashboard_but_no_graphiql(database_url: str) -> None:
    settings = ApiSettings(database_url=database_url, **PRODUCTION)
    app = create_app(settings, queue=RecordingQueue(), verifier=FakeVerifier(), pool_max_size=2)
    async with api_client(app, anonymous=True) as anonymous:
        page = await anonymous.get("/")
        ide = await anonymous.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert ide.status_code == 401
    assert "graphiql" not in ide.text.lower()
