"""Per-request DataLoaders, so a nested list field is one statement for all its parents."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from anyio import to_thread
from strawberry.dataloader import DataLoader

from bulk.deadletters import DeadLetter
from bulk.mirror import MirrorLineItem
from service.container import Services
from service.principal import Principal
from service.schedules import ScheduleView

from .limits import ApiLimits

# They batch but do not cache: a WebSocket connection keeps one context for every state its
# subscriptions push, and a cached list would go stale.


@dataclass(frozen=True)
class DeadLettersKey:
    job_id: int
    include_resolved: bool
    first: int


@dataclass(frozen=True)
class LineItemsKey:
    shop_id: int
    order_id: str
    first: int


class Loaders:
    def __init__(
        self, services: Services, limits: ApiLimits, caller: Callable[[], Principal]
    ) -> None:
        self._services = services
        self._limits = limits
        self._caller = caller  # asked at load time: a WebSocket authenticates after connecting
        self.dead_letters = DataLoader[DeadLettersKey, list[DeadLetter]](
            load_fn=self._load_dead_letters, cache=False
        )
        # Shop.schedule of every shop of a list in one call.
        self.schedules = DataLoader[int, ScheduleView | None](
            load_fn=self._load_schedules, cache=False
        )
        # Order.lineItems of every order of a page in one statement.
        self.line_items = DataLoader[LineItemsKey, list[MirrorLineItem]](
            load_fn=self._load_line_items, cache=False
        )

    async def _load_line_items(self, keys: list[LineItemsKey]) -> list[list[MirrorLineItem]]:
        """One statement per distinct (shop, first) among the keys; a page has one."""
        groups: dict[tuple[int, int], set[str]] = {}
        for key in keys:
            groups.setdefault((key.shop_id, key.first), set()).add(key.order_id)
        found: dict[LineItemsKey, list[MirrorLineItem]] = {}
        for (shop_id, first), order_ids in groups.items():
            items = await to_thread.run_sync(
                functools.partial(
                    self._services.orders.line_items_of,
                    self._caller(),
                    shop_id,
                    sorted(order_ids),
                    first=first,
                )
            )
            for order_id in order_ids:
                found[LineItemsKey(shop_id, order_id, first)] = items.get(order_id, [])
        return [found[key] for key in keys]

    async def _load_schedules(self, shop_ids: list[int]) -> list[ScheduleView | None]:
        found = await to_thread.run_sync(
            functools.partial(self._services.schedules.get_many, self._caller(), shop_ids)
        )
        return [found.get(shop_id) for shop_id in shop_ids]

    async def _load_dead_letters(self, keys: list[DeadLettersKey]) -> list[list[DeadLetter]]:
        """One statement per distinct (includeResolved, first) among the keys; usually one."""
        groups: dict[tuple[bool, int], set[int]] = {}
        for key in keys:
            groups.setdefault((key.include_resolved, key.first), set()).add(key.job_id)
        found: dict[DeadLettersKey, list[DeadLetter]] = {}
        for (include_resolved, first), job_ids in groups.items():
            letters = await to_thread.run_sync(
                functools.partial(
                    self._services.dead_letters.list_of_jobs,
                    self._caller(),
                    sorted(job_ids),
                    include_resolved=include_resolved,
                    first=first,
                    line_max_chars=self._limits.dead_letter_line_max_chars,
                )
            )
            for job_id, of_job in letters.items():
                found[DeadLettersKey(job_id, include_resolved, first)] = of_job
        return [found[key] for key in keys]
