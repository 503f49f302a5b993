"""Control API under ``/_sim/``: shops, orders, faults, operations, request log, clock, reset."""

from __future__ import annotations

import json
import os
from datetime import datetime
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from simulator.config import DEFAULT_SCOPES, ShopConfig
from simulator.faults import FaultError
from simulator.generator import ORDER_GID_PREFIX
from simulator.runtime import Shop, Simulator
from simulator.store import OrderNotFound


def _ts(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status)


async def _json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise ValueError("body must be a JSON object")
    return value


def _order_gid(raw: str) -> str:
    return f"{ORDER_GID_PREFIX}{raw}" if raw.isdigit() else raw


def _parse_time(value: Any) -> datetime:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


class ControlAPI:
    """Builds the ``/_sim`` routes bound to one :class:`Simulator`."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def _shop(self, request: Request) -> Shop:
        shop = self.sim.shop(request.path_params["domain"])
        if shop is None:
            raise LookupError(f"unknown shop {request.path_params['domain']!r}")
        return shop

    def routes(self) -> list[Route]:
        """All control routes (order matters: specific paths first)."""
        r = self._wrap
        o = "/_sim/shops/{domain}/orders"
        return [
            Route("/_sim/health", r(self.health), methods=["GET"]),
            Route("/_sim/reset", r(self.reset), methods=["POST"]),
            Route("/_sim/clock", r(self.clock), methods=["GET", "POST"]),
            Route("/_sim/shops", r(self.shops), methods=["GET", "POST"]),
            Route(o + "/mutate", r(self.mutate), methods=["POST"]),
            Route(o + "/{order_id:path}/cancel", r(self.cancel_order), methods=["POST"]),
            Route(o + "/{order_id:path}/touch", r(self.touch_order), methods=["POST"]),
            Route(o + "/{order_id:path}", r(self.order), methods=["GET", "PATCH", "DELETE"]),
            Route(o, r(self.orders), methods=["GET", "POST"]),
            Route("/_sim/shops/{domain}", r(self.shop), methods=["GET", "PATCH", "DELETE"]),
            Route("/_sim/faults", r(self.faults), methods=["GET", "POST", "DELETE"]),
            Route("/_sim/faults/{fault_id:int}", r(self.fault), methods=["DELETE"]),
            Route("/_sim/operations", r(self.operations), methods=["GET"]),
            Route("/_sim/requests", r(self.requests), methods=["GET", "DELETE"]),
            Route("/_sim/webhooks", r(self.webhooks), methods=["GET"]),
        ]

    @staticmethod
    def _wrap(handler: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            try:
                result: Response = await handler(request)
                return result
            except LookupError as exc:  # OrderNotFound is a KeyError
                return _error(404, str(exc.args[0]) if exc.args else "not found")
            except (ValueError, TypeError, FaultError) as exc:
                return _error(400, str(exc))

        return endpoint

    async def health(self, request: Request) -> Response:
        """``GET /_sim/health``."""
        body: dict[str, Any] = {"status": "ok", "shops": len(self.sim.shops())}
        # Set by whoever started this process (shopsync demo/up), which checks it is talking
        # to its own simulator and not to another process on the same port.
        if instance := os.environ.get("INSTANCE_ID"):
            body["instance"] = instance
        return JSONResponse(body)

    async def reset(self, request: Request) -> Response:
        """``POST /_sim/reset``: back to the configured start state."""
        await anyio.to_thread.run_sync(self.sim.reset)
        return JSONResponse({"status": "reset"})

    async def clock(self, request: Request) -> Response:
        """``GET /_sim/clock``; ``POST {"advance_seconds": n}`` moves simulated time forward."""
        if request.method == "POST":
            body = await _json(request)
            self.sim.config.clock.advance(float(body.get("advance_seconds", 0)))
        return JSONResponse({"now": _ts(self.sim.config.now())})

    async def shops(self, request: Request) -> Response:
        """``GET /_sim/shops``; ``POST`` {domain, token, scopes, plan, orders, seed, name}."""
        if request.method == "GET":
            return JSONResponse([s.config.to_json() for s in self.sim.shops()])
        body = await _json(request)
        config = ShopConfig(
            domain=str(body["domain"]),
            access_token=str(body.get("token") or body.get("accessToken") or ""),
            scopes=tuple(body.get("scopes") or DEFAULT_SCOPES),
            plan=str(body.get("plan", "Standard")),
            orders=int(body.get("orders", 1000)),
            seed=int(body.get("seed", 1)),
            name=body.get("name"),
        )
        if not config.access_token:
            raise ValueError("token is required")
        shop = await anyio.to_thread.run_sync(self.sim.add_shop, config)
        return JSONResponse(shop.config.to_json(), 201)

    async def shop(self, request: Request) -> Response:
        """``GET/PATCH/DELETE /_sim/shops/{domain}`` (PATCH: token, scopes, plan)."""
        shop = self._shop(request)
        if request.method == "DELETE":
            self.sim.remove_shop(shop.domain)
            return JSONResponse({"deleted": shop.domain})
        if request.method == "PATCH":
            body = await _json(request)
            changes: dict[str, Any] = {}
            if "token" in body or "accessToken" in body:
                changes["access_token"] = str(body.get("token") or body.get("accessToken"))
            if "scopes" in body:
                changes["scopes"] = tuple(body["scopes"])
            if "plan" in body:
                changes["plan"] = str(body["plan"])
            updated = self.sim.update_shop(shop.domain, **changes)
            assert updated is not None
            shop = updated
        return JSONResponse({**shop.config.to_json(), "orderCount": shop.store.count()})

    async def orders(self, request: Request) -> Response:
        """``GET`` (limit, after-free listing) or ``POST {fields}`` to create an order."""
        shop = self._shop(request)
        if request.method == "POST":
            body = await _json(request)
            created = shop.store.create_order(body.get("fields", body))
            return JSONResponse(created, 201)
        limit = int(request.query_params.get("limit", "50"))
        sort_key = request.query_params.get("sortKey", "ID")
        reverse = request.query_params.get("reverse", "false").lower() == "true"
        out: list[dict[str, Any]] = []
        for order in shop.store.iter_orders(None, sort_key=sort_key, reverse=reverse):
            if len(out) >= limit:
                break
            out.append(order)
        return JSONResponse({"count": shop.store.count(), "orders": out})

    async def mutate(self, request: Request) -> Response:
        """``POST .../orders/mutate {update, create, seed}`` via the store's mutate_random."""
        shop = self._shop(request)
        body = await _json(request)
        result = await anyio.to_thread.run_sync(
            lambda: shop.store.mutate_random(
                update=int(body.get("update", 0)),
                create=int(body.get("create", 0)),
                seed=int(body.get("seed", 1)),
            )
        )
        return JSONResponse(result)

    async def order(self, request: Request) -> Response:
        """``GET/PATCH {fields}/DELETE .../orders/{id}`` (numeric id or gid)."""
        shop = self._shop(request)
        gid = _order_gid(request.path_params["order_id"])
        if request.method == "DELETE":
            shop.store.delete_order(gid)
            # Shopify tells subscribers by the order's legacy (numeric) id.
            self.sim.webhooks.order_deleted(shop.domain, int(gid.rsplit("/", 1)[-1]))
            return JSONResponse({"deleted": gid})
        if request.method == "PATCH":
            body = await _json(request)
            return JSONResponse(shop.store.update_order(gid, body.get("fields", body)))
        order = shop.store.get(gid)
        if order is None:
            raise OrderNotFound(gid)
        return JSONResponse(order)

    async def cancel_order(self, request: Request) -> Response:
        """``POST .../orders/{id}/cancel {reason}``."""
        shop = self._shop(request)
        body = await _json(request)
        gid = _order_gid(request.path_params["order_id"])
        return JSONResponse(shop.store.cancel_order(gid, str(body.get("reason", "CUSTOMER"))))

    async def touch_order(self, request: Request) -> Response:
        """``POST .../orders/{id}/touch {updatedAt}`` (default: now)."""
        shop = self._shop(request)
        body = await _json(request)
        gid = _order_gid(request.path_params["order_id"])
        when = _parse_time(body["updatedAt"]) if "updatedAt" in body else self.sim.config.now()
        return JSONResponse(shop.store.touch(gid, when))

    async def faults(self, request: Request) -> Response:
        """``GET`` list, ``POST {kind, shop?, operationId?, count?, params?}``, ``DELETE`` all."""
        if request.method == "POST":
            fault = self.sim.faults.add_json(await _json(request))
            return JSONResponse(fault.to_json(), 201)
        if request.method == "DELETE":
            self.sim.faults.clear()
        return JSONResponse([f.to_json() for f in self.sim.faults.list()])

    async def fault(self, request: Request) -> Response:
        """``DELETE /_sim/faults/{id}``."""
        if not self.sim.faults.remove(request.path_params["fault_id"]):
            raise LookupError("unknown fault")
        return JSONResponse({"deleted": request.path_params["fault_id"]})

    async def operations(self, request: Request) -> Response:
        """``GET /_sim/operations?shop=``: every bulk operation with internal details."""
        shop = request.query_params.get("shop")
        ops = self.sim.operations.list(shop)
        return JSONResponse(
            [
                {
                    "id": op.id,
                    "shop": op.shop,
                    "status": op.status,
                    "errorCode": op.error_code,
                    "createdAt": _ts(op.created_at),
                    "completedAt": _ts(op.completed_at),
                    "objectCount": op.object_count,
                    "rootObjectCount": op.root_object_count,
                    "fileSize": op.file_size,
                    "apiVersion": op.api_version,
                    "groupObjects": op.group_objects,
                    "query": op.query,
                    "faults": op.faults,
                }
                for op in ops
            ]
        )

    async def requests(self, request: Request) -> Response:
        """``GET /_sim/requests?shop=&kind=&operationId=`` or ``DELETE`` to clear."""
        if request.method == "DELETE":
            self.sim.log.clear()
            return JSONResponse([])
        params = request.query_params
        records = self.sim.log.list(
            shop=params.get("shop"),
            kind=params.get("kind"),
            operation_id=params.get("operationId"),
        )
        return JSONResponse([r.to_json() for r in records])

    async def webhooks(self, request: Request) -> Response:
        """``GET /_sim/webhooks``: subscriptions and delivery attempts."""
        subs = [
            {
                "id": s.id,
                "shop": s.shop,
                "topic": s.topic,
                "uri": s.uri,
                "apiVersion": s.api_version,
            }
            for s in self.sim.webhooks.subscriptions()
        ]
        return JSONResponse({"subscriptions": subs, "deliveries": self.sim.webhooks.deliveries()})
