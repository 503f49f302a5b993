"""The simulator's shared runtime state: shops and their stores plus every service component."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from typing import Any

from simulator.config import ShopConfig, SimulatorConfig
from simulator.downloads import FileStore
from simulator.faults import FaultRegistry
from simulator.operations import OperationRegistry
from simulator.requestlog import RequestLog
from simulator.store import OrderStore
from simulator.throttle import Throttle
from simulator.webhooks import WebhookDispatcher


@dataclass
class Shop:
    """A shop at runtime: its configuration and its order store."""

    config: ShopConfig
    store: OrderStore

    @property
    def domain(self) -> str:
        """The shop's ``*.myshopify.com`` domain."""
        return self.config.domain


class Simulator:
    """Owns shops, operations, throttle, faults, webhooks, files and the request log."""

    def __init__(self, config: SimulatorConfig, *, bucket_clock: Any = time.monotonic) -> None:
        self.config = config
        self.faults = FaultRegistry()
        self.log = RequestLog()
        self.files = FileStore(config)
        self.throttle = Throttle(config.bucket_multiplier, bucket_clock)
        self.webhooks = WebhookDispatcher(config, self.faults)
        self.operations = OperationRegistry(
            config, self.files, self.faults, self.webhooks.operation_finished
        )
        self._shops: dict[str, Shop] = {}
        self._lock = threading.Lock()
        self._install_initial()

    def _install_initial(self) -> None:
        for shop in self.config.shops:
            self.add_shop(shop)
        for fault in self.config.faults:
            self.faults.add_json(fault)

    # ---- shops ---------------------------------------------------------------------------
    def add_shop(self, shop: ShopConfig) -> Shop:
        """Create (or replace) a shop with a freshly generated store."""
        store = OrderStore(
            count=shop.orders, seed=shop.seed, now=self.config.now(), clock=self.config.clock
        )
        runtime = Shop(replace(shop), store)
        with self._lock:
            self._shops[shop.domain] = runtime
        return runtime

    def update_shop(self, domain: str, **changes: Any) -> Shop | None:
        """Change a shop's token, scopes or plan without regenerating its orders."""
        with self._lock:
            shop = self._shops.get(domain)
            if shop is None:
                return None
            shop.config = replace(shop.config, **changes)
            return shop

    def remove_shop(self, domain: str) -> bool:
        """Forget a shop."""
        with self._lock:
            return self._shops.pop(domain, None) is not None

    def shop(self, domain: str) -> Shop | None:
        """The shop with this domain."""
        with self._lock:
            return self._shops.get(domain)

    def shops(self) -> list[Shop]:
        """All shops."""
        with self._lock:
            return list(self._shops.values())

    def shop_for_token(self, token: str | None) -> Shop | None:
        """The shop whose app access token is ``token``."""
        if not token:
            return None
        with self._lock:
            for shop in self._shops.values():
                if shop.config.access_token == token:
                    return shop
        return None

    # ---- lifecycle -----------------------------------------------------------------------
    def start(self) -> None:
        """Start background workers."""
        self.webhooks.start()

    def stop(self) -> None:
        """Stop background workers and remove owned temporary files."""
        self.operations.stop()
        self.webhooks.stop()
        self.files.close()

    def reset(self) -> None:
        """Back to the configured start state: shops regenerated, no ops/faults/log/webhooks."""
        self.operations.reset()
        self.files.remove_all()
        self.webhooks.reset()
        self.faults.clear()
        self.log.clear()
        self.throttle.reset()
        self.config.clock.reset()
        with self._lock:
            self._shops.clear()
        self._install_initial()
