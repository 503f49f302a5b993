"""The real stack for one bench section (fresh database, simulator, API, workers as child
processes) and the timing of its jobs, read from the database's and the simulator's clocks."""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

from cli.demo import TERMINAL
from schema.database import recreate_database
from schema.migrate import migrate_url
from tests.support.stack import Stack

from .config import BenchConfig

DOMAIN = "bench.myshopify.com"
TOKEN = "shpat_bench_token_0000000000000000"
JOB_TIMEOUT_S = 4 * 3600.0


class Unsupported(Exception):
    """The stack under test lacks what a section needs (the section is reported as skipped)."""


@functools.cache
def simulator_has_rate() -> bool:
    """Whether ``shopsync simulator`` models an export rate (``--objects-per-second``)."""
    from simulator.cli import simulator_command

    return any(param.name == "objects_per_second" for param in simulator_command.params)


@dataclass
class Section:
    """A running stack plus what a section reads beside it."""

    stack: Stack
    conn: psycopg.Connection[Any]
    files: Path

    @property
    def worker_pid(self) -> int:
        pid = self.stack.worker.pid
        assert pid is not None
        return pid

    def operations(self, domain: str = DOMAIN) -> list[dict[str, Any]]:
        ops: list[dict[str, Any]] = self.stack.sim_get("/_sim/operations", shop=domain)
        return ops


@contextmanager
def section_stack(
    config: BenchConfig,
    scratch: Path,
    *,
    orders: int,
    env: Mapping[str, str] | None = None,
    objects_per_second: float = 0.0,
    worker_threads: int = 2,
    domain: str = DOMAIN,
) -> Iterator[Section]:
    """A recreated database and the stack over it; operations complete as soon as their file
    is rendered (``objects_per_second`` 0) unless a rate is given. One bulk operation per job
    unless ``env`` says otherwise (``BULK_OPERATIONS_PER_JOB``): a raw COPY compares one file."""
    if objects_per_second and not simulator_has_rate():
        raise Unsupported("the simulator has no --objects-per-second (concurrent operations)")
    recreate_database(config.database_url)
    migrate_url(config.database_url)
    files, logs = scratch / "files", scratch / "logs"
    files.mkdir(parents=True)
    simulator: list[str] = [
        "--run-seconds",
        "0",
        "--created-seconds",
        "0",
        "--file-dir",
        str(files),
    ]
    if simulator_has_rate():
        simulator += ["--objects-per-second", str(objects_per_second)]
    stack = Stack(
        domain=domain, token=TOKEN, orders=orders, logs=logs, worker_threads=worker_threads
    )
    full_env = {"BULK_OPERATIONS_PER_JOB": "1", **(env or {})}
    with (
        stack.run(
            database_url=config.database_url,
            redis_url=config.redis_url,
            queue_prefix="bench",
            seed=7,
            env=full_env,
            simulator_args=simulator,
        ),
        psycopg.connect(config.database_url, autocommit=True) as conn,
    ):
        wait_started(stack)
        yield Section(stack, conn, files)


def wait_started(stack: Stack, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        stack.group.check_alive()
        if "worker.started" in stack.worker.log_path.read_text(errors="replace"):
            return
        time.sleep(0.1)
    raise AssertionError("the worker did not start")


@dataclass(frozen=True)
class JobTiming:
    """One finished job: wall time (created → finished), its bulk operations' span (created →
    last completed: the simulator's rendering, or its modelled export time) and the time from
    the last operation's completion to the job's end (noticing it, download, ingest)."""

    job_id: int
    wall_s: float
    operations: int
    operation_span_s: float
    after_operation_s: float
    lines: int
    orders: int  # created + updated + unchanged + skipped


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def job_timing(section: Section, job_id: int, domain: str = DOMAIN) -> JobTiming:
    """Timing of a COMPLETED job; its operations are the shop's created while it ran."""
    row = section.conn.execute(
        "SELECT status, error, created_at, finished_at, lines_read,"
        " orders_created + orders_updated + orders_unchanged + orders_skipped"
        " FROM sync_jobs WHERE id = %s",
        (job_id,),
    ).fetchone()
    assert row is not None, job_id
    status, error, created, finished, lines, orders = row
    if status != "COMPLETED":
        raise AssertionError(f"job {job_id} ended {status}: {error}")
    window = created - timedelta(seconds=1), finished
    ops = [
        op
        for op in section.operations(domain)
        if op["completedAt"] and window[0] <= _at(op["createdAt"]) <= window[1]
    ]
    if not ops:
        raise AssertionError(f"no completed bulk operation of {domain} within job {job_id}")
    first = min(_at(op["createdAt"]) for op in ops)
    last = max(_at(op["completedAt"]) for op in ops)
    return JobTiming(
        job_id=job_id,
        wall_s=(finished - created).total_seconds(),
        operations=len(ops),
        operation_span_s=(last - first).total_seconds(),
        after_operation_s=(finished - last).total_seconds(),
        lines=int(lines),
        orders=int(orders),
    )


def wait_jobs(section: Section, job_ids: Sequence[int], timeout_s: float = JOB_TIMEOUT_S) -> None:
    """Until every job is terminal (read from the database: one query for all); fail if a
    process dies or time runs out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        section.stack.group.check_alive()
        (open_jobs,) = section.conn.execute(
            "SELECT count(*) FROM sync_jobs WHERE id = ANY(%s) AND status <> ALL(%s)",
            (list(job_ids), sorted(TERMINAL)),
        ).fetchone() or (0,)
        if open_jobs == 0:
            return
        time.sleep(0.2)
    raise AssertionError(f"jobs {list(job_ids)} not finished within {timeout_s} s")


def populate(section: Section) -> tuple[str, JobTiming]:
    """Connect the section's shop and wait for its initial POPULATE: (shop id, its timing)."""
    connected = section.stack.connect()
    job_id = int(connected["initialJob"]["id"])
    wait_jobs(section, [job_id])
    return str(connected["shop"]["id"]), job_timing(section, job_id)


def sync(section: Section, shop_id: str, mode: str, **extra: Any) -> JobTiming:
    started = section.stack.api.execute(
        "mutation($i: StartSyncJobInput!) { startSyncJob(input: $i) { __typename"
        " ... on SyncJobStarted { job { id } } } }",
        {"i": {"shopId": shop_id, "syncMode": mode, **extra}},
    )["startSyncJob"]
    assert started["__typename"] == "SyncJobStarted", started
    job_id = int(started["job"]["id"])
    wait_jobs(section, [job_id])
    return job_timing(section, job_id)


def timing_figures(job: JobTiming) -> dict[str, Any]:
    return {
        "job_id": job.job_id,
        "lines": job.lines,
        "orders": job.orders,
        "operations": job.operations,
        "job_wall_s": round(job.wall_s, 2),
        "operation_span_s": round(job.operation_span_s, 2),
        "after_operation_s": round(job.after_operation_s, 2),
    }
