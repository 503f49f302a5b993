"""An ASGI middleware that refuses request bodies past a per-path size with 413."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bulk.errors import ShopsyncError

from ..settings import ApiSettings

# A declared Content-Length over the limit is refused before the app runs; a chunked body is
# counted as the app reads it and cut off at the first chunk past the limit, so no more than the
# limit plus one chunk is ever held, and nothing past the limit is parsed or HMAC-checked.


class BodyTooLarge(ShopsyncError):
    """Raised from ``receive`` once a body passes its limit; answered here with 413."""


class BodyLimitMiddleware:
    """Per exact path, the most bytes a request body may have; other paths pass untouched."""

    def __init__(self, app: ASGIApp, *, limits: Mapping[str, int]) -> None:
        self._app = app
        self._limits = dict(limits)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self._limits.get(scope["path"]) if scope["type"] == "http" else None
        if limit is None:
            await self._app(scope, receive, send)
            return
        if _declared_length(scope) > limit:
            await _too_large(send, limit)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self._app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if started:  # pragma: no cover - every app here reads the body before answering
                raise
            await _too_large(send, limit)


def _declared_length(scope: Scope) -> int:
    """The Content-Length header's value; 0 when absent or unreadable (then bytes are counted)."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0
    return 0


async def _too_large(send: Send, limit: int) -> None:
    # The GraphQL error shape, so GraphQL clients read it like any other error.
    error = {
        "message": f"request body exceeds {limit} bytes",
        "extensions": {"code": "PAYLOAD_TOO_LARGE"},
    }
    body = json.dumps({"errors": [error]}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def body_limit_middleware(
    settings: ApiSettings,
    *,
    graphql_path: str,
    webhook_path: str,
    rest_paths: Sequence[str] = (),
) -> Middleware:
    """The middleware with the GraphQL and webhook limits from the settings; the REST paths
    (``api.rest``) get the GraphQL one."""
    limits = {
        graphql_path: settings.graphql_max_body_bytes,
        webhook_path: settings.webhook_max_body_bytes,
        **{path: settings.graphql_max_body_bytes for path in rest_paths},
    }
    return Middleware(BodyLimitMiddleware, limits=limits)
