"""Runs the API under uvicorn; ``shopsync api`` calls ``serve``."""

from __future__ import annotations

import uvicorn

from bulk.config import Settings

from .app import create_app


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the app until interrupted (blocks)."""
    uvicorn.run(create_app(settings), host=host, port=port, proxy_headers=True)
