"""``GET /readyz``: 200 only when the database answers with every shipped migration applied and
the broker answers a ping; 503 naming what is missing otherwise."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import anyio
from anyio import to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from service.readiness import database_problem
from workers.broker import broker_problem

# Each check gives up after this long: a load balancer's probe must get an answer in time.
CHECK_TIMEOUT_S = 2.0
# The route needs no token (probes have none): one check at a time per process, its answer
# reused for this long, so a flood of requests opens no more connections than one prober.
ANSWER_REUSE_S = 1.0


def readyz_endpoint(
    *, database_url: str, broker_url: str, clock: Callable[[], float] = time.monotonic
) -> Callable[[Request], Awaitable[Response]]:
    lock = anyio.Lock()
    last: tuple[float, dict[str, str]] | None = None

    async def problems() -> dict[str, str]:
        nonlocal last
        async with lock:
            if last is not None and clock() - last[0] < ANSWER_REUSE_S:
                return last[1]
            found: dict[str, str] = {}
            database = await to_thread.run_sync(
                lambda: database_problem(database_url, timeout_s=CHECK_TIMEOUT_S)
            )
            if database is not None:
                found["database"] = database
            broker = await to_thread.run_sync(
                lambda: broker_problem(broker_url, timeout_s=CHECK_TIMEOUT_S)
            )
            if broker is not None:
                found["broker"] = broker
            last = (clock(), found)
            return found

    async def readyz(request: Request) -> Response:
        missing = await problems()
        if missing:
            return JSONResponse({"status": "unavailable", "missing": missing}, status_code=503)
        return JSONResponse({"status": "ready"})

    return readyz
