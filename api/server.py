"""Runs the API under uvicorn; ``shopsync api`` calls ``serve``."""

from __future__ import annotations

from typing import Any

import uvicorn

from .app import create_app
from .settings import ApiSettings


def server_options(settings: ApiSettings) -> dict[str, Any]:
    """uvicorn's options; a WebSocket message is bounded like a GraphQL body (else 16 MiB)."""
    return {"proxy_headers": True, "ws_max_size": settings.graphql_max_body_bytes}


def serve(settings: ApiSettings, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the app until interrupted (blocks)."""
    uvicorn.run(create_app(settings), host=host, port=port, **server_options(settings))
