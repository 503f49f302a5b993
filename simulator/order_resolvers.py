"""Resolvers for the non-bulk ``orders`` connection, ``order(id:)`` and ``Order.lineItems``."""

from __future__ import annotations

import base64
import itertools
from collections import deque
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo

from simulator import metafields
from simulator.search import SearchSyntaxError, parse_search
from simulator.store import WINDOW_SECONDS

MAX_PAGE = 250


def bad_request(message: str) -> GraphQLError:
    """A top-level error with ``extensions.code`` BAD_REQUEST."""
    return GraphQLError(message, extensions={"code": "BAD_REQUEST"})


def encode_cursor(position: int) -> str:
    """Opaque cursor for an offset in a connection."""
    return base64.b64encode(f'{{"last_id":{position}}}'.encode()).decode()


def decode_cursor(cursor: str | None) -> int | None:
    """Offset encoded by :func:`encode_cursor`; raises BAD_REQUEST on garbage."""
    if cursor is None:
        return None
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
        return int(text.split(":", 1)[1].rstrip("}"))
    except (ValueError, IndexError, UnicodeDecodeError) as exc:
        raise bad_request(f"Invalid cursor for current pagination sort: {cursor}") from exc


def check_page_args(args: dict[str, Any]) -> None:
    """Apply Shopify's first/last rules (exactly one, at most 250)."""
    first, last = args.get("first"), args.get("last")
    if first is None and last is None:
        raise bad_request("you must provide one of first or last")
    if first is not None and last is not None:
        raise bad_request("providing both first and last is not supported")
    size = first if first is not None else last
    if size is not None and (size < 0 or size > MAX_PAGE):
        raise bad_request(
            f"The value of the argument `{'first' if first is not None else 'last'}`"
            f" must be between 0 and {MAX_PAGE}."
        )


def paginate(items: Iterable[Any], args: dict[str, Any]) -> dict[str, Any]:
    """Offset pagination of an iterable into a connection dict (edges, nodes, pageInfo)."""
    check_page_args(args)
    after, before = decode_cursor(args.get("after")), decode_cursor(args.get("before"))
    numbered: Iterator[tuple[int, Any]] = enumerate(items)
    if after is not None:
        numbered = itertools.dropwhile(lambda pair: pair[0] <= after, numbered)
    if before is not None:
        numbered = itertools.takewhile(lambda pair: pair[0] < before, numbered)
    first, last = args.get("first"), args.get("last")
    if first is not None:
        page = list(itertools.islice(numbered, first + 1))
        has_next, page = len(page) > first, page[:first]
        has_prev = after is not None
    else:
        window: deque[tuple[int, Any]] = deque(maxlen=(last or 0) + 1)
        window.extend(numbered)
        has_prev = len(window) > (last or 0)
        page = list(window)[1:] if has_prev else list(window)
        has_next = before is not None
    edges = [{"cursor": encode_cursor(i), "node": node} for i, node in page]
    return {
        "edges": edges,
        "nodes": [e["node"] for e in edges],
        "pageInfo": {
            "hasNextPage": has_next,
            "hasPreviousPage": has_prev,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }


def visible(order: dict[str, Any] | None, read_all: bool, now: datetime) -> bool:
    """Whether the token may see the order (60-day window without read_all_orders)."""
    if order is None:
        return False
    if read_all:
        return True
    created = order.get("createdAt")
    if not isinstance(created, str):
        return True
    stamp = datetime.fromisoformat(created.replace("Z", "+00:00")).timestamp()
    return stamp >= now.timestamp() - WINDOW_SECONDS


def as_order(order: dict[str, Any]) -> dict[str, Any]:
    """Tag an order dict for Node type resolution."""
    return {**order, "__typename": "Order"}


def resolve_orders(_root: Any, info: GraphQLResolveInfo[Any], **args: Any) -> dict[str, Any]:
    """``orders(first|last, after, before, reverse, sortKey, query)``."""
    ctx = info.context
    check_page_args(args)
    now = ctx.sim.config.now()
    search = None
    text = args.get("query")
    if text:
        try:
            search = parse_search(text, now=now)
        except SearchSyntaxError as exc:
            raise bad_request(f"Invalid search query: {exc}") from exc
        ctx.note_search(list(info.path.as_list()), text, search.warnings)
    orders = ctx.shop.store.iter_orders(
        search,
        sort_key=args.get("sortKey", "PROCESSED_AT"),
        reverse=bool(args.get("reverse")),
        read_all_orders=ctx.shop.config.read_all_orders,
    )
    return paginate((as_order(o) for o in orders), args)


def resolve_orders_count(
    _root: Any, info: GraphQLResolveInfo[Any], limit: int | None = None, **args: Any
) -> dict[str, Any]:
    """``ordersCount(query, limit)``: the orders ``orders(query:)`` would list, at most ``limit``
    (null: no limit); AT_LEAST when more match than the limit."""
    ctx = info.context
    if limit is not None and limit < 0:
        raise bad_request("limit must be at least 0")
    search = None
    text = args.get("query")
    if text:
        try:
            search = parse_search(text, now=ctx.sim.config.now())
        except SearchSyntaxError as exc:
            raise bad_request(f"Invalid search query: {exc}") from exc
        ctx.note_search(list(info.path.as_list()), text, search.warnings)
    count, capped = ctx.shop.store.count_orders(
        search, limit=limit, read_all_orders=ctx.shop.config.read_all_orders
    )
    return {"count": count, "precision": "AT_LEAST" if capped else "EXACT"}


def resolve_order(_root: Any, info: GraphQLResolveInfo[Any], id: str) -> dict[str, Any] | None:
    """``order(id:)``."""
    ctx = info.context
    order = ctx.shop.store.get(id)
    if not visible(order, ctx.shop.config.read_all_orders, ctx.sim.config.now()):
        return None
    assert order is not None
    return as_order(order)


def resolve_line_items(order: dict[str, Any], _info: GraphQLResolveInfo[Any], **args: Any) -> Any:
    """``Order.lineItems`` from the order's embedded list."""
    items = list(order.get("lineItems") or [])
    if args.get("reverse"):
        items.reverse()
    return paginate(items, args)


def resolve_metafields(order: dict[str, Any], _info: GraphQLResolveInfo[Any], **args: Any) -> Any:
    """``Order.metafields(namespace:, keys:)`` from the order's embedded list."""
    return paginate(metafields.filtered(list(order.get("metafields") or []), args), args)


def resolve_metafield(
    order: dict[str, Any], _info: GraphQLResolveInfo[Any], **args: Any
) -> dict[str, Any] | None:
    """``Order.metafield(namespace:, key:)``."""
    return metafields.lookup(list(order.get("metafields") or []), args)


def resolve_embedded_connection(
    parent: dict[str, Any], info: GraphQLResolveInfo[Any], **args: Any
) -> Any:
    """A connection inside an order (shippingLines, refundLineItems...) from its embedded list."""
    items = list(parent.get(info.field_name) or [])
    if args.get("reverse"):
        items.reverse()
    return paginate(items, args)


def resolve_limited_list(parent: dict[str, Any], info: GraphQLResolveInfo[Any], **args: Any) -> Any:
    """List fields with an optional ``first`` (refunds, fulfillments)."""
    items = list(parent.get(info.field_name) or [])
    first = args.get("first")
    return items if first is None else items[:first]
