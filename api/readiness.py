"""``GET /readyz``: 200 only when the database answers with every shipped migration applied and
the broker answers a ping; 503 naming what is missing otherwise."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from anyio import to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from service.readiness import database_problem
from workers.broker import broker_problem

# Each check gives up after this long: a load balancer's probe must get an answer in time.
CHECK_TIMEOUT_S = 2.0


def readyz_endpoint(
    *, database_url: str, broker_url: str
) -> Callable[[Request], Awaitable[Response]]:
    async def readyz(request: Request) -> Response:
        problems: dict[str, str] = {}
        database = await to_thread.run_sync(
            lambda: database_problem(database_url, timeout_s=CHECK_TIMEOUT_S)
        )
        if database is not None:
            problems["database"] = database
        broker = await to_thread.run_sync(
            lambda: broker_problem(broker_url, timeout_s=CHECK_TIMEOUT_S)
        )
        if broker is not None:
            problems["broker"] = broker
        if problems:
            return JSONResponse({"status": "unavailable", "missing": problems}, status_code=503)
        return JSONResponse({"status": "ready"})

    return readyz
