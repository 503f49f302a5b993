"""The API's composition root: ``create_app(settings)`` wires pool, queue and schema together."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import structlog
from anyio import to_thread
from dramatiq import Broker
from psycopg_pool import ConnectionPool
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types.unset import UnsetType

from bulk import log_scrub
from bulk.errors import AuthUnavailable, ConfigurationError
from bulk.shopify import ShopifyClient
from service.container import Services, build_services
from service.jobs import ScopedJobReader
from service.ports import JobQueue, ShopVerifier
from service.principal import SYSTEM, tenant_principal
from service.readiness import check_database
from workers.queue import DramatiqJobQueue, make_broker

from .auth import Authenticator, RequireToken
from .context import Context
from .job_events import JobEventHub
from .limits import ApiLimits
from .limits.body import body_limit_middleware
from .limits.json_body import StrictJsonDecoding
from .limits.query import query_limits
from .metrics import ApiMetrics, RequestMetrics
from .readiness import readyz_endpoint
from .rest import LIST_PATH, START_PATH, SyncJobsRest
from .schema import build_schema
from .settings import ApiSettings
from .verify import shopify_selection_checker, shopify_verifier
from .web.routes import graphiql_page, web_routes
from .webhooks import WEBHOOK_PATH, ShopifyWebhookEndpoint, finish_webhook_registrar

log = structlog.get_logger(__name__)


class ShopsyncGraphQL(StrictJsonDecoding, GraphQL[Context, None]):
    """Strawberry's ASGI app, handing every operation a typed Context."""

    def __init__(
        self,
        *,
        services: Services,
        settings: ApiSettings,
        events: JobEventHub,
        auth: Authenticator,
    ) -> None:
        production = settings.environment == "production"
        super().__init__(
            build_schema(
                mask_errors=production,
                introspection=not production or settings.graphql_introspection,
                limits=query_limits(settings),
            ),
            graphql_ide=None if production else "graphiql",
            allow_queries_via_get=not production,
            # Subscriptions over WebSocket on /graphql, both protocols (Strawberry's default).
            # "ka" messages for legacy graphql-ws clients; uvicorn pings every connection too.
            keep_alive=True,
            keep_alive_interval=15,
            connection_init_wait_timeout=timedelta(seconds=10),
        )
        self._services = services
        self._settings = settings
        self._events = events
        self.limits = ApiLimits.from_settings(settings)  # also the REST routes' (api.rest)
        self._auth = auth

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        # HTTP: RequireToken put the caller in the request's state; a WebSocket's caller comes
        # with its connection_init (on_ws_connect), for the whole connection.
        principal = (
            getattr(request.state, "principal", None) if isinstance(request, Request) else None
        )
        return Context(
            services=self._services,
            settings=self._settings,
            events=self._events,
            limits=self.limits,
            request=request,
            response=response,
            principal=principal,
        )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Authenticate the WebSocket from ``{"Authorization": "Bearer <token>"}`` in the
        connection_init payload; without a valid one the connection is closed (4403)."""
        params = context.connection_params or {}
        header = params.get("Authorization", params.get("authorization"))
        try:
            principal = await self._auth.principal(header)
        except AuthUnavailable:
            raise ConnectionRejectionError({"message": "service unavailable"}) from None
        if principal is None:
            raise ConnectionRejectionError({"message": "authentication required"})
        context.principal = principal
        return UnsetType()  # a plain connection_ack

    async def render_graphql_ide(self, request: Request) -> Response:
        # Strawberry's page loads GraphiQL from a CDN; ours serves it from /static (offline).
        return graphiql_page()


def check_production_settings(settings: ApiSettings) -> None:
    """Production refuses to start without what keeps it closed (a Host allow-list)."""
    if settings.environment == "production" and not settings.allowed_hosts:
        raise ConfigurationError("production needs ALLOWED_HOSTS (the API's host names)")


def _middleware(settings: ApiSettings) -> list[Middleware]:
    """Host allow-list (when configured; always in production), then CORS only for the origins
    configured: without any, browsers get no CORS headers at all."""
    middleware: list[Middleware] = []
    hosts = list(settings.allowed_hosts)
    if hosts:
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=hosts))
    origins = list(settings.cors_origins)
    if origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=origins,
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type"],
            )
        )
    return middleware


def create_app(
    settings: ApiSettings,
    *,
    pool: ConnectionPool[Any] | None = None,
    queue: JobQueue | None = None,
    verifier: ShopVerifier | None = None,
    pool_max_size: int = 10,
) -> Starlette:
    """Build the Starlette app; nothing connects until the lifespan starts.

    Every request needs a bearer token (``shopsync token create``); in development,
    ``AUTH_REQUIRED=false`` makes a request without one an admin of the ``development`` tenant,
    and production refuses to start that way.

    Without a queue, jobs go to Dramatiq over ``settings.broker_url`` (the broker is closed
    with the app). A pool passed in is opened by the lifespan if it is still closed, and then
    closed by it too; an already open pool stays the caller's to close. Without a verifier,
    connectShop checks tokens with Shopify when ``settings.verify_shops`` is set.
    """
    production = settings.environment == "production"
    if production and not settings.auth_required:
        raise ValueError(
            "AUTH_REQUIRED=false is refused in production: every request needs a token"
        )
    if pool is None:
        pool = ConnectionPool(
            settings.database_url, min_size=1, max_size=pool_max_size, open=False, name="api"
        )
    broker: Broker | None = None
    if queue is None:
        broker = make_broker(settings.broker_url)
        queue = DramatiqJobQueue(broker, settings.queue_name)
    check_production_settings(settings)
    cipher = settings.token_cipher()  # production without SHOP_TOKEN_KEYS stops here
    log_scrub.install("strawberry.execution", "strawberry")
    net_policy = settings.net_policy()
    if verifier is None and settings.verify_shops:
        verifier = shopify_verifier(timeout_s=settings.verify_timeout_s, policy=net_policy)
    if production and verifier is None:
        # Without asking Shopify, nothing proves a token is the connected domain's own.
        raise ValueError("VERIFY_SHOPS=false is refused in production")
    services = build_services(
        pool,
        queue,
        default_api_version=settings.default_api_version,
        cipher=cipher,
        verifier=verifier,
        webhook_registrar=finish_webhook_registrar(settings),
        # One retry at most: a cancel request waits on it.
        shopify_client_factory=functools.partial(
            ShopifyClient, timeout_s=settings.http_timeout_s, max_retries=1, policy=net_policy
        ),
        net_policy=net_policy,
        deployment_order_fields=settings.extra_order_fields,
        # Asked whenever connectShop would ask (VERIFY_SHOPS): a person waits on the answer.
        selection_checker=(
            shopify_selection_checker(
                timeout_s=settings.verify_timeout_s, policy=net_policy, cipher=cipher
            )
            if settings.verify_shops
            else None
        ),
    )
    # One LISTEN connection per process, started by the lifespan, shared by all subscriptions.
    # It reads every tenant's jobs; each subscription filters by its caller (api.jobs).
    events = JobEventHub(
        conninfo=settings.database_url, reader=ScopedJobReader(services.jobs, SYSTEM)
    )
    auth = Authenticator(services.tokens)
    graphql = ShopsyncGraphQL(services=services, settings=settings, events=events, auth=auth)
    gate = RequireToken(graphql, auth, allow_ide=not production)

    async def healthz(request: Request) -> Response:
        if await to_thread.run_sync(services.database_is_up):
            body = {"status": "ok"}
            if settings.instance_id:
                body["instance"] = settings.instance_id
            return JSONResponse(body)
        return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        owned = pool.closed
        # A database that does not exist or lacks migrations stops the start-up at once,
        # naming `shopsync migrate`; one that is down is only logged (/readyz says so).
        await to_thread.run_sync(check_database, settings.database_url)
        if owned:
            # Without waiting: the API starts even while Postgres is down; /healthz says so.
            await to_thread.run_sync(functools.partial(pool.open, wait=False))
        if not settings.auth_required:
            tenant_id = await to_thread.run_sync(
                services.tokens.ensure_tenant, SYSTEM, "development"
            )
            auth.anonymous = tenant_principal(tenant_id, "admin")
            log.warning("api.auth_not_required", tenant="development")
        try:
            async with events.running():
                yield
        finally:
            if owned:
                await to_thread.run_sync(pool.close)
            if broker is not None:
                broker.close()

    routes: list[BaseRoute] = [
        Route("/graphql", gate, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        Route("/healthz", healthz, methods=["GET"]),
        Route(
            "/readyz",
            readyz_endpoint(database_url=settings.database_url, broker_url=settings.broker_url),
            methods=["GET"],
        ),
        *web_routes(),  # the dashboard at / and its static files
    ]
    metrics = ApiMetrics(
        counts=functools.partial(services.jobs.count_by_state, SYSTEM),
        subscriptions=lambda: events.subscriber_count,
    )
    metrics_token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    if metrics_token is not None or not production:
        # Production without a token: no route (it counts every tenant's jobs).
        routes.append(Route("/metrics", metrics.endpoint(metrics_token), methods=["GET"]))
    # The old frontend's REST contract, sharing the mutations' per-tenant rate limits.
    rest = SyncJobsRest(services, auth, graphql.limits.tenants)
    routes += [
        Route(START_PATH, rest.start, methods=["POST"]),
        Route(LIST_PATH, rest.list, methods=["GET"]),
    ]
    if settings.webhook_secret is not None:
        # Without a secret nothing could be verified: the route does not exist.
        secret = settings.webhook_secret.get_secret_value().encode()
        webhook = ShopifyWebhookEndpoint(
            secret=secret, service=services.jobs, orders=services.orders
        )
        routes.append(Route(WEBHOOK_PATH, webhook.handle, methods=["POST"]))
    limit_bodies = body_limit_middleware(
        settings, graphql_path="/graphql", webhook_path=WEBHOOK_PATH, rest_paths=[START_PATH]
    )
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[
            Middleware(RequestMetrics, metrics=metrics),
            *_middleware(settings),
            limit_bodies,
        ],
    )
    app.state.job_events = events
    app.state.services = services
    app.state.settings = settings
    return app
