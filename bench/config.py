"""What one ``make bench`` run measures and at which sizes, read from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# In the order they run (and print).
SECTIONS = ("populate", "repeated", "large", "update", "operations", "many_shops")

# Every size has a ceiling: a typo must not ask the simulator for a billion orders.
MAX_ORDERS = 5_000_000
MAX_SHOPS = 100
MAX_JOBS = 1_000


@dataclass(frozen=True)
class BenchConfig:
    """Sizes are already scaled by ``BENCH_SCALE`` (counts of shops and jobs are not)."""

    scale: float
    orders: int  # populate and repeated: the shop of the ceiling comparison
    jobs: int  # repeated: FULL jobs after the POPULATE
    large_orders: int  # large: peak RSS of one big POPULATE
    update_base_orders: int  # update: the table the 100 changed orders sit in
    updated_orders: int
    operations_orders: int  # operations: one POPULATE with 1, then 5 bulk operations
    objects_per_second: float  # operations: the simulator's export rate per operation
    shops: int  # many_shops
    shop_orders: int
    many_workers: int
    many_threads: int
    many_operations: int  # many_shops: BULK_OPERATIONS_PER_JOB of its workers
    sections: tuple[str, ...]
    database_url: str
    redis_url: str
    out: Path


def _int(env: Mapping[str, str], name: str, default: int, *, low: int, high: int) -> int:
    value = int(env.get(name, str(default)))
    if not low <= value <= high:
        raise ValueError(f"{name}={value} is outside {low}..{high}")
    return value


def _sections(env: Mapping[str, str]) -> tuple[str, ...]:
    """``BENCH_ONLY`` (comma-separated) picks sections, ``BENCH_SKIP`` leaves some out."""
    only = [s.strip() for s in env.get("BENCH_ONLY", "").split(",") if s.strip()]
    skip = [s.strip() for s in env.get("BENCH_SKIP", "").split(",") if s.strip()]
    unknown = sorted(set(only + skip) - set(SECTIONS))
    if unknown:
        raise ValueError(f"unknown bench section(s) {unknown}; the sections are {SECTIONS}")
    return tuple(s for s in SECTIONS if (not only or s in only) and s not in skip)


def load(env: Mapping[str, str] = os.environ) -> BenchConfig:
    scale = float(env.get("BENCH_SCALE", "1"))
    if not 0 < scale <= 10:
        raise ValueError(f"BENCH_SCALE={scale} is outside (0, 10]")

    def orders(name: str, default: int) -> int:
        given = _int(env, name, default, low=1, high=MAX_ORDERS)
        return min(max(1, round(given * scale)), MAX_ORDERS)

    return BenchConfig(
        scale=scale,
        orders=orders("BENCH_ORDERS", 60_000),
        jobs=_int(env, "BENCH_JOBS", 20, low=1, high=MAX_JOBS),
        large_orders=orders("BENCH_LARGE_ORDERS", 600_000),
        update_base_orders=orders("BENCH_UPDATE_BASE_ORDERS", 1_000_000),
        updated_orders=_int(env, "BENCH_UPDATED_ORDERS", 100, low=1, high=100_000),
        # Shopify publishes no export rate. The simulator renders every file in one process (about
        # 4,000 objects/s here), so five concurrent operations are modelled faithfully only below
        # a fifth of that: 800/s each. At that rate 600,000 orders (2.4 M objects) take 50 min
        # with one operation: the default is 60,000 (BENCH_OPERATIONS_ORDERS=600000 for the
        # issue's size, on a machine that renders faster or with time to spare).
        operations_orders=orders("BENCH_OPERATIONS_ORDERS", 60_000),
        objects_per_second=float(env.get("BENCH_OBJECTS_PER_SECOND", "800")),
        shops=_int(env, "BENCH_SHOPS", 20, low=1, high=MAX_SHOPS),
        shop_orders=orders("BENCH_SHOP_ORDERS", 20_000),
        many_workers=_int(env, "BENCH_MANY_WORKERS", 2, low=1, high=8),
        many_threads=_int(env, "BENCH_MANY_THREADS", 4, low=1, high=32),
        many_operations=_int(env, "BENCH_MANY_OPERATIONS", 5, low=1, high=5),
        sections=_sections(env),
        database_url=env.get(
            "BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/shopsync_bench"
        ),
        redis_url=env.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"),
        out=Path(env.get("BENCH_OUT", "artifacts/bench.json")),
    )
