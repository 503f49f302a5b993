"""ASGI application factory for the simulated Shopify Admin API."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

from starlette.applications import Starlette
from starlette.routing import Mount, Route
from starlette.types import Receive, Scope, Send

from simulator.config import SimulatorConfig
from simulator.control import ControlAPI
from simulator.downloads import FILES_PREFIX, DownloadApp
from simulator.graphql_endpoint import GraphQLEndpoint
from simulator.rest import RestEndpoint, json_http_error
from simulator.runtime import Simulator


def create_app(
    config: SimulatorConfig, *, bucket_clock: Callable[[], float] | None = None
) -> Starlette:
    """Build the Starlette app; its lifespan starts and stops the background workers.

    The :class:`Simulator` runtime is available as ``app.state.simulator``.
    """
    sim = (
        Simulator(config) if bucket_clock is None else Simulator(config, bucket_clock=bucket_clock)
    )
    endpoint = GraphQLEndpoint(sim)
    downloads = DownloadApp(config, sim.files, sim.faults, sim.log, config.now)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        sim.start()
        try:
            yield
        finally:
            sim.stop()

    routes: list[Route | Mount] = [
        Route("/admin/api/{version}/graphql.json", endpoint.handle, methods=["POST"]),
        Route("/admin/api/{version}/shop.json", RestEndpoint(sim).shop, methods=["GET"]),
        *ControlAPI(sim).routes(),
    ]
    # Every HTTP error Starlette raises (unknown path, wrong method) gets a JSON body, as on
    # Shopify: {"errors":"Not Found"}.
    handlers = {404: json_http_error, 405: json_http_error}
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers=handlers)
    app.state.simulator = sim
    app.add_middleware(_Wrap, downloads=downloads)
    return app


class _Wrap:
    """Middleware sending ``/_sim/files/*`` straight to the raw download app, ahead of routing."""

    def __init__(
        self, app: Callable[[Scope, Receive, Send], Awaitable[None]], downloads: DownloadApp
    ) -> None:
        self._app = app
        self._downloads = downloads

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(FILES_PREFIX):
            await self._downloads(scope, receive, send)
        else:
            await self._app(scope, receive, send)
