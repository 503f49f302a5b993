"""The per-request GraphQL context, the typed ``Info`` alias, and how resolvers call use cases."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import strawberry
from anyio import to_thread
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from bulk.config import Settings
from service.container import Services
from service.principal import Forbidden, Principal

from .events import JobEventHub

T = TypeVar("T")


@dataclass
class Context:
    services: Services
    settings: Settings
    events: JobEventHub  # live job states for subscriptions
    request: Request | WebSocket
    response: Response | WebSocket | None
    # HTTP: set by api.auth.RequireToken; WebSocket: by on_ws_connect from connection_init.
    principal: Principal | None = None
    connection_params: dict[str, object] | None = None

    @property
    def caller(self) -> Principal:
        """Who is asking; an UNAUTHENTICATED error when nobody has been authenticated."""
        if self.principal is None:
            raise GraphQLError("authentication required", extensions={"code": "UNAUTHENTICATED"})
        return self.principal


Info = strawberry.Info[Context, None]


async def call(func: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run a (synchronous) use case in a worker thread; Forbidden becomes a FORBIDDEN error."""
    try:
        return await to_thread.run_sync(functools.partial(func, *args, **kwargs))
    except Forbidden as exc:
        raise GraphQLError(str(exc), extensions={"code": "FORBIDDEN"}) from None
