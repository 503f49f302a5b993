"""Many shops syncing at once (``BENCH_SHOPS`` x ``BENCH_SHOP_ORDERS`` on ``BENCH_MANY_WORKERS``
workers x ``BENCH_MANY_THREADS`` threads): every shop exact, none starved (slowest wall <= 2x the
median), and each shop's cost bucket respected (the simulator's request log)."""

from __future__ import annotations

import statistics
from datetime import timedelta
from pathlib import Path
from typing import Any

from cli.remote.documents import CONNECT_SHOP
from simulator.config import PLAN_RESTORE_RATES, SimulatorConfig

from ..config import BenchConfig
from ..harness import TOKEN, Section, job_timing, section_stack, wait_jobs, wait_started

_START = (
    "mutation($i: StartSyncJobInput!) { startSyncJob(input: $i) { __typename"
    " ... on SyncJobStarted { job { id } } } }"
)


def _bucket_points(plan: str) -> int:
    """The shop's cost bucket in the simulator (its plan's restore rate x the multiplier)."""
    return PLAN_RESTORE_RATES[plan] * SimulatorConfig().bucket_multiplier


def _domain(n: int) -> str:
    return f"bench-{n:02d}.myshopify.com"


def _token(n: int) -> str:
    """Shop ``n``'s access token (the simulator tells its shops apart by their tokens)."""
    return TOKEN if n == 1 else f"{TOKEN[:-2]}{n:02d}"


def _connect(section: Section, domain: str, token: str) -> str:
    """``connectShop`` without its initial sync (all shops start together later); the shop id."""
    variables = {
        "domain": domain,
        "accessToken": token,
        "adminUrl": section.stack.sim_url,
        "initialSync": False,
    }
    payload = section.stack.api.execute(CONNECT_SHOP, {"input": variables})["connectShop"]
    assert payload["__typename"] == "ShopConnected", payload
    return str(payload["shop"]["id"])


def _shop_figures(section: Section, domain: str, job_id: int) -> dict[str, Any]:
    timing = job_timing(section, job_id, domain)
    row = section.conn.execute(
        "SELECT j.shop_id, j.started_at - j.created_at,"
        " (SELECT count(*) FROM orders o WHERE o.shop_id = j.shop_id),"
        " (SELECT count(*) FROM line_items i WHERE i.shop_id = j.shop_id)"
        " FROM sync_jobs j WHERE j.id = %s",
        (job_id,),
    ).fetchone()
    assert row is not None
    _, queued, orders, items = row
    ops = [op for op in section.operations(domain) if op["status"] == "COMPLETED"]
    exported_orders = sum(int(op["rootObjectCount"] or 0) for op in ops)
    exported_items = sum(
        int(op["objectCount"] or 0) - int(op["rootObjectCount"] or 0) for op in ops
    )
    shop = section.stack.sim_get(f"/_sim/shops/{domain}")
    requests = section.stack.sim_get("/_sim/requests", shop=domain)
    return {
        "domain": domain,
        "job_wall_s": round(timing.wall_s, 2),
        "queued_s": round((queued or timedelta()).total_seconds(), 2),
        "after_operation_s": round(timing.after_operation_s, 2),
        "operation_span_s": round(timing.operation_span_s, 2),
        "operations": timing.operations,
        "orders": int(orders),
        "line_items": int(items),
        "exact": int(orders) == int(shop["orderCount"]) == exported_orders
        and int(items) == exported_items,
        "requests": len(requests),
        "throttled": sum(1 for r in requests if r["throttled"]),
        "points_spent": sum(int(r["cost"] or 0) for r in requests),
        "max_request_cost": max((int(r["requestedCost"] or 0) for r in requests), default=0),
        "bucket_points": _bucket_points(str(shop["plan"])),
    }


def run(config: BenchConfig, scratch: Path) -> dict[str, Any]:
    first = _domain(1)
    with section_stack(
        config,
        scratch,
        orders=config.shop_orders,
        worker_threads=config.many_threads,
        domain=first,
        # One tenant connects and starts every shop within seconds: the API's per-tenant limits
        # (10 connects, 60 starts a minute) must admit them all.
        env={
            "CONNECT_SHOP_PER_MINUTE": str(max(10, config.shops)),
            "START_SYNC_JOB_PER_MINUTE": str(max(60, config.shops)),
            # The product's default: a shop's job may run several operations at once.
            "BULK_OPERATIONS_PER_JOB": str(config.many_operations),
        },
    ) as section:
        for _ in range(config.many_workers - 1):
            section.stack.start_worker()
            wait_started(section.stack)
        domains = [_domain(n) for n in range(1, config.shops + 1)]
        for n, domain in enumerate(domains[1:], start=2):
            body = {"domain": domain, "token": _token(n), "orders": config.shop_orders, "seed": n}
            section.stack.sim_post("/_sim/shops", body)
        shop_ids = {
            domain: _connect(section, domain, _token(n)) for n, domain in enumerate(domains, 1)
        }
        jobs: dict[str, int] = {}
        for domain in domains:  # as close together as the API answers
            started = section.stack.api.execute(
                _START, {"i": {"shopId": shop_ids[domain], "syncMode": "POPULATE"}}
            )["startSyncJob"]
            assert started["__typename"] == "SyncJobStarted", started
            jobs[domain] = int(started["job"]["id"])
        wait_jobs(section, list(jobs.values()))
        shops = [_shop_figures(section, domain, jobs[domain]) for domain in domains]
    walls = [shop["job_wall_s"] for shop in shops]
    median = statistics.median(walls)
    return {
        "shops": config.shops,
        "orders_per_shop": config.shop_orders,
        "workers": config.many_workers,
        "threads_per_worker": config.many_threads,
        "operations_per_job_setting": config.many_operations,
        "operations": sum(shop["operations"] for shop in shops),
        "all_exact": all(shop["exact"] for shop in shops),
        "median_wall_s": round(median, 2),
        "slowest_wall_s": round(max(walls), 2),
        "fastest_wall_s": round(min(walls), 2),
        "slowest_to_median": round(max(walls) / median, 2),
        "max_queued_s": max(shop["queued_s"] for shop in shops),
        "throttled": sum(shop["throttled"] for shop in shops),
        # The shops' files render side by side: the longest one's span is the section's.
        "render_s": max(shop["operation_span_s"] for shop in shops),
        "per_shop": shops,
    }
