"""Resolvers for shop, node, bulk operations and webhook subscriptions, attached to each schema."""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
    get_nullable_type,
    is_list_type,
)

from simulator import order_resolvers as orders
from simulator.bulkquery import compile_bulk_query, validate_bulk_query
from simulator.operations import BulkOperation
from simulator.opsearch import filter_operations
from simulator.rest import shop_number
from simulator.runtime import Shop, Simulator
from simulator.search import SearchSyntaxError, parse_search

GID = re.compile(r"^gid://shopify/([A-Za-z]+)/([^/\s]+)$")


@dataclass
class RequestContext:
    """Per-request state handed to resolvers as ``info.context``."""

    sim: Simulator
    shop: Shop
    version: str
    base_url: str
    search_debug: bool = False
    searches: list[dict[str, Any]] = field(default_factory=list)
    bulk_operation_id: str | None = None

    def note_search(self, path: list[Any], query: str, warnings: list[dict[str, Any]]) -> None:
        """Remember a parsed search for ``extensions.search`` (debug header only)."""
        if self.search_debug:
            self.searches.append({"path": path, "query": query, "warnings": list(warnings)})

    @property
    def multi_op(self) -> bool:
        """Whether this version has the 2026-01 bulk features."""
        return self.version >= self.sim.config.multi_op_since


def _ts(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


def op_json(ctx: RequestContext, op: BulkOperation) -> dict[str, Any]:
    """GraphQL form of a bulk operation view (counters as strings, second-precision times)."""
    base = ctx.sim.config.public_base_url or ctx.base_url
    files = ctx.sim.files
    url = partial = None
    if op.url_expires is not None and op.url_key is not None:
        url = base.rstrip("/") + files.signed_path(op.url_key, op.url_expires, op.id)
    if op.url_expires is not None and op.partial_key is not None:
        partial = base.rstrip("/") + files.signed_path(op.partial_key, op.url_expires, op.id)
    return {
        "__typename": "BulkOperation",
        "id": op.id,
        "status": op.status,
        "errorCode": op.error_code,
        "createdAt": _ts(op.created_at),
        "completedAt": _ts(op.completed_at),
        "objectCount": str(op.object_count),
        "rootObjectCount": str(op.root_object_count),
        "fileSize": None if op.file_size is None else str(op.file_size),
        "url": url,
        "partialDataUrl": partial,
        "query": op.query,
        "type": op.type,
    }


def _check_gid(value: str) -> re.Match[str]:
    match = GID.match(value)
    if match is None:
        raise GraphQLError(f"Invalid global id '{value}'", extensions={"code": "INVALID_VARIABLE"})
    return match


def _ctx(info: GraphQLResolveInfo[Any]) -> RequestContext:
    ctx: RequestContext = info.context
    return ctx


def resolve_shop(_root: Any, info: GraphQLResolveInfo[Any]) -> dict[str, Any]:
    """``shop { id name myshopifyDomain }``."""
    shop = _ctx(info).shop
    number = shop_number(shop.domain)
    return {
        "__typename": "Shop",
        "id": f"gid://shopify/Shop/{number}",
        "name": shop.config.name or shop.domain.split(".")[0],
        "myshopifyDomain": shop.domain,
        "email": f"owner@{shop.domain}",
        "currencyCode": shop.store.generator.currency,
    }


SCOPE_DESCRIPTIONS = {
    "read_orders": "Read orders, transactions, and fulfillments",
    "write_orders": "Modify orders, transactions, and fulfillments",
    "read_all_orders": "Read all orders older than 60 days",
    "read_customers": "Read customer details and customer groups",
    "read_products": "Read products, variants, and collections",
}


def resolve_app_installation(_root: Any, info: GraphQLResolveInfo[Any]) -> dict[str, Any]:
    """``currentAppInstallation { accessScopes { handle } }``: the token's configured scopes."""
    shop = _ctx(info).shop
    number = zlib.crc32(f"installation:{shop.domain}".encode()) % 1_000_000_000
    scopes = [
        {"handle": handle, "description": SCOPE_DESCRIPTIONS.get(handle, handle)}
        for handle in shop.config.scopes
    ]
    return {
        "__typename": "AppInstallation",
        "id": f"gid://shopify/AppInstallation/{number}",
        "accessScopes": scopes,
    }


def resolve_node(_root: Any, info: GraphQLResolveInfo[Any], id: str) -> dict[str, Any] | None:
    """``node(id:)`` for BulkOperation, Order and Shop ids."""
    ctx = _ctx(info)
    kind = _check_gid(id).group(1)
    if kind == "BulkOperation":
        ctx.bulk_operation_id = id
        op = ctx.sim.operations.get(id, ctx.shop.domain)
        return None if op is None else op_json(ctx, ctx.sim.operations.view(op))
    if kind == "Order":
        return orders.resolve_order(_root, info, id)
    if kind == "Shop":
        shop = resolve_shop(_root, info)
        return shop if shop["id"] == id else None
    return None


def resolve_nodes(root: Any, info: GraphQLResolveInfo[Any], ids: list[str]) -> list[Any]:
    """``nodes(ids:)``."""
    return [resolve_node(root, info, value) for value in ids]


def resolve_bulk_operation(_root: Any, info: GraphQLResolveInfo[Any], id: str) -> Any:
    """``bulkOperation(id:)`` (2026-01+)."""
    ctx = _ctx(info)
    if _check_gid(id).group(1) != "BulkOperation":
        return None
    ctx.bulk_operation_id = id
    op = ctx.sim.operations.get(id, ctx.shop.domain)
    return None if op is None else op_json(ctx, ctx.sim.operations.view(op))


def resolve_current(_root: Any, info: GraphQLResolveInfo[Any], type: str = "QUERY") -> Any:
    """``currentBulkOperation(type:)``: the newest op of that type, terminal or not."""
    ctx = _ctx(info)
    ops = [op for op in ctx.sim.operations.list(ctx.shop.domain) if op.type == type]
    if not ops:
        return None
    ctx.bulk_operation_id = ops[-1].id
    return op_json(ctx, ops[-1])


def resolve_bulk_operations(_root: Any, info: GraphQLResolveInfo[Any], **args: Any) -> Any:
    """``bulkOperations(first|last, after, before, reverse, sortKey, query)``, newest first."""
    ctx = _ctx(info)
    orders.check_page_args(args)
    ops = ctx.sim.operations.list(ctx.shop.domain)
    ops = filter_operations(ops, args.get("query"))
    key = args.get("sortKey", "CREATED_AT")
    if key == "COMPLETED_AT":
        ops.sort(
            key=lambda o: (o.completed_at is not None, o.completed_at or o.created_at, o.number)
        )
    else:
        ops.sort(key=lambda o: (o.created_at, o.number) if key != "ID" else (o.number,))
    if not args.get("reverse"):
        ops.reverse()
    return orders.paginate([op_json(ctx, op) for op in ops], args)


def _user_error(fld: list[str] | None, message: str, code: str | None = None) -> dict[str, Any]:
    return {"field": fld, "message": message, "code": code}


def resolve_run_query(_root: Any, info: GraphQLResolveInfo[Any], query: str, **args: Any) -> Any:
    """``bulkOperationRunQuery(query:, groupObjects:)``."""
    ctx = _ctx(info)
    config = ctx.sim.config
    errors = validate_bulk_query(query)
    if errors:
        return {
            "bulkOperation": None,
            "userErrors": [_user_error(e.field, e.message, e.code) for e in errors],
        }
    plan = compile_bulk_query(query)
    if plan.search:
        try:
            parsed = parse_search(plan.search, now=config.now())
            ctx.note_search(list(info.path.as_list()), plan.search, parsed.warnings)
        except SearchSyntaxError:
            pass
    default_group = ctx.version < config.multi_op_since
    group = bool(args.get("groupObjects", default_group))
    limit = config.concurrency if ctx.multi_op else config.concurrency_legacy
    op, active = ctx.sim.operations.start(
        shop=ctx.shop.domain,
        query=query,
        plan=plan,
        store=ctx.shop.store,
        api_version=ctx.version,
        group_objects=group,
        read_all_orders=ctx.shop.config.read_all_orders,
        limit=limit,
    )
    if op is None:
        message = (
            "A bulk query operation for this app and shop is already in progress: "
            f"{', '.join(active)}."
        )
        return {
            "bulkOperation": None,
            "userErrors": [_user_error(None, message, "OPERATION_IN_PROGRESS")],
        }
    ctx.bulk_operation_id = op.id
    return {"bulkOperation": op_json(ctx, op), "userErrors": []}


def resolve_cancel(_root: Any, info: GraphQLResolveInfo[Any], id: str) -> Any:
    """``bulkOperationCancel(id:)``."""
    ctx = _ctx(info)
    ctx.bulk_operation_id = id
    op = ctx.sim.operations.get(id, ctx.shop.domain) if GID.match(id) else None
    if op is None:
        return {
            "bulkOperation": None,
            "userErrors": [_user_error(["id"], "Bulk operation does not exist")],
        }
    view, error = ctx.sim.operations.cancel(op)
    return {
        "bulkOperation": op_json(ctx, view),
        "userErrors": [_user_error(None, error)] if error else [],
    }


def resolve_webhook_create(
    _root: Any, info: GraphQLResolveInfo[Any], topic: str, webhookSubscription: dict[str, Any]
) -> Any:
    """``webhookSubscriptionCreate(topic:, webhookSubscription: {uri | callbackUrl, format})``."""
    ctx = _ctx(info)
    uri = webhookSubscription.get("uri") or webhookSubscription.get("callbackUrl")
    if not uri:
        message = "Address can't be blank"
        return {
            "webhookSubscription": None,
            "userErrors": [_user_error(["webhookSubscription", "callbackUrl"], message)],
        }
    fmt = webhookSubscription.get("format") or "JSON"
    sub = ctx.sim.webhooks.subscribe(ctx.shop.domain, topic, uri, ctx.version, fmt)
    return {
        "webhookSubscription": {
            "id": sub.id,
            "topic": topic,
            "uri": uri,
            "callbackUrl": uri,
            "format": fmt,
            "createdAt": sub.created_at,
        },
        "userErrors": [],
    }


def _typename(value: Any, _info: GraphQLResolveInfo[Any], _type: Any) -> str | None:
    return value.get("__typename") if isinstance(value, dict) else None


def attach_resolvers(schema: GraphQLSchema) -> GraphQLSchema:
    """Wire resolvers into a freshly built version schema (in place) and return it."""
    query, mutation = schema.query_type, schema.mutation_type
    assert query is not None and mutation is not None
    table = {
        "shop": resolve_shop,
        "currentAppInstallation": resolve_app_installation,
        "node": resolve_node,
        "nodes": resolve_nodes,
        "order": orders.resolve_order,
        "orders": orders.resolve_orders,
        "ordersCount": orders.resolve_orders_count,
        "currentBulkOperation": resolve_current,
        "bulkOperation": resolve_bulk_operation,
        "bulkOperations": resolve_bulk_operations,
    }
    for name, fn in table.items():
        if name in query.fields:
            query.fields[name].resolve = fn
    mutation.fields["bulkOperationRunQuery"].resolve = resolve_run_query
    mutation.fields["bulkOperationCancel"].resolve = resolve_cancel
    mutation.fields["webhookSubscriptionCreate"].resolve = resolve_webhook_create
    order = schema.type_map["Order"]
    assert isinstance(order, GraphQLObjectType)
    order.fields["lineItems"].resolve = orders.resolve_line_items
    order.fields["metafields"].resolve = orders.resolve_metafields
    order.fields["metafield"].resolve = orders.resolve_metafield
    for named in schema.type_map.values():
        if isinstance(named, GraphQLInterfaceType | GraphQLUnionType):
            named.resolve_type = _typename
        elif isinstance(named, GraphQLObjectType) and named not in (query, mutation):
            _attach_embedded(named)
    return schema


def _attach_embedded(object_type: GraphQLObjectType) -> None:
    """Order-domain connections and ``first``-limited lists read the parent's embedded list."""
    for definition in object_type.fields.values():
        if definition.resolve is not None:
            continue
        named = get_named_type(definition.type)
        if named.name.endswith("Connection") and "after" in definition.args:
            definition.resolve = orders.resolve_embedded_connection
        elif "first" in definition.args and is_list_type(get_nullable_type(definition.type)):
            definition.resolve = orders.resolve_limited_list
