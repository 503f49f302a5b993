"""Test helpers: a simulator shop stored in Postgres, fault injection over the control API."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import psycopg
from psycopg_pool import ConnectionPool

from bulk.jobs import JobRequest, SyncJob, create_job, get_job
from bulk.net import NetPolicy
from bulk.shops import upsert_shop
from bulk.token_crypto import TokenCipher
from bulk.types import SyncMode
from bulk.workflow import JobRunner, Step
from service.settings import CommonSettings
from simulator.config import (
    DEFAULT_ACCESS_TOKEN,
    DEFAULT_SHOP_DOMAIN,
    LEGACY_VERSIONS,
    ShopConfig,
    SimulatorConfig,
)
from simulator.server import SimulatorServer
from tests.support.token_keys import TEST_CIPHER
from workers.settings import WorkerSettings

SHOP = DEFAULT_SHOP_DOMAIN
TOKEN = DEFAULT_ACCESS_TOKEN
# The simulator listens on loopback: clients built directly in tests use development's policy.
DEV_POLICY = NetPolicy(development=True)


def sim_config(orders: int = 40, **overrides: Any) -> SimulatorConfig:
    # Engine tests play old versions (one operation at a time, callbackUrl), so retired
    # versions answer as they were instead of falling forward to the oldest supported one.
    overrides.setdefault("legacy_versions", LEGACY_VERSIONS)
    return SimulatorConfig(shops=[ShopConfig(orders=orders)], **overrides)


def add_fault(server: SimulatorServer, kind: str, **body: Any) -> dict[str, Any]:
    """Install a fault through the simulator's control API (scoped to the test shop)."""
    payload = {"kind": kind, "shop": SHOP, **body}
    response = httpx.post(f"{server.base_url}/_sim/faults", json=payload)
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


def sim_operations(server: SimulatorServer) -> list[dict[str, Any]]:
    response = httpx.get(f"{server.base_url}/_sim/operations", params={"shop": SHOP})
    response.raise_for_status()
    ops: list[dict[str, Any]] = response.json()
    return ops


def sim_requests(server: SimulatorServer, kind: str | None = None) -> list[dict[str, Any]]:
    params = {"shop": SHOP} | ({"kind": kind} if kind else {})
    response = httpx.get(f"{server.base_url}/_sim/requests", params=params)
    response.raise_for_status()
    records: list[dict[str, Any]] = response.json()
    return records


def store_shop(
    conn: psycopg.Connection[Any],
    server: SimulatorServer,
    *,
    api_version: str = "2026-04",
    cipher: TokenCipher = TEST_CIPHER,
) -> int:
    shop, _ = upsert_shop(
        conn,
        domain=SHOP,
        access_token=TOKEN,
        api_version=api_version,
        admin_url=server.base_url,
        cipher=cipher,
    )
    return shop.id


def new_job(conn: psycopg.Connection[Any], shop_id: int, mode: SyncMode = SyncMode.FULL) -> int:
    return create_job(conn, JobRequest(shop_id=shop_id, sync_mode=mode)).job.id


def job_of(conn: psycopg.Connection[Any], job_id: int) -> SyncJob:
    job = get_job(conn, job_id)
    assert job is not None
    return job


# Short polls and small batches: jobs end in a fraction of a second against the simulator.
_FAST: dict[str, Any] = {
    "poll_initial_delay_s": 0.01,
    "poll_elapsed_share": 0.05,
    "poll_max_delay_s": 0.05,
    "batch_bytes": 16 * 1024,
    "ingest_slice_s": 60.0,
    "max_request_retries": 2,
    # One operation per job: these helpers advance the one job they are given; the tests of
    # concurrent operations (tests/bulk/test_concurrent_operations.py) ask for more and drive
    # the children with tests/support/job_family.py.
    "bulk_operations_per_job": 1,
}


def fast_settings(database_url: str, **overrides: Any) -> CommonSettings:
    return CommonSettings(**(_FAST | {"database_url": database_url} | overrides))


def fast_worker_settings(database_url: str, **overrides: Any) -> WorkerSettings:
    """``fast_settings`` of a whole worker process (its broker and queue among ``overrides``)."""
    # No metrics server unless asked: tests run side by side on one host.
    base = _FAST | {"database_url": database_url, "metrics_port": 0}
    return WorkerSettings(**(base | overrides))


def make_runner(pool: ConnectionPool[Any], settings: CommonSettings, **kwargs: Any) -> JobRunner:
    """A runner composed from ``settings`` as the worker composes it (``cipher`` may be given)."""
    kwargs.setdefault("cipher", settings.token_cipher())
    return JobRunner(pool, settings.engine(), net_policy=settings.net_policy(), **kwargs)


@contextmanager
def open_pool(database_url: str) -> Iterator[ConnectionPool[Any]]:
    with ConnectionPool(
        database_url, min_size=1, max_size=4, open=True, kwargs={"autocommit": True}
    ) as pool:
        yield pool


def run_until_done(
    runner: JobRunner,
    job_id: int,
    *,
    max_steps: int = 500,
    between: Callable[[int, Step], None] | None = None,
) -> list[Step]:
    """Call ``advance`` until done; delays are honoured only up to 20 ms (tests)."""
    steps: list[Step] = []
    for number in range(max_steps):
        step = runner.advance(job_id)
        steps.append(step)
        if step.done:
            return steps
        if between is not None:
            between(number, step)
        time.sleep(min(step.delay_s, 0.02))
    raise AssertionError(f"job {job_id} not done after {max_steps} steps")


def run_job(
    database_url: str,
    job_id: int,
    *,
    settings: dict[str, Any] | None = None,
    **runner_kwargs: Any,
) -> list[Step]:
    """Run the job to the end with a fresh pool and runner (fast settings plus ``settings``)."""
    with open_pool(database_url) as pool:
        runner = make_runner(pool, fast_settings(database_url, **(settings or {})), **runner_kwargs)
        return run_until_done(runner, job_id)
