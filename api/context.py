"""The per-request GraphQL context and the typed ``Info`` alias resolvers take."""

from __future__ import annotations

from dataclasses import dataclass

import strawberry
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from bulk.config import Settings

from .events import JobEventHub
from .services import ShopsyncService


@dataclass
class Context:
    service: ShopsyncService
    settings: Settings
    events: JobEventHub  # live job states for subscriptions
    request: Request | WebSocket
    response: Response | WebSocket | None


Info = strawberry.Info[Context, None]
