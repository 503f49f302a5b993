"""``POST /webhooks/shopify``: a signed ``bulk_operations/finish`` wakes the job it concerns; a
signed ``orders/delete`` marks that shop's order deleted."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json

import structlog
from anyio import to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bulk.errors import ConfigurationError
from bulk.shopify import ShopifyClient, ShopifyEndpoint
from service.jobs import JobService
from service.orders import OrderService
from service.ports import ShopCredentials
from service.principal import SYSTEM
from service.shops import WebhookRegistrar

from .settings import ApiSettings

# The finish webhook is only a hint (delivery is not guaranteed and the worker re-polls the
# operation before trusting it), so the receiver answers 200 fast, even for operations it does not
# know; an orders/delete for an unknown shop or order is answered 200 too, with nothing written.
# ``finish_webhook_registrar`` subscribes each connected shop to both topics at this endpoint.

log = structlog.get_logger(__name__)

FINISH_TOPIC = "bulk_operations/finish"
ORDERS_DELETE_TOPIC = "orders/delete"
WEBHOOK_PATH = "/webhooks/shopify"
# Operation ids, statuses and webhook ids are short; longer ones are not Shopify's.
MAX_ID_LENGTH = 256


def callback_url(public_url: str) -> str:
    """Where Shopify should deliver: the receiver's path under the API's public base URL."""
    return public_url.strip().rstrip("/") + WEBHOOK_PATH


def finish_webhook_registrar(settings: ApiSettings) -> WebhookRegistrar | None:
    """Subscribes shops to ``{PUBLIC_URL}/webhooks/shopify``; None without URL or secret.

    Without the secret no delivery could be verified (the route does not even exist).
    """
    if not settings.public_url or settings.webhook_secret is None:
        return None
    url = callback_url(settings.public_url)
    timeout_s = settings.verify_timeout_s  # connectShop waits on it, like on the verification
    policy = settings.net_policy()

    def register(credentials: ShopCredentials) -> str | None:
        endpoint = ShopifyEndpoint(
            admin_url=credentials.admin_url,
            api_version=credentials.api_version,
            access_token=credentials.access_token,
        )
        # One attempt: a person is waiting, and polling covers a failed subscription.
        with ShopifyClient(endpoint, timeout_s=timeout_s, max_retries=0, policy=policy) as client:
            subscription_id = client.subscribe_bulk_operations_finish(url)
            client.subscribe_orders_delete(url)
            return subscription_id

    return register


def signature_matches(secret: bytes, body: bytes, signature: str) -> bool:
    """Whether ``signature`` is base64(HMAC-SHA256(secret, body)), compared in constant time."""
    expected = base64.b64encode(hmac.new(secret, body, hashlib.sha256).digest())
    return hmac.compare_digest(expected, signature.strip().encode("ascii", "replace"))


def _identifier(value: object) -> str | None:
    """A printable id of reasonable length, or None (a signed but malformed delivery)."""
    if not isinstance(value, str) or not 0 < len(value) <= MAX_ID_LENGTH:
        return None
    return value if value.isprintable() and value.isascii() else None


def parse_finish(body: bytes) -> tuple[str, str] | None:
    """(operation id, status) of a bulk_operations/finish payload; None if malformed."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested beyond reason
        return None
    if not isinstance(payload, dict):
        return None
    operation_id = _identifier(payload.get("admin_graphql_api_id"))
    status = _identifier(str(payload.get("status")))
    if operation_id is None or status is None:
        return None
    return operation_id, status


def parse_order_delete(body: bytes) -> int | None:
    """The legacy order id of an orders/delete payload (``{"id": 450789469}``); None if
    malformed."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(payload, dict):
        return None
    order_id = payload.get("id")
    # A bigint: Shopify's ids are far below; anything else is not an order id.
    if isinstance(order_id, bool) or not isinstance(order_id, int) or not 0 < order_id < 2**63:
        return None
    return order_id


class ShopifyWebhookEndpoint:
    """The Starlette endpoint; one per app, holding the secret. Deliveries already handled are
    remembered in the database (``JobService.wake_for_operation``,
    ``OrderService.delete_by_webhook``)."""

    def __init__(
        self, *, secret: bytes, service: JobService, orders: OrderService | None = None
    ) -> None:
        if not secret:
            raise ConfigurationError("the webhook secret must not be empty")
        self._secret = secret
        self._service = service
        self._orders = orders

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        signature = request.headers.get("x-shopify-hmac-sha256", "")
        if not signature_matches(self._secret, body, signature):
            return JSONResponse({"error": "invalid signature"}, status_code=401)
        topic = request.headers.get("x-shopify-topic", "")
        if topic == ORDERS_DELETE_TOPIC and self._orders is not None:
            return await self._order_deleted(request, body, self._orders)
        if topic != FINISH_TOPIC:
            return JSONResponse({"status": "ignored"})
        parsed = parse_finish(body)
        raw_webhook_id = request.headers.get("x-shopify-webhook-id")
        webhook_id = None if raw_webhook_id is None else _identifier(raw_webhook_id)
        if parsed is None or (raw_webhook_id is not None and webhook_id is None):
            return JSONResponse({"error": "not a bulk_operations/finish payload"}, status_code=400)
        operation_id, status = parsed
        # The signature authenticated Shopify, which speaks for no tenant: the system wakes it.
        outcome = await to_thread.run_sync(
            functools.partial(
                self._service.wake_for_operation,
                SYSTEM,
                operation_id,
                status=status,
                webhook_id=webhook_id,
            )
        )
        if outcome.duplicate:
            return JSONResponse({"status": "duplicate"})
        log.info(
            "webhook.bulk_operation_finished",
            operation_id=operation_id,
            status=status,
            job_id=outcome.job_id,
            shop_id=outcome.shop_id,
        )
        return JSONResponse({"status": "unknown" if outcome.job_id is None else "enqueued"})

    async def _order_deleted(self, request: Request, body: bytes, orders: OrderService) -> Response:
        legacy_id = parse_order_delete(body)
        domain = _identifier(request.headers.get("x-shopify-shop-domain"))
        raw_webhook_id = request.headers.get("x-shopify-webhook-id")
        webhook_id = None if raw_webhook_id is None else _identifier(raw_webhook_id)
        if legacy_id is None or domain is None or (raw_webhook_id is not None and not webhook_id):
            return JSONResponse({"error": "not an orders/delete payload"}, status_code=400)
        # Signed by Shopify, which names the shop: the system applies it to that shop only.
        outcome = await to_thread.run_sync(
            functools.partial(
                orders.delete_by_webhook,
                SYSTEM,
                domain=domain.lower(),
                legacy_id=legacy_id,
                webhook_id=webhook_id,
            )
        )
        if outcome.duplicate:
            return JSONResponse({"status": "duplicate"})
        if outcome.deleted is None:
            log.info("webhook.order_delete_unknown", domain=domain, legacy_id=legacy_id)
            return JSONResponse({"status": "unknown"})
        log.info(
            "order.deleted_by_webhook",
            shop_id=outcome.deleted.shop_id,
            order_id=outcome.deleted.order_id,
            line_items=outcome.deleted.line_items,
        )
        return JSONResponse({"status": "deleted"})
