"""The old frontend's REST contract: ``POST /api/shopify/sync/jobs/start`` and
``GET /api/shopify/sync/jobs``, over the same use cases, auth and limits as the mutations."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import structlog
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from strawberry.utils.str_converters import to_camel_case

from bulk.errors import AuthUnavailable, InvalidArgument
from bulk.ingest.stats import STAT_FIELDS
from bulk.jobs import JobRequest, SyncJob
from bulk.types import JobType, SyncMode
from service.container import Services
from service.principal import Principal

from .auth import Authenticator, unauthenticated, unavailable
from .context import call
from .ids import parse_id
from .limits.tenants import TenantLimits
from .paging import DEFAULT_FIRST, MAX_FIRST

# Request and answer use the old frontend's camelCase names; modes are lower-case in both
# directions ("populate", "update", "full", "reconcile"), statuses upper-case as in GraphQL.
# Errors: 400 {"error": {"field", "message"}} with the mutation's messages, 401 without a valid
# token, 403 for a read-only token, 429 past the tenant's startSyncJob rate.

log = structlog.get_logger(__name__)

START_PATH = "/api/shopify/sync/jobs/start"
LIST_PATH = "/api/shopify/sync/jobs"


def _error(status: int, field: str | None, message: str, **headers: str) -> JSONResponse:
    return JSONResponse(
        {"error": {"field": field, "message": message}}, status_code=status, headers=headers
    )


def job_json(job: SyncJob) -> dict[str, Any]:
    """A job as the old frontend lists it: its mode, status and stats."""
    return {
        "id": str(job.id),
        "shopId": str(job.shop_id),
        "jobType": job.job_type.value.lower(),
        "syncMode": job.sync_mode.value.lower(),
        "trigger": job.trigger.value,
        "status": job.status.value,
        "days": job.days,
        "staleAfterMins": job.stale_after_mins,
        "createdAt": job.created_at.isoformat(),
        "startedAt": None if job.started_at is None else job.started_at.isoformat(),
        "finishedAt": None if job.finished_at is None else job.finished_at.isoformat(),
        "error": job.error,
        # The names the GraphQL API gives these counters, from the converter it uses.
        "stats": {to_camel_case(name): getattr(job.stats, name) for name in STAT_FIELDS},
    }


def _enum(body: dict[str, Any], field: str, kind: type[SyncMode] | type[JobType]) -> Any:
    value = body.get(field)
    if value is None:
        return None
    names = ", ".join(member.value.lower() for member in kind)
    if not isinstance(value, str) or value.upper() not in kind.__members__:
        raise InvalidArgument(field, f"{field} must be one of {names}")
    return kind[value.upper()]


def _int(body: dict[str, Any], field: str) -> int | None:
    value = body.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgument(field, f"{field} must be an integer")
    return value


def _shop_id(value: object) -> int | None:
    """A shop id given as a JSON number or a decimal string."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    return parse_id(value)


@dataclass
class SyncJobsRest:
    services: Services
    auth: Authenticator
    tenants: TenantLimits

    async def _caller(self, request: Request) -> Principal | Response:
        try:
            principal = await self.auth.principal(request.headers.get("authorization"))
        except AuthUnavailable:
            return unavailable()
        return unauthenticated() if principal is None else principal

    async def start(self, request: Request) -> Response:
        caller = await self._caller(request)
        if isinstance(caller, Response):
            return caller
        try:
            body = await _json_object(request)
            job_request = JobRequest(
                shop_id=await self._target_shop(caller, body.get("shopId")),
                sync_mode=_enum(body, "syncMode", SyncMode) or SyncMode.FULL,
                job_type=_enum(body, "jobType", JobType) or JobType.ORDERS,
                days=_int(body, "days"),
                stale_after_mins=_int(body, "staleAfterMins"),
            )
            self.tenants.check_rate("startSyncJob", caller)
            created = await call(self.services.jobs.start, caller, job_request)
        except InvalidArgument as exc:
            return _error(400, exc.field, exc.message)
        except GraphQLError as exc:  # a limit (rate) or FORBIDDEN, raised as GraphQL errors
            return _graphql_error(exc)
        return JSONResponse(
            {"job": job_json(created.job), "alreadyRunning": not created.created},
            status_code=201 if created.created else 200,
        )

    async def _target_shop(self, caller: Principal, given: object) -> int:
        """The shop named, or the tenant's only shop when none is."""
        if given is not None:
            shop_id = _shop_id(given)
            if shop_id is None:
                raise InvalidArgument("shopId", f"not a shop id: {given!r}")
            return shop_id
        owned = await call(self.services.shops.list, caller)
        if len(owned) != 1:
            raise InvalidArgument(
                "shopId",
                f"shopId is required: this tenant has {len(owned)} shops"
                if owned
                else "shopId is required: this tenant has no shop (connect one first)",
            )
        return owned[0].id

    async def list(self, request: Request) -> Response:
        caller = await self._caller(request)
        if isinstance(caller, Response):
            return caller
        raw_shop = request.query_params.get("shopId")
        shop_id = None if raw_shop is None else parse_id(raw_shop)
        if raw_shop is not None and shop_id is None:
            return _error(400, "shopId", f"not a shop id: {raw_shop!r}")
        raw_limit = request.query_params.get("limit", str(DEFAULT_FIRST))
        if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_FIRST:
            return _error(400, "limit", f"limit must be between 1 and {MAX_FIRST}")
        try:
            found = await call(
                self.services.jobs.list, caller, shop_id=shop_id, first=int(raw_limit)
            )
        except GraphQLError as exc:
            return _graphql_error(exc)
        return JSONResponse({"jobs": [job_json(job) for job in found]})


async def _json_object(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = json.loads(raw) if raw.strip() else {}
    except (ValueError, RecursionError):
        raise InvalidArgument(None, "the request body is not JSON") from None
    if not isinstance(body, dict):
        raise InvalidArgument(None, "the request body must be a JSON object")
    # Other fields are ignored, as the old backend did: the old frontend may send more.
    return body


def _graphql_error(exc: GraphQLError) -> JSONResponse:
    extensions = exc.extensions or {}
    if extensions.get("code") == "FORBIDDEN":
        return _error(403, None, exc.message)
    if extensions.get("code") == "LIMIT_EXCEEDED":
        wait_s = extensions.get("retryAfterS")
        headers = {} if wait_s is None else {"Retry-After": str(max(1, math.ceil(wait_s)))}
        return _error(429, None, exc.message, **headers)
    raise exc
