"""Webhook subscriptions and the background delivery worker (``bulk_operations/finish``,
``orders/delete``)."""

from __future__ import annotations

import base64
import hashlib
import heapq
import hmac
import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from simulator.config import SimulatorConfig
from simulator.faults import FaultRegistry
from simulator.operations import BulkOperation

TOPIC = "bulk_operations/finish"
ORDERS_DELETE_TOPIC = "orders/delete"


def sign(secret: str, body: bytes) -> str:
    """Base64 HMAC-SHA256 of the raw body, as in ``X-Shopify-Hmac-Sha256``."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _ts(value: Any) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


def finish_payload(op: BulkOperation) -> dict[str, Any]:
    """The snake_case, lowercase-enum payload of ``bulk_operations/finish``."""
    return {
        "admin_graphql_api_id": op.id,
        "completed_at": _ts(op.completed_at),
        "created_at": _ts(op.created_at),
        "error_code": op.error_code.lower() if op.error_code else None,
        "status": op.status.lower(),
        "type": op.type.lower(),
    }


@dataclass
class Subscription:
    """One ``webhookSubscriptionCreate`` registration."""

    id: str
    shop: str
    topic: str
    uri: str
    api_version: str
    format: str = "JSON"
    created_at: str = ""


@dataclass(order=True)
class _Delivery:
    due: float
    seq: int
    url: str = field(compare=False)
    body: bytes = field(compare=False)
    headers: dict[str, str] = field(compare=False)
    attempt: int = field(default=1, compare=False)
    shop: str = field(default="", compare=False)
    operation_id: str = field(default="", compare=False)


class WebhookDispatcher:
    """Holds subscriptions and delivers finish events with retries from one worker thread."""

    def __init__(self, config: SimulatorConfig, faults: FaultRegistry) -> None:
        self._config = config
        self._faults = faults
        self._subs: list[Subscription] = []
        self._queue: list[_Delivery] = []
        self._seq = itertools.count()
        self._sub_ids = itertools.count(1_000_000_001)
        self._log: list[dict[str, Any]] = []
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stop = False

    # ---- subscriptions -------------------------------------------------------------------
    def subscribe(
        self, shop: str, topic: str, uri: str, api_version: str, fmt: str
    ) -> Subscription:
        """Register a subscription and return it."""
        with self._cond:
            sub = Subscription(
                id=f"gid://shopify/WebhookSubscription/{next(self._sub_ids)}",
                shop=shop,
                topic=topic,
                uri=uri,
                api_version=api_version,
                format=fmt,
                created_at=_ts(self._config.now()) or "",
            )
            self._subs.append(sub)
            return sub

    def subscriptions(self, shop: str | None = None) -> list[Subscription]:
        """Registered subscriptions (of one shop)."""
        with self._cond:
            return [s for s in self._subs if shop is None or s.shop == shop]

    def deliveries(self) -> list[dict[str, Any]]:
        """Log of delivery attempts (url, status or error, attempt, ids)."""
        with self._cond:
            return list(self._log)

    def reset(self) -> None:
        """Drop subscriptions, queued deliveries and the log."""
        with self._cond:
            self._subs.clear()
            self._queue.clear()
            self._log.clear()

    # ---- events --------------------------------------------------------------------------
    def operation_finished(self, op: BulkOperation) -> None:
        """Queue one delivery per matching subscription, applying webhook faults."""
        payload = json.dumps(finish_payload(op), separators=(",", ":")).encode()
        triggered = _ts(self._config.now()) or ""
        event_id = str(uuid.uuid4())
        for sub in self.subscriptions(op.shop):
            if sub.topic != "BULK_OPERATIONS_FINISH":
                continue
            if self._faults.take("webhook_drop", op.shop, op.id) is not None:
                self._record(sub.uri, op, 0, "dropped (fault)", event_id)
                continue
            dup = self._faults.take("webhook_duplicate", op.shop, op.id)
            times = int(dup.params.get("times", 2)) if dup else 1
            delayed = self._faults.take("webhook_delay", op.shop, op.id)
            delay = float(delayed.params.get("delay", 1.0)) if delayed else 0.0
            headers = {
                "Content-Type": "application/json",
                "X-Shopify-Topic": TOPIC,
                "X-Shopify-Hmac-Sha256": sign(self._config.webhook_secret, payload),
                "X-Shopify-Shop-Domain": op.shop,
                "X-Shopify-API-Version": sub.api_version,
                "X-Shopify-Webhook-Id": str(uuid.uuid4()),
                "X-Shopify-Event-Id": event_id,
                "X-Shopify-Triggered-At": triggered,
            }
            with self._cond:
                for copy in range(times):
                    due = time.monotonic() + delay + copy * 0.01
                    delivery = _Delivery(
                        due, next(self._seq), sub.uri, payload, dict(headers), 1, op.shop, op.id
                    )
                    heapq.heappush(self._queue, delivery)
                self._cond.notify_all()

    def order_deleted(self, shop: str, legacy_id: int) -> None:
        """Queue a signed ``orders/delete`` (``{"id": legacy_id}``) per ORDERS_DELETE
        subscription of the shop."""
        payload = json.dumps({"id": legacy_id}, separators=(",", ":")).encode()
        triggered = _ts(self._config.now()) or ""
        event_id = str(uuid.uuid4())
        for sub in self.subscriptions(shop):
            if sub.topic != "ORDERS_DELETE":
                continue
            if self._faults.take("webhook_drop", shop) is not None:
                self._record(sub.uri, None, 0, "dropped (fault)", event_id)
                continue
            headers = {
                "Content-Type": "application/json",
                "X-Shopify-Topic": ORDERS_DELETE_TOPIC,
                "X-Shopify-Hmac-Sha256": sign(self._config.webhook_secret, payload),
                "X-Shopify-Shop-Domain": shop,
                "X-Shopify-API-Version": sub.api_version,
                "X-Shopify-Webhook-Id": str(uuid.uuid4()),
                "X-Shopify-Event-Id": event_id,
                "X-Shopify-Triggered-At": triggered,
            }
            with self._cond:
                delivery = _Delivery(
                    time.monotonic(), next(self._seq), sub.uri, payload, headers, 1, shop, ""
                )
                heapq.heappush(self._queue, delivery)
                self._cond.notify_all()

    def _record(
        self, url: str, op: BulkOperation | None, attempt: int, outcome: str, event: str
    ) -> None:
        with self._cond:
            self._log.append(
                {
                    "url": url,
                    "operationId": op.id if op else None,
                    "attempt": attempt,
                    "outcome": outcome,
                    "eventId": event,
                }
            )

    # ---- worker --------------------------------------------------------------------------
    def start(self) -> None:
        """Start the delivery thread."""
        with self._cond:
            if self._thread is not None:
                return
            self._stop = False
            self._thread = threading.Thread(target=self._loop, name="sim-webhooks", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the delivery thread (queued deliveries are dropped)."""
        with self._cond:
            self._stop = True
            thread, self._thread = self._thread, None
            self._cond.notify_all()
        if thread is not None:
            thread.join(timeout)

    def _next(self) -> _Delivery | None:
        with self._cond:
            while not self._stop:
                if self._queue:
                    wait = self._queue[0].due - time.monotonic()
                    if wait <= 0:
                        return heapq.heappop(self._queue)
                    self._cond.wait(wait)
                else:
                    self._cond.wait()
            return None

    def _loop(self) -> None:
        timeout = httpx.Timeout(self._config.webhook_timeout_seconds, connect=1.0)
        with httpx.Client(timeout=timeout) as client:
            while (delivery := self._next()) is not None:
                self._deliver(client, delivery)

    def _deliver(self, client: httpx.Client, d: _Delivery) -> None:
        try:
            response = client.post(d.url, content=d.body, headers=d.headers)
            ok, outcome = response.is_success, str(response.status_code)
        except httpx.HTTPError as exc:
            ok, outcome = False, f"error: {type(exc).__name__}"
        with self._cond:
            self._log.append(
                {
                    "url": d.url,
                    "operationId": d.operation_id,
                    "attempt": d.attempt,
                    "outcome": outcome,
                    "eventId": d.headers["X-Shopify-Event-Id"],
                    "webhookId": d.headers["X-Shopify-Webhook-Id"],
                }
            )
            if not ok and d.attempt < self._config.webhook_max_attempts:
                backoff = self._config.webhook_backoff_seconds * (2 ** (d.attempt - 1))
                d.attempt += 1
                d.due = time.monotonic() + backoff
                d.seq = next(self._seq)
                heapq.heappush(self._queue, d)
                self._cond.notify_all()
