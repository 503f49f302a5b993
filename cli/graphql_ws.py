"""A small synchronous graphql-transport-ws client: one subscription per connection."""

from __future__ import annotations

import json
from collections.abc import Generator
from typing import Any

from websockets.sync.client import connect
from websockets.typing import Subprotocol

from bulk.errors import ShopsyncError

PROTOCOL = Subprotocol("graphql-transport-ws")


class SubscriptionError(ShopsyncError, RuntimeError):
    """The server refused the subscription or sent something this client does not speak."""


def websocket_url(http_url: str) -> str:
    """``http(s)://host/graphql`` as ``ws(s)://host/graphql``."""
    if http_url.startswith("https://"):
        return "wss://" + http_url.removeprefix("https://")
    return "ws://" + http_url.removeprefix("http://")


def subscribe(
    url: str,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    idle_s: float = 1.0,
    open_timeout_s: float = 10.0,
    token: str | None = None,
) -> Generator[dict[str, Any] | None, None, None]:
    """Yield each pushed ``data``, or None after ``idle_s`` without one; stop on completion.

    The API token goes in the connection_init payload. Closing the iterator closes the
    connection (the server then ends the subscription).
    """
    init = {} if token is None else {"Authorization": f"Bearer {token}"}
    with connect(url, subprotocols=[PROTOCOL], open_timeout=open_timeout_s) as ws:
        ws.send(json.dumps({"type": "connection_init", "payload": init}))
        ack = json.loads(ws.recv(timeout=open_timeout_s))
        if ack.get("type") != "connection_ack":
            raise SubscriptionError(f"connection not acknowledged: {ack.get('type')!r}")
        payload = {"query": query, "variables": variables or {}}
        ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        while True:
            try:
                message = json.loads(ws.recv(timeout=idle_s))
            except TimeoutError:
                yield None
                continue
            kind = message.get("type")
            if kind == "ping":
                ws.send(json.dumps({"type": "pong"}))
            elif kind == "next":
                errors = message["payload"].get("errors")
                if errors:
                    raise SubscriptionError("; ".join(str(e.get("message")) for e in errors))
                data: dict[str, Any] = message["payload"]["data"]
                yield data
            elif kind == "complete":
                return
            elif kind == "error":
                raise SubscriptionError(str(message.get("payload")))
