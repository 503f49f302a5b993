"""The ``/metrics`` HTTP server of a worker or scheduler process (prometheus-client's own, on a
thread), started only when a port is configured."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import structlog
from prometheus_client import CollectorRegistry, start_http_server

log = structlog.get_logger(__name__)


@contextlib.contextmanager
def metrics_server(registry: CollectorRegistry, *, host: str, port: int) -> Iterator[int | None]:
    """Serve ``registry`` at ``http://host:port/metrics`` for the block; yields the port served
    (None when off, ``port`` 0, or when the port is taken: metrics are not worth refusing to
    sync for, so that is an error line, not a failed start)."""
    if port == 0:
        yield None
        return
    try:
        server, thread = start_http_server(port, addr=host, registry=registry)
    except OSError as exc:
        log.error("metrics.unavailable", host=host, port=port, error=str(exc))
        yield None
        return
    log.info("metrics.serving", host=host, port=port)
    try:
        yield port
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
