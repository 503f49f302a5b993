"""The per-request GraphQL context, the typed ``Info`` alias, and how resolvers call use cases."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import strawberry
from anyio import CapacityLimiter, to_thread
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from bulk.errors import Forbidden
from service.container import Services
from service.principal import Principal

from .job_events import JobEventHub
from .limits import ApiLimits
from .limits.slots import ConcurrencyCap
from .loaders import Loaders
from .settings import ApiSettings

T = TypeVar("T")


@dataclass
class Context:
    """One per HTTP request, and one per WebSocket connection (shared by its subscriptions)."""

    services: Services
    settings: ApiSettings
    events: JobEventHub  # live job states for subscriptions
    limits: ApiLimits
    request: Request | WebSocket
    response: Response | WebSocket | None
    # HTTP: set by api.auth.RequireToken; WebSocket: by on_ws_connect from connection_init.
    principal: Principal | None = None
    connection_params: dict[str, object] | None = None
    loaders: Loaders = field(init=False)
    subscriptions: ConcurrencyCap = field(init=False)  # of this WebSocket connection

    def __post_init__(self) -> None:
        # The loaders ask for the caller when they load: a WebSocket's is known only after its
        # connection_init, later than this context is made.
        self.loaders = Loaders(self.services, self.limits, lambda: self.caller)
        self.subscriptions = ConcurrencyCap(
            self.limits.max_subscriptions_per_connection, what="subscriptions per connection"
        )

    @property
    def caller(self) -> Principal:
        """Who is asking; an UNAUTHENTICATED error when nobody has been authenticated."""
        if self.principal is None:
            raise GraphQLError("authentication required", extensions={"code": "UNAUTHENTICATED"})
        return self.principal


Info = strawberry.Info[Context, None]


async def call(
    func: Callable[..., T], /, *args: Any, limiter: CapacityLimiter | None = None, **kwargs: Any
) -> T:
    """Run a (synchronous) use case in a worker thread (of ``limiter``'s pool when given);
    Forbidden becomes a FORBIDDEN error."""
    try:
        return await to_thread.run_sync(functools.partial(func, *args, **kwargs), limiter=limiter)
    except Forbidden as exc:
        raise GraphQLError(str(exc), extensions={"code": "FORBIDDEN"}) from None
