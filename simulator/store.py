"""OrderStore: lazily generated orders plus in-memory overrides (create/update/cancel/delete)."""

from __future__ import annotations

import copy
import heapq
import itertools
import random
import threading
import time
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from simulator.generator import (
    OrderGenerator,
    build_order,
    format_ts,
    index_of_gid,
    order_gid,
    parse_ts,
)
from simulator.search import SearchQuery

WINDOW_SECONDS = 60 * 86_400
"""Without read_all_orders only orders created within this many seconds of now are visible."""
TIMESTAMP_FIELDS = ("createdAt", "updatedAt", "processedAt", "cancelledAt", "closedAt")
GENERATOR_ORDER_KEYS = frozenset({"CREATED_AT", "PROCESSED_AT", "ID", "ORDER_NUMBER"})
_CHEAP_FIELDS = {"created_at", "processed_at", "updated_at", "id"}
_INDEX_BITS = 32

SortKey = tuple[int, int]


class OrderNotFound(KeyError):
    """No order with the given id exists (never existed or was deleted)."""


def _to_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC, microsecond=0)
    return moment.astimezone(UTC).replace(microsecond=0)


def _normalize_timestamps(order: dict[str, Any]) -> None:
    for key in TIMESTAMP_FIELDS:
        value = order.get(key)
        if isinstance(value, datetime):
            order[key] = format_ts(int(_to_utc(value).timestamp()))
        elif isinstance(value, str):
            order[key] = format_ts(parse_ts(value))


class OrderStore:
    """``count`` generated orders (ids ``gid://shopify/Order/1000001``...) plus mutations."""

    def __init__(
        self,
        *,
        count: int,
        seed: int,
        now: datetime | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.seed = seed
        self.now = _to_utc(now if now is not None else datetime.now(UTC))
        if clock is None:
            clock = _real_clock if now is None else _elapsed_clock(self.now)
        self.clock = clock
        self.generator = OrderGenerator(count=count, seed=seed, now=self.now)
        self._generated = count
        self._next_index = count
        self._overrides: dict[int, dict[str, Any]] = {}
        self._deleted: set[int] = set()
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ reads

    def count(self) -> int:
        """Number of orders that currently exist."""
        with self._lock:
            return self._next_index - len(self._deleted)

    def get(self, order_id: str) -> dict[str, Any] | None:
        """A copy of the order with gid ``order_id``, or None if it does not exist."""
        index = self._index(order_id)
        if index is None:
            return None
        with self._lock:
            return copy.deepcopy(self._current(index))

    def iter_orders(
        self,
        search: SearchQuery | None = None,
        *,
        sort_key: str = "PROCESSED_AT",
        reverse: bool = False,
        read_all_orders: bool = True,
        now: datetime | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Matching orders in connection order; yielded dicts are shared, do not mutate them."""
        with self._lock:
            overrides = dict(self._overrides)
            deleted = frozenset(self._deleted)
        moment = _to_utc(now) if now is not None else _to_utc(self.clock())
        min_created = None if read_all_orders else int(moment.timestamp()) - WINDOW_SECONDS
        if sort_key == "UPDATED_AT":
            return self._iter_by_updated(search, overrides, deleted, min_created, reverse)
        key_name = sort_key if sort_key in GENERATOR_ORDER_KEYS else "ID"
        return self._iter_generator_order(
            search, overrides, deleted, min_created, reverse, key_name
        )

    def count_orders(
        self,
        search: SearchQuery | None = None,
        *,
        limit: int | None = None,
        read_all_orders: bool = True,
        now: datetime | None = None,
    ) -> tuple[int, bool]:
        """How many orders ``iter_orders`` would yield, counting no further than ``limit`` (None:
        all): ``(count, capped)``, capped when more than ``limit`` match."""
        with self._lock:
            overrides = dict(self._overrides)
            deleted = frozenset(self._deleted)
        moment = _to_utc(now) if now is not None else _to_utc(self.clock())
        min_created = None if read_all_orders else int(moment.timestamp()) - WINDOW_SECONDS
        full_check = search is not None and not search.uses_only(_CHEAP_FIELDS)
        count = 0
        generated = (
            index
            for index, _updated in self._generated_matches(
                search, overrides, deleted, min_created, False
            )
            if not full_check or search is None or search.matches(self.generator.order(index))
        )
        edited = (index for index, _order in self._override_matches(search, overrides, min_created))
        for _index in itertools.chain(generated, edited):
            count += 1
            if limit is not None and count > limit:
                return limit, True
        return count, False

    # ------------------------------------------------------------------ mutations

    def create_order(self, fields: dict[str, Any] | None = None) -> dict[str, Any]:
        """Create a new order (createdAt = updatedAt = clock()) with ``fields`` merged in."""
        now_ts = int(_to_utc(self.clock()).timestamp())
        with self._lock:
            index = self._next_index
            self._next_index += 1
            order = build_order(
                index,
                seed=self.seed,
                created=now_ts,
                updated=now_ts,
                currency=self.generator.currency,
                presentment=None,
            )
            order.update(copy.deepcopy(fields or {}))
            order["id"] = order_gid(index)
            _normalize_timestamps(order)
            self._overrides[index] = order
            return copy.deepcopy(order)

    def update_order(self, order_id: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
        """Merge ``fields`` into the order; updatedAt = clock() unless ``fields`` sets it."""
        changes = copy.deepcopy(fields or {})
        if "updatedAt" not in changes:
            changes["updatedAt"] = self.clock()
        index = self._require(order_id)
        with self._lock:
            order = {**self._current(index), **changes}
            order["id"] = order_gid(index)
            _normalize_timestamps(order)
            self._overrides[index] = order
            return copy.deepcopy(order)

    def cancel_order(self, order_id: str, reason: str = "CUSTOMER") -> dict[str, Any]:
        """Cancel the order: cancelledAt, cancelReason, closed/closedAt and updatedAt move."""
        moment = self.clock()
        fields = {
            "cancelledAt": moment,
            "cancelReason": reason,
            "closed": True,
            "closedAt": moment,
            "updatedAt": moment,
        }
        return self.update_order(order_id, fields)

    def delete_order(self, order_id: str) -> None:
        """Delete the order; later reads treat its id as unknown."""
        index = self._require(order_id)
        with self._lock:
            self._deleted.add(index)
            self._overrides.pop(index, None)

    def touch(self, order_id: str, updated_at: datetime) -> dict[str, Any]:
        """Move the order's updatedAt to ``updated_at`` without other changes."""
        return self.update_order(order_id, {"updatedAt": updated_at})

    def mutate_random(self, *, update: int, create: int, seed: int) -> dict[str, list[str]]:
        """Update ``update`` random existing orders, create ``create`` new ones (deterministic)."""
        rng = random.Random(seed)
        updated: list[str] = []
        with self._lock:
            existing = self._next_index - len(self._deleted)
            wanted = min(update, existing)
            chosen: set[int] = set()
            while len(chosen) < wanted:
                index = rng.randrange(self._next_index)
                if index not in self._deleted:
                    chosen.add(index)
            for index in sorted(chosen):
                current = self._current(index)
                tags = sorted({*current.get("tags", ()), "updated"})
                fields: dict[str, Any] = {"tags": tags, "note": f"Updated by demo run {seed} ✓"}
                if rng.random() < 0.3:
                    fields["displayFulfillmentStatus"] = "FULFILLED"
                updated.append(self.update_order(order_gid(index), fields)["id"])
            created = [self.create_order()["id"] for _ in range(create)]
        return {"updated": updated, "created": created}

    # ------------------------------------------------------------------ internals

    def _index(self, order_id: str) -> int | None:
        index = index_of_gid(order_id)
        if index is None:
            return None
        with self._lock:
            if index >= self._next_index or index in self._deleted:
                return None
        return index

    def _require(self, order_id: str) -> int:
        index = self._index(order_id)
        if index is None:
            raise OrderNotFound(order_id)
        return index

    def _current(self, index: int) -> dict[str, Any]:
        override = self._overrides.get(index)
        return override if override is not None else self.generator.order(index)

    def _first_created_at_or_after(self, ts: int) -> int:
        return bisect_left(range(self._generated), ts, key=self.generator.created_ts)

    def _candidate_range(
        self, search: SearchQuery | None, min_created: int | None
    ) -> tuple[range, tuple[int | None, int | None]]:
        """Generated indices that can match, plus the updatedAt bounds still to check."""
        low, high = 0, self._generated
        created_low: int | None = min_created
        created_high: int | None = None
        updated_bounds: tuple[int | None, int | None] = (None, None)
        if search is not None:
            for name in ("created_at", "processed_at"):
                term_low, term_high = search.bounds(name)
                created_low = _max_opt(created_low, term_low)
                created_high = _min_opt(created_high, term_high)
            updated_bounds = search.bounds("updated_at")
            # updatedAt >= createdAt, so an updatedAt upper bound also bounds createdAt.
            created_high = _min_opt(created_high, updated_bounds[1])
            id_low, id_high = search.bounds("id")
            if id_low is not None:
                low = max(low, _index_floor(id_low))
            if id_high is not None:
                high = min(high, _index_floor(id_high))
        if created_low is not None:
            low = max(low, self._first_created_at_or_after(created_low))
        if created_high is not None:
            high = min(high, self._first_created_at_or_after(created_high))
        return range(low, max(low, high)), updated_bounds

    def _generated_matches(
        self,
        search: SearchQuery | None,
        overrides: dict[int, dict[str, Any]],
        deleted: frozenset[int],
        min_created: int | None,
        reverse: bool,
    ) -> Iterator[tuple[int, int]]:
        """(index, updated_ts) of generated, un-overridden candidates passing the cheap checks."""
        indices, (updated_low, updated_high) = self._candidate_range(search, min_created)
        created_ts = self.generator.created_ts
        updated_ts = self.generator.updated_ts
        for index in reversed(indices) if reverse else indices:
            if index in overrides or index in deleted:
                continue
            updated = updated_ts(index, created_ts(index))
            if updated_low is not None and updated < updated_low:
                continue
            if updated_high is not None and updated >= updated_high:
                continue
            yield index, updated

    def _override_matches(
        self,
        search: SearchQuery | None,
        overrides: dict[int, dict[str, Any]],
        min_created: int | None,
    ) -> Iterable[tuple[int, dict[str, Any]]]:
        for index, order in overrides.items():
            if min_created is not None and parse_ts(order["createdAt"]) < min_created:
                continue
            if search is None or search.matches(order):
                yield index, order

    def _iter_generator_order(
        self,
        search: SearchQuery | None,
        overrides: dict[int, dict[str, Any]],
        deleted: frozenset[int],
        min_created: int | None,
        reverse: bool,
        key_name: str,
    ) -> Iterator[dict[str, Any]]:
        field_name = {"CREATED_AT": "createdAt", "PROCESSED_AT": "processedAt"}.get(key_name)
        generator = self.generator

        def generated() -> Iterator[tuple[SortKey, dict[str, Any]]]:
            for index, _updated in self._generated_matches(
                search, overrides, deleted, min_created, reverse
            ):
                order = generator.order(index)
                if search is None or search.matches(order):
                    ts = generator.created_ts(index) if field_name else 0
                    yield (ts, index), order

        extra = sorted(
            (
                ((parse_ts(order[field_name]) if field_name else 0, index), order)
                for index, order in self._override_matches(search, overrides, min_created)
            ),
            key=lambda item: item[0],
            reverse=reverse,
        )
        for _key, order in heapq.merge(
            generated(), extra, key=lambda item: item[0], reverse=reverse
        ):
            yield order

    def _iter_by_updated(
        self,
        search: SearchQuery | None,
        overrides: dict[int, dict[str, Any]],
        deleted: frozenset[int],
        min_created: int | None,
        reverse: bool,
    ) -> Iterator[dict[str, Any]]:
        check = search.matches if search is not None else None
        full_check = search is not None and not search.uses_only(_CHEAP_FIELDS)
        keys = array("q")
        for index, updated in self._generated_matches(
            search, overrides, deleted, min_created, False
        ):
            if full_check and check is not None and not check(self.generator.order(index)):
                continue
            keys.append(updated << _INDEX_BITS | index)
        for index, order in self._override_matches(search, overrides, min_created):
            keys.append(parse_ts(order["updatedAt"]) << _INDEX_BITS | index)
        mask = (1 << _INDEX_BITS) - 1
        for key in sorted(keys, reverse=reverse):
            index = key & mask
            override = overrides.get(index)
            if override is not None:
                yield override
                continue
            order = self.generator.order(index)
            if check is None or check(order):
                yield order


def _index_floor(numeric_id: int) -> int:
    index = index_of_gid(str(numeric_id))
    return index if index is not None else 0


def _max_opt(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    return a if b is None else max(a, b)


def _min_opt(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    return a if b is None else min(a, b)


def _real_clock() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _elapsed_clock(start: datetime) -> Callable[[], datetime]:
    """A clock that starts at ``start`` and advances with real elapsed time."""
    origin = time.monotonic()

    def clock() -> datetime:
        return (start + timedelta(seconds=time.monotonic() - origin)).replace(microsecond=0)

    return clock
