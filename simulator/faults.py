"""Fault injection: counted, shop- or operation-scoped faults consumed by the service layers."""

from __future__ import annotations

import builtins
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

FAULT_KINDS = frozenset(
    {
        "fail_operation",  # params: error_code, partial (bool), after_objects (int | None)
        "cancel_operation",  # unsolicited cancel by "Shopify"
        "stuck_created",  # the operation never leaves CREATED
        "stuck_canceling",  # the operation is cancelled unasked and never leaves CANCELING
        "http_status",  # params: status (401/402/423/429/500/502/503/504), retry_after
        "slow",  # params: delay (seconds) before the GraphQL endpoint answers
        "throttled",  # a forced GraphQL THROTTLED answer
        "download_cut",  # params: at_byte; the connection closes after that many body bytes
        "download_reset",  # the connection closes right after the headers
        "ignore_range",  # Range is ignored: 200 with the full body
        "truncate_body",  # params: missing_bytes; Content-Length larger than what is sent
        "url_expired",  # the signed URL answers 403 as if expired
        "webhook_drop",  # the finish (or an orders/delete) webhook is never delivered
        "webhook_duplicate",  # params: times (total deliveries)
        "webhook_delay",  # params: delay (seconds), lets later webhooks overtake this one
        "webhook_early",  # webhook sent before the operation reads as finished
        "lose_answer",  # params: kind [run], status [504], executed [true]; the answer is lost
        "download_status",  # params: status; the result host answers it (e.g. 204, 302, 408)
        "completed_without_url",  # the operation completes with objects but url null
        # params: order (1-based position in the export) [1], newer_first [false]: that order is
        # exported twice, as it was and as updated while the export ran (the latter block at the
        # end of the file, root line then its line items, unless newer_first swaps the two)
        "updated_during_export",
    }
)
ERROR_CODES = ("ACCESS_DENIED", "INTERNAL_SERVER_ERROR", "TIMEOUT")
HTTP_STATUSES = (401, 402, 403, 404, 423, 429, 430, 500, 502, 503, 504)
LOST_ANSWER_STATUSES = (500, 502, 503, 504)
REQUEST_KINDS = ("run", "cancel", "poll", "query", "subscribe")


class FaultError(ValueError):
    """A fault specification is invalid."""


@dataclass
class Fault:
    """One installed fault; ``count`` None means it fires forever."""

    id: int
    kind: str
    shop: str | None = None
    operation_id: str | None = None
    count: int | None = 1
    params: dict[str, Any] = field(default_factory=dict)
    fired: int = 0

    def to_json(self) -> dict[str, Any]:
        """JSON form used by the control API."""
        return {
            "id": self.id,
            "kind": self.kind,
            "shop": self.shop,
            "operationId": self.operation_id,
            "count": self.count,
            "params": dict(self.params),
            "fired": self.fired,
        }


def _validate(kind: str, params: dict[str, Any]) -> None:
    if kind not in FAULT_KINDS:
        raise FaultError(f"unknown fault kind {kind!r}; known: {sorted(FAULT_KINDS)}")
    if (
        kind == "fail_operation"
        and params.get("error_code", "INTERNAL_SERVER_ERROR") not in ERROR_CODES
    ):
        raise FaultError(f"error_code must be one of {ERROR_CODES}")
    if kind == "http_status" and int(params.get("status", 500)) not in HTTP_STATUSES:
        raise FaultError(f"status must be one of {HTTP_STATUSES}")
    if kind == "lose_answer":
        if int(params.get("status", 504)) not in LOST_ANSWER_STATUSES:
            raise FaultError(f"status must be one of {LOST_ANSWER_STATUSES}")
        if params.get("kind", "run") not in REQUEST_KINDS:
            raise FaultError(f"kind must be one of {REQUEST_KINDS}")
    if kind == "download_status":
        status = int(params.get("status", 0))
        if not 100 <= status <= 599 or status in (200, 206):
            raise FaultError("status must be an HTTP status other than 200 and 206")


class FaultRegistry:
    """Thread-safe store of faults; :meth:`take` consumes one firing of the first match."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def add(
        self,
        kind: str,
        *,
        shop: str | None = None,
        operation_id: str | None = None,
        count: int | None = 1,
        params: dict[str, Any] | None = None,
    ) -> Fault:
        """Install a fault and return it."""
        params = dict(params or {})
        _validate(kind, params)
        if count is not None and count < 1:
            raise FaultError("count must be >= 1 or null (unlimited)")
        with self._lock:
            fault = Fault(next(self._ids), kind, shop, operation_id, count, params)
            self._faults.append(fault)
            return fault

    def add_json(self, body: dict[str, Any]) -> Fault:
        """Install a fault from its JSON form ``{kind, shop?, operationId?, count?, params?}``."""
        if not isinstance(body, dict) or "kind" not in body:
            raise FaultError("body must be an object with a 'kind'")
        params = dict(body.get("params") or {})
        known = {"kind", "shop", "operationId", "operation_id", "count", "params"}
        params.update({k: v for k, v in body.items() if k not in known})
        return self.add(
            str(body["kind"]),
            shop=body.get("shop"),
            operation_id=body.get("operationId", body.get("operation_id")),
            count=body.get("count", 1),
            params=params,
        )

    def take(
        self,
        kind: str,
        shop: str | None,
        operation_id: str | None = None,
        *,
        where: Callable[[Fault], bool] | None = None,
    ) -> Fault | None:
        """Consume one firing of the first matching fault (``where`` narrows it), or None."""
        with self._lock:
            for fault in self._faults:
                if fault.kind != kind or (where is not None and not where(fault)):
                    continue
                if fault.shop is not None and fault.shop != shop:
                    continue
                if fault.operation_id is not None and fault.operation_id != operation_id:
                    continue
                if fault.count is not None and fault.fired >= fault.count:
                    continue
                fault.fired += 1
                return fault
            return None

    def list(self) -> builtins.list[Fault]:
        """All faults, including exhausted ones."""
        with self._lock:
            return list(self._faults)

    def remove(self, fault_id: int) -> bool:
        """Remove one fault; False when it did not exist."""
        with self._lock:
            before = len(self._faults)
            self._faults = [f for f in self._faults if f.id != fault_id]
            return len(self._faults) != before

    def clear(self) -> None:
        """Remove every fault."""
        with self._lock:
            self._faults.clear()


def parse_cli_fault(text: str) -> dict[str, Any]:
    """Parse ``kind[:key=value,...]`` (e.g. ``http_status:status=503,count=2``) to JSON form."""
    kind, _, rest = text.partition(":")
    body: dict[str, Any] = {"kind": kind.strip()}
    for item in filter(None, (part.strip() for part in rest.split(","))):
        key, sep, raw = item.partition("=")
        if not sep:
            raise FaultError(f"bad fault parameter {item!r}, expected key=value")
        value: Any = raw
        if raw.lower() in ("null", "none"):
            value = None
        elif raw.lower() in ("true", "false"):
            value = raw.lower() == "true"
        else:
            try:
                value = int(raw)
            except ValueError:
                try:
                    value = float(raw)
                except ValueError:
                    value = raw
        body[key.strip()] = value
    _validate(body["kind"], {k: v for k, v in body.items() if k != "kind"})
    return body
