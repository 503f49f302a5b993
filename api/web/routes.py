"""Routes of the dashboard (``/``, ``/static``) and the offline GraphiQL page, with their CSP."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STATIC_DIR = Path(__file__).parent / "static"
STATIC_PATH = "/static"

# Everything the dashboard loads is ours: no inline script or style, no other origin, no
# framing. 'self' in connect-src covers the same host's ws:/wss: (CSP level 3).
DASHBOARD_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# GraphiQL (development only) sets style attributes from React and shows data: icons, but its
# scripts are as strictly ours as the dashboard's.
GRAPHIQL_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def _headers(csp: str) -> dict[str, str]:
    return {"Content-Security-Policy": csp, **SECURITY_HEADERS}


class _WithHeaders:
    """ASGI wrapper adding fixed headers to every HTTP response of the wrapped app."""

    def __init__(self, app: ASGIApp, headers: dict[str, str]) -> None:
        self._app = app
        self._raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self._raw]
            await send(message)

        await self._app(scope, receive, send_with_headers)


async def dashboard(request: Request) -> Response:
    return FileResponse(STATIC_DIR / "index.html", headers=_headers(DASHBOARD_CSP))


def graphiql_page() -> HTMLResponse:
    """GraphiQL's page, every script and stylesheet from ``/static`` (works offline)."""
    html = (STATIC_DIR / "graphiql" / "index.html").read_text(encoding="utf-8")
    return HTMLResponse(html, headers=_headers(GRAPHIQL_CSP))


def web_routes() -> list[BaseRoute]:
    """``/`` (the dashboard) and ``/static`` (its files and GraphiQL's vendored builds)."""
    static = StaticFiles(directory=STATIC_DIR)
    return [
        Route("/", dashboard, methods=["GET"]),
        Mount(STATIC_PATH, app=_WithHeaders(static, _headers(DASHBOARD_CSP)), name="static"),
    ]
