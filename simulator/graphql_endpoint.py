"""``POST /admin/api/{version}/graphql.json``: auth, faults, cost/throttle, execution, logging."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import anyio
from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    execute_sync,
    parse,
    validate,
)
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from simulator.admin_schema import SchemaCache
from simulator.costs import CostCalculator
from simulator.faults import Fault
from simulator.requestlog import RequestRecord
from simulator.resolvers import RequestContext, attach_resolvers
from simulator.runtime import Simulator

INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
RATE_DOC = "https://shopify.dev/api/usage/rate-limits"
POLL_FIELDS = {"bulkOperation", "bulkOperations", "currentBulkOperation", "node", "nodes"}
_MISSING_ARG = re.compile(r"Argument '\w+\.(\w+)\((\w+):\)' of type '.*' is required")
_UNDEFINED = re.compile(r"Cannot query field '(\w+)' on type '(\w+)'")
_STATUS_BODIES: dict[int, Any] = {
    401: {"errors": INVALID_TOKEN},
    402: {"errors": "Unavailable Shop"},
    403: {"errors": "User does not have access"},
    404: {"errors": "Not Found"},
    423: {"errors": "This shop is unavailable"},
    429: {
        "errors": "Exceeded 2 calls per second for api client. "
        "Reduce request rates to resume uninterrupted service."
    },
    430: {"errors": "Security Rejection"},
    500: {"errors": "Internal Server Error"},
    502: {"errors": "Bad Gateway"},
    503: {"errors": "Service Unavailable"},
    504: {"errors": "Gateway Timeout"},
}


def _top_fields(document: DocumentNode, name: str | None) -> list[str]:
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and (
            name is None or (definition.name is not None and definition.name.value == name)
        ):
            return [
                s.name.value
                for s in definition.selection_set.selections
                if isinstance(s, FieldNode)
            ]
    return []


def _kind(fields: list[str]) -> str:
    if "bulkOperationRunQuery" in fields:
        return "run"
    if "bulkOperationCancel" in fields:
        return "cancel"
    if "webhookSubscriptionCreate" in fields:
        return "subscribe"
    if fields and all(f in POLL_FIELDS for f in fields):
        return "poll"
    return "query"


def _format_error(error: GraphQLError) -> dict[str, Any]:
    out: dict[str, Any] = dict(error.formatted)
    missing = _MISSING_ARG.search(error.message)
    undefined = _UNDEFINED.search(error.message)
    if missing:
        out["message"] = (
            f"Field '{missing.group(1)}' is missing required arguments: {missing.group(2)}"
        )
        out["extensions"] = {
            "code": "missingRequiredArguments",
            "className": "Field",
            "name": missing.group(1),
            "arguments": missing.group(2),
        }
    elif undefined:
        out["message"] = (
            f"Field '{undefined.group(1)}' doesn't exist on type '{undefined.group(2)}'"
        )
        out["extensions"] = {
            "code": "undefinedField",
            "typeName": undefined.group(2),
            "fieldName": undefined.group(1),
        }
    return out


class GraphQLEndpoint:
    """Starlette endpoint object serving every API version from per-version schemas."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.schemas = SchemaCache(sim.config, attach_resolvers)

    def schema(self, version: str) -> GraphQLSchema:
        """The version's schema with resolvers attached."""
        return self.schemas.get(version)

    def _log(self, record: RequestRecord) -> None:
        record.at = self.sim.config.now().strftime("%Y-%m-%dT%H:%M:%SZ")
        self.sim.log.add(record)

    async def handle(self, request: Request) -> Response:
        """Handle one GraphQL POST."""
        config = self.sim.config
        path = request.url.path
        served = config.resolve_version(request.path_params["version"])
        if served is None:
            self._log(
                RequestRecord(None, "invalid", 404, request.path_params["version"], path=path)
            )
            return JSONResponse(_STATUS_BODIES[404], 404)
        version = served
        headers = {"X-Shopify-API-Version": version, "X-Request-Id": str(uuid.uuid4())}
        shop = self.sim.shop_for_token(request.headers.get("x-shopify-access-token"))
        if shop is None:
            self._log(RequestRecord(None, "unauthorized", 401, version, path=path))
            return JSONResponse({"errors": INVALID_TOKEN}, 401, headers=headers)
        domain = shop.domain
        slow = self.sim.faults.take("slow", domain)
        if slow is not None:
            await anyio.sleep(float(slow.params.get("delay", 1.0)))
        forced = self.sim.faults.take("http_status", domain)
        if forced is not None:
            status = int(forced.params.get("status", 500))
            if status == 429:
                headers["Retry-After"] = str(forced.params.get("retry_after", "4.0"))
            self._log(
                RequestRecord(domain, "fault", status, version, fault="http_status", path=path)
            )
            return JSONResponse(
                _STATUS_BODIES.get(status, {"errors": "Error"}), status, headers=headers
            )
        try:
            body = json.loads(await request.body())
            query = body["query"]
            if not isinstance(query, str):
                raise TypeError("query")
        except (ValueError, KeyError, TypeError):
            self._log(RequestRecord(domain, "invalid", 400, version, path=path))
            return JSONResponse(
                {"errors": {"query": "Required parameter missing or invalid"}}, 400, headers=headers
            )
        variables = body.get("variables") or {}
        op_name = body.get("operationName")
        debug = request.headers.get("shopify-search-query-debug") == "1"
        base_url = str(request.base_url)
        lost = self._lost_answer(domain, query, op_name)
        if lost is not None and not lost.params.get("executed", True):
            return self._lose(lost, RequestRecord(domain, "fault", 0, version, path=path), headers)
        result, record = await anyio.to_thread.run_sync(
            self._handle, shop, version, query, variables, op_name, debug, base_url
        )
        record.path = path
        if lost is not None:
            return self._lose(lost, record, headers)  # executed, but the answer never arrives
        self._log(record)
        return JSONResponse(result, 200, headers=headers)

    def _lost_answer(self, domain: str, query: str, op_name: Any) -> Fault | None:
        """The ``lose_answer`` fault for this request's kind (run, poll, ...), if one is due."""
        try:
            kind = _kind(_top_fields(parse(query), op_name if isinstance(op_name, str) else None))
        except GraphQLError:
            return None
        return self.sim.faults.take(
            "lose_answer", domain, where=lambda f: f.params.get("kind", "run") == kind
        )

    def _lose(self, fault: Fault, record: RequestRecord, headers: dict[str, str]) -> Response:
        status = int(fault.params.get("status", 504))
        record.http_status, record.fault = status, "lose_answer"
        self._log(record)
        return JSONResponse(
            _STATUS_BODIES.get(status, {"errors": "Error"}), status, headers=headers
        )

    def _handle(
        self,
        shop: Any,
        version: str,
        query: str,
        variables: dict[str, Any],
        op_name: str | None,
        debug: bool,
        base_url: str,
    ) -> tuple[dict[str, Any], RequestRecord]:
        config = self.sim.config
        domain = shop.domain
        record = RequestRecord(domain, "query", 200, version)
        schema = self.schema(version)
        try:
            document = parse(query)
        except GraphQLError as exc:
            record.kind = "invalid"
            return {"errors": [_format_error(exc)]}, record
        record.fields = _top_fields(document, op_name)
        record.kind = _kind(record.fields)
        errors = validate(schema, document)
        if errors:
            return {"errors": [_format_error(e) for e in errors]}, record
        calc = CostCalculator(schema, document, variables, config.cost_mutation)
        requested = calc.cost(op_name)
        record.requested_cost = requested
        if requested > config.max_query_cost:
            message = (
                f"Query cost is {requested}, which exceeds the single query max cost limit "
                f"({config.max_query_cost})."
            )
            ext = {
                "code": "MAX_COST_EXCEEDED",
                "cost": requested,
                "maxCost": config.max_query_cost,
                "documentation": RATE_DOC,
            }
            return {"errors": [{"message": message, "extensions": ext}]}, record
        bucket = self.sim.throttle.bucket(domain, config.restore_rate(shop.config.plan))
        forced = self.sim.faults.take("throttled", domain)
        admission = None if forced else bucket.try_consume(requested)
        if admission is None or not admission.admitted:
            record.throttled = True
            record.fault = "throttled" if forced else None
            cost = {
                "requestedQueryCost": requested,
                "actualQueryCost": None,
                "throttleStatus": bucket.status(),
            }
            error = {
                "message": "Throttled",
                "extensions": {"code": "THROTTLED", "documentation": RATE_DOC},
            }
            return {"errors": [error], "extensions": {"cost": cost}}, record
        ctx = RequestContext(self.sim, shop, version, base_url, search_debug=debug)
        result = execute_sync(
            schema, document, variable_values=variables, operation_name=op_name, context_value=ctx
        )
        actual = min(requested, calc.cost(op_name, result.data)) if result.data else requested
        level = bucket.refund(requested - actual)
        record.actual_cost = actual
        record.bulk_operation_id = ctx.bulk_operation_id
        out: dict[str, Any] = {}
        if result.errors:
            out["errors"] = [_format_error(e) for e in result.errors]
        out["data"] = result.data
        extensions: dict[str, Any] = {
            "cost": {
                "requestedQueryCost": requested,
                "actualQueryCost": actual,
                "throttleStatus": bucket.status(level),
            }
        }
        if debug and ctx.searches:
            extensions["search"] = ctx.searches
        out["extensions"] = extensions
        if record.bulk_operation_id is None and record.kind == "poll":
            record.bulk_operation_id = (
                variables.get("id") if isinstance(variables.get("id"), str) else None
            )
        return out, record
