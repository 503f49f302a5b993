"""Bearer-token authentication: the HTTP gate in front of /graphql and the WebSocket check."""

from __future__ import annotations

import functools

import structlog
from anyio import to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from bulk.errors import AuthUnavailable
from service.principal import Principal
from service.tokens import TokenService

# HTTP requests carry ``Authorization: Bearer <token>``; WebSocket clients put the same
# ``Authorization`` value in their ``connection_init`` payload (browsers cannot set headers on
# a WebSocket handshake). Tokens are never logged.

log = structlog.get_logger(__name__)

MAX_HEADER_LENGTH = 256


def bearer_token(header: object) -> str | None:
    """The token of a ``Bearer <token>`` value; None for anything else."""
    if not isinstance(header, str) or len(header) > MAX_HEADER_LENGTH:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


class Authenticator:
    """Turns an ``Authorization`` value into the caller.

    ``anonymous`` (development only, ``AUTH_REQUIRED=false``) is who a request without a
    token is; otherwise such a request has no caller and is refused.
    """

    def __init__(self, tokens: TokenService, *, anonymous: Principal | None = None) -> None:
        self._tokens = tokens
        self.anonymous = anonymous

    async def principal(self, header: object) -> Principal | None:
        if header is None and self.anonymous is not None:
            return self.anonymous
        token = bearer_token(header)
        if token is None:
            return None
        # The pool is synchronous: one short query in a worker thread.
        try:
            return await to_thread.run_sync(functools.partial(self._tokens.authenticate, token))
        except Exception as exc:  # the reason goes to the log; the token never does
            log.warning("auth.token_lookup_failed", error=type(exc).__name__)
            raise AuthUnavailable from None


def unavailable() -> Response:
    return JSONResponse(
        {"errors": [{"message": "service unavailable", "extensions": {"code": "UNAVAILABLE"}}]},
        status_code=503,
    )


def unauthenticated() -> JSONResponse:
    return JSONResponse(
        {
            "errors": [
                {"message": "authentication required", "extensions": {"code": "UNAUTHENTICATED"}}
            ]
        },
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer realm="shopsync"'},
    )


class RequireToken:
    """ASGI gate: an HTTP request without a valid token gets 401 before GraphQL sees it.

    The caller goes into ``scope["state"]["principal"]`` (``request.state.principal``).
    ``allow_ide``: a plain GET without a query (the GraphiQL page) passes without a token in
    development; it executes nothing. WebSockets pass through to ``on_ws_connect``.
    """

    def __init__(self, app: ASGIApp, auth: Authenticator, *, allow_ide: bool) -> None:
        self._app = app
        self._auth = auth
        self._allow_ide = allow_ide

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope)
            try:
                principal = await self._auth.principal(request.headers.get("authorization"))
            except AuthUnavailable:
                await unavailable()(scope, receive, send)
                return
            if principal is None:
                ide_page = (
                    self._allow_ide
                    and request.method == "GET"
                    and "query" not in request.query_params
                )
                if not ide_page:
                    await unauthenticated()(scope, receive, send)
                    return
            scope.setdefault("state", {})["principal"] = principal
        await self._app(scope, receive, send)
