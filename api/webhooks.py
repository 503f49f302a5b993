"""``POST /webhooks/shopify``: a signed ``bulk_operations/finish`` wakes the job it concerns.

The webhook is only a hint (delivery is not guaranteed and the worker re-polls the operation
before trusting it), so the receiver answers 200 fast, even for operations it does not know.
``finish_webhook_registrar`` subscribes each connected shop to this endpoint.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from collections import OrderedDict

from anyio import to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bulk.config import Settings
from bulk.shopify import ShopifyClient, ShopifyEndpoint
from service.jobs import JobService
from service.ports import ShopCredentials
from service.principal import SYSTEM
from service.shops import WebhookRegistrar

log = logging.getLogger(__name__)

FINISH_TOPIC = "bulk_operations/finish"
WEBHOOK_PATH = "/webhooks/shopify"


def callback_url(public_url: str) -> str:
    """Where Shopify should deliver: the receiver's path under the API's public base URL."""
    return public_url.strip().rstrip("/") + WEBHOOK_PATH


def finish_webhook_registrar(settings: Settings) -> WebhookRegistrar | None:
    """Subscribes shops to ``{PUBLIC_URL}/webhooks/shopify``; None without URL or secret.

    Without the secret no delivery could be verified (the route does not even exist).
    """
    if not settings.public_url or settings.webhook_secret is None:
        return None
    url = callback_url(settings.public_url)
    timeout_s = settings.http_timeout_s

    def register(credentials: ShopCredentials) -> str | None:
        endpoint = ShopifyEndpoint(
            admin_url=credentials.admin_url,
            api_version=credentials.api_version,
            access_token=credentials.access_token,
        )
        # One attempt: a person is waiting, and polling covers a failed subscription.
        with ShopifyClient(endpoint, timeout_s=timeout_s, max_retries=0) as client:
            return client.subscribe_bulk_operations_finish(url)

    return register


def signature_matches(secret: bytes, body: bytes, signature: str) -> bool:
    """Whether ``signature`` is base64(HMAC-SHA256(secret, body)), compared in constant time."""
    expected = base64.b64encode(hmac.new(secret, body, hashlib.sha256).digest())
    return hmac.compare_digest(expected, signature.strip().encode("ascii", "replace"))


class SeenDeliveries:
    """A bounded memory of (operation id, status) pairs already handled by this process."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._capacity = capacity
        self._keys: OrderedDict[tuple[str, str], None] = OrderedDict()

    def __contains__(self, key: tuple[str, str]) -> bool:
        return key in self._keys

    def add(self, key: tuple[str, str]) -> None:
        self._keys[key] = None
        self._keys.move_to_end(key)
        while len(self._keys) > self._capacity:
            self._keys.popitem(last=False)


class ShopifyWebhookEndpoint:
    """The Starlette endpoint; one per app, holding the secret and the dedupe memory."""

    def __init__(self, *, secret: bytes, service: JobService) -> None:
        self._secret = secret
        self._service = service
        self._seen = SeenDeliveries()

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        signature = request.headers.get("x-shopify-hmac-sha256", "")
        if not signature_matches(self._secret, body, signature):
            return JSONResponse({"error": "invalid signature"}, status_code=401)
        topic = request.headers.get("x-shopify-topic", "")
        if topic != FINISH_TOPIC:
            return JSONResponse({"status": "ignored"})
        try:
            payload = json.loads(body)
            operation_id = payload["admin_graphql_api_id"]
            status = str(payload.get("status"))
        except (ValueError, TypeError, KeyError):
            return JSONResponse({"error": "not a bulk_operations/finish payload"}, status_code=400)
        if not isinstance(operation_id, str):
            return JSONResponse({"error": "admin_graphql_api_id must be a string"}, status_code=400)
        key = (operation_id, status)
        if key in self._seen:
            return JSONResponse({"status": "duplicate"})
        # The signature authenticated Shopify, which speaks for no tenant: the system wakes it.
        job_id = await to_thread.run_sync(self._service.wake_for_operation, SYSTEM, operation_id)
        if job_id is not None:
            # An unknown operation is not remembered: a copy arriving after a fast operation's
            # id was persisted can still wake its job.
            self._seen.add(key)
        log.info(
            "bulk operation finished",
            extra={"operation_id": operation_id, "status": status, "job_id": job_id},
        )
        return JSONResponse({"status": "unknown" if job_id is None else "enqueued"})
