"""Streams a compiled bulk query's result as JSONL lines (grouped, ungrouped or adversarial)."""

from __future__ import annotations

import heapq
import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from simulator import metafields
from simulator.bulkquery import BulkPlan, ConnectionPlan, FieldPlan, Variants
from simulator.search import parse_search
from simulator.store import OrderStore

LAYOUTS = ("grouped", "ungrouped", "adversarial")
POLL_EVERY = 1000
"""should_stop / on_progress are called every this many lines."""
_MIN_DELAY, _MAX_DELAY = 2, 6
"""Ungrouped children are written this many root lines after their parent."""
_EARLY_CHANCE = 0.15
"""Adversarial layout: chance that a parent's first children are written before it."""
_BUFFER_BYTES = 1 << 20

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


@dataclass(frozen=True)
class UpdatedDuringExport:
    """The order at 1-based ``position`` is exported twice: as stored, and as updated while the
    export ran (updatedAt one minute later, its last line item gone, a new one added, its first
    line item's quantity changed, its last metafield gone). The second version comes as a block
    at the end of the file, root line first; ``newer_first`` puts the updated version in the first
    place instead."""

    position: int = 1
    newer_first: bool = False


def updated_version(order: dict[str, Any]) -> dict[str, Any]:
    """``order`` as it reads after an update made while the export ran."""
    changed = dict(order)
    stamp = datetime.fromisoformat(str(order["updatedAt"]).replace("Z", "+00:00"))
    changed["updatedAt"] = (stamp + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    items = [dict(item) for item in order.get("lineItems") or []]
    if len(items) > 1:
        items.pop()
    if items:
        items[0]["quantity"] = int(items[0].get("quantity") or 0) + 1
    number = str(order["id"]).rsplit("/", 1)[1]
    added = dict(items[0]) if items else {}
    added["id"] = f"gid://shopify/LineItem/9{number}000"
    added["sku"] = "ADDED-DURING-EXPORT"
    changed["lineItems"] = [*items, added]
    changed["metafields"] = list(order.get("metafields") or [])[:-1]
    return changed


@dataclass(frozen=True)
class RenderResult:
    """Counts for the BulkOperation: all lines, root lines and bytes written."""

    object_count: int
    root_object_count: int
    file_size: int
    stopped: bool = False


def project(
    value: dict[str, Any], fields: tuple[FieldPlan, ...], variants: Variants | None = None
) -> dict[str, Any]:
    """Keep only the selected ``fields`` of ``value`` (aliases as keys, nested objects inline).

    A value of an interface or union type is projected by the plan for its ``__typename``."""
    if variants is not None:
        typename = value.get("__typename")
        fields = next((plan for name, plan in variants if name == typename), ())
    out: dict[str, Any] = {}
    for plan in fields:
        if plan.typename is not None:
            out[plan.key] = plan.typename
            continue
        if plan.name == "metafield":  # an object picked by its arguments
            item = metafields.lookup(list(value.get("metafields") or []), plan.arguments)
        else:
            item = value.get(plan.name)
        if plan.children is not None and item is not None:
            if isinstance(item, list):
                item = [
                    project(x, plan.children, plan.variants) if isinstance(x, dict) else x
                    for x in item
                ]
            elif isinstance(item, dict):
                item = project(item, plan.children, plan.variants)
        out[plan.key] = item
    return out


def _resolve(node: dict[str, Any], path: tuple[str, ...]) -> list[dict[str, Any]]:
    """The child nodes of a nested connection found at ``path`` below ``node`` (maybe none)."""
    value: Any = node
    for step in path:
        if not isinstance(value, dict):
            return []
        value = value.get(step)
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    return []


def _child_lines(node: dict[str, Any], connections: tuple[ConnectionPlan, ...]) -> list[bytes]:
    lines: list[bytes] = []
    for connection in connections:
        children = _resolve(node, connection.path)
        if connection.name == "metafields":  # filters are honoured in bulk queries
            children = metafields.filtered(children, connection.arguments)
        for child in children:
            row = project(child, connection.fields, connection.variants)
            row["__parentId"] = node.get("id")
            lines.append(_encode(row).encode() + b"\n")
            lines.extend(_child_lines(child, connection.connections))
    return lines


def _iter_entries(
    plan: BulkPlan,
    store: OrderStore,
    *,
    layout: str,
    seed: int,
    read_all_orders: bool,
    now: datetime | None,
    twice: UpdatedDuringExport | None = None,
) -> Iterator[tuple[bool, bytes]]:
    """(is_root, line) pairs in file order for the requested layout."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; expected one of {LAYOUTS}")
    moment = now if now is not None else store.clock()
    search = parse_search(plan.search, now=moment) if plan.search else None
    orders = store.iter_orders(
        search,
        sort_key=plan.sort_key,
        reverse=plan.reverse,
        read_all_orders=read_all_orders,
        now=moment,
    )
    rng = random.Random(seed)
    pending: list[tuple[int, int, bytes]] = []
    sequence = 0
    forced_early = layout == "adversarial"
    extra: dict[str, Any] | None = None
    for root_number, order in enumerate(orders):
        if twice is not None and root_number + 1 == twice.position:
            newer = updated_version(order)
            order, extra = (newer, order) if twice.newer_first else (order, newer)
        root_line = _encode(project(order, plan.fields)).encode() + b"\n"
        children = _child_lines(order, plan.connections)
        if layout == "grouped":
            yield True, root_line
            for line in children:
                yield False, line
            continue
        if layout == "adversarial" and children and (forced_early or rng.random() < _EARLY_CHANCE):
            forced_early = False
            split = rng.randint(1, len(children))
            for line in children[:split]:
                yield False, line
            children = children[split:]
        while pending and pending[0][0] <= root_number:
            yield False, heapq.heappop(pending)[2]
        yield True, root_line
        for line in children:
            release = root_number + rng.randint(_MIN_DELAY, _MAX_DELAY)
            heapq.heappush(pending, (release, sequence, line))
            sequence += 1
    while pending:
        yield False, heapq.heappop(pending)[2]
    if extra is not None:
        yield True, _encode(project(extra, plan.fields)).encode() + b"\n"
        for line in _child_lines(extra, plan.connections):
            yield False, line


def iter_result_lines(
    plan: BulkPlan,
    store: OrderStore,
    *,
    layout: str,
    seed: int,
    read_all_orders: bool = True,
    now: datetime | None = None,
    twice: UpdatedDuringExport | None = None,
) -> Iterator[bytes]:
    """The result file's lines (each compact JSON + ``\\n``), streamed."""
    for _is_root, line in _iter_entries(
        plan,
        store,
        layout=layout,
        seed=seed,
        read_all_orders=read_all_orders,
        now=now,
        twice=twice,
    ):
        yield line


def write_result(
    plan: BulkPlan,
    store: OrderStore,
    path: Path,
    *,
    layout: str,
    seed: int,
    read_all_orders: bool = True,
    now: datetime | None = None,
    should_stop: Callable[[], bool] | None = None,
    on_progress: Callable[[int], None] | None = None,
    twice: UpdatedDuringExport | None = None,
) -> RenderResult:
    """Write the result JSONL to ``path`` incrementally; stops early when should_stop() is true."""
    objects = roots = size = 0
    stopped = False
    with path.open("wb", buffering=_BUFFER_BYTES) as handle:
        for is_root, line in _iter_entries(
            plan,
            store,
            layout=layout,
            seed=seed,
            read_all_orders=read_all_orders,
            now=now,
            twice=twice,
        ):
            handle.write(line)
            objects += 1
            roots += is_root
            size += len(line)
            if objects % POLL_EVERY == 0:
                if on_progress is not None:
                    on_progress(objects)
                if should_stop is not None and should_stop():
                    stopped = True
                    break
    if on_progress is not None and not stopped:
        on_progress(objects)
    return RenderResult(objects, roots, size, stopped)
