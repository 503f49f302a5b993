"""The per-request GraphQL context and the typed ``Info`` alias resolvers take."""

from __future__ import annotations

from dataclasses import dataclass, field

import strawberry
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from bulk.config import Settings

from .events import JobEventHub
from .limits import ApiLimits
from .limits.slots import ConcurrencyCap
from .loaders import Loaders
from .services import ShopsyncService


@dataclass
class Context:
    """One per HTTP request, and one per WebSocket connection (shared by its subscriptions)."""

    service: ShopsyncService
    settings: Settings
    events: JobEventHub  # live job states for subscriptions
    limits: ApiLimits
    request: Request | WebSocket
    response: Response | WebSocket | None
    loaders: Loaders = field(init=False)
    subscriptions: ConcurrencyCap = field(init=False)  # of this WebSocket connection

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.service, self.limits)
        self.subscriptions = ConcurrencyCap(
            self.limits.max_subscriptions_per_connection, what="subscriptions per connection"
        )


Info = strawberry.Info[Context, None]
