"""One bench run: a simulated shop synced through the real stack (simulator, API, worker as child
processes), timed from the database and the simulator, against a raw COPY of the same bytes.

Environment: BENCH_ORDERS (60000), BENCH_JOBS (20 consecutive FULL jobs for the memory figure),
BENCH_DATABASE_URL (a scratch database, recreated), BENCH_REDIS_URL, BENCH_OUT (artifacts/
bench.json).
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg

from schema.database import recreate_database
from schema.migrate import migrate_url
from tests.support.stack import Stack

from .ceiling import per_order_upsert_s, raw_copy_s
from .memory import peak_rss_mib, rss_mib

DOMAIN = "bench.myshopify.com"
TOKEN = "shpat_bench_token_0000000000000000"
UPDATED_ORDERS = 100
NAIVE_SAMPLE_LINES = 5_000


@dataclass(frozen=True)
class JobTiming:
    """One finished job, timed on the database's clock and the simulator's (one machine)."""

    job_id: int
    wall_s: float  # created → finished
    after_operation_s: float  # the operation's completedAt → finished: notice + download + ingest
    lines: int


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _timing(conn: psycopg.Connection[Any], stack: Stack, job: dict[str, Any]) -> JobTiming:
    assert job["status"] == "COMPLETED", job
    row = conn.execute(
        "SELECT id, created_at, finished_at, bulk_operation_id FROM sync_jobs WHERE id = %s",
        (int(job["id"]),),
    ).fetchone()
    assert row is not None
    job_id, created, finished, operation_id = row
    (operation,) = [
        op for op in stack.sim_get("/_sim/operations", shop=DOMAIN) if op["id"] == operation_id
    ]
    return JobTiming(
        job_id=job_id,
        wall_s=(finished - created).total_seconds(),
        after_operation_s=(finished - _at(operation["completedAt"])).total_seconds(),
        lines=int(job["stats"]["linesRead"]),
    )


def _newest_file(directory: Path) -> Path:
    return max((p for p in directory.rglob("*") if p.is_file()), key=lambda p: p.stat().st_mtime)


def _copy_s(conn: psycopg.Connection[Any], path: Path) -> float:
    raw_copy_s(conn, path)  # warm-up: file cache, catalog caches
    return statistics.median(raw_copy_s(conn, path) for _ in range(3))


def _xmins(conn: psycopg.Connection[Any]) -> dict[str, str]:
    rows = conn.execute("SELECT id::text, xmin::text FROM orders").fetchall()
    return {str(key): str(xmin) for key, xmin in rows}


def _wait_started(stack: Stack, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        stack.group.check_alive()
        if "worker.started" in stack.worker.log_path.read_text(errors="replace"):
            return
        time.sleep(0.1)
    raise AssertionError("the worker did not start")


def run_bench(*, orders: int, jobs: int, database_url: str, redis_url: str) -> dict[str, Any]:
    recreate_database(database_url)
    migrate_url(database_url)
    result: dict[str, Any] = {"orders": orders, "consecutive_jobs": jobs}
    with tempfile.TemporaryDirectory(prefix="shopsync-bench-") as scratch:
        files, logs = Path(scratch) / "files", Path(scratch) / "logs"
        files.mkdir()
        stack = Stack(domain=DOMAIN, token=TOKEN, orders=orders, logs=logs)
        # Operations complete at once (no modelled export rate): the figures are ours.
        simulator = ["--run-seconds", "0", "--objects-per-second", "0", "--file-dir", str(files)]
        with (
            stack.run(
                database_url=database_url,
                redis_url=redis_url,
                queue_prefix="bench",
                seed=7,
                env={},
                simulator_args=simulator,
            ),
            psycopg.connect(database_url, autocommit=True) as conn,
        ):
            _wait_started(stack)
            pid = stack.worker.pid
            assert pid is not None
            result["worker_baseline_rss_mib"] = round(rss_mib(pid), 1)

            connected = stack.connect()  # starts the shop's initial POPULATE
            shop_id = connected["shop"]["id"]
            initial = stack.wait(connected["initialJob"]["id"], timeout_s=1800)
            populate = _timing(conn, stack, initial)
            result["populate"] = _figures(conn, populate, _newest_file(files))
            result["worker_peak_rss_mib_after_populate"] = round(peak_rss_mib(pid), 1)

            full = _sync(conn, stack, shop_id, "FULL")
            result["full_unchanged"] = _figures(conn, full, _newest_file(files))

            naive_s, naive_lines = per_order_upsert_s(
                conn, _newest_file(files), lines=NAIVE_SAMPLE_LINES
            )
            naive_rate = naive_lines / naive_s
            our_rate = populate.lines / populate.after_operation_s
            result["per_order_upsert"] = {
                "lines": naive_lines,
                "lines_per_s": round(naive_rate),
                "populate_lines_per_s": round(our_rate),
                "ratio": round(our_rate / naive_rate, 1),
            }

            stack.sim_post(f"/_sim/shops/{DOMAIN}/orders/mutate", {"update": UPDATED_ORDERS})
            before = _xmins(conn)
            update = _sync(conn, stack, shop_id, "UPDATE", staleAfterMins=60)
            after = _xmins(conn)
            touched = sum(1 for key, xmin in after.items() if before.get(key) != xmin)
            result["update"] = {
                "changed_in_shopify": UPDATED_ORDERS,
                "table_orders": len(after),
                "order_rows_touched": touched,
                "job_wall_s": round(update.wall_s, 2),
                "after_operation_s": round(update.after_operation_s, 2),
            }

            for _ in range(jobs):
                _sync(conn, stack, shop_id, "FULL")
            result["worker_peak_rss_mib_after_jobs"] = round(peak_rss_mib(pid), 1)
            result["worker_rss_mib_after_jobs"] = round(rss_mib(pid), 1)
    return result


def _sync(
    conn: psycopg.Connection[Any], stack: Stack, shop_id: str, mode: str, **extra: Any
) -> JobTiming:
    started = stack.api.execute(
        "mutation($i: StartSyncJobInput!) { startSyncJob(input: $i) { __typename"
        " ... on SyncJobStarted { job { id } } } }",
        {"i": {"shopId": shop_id, "syncMode": mode, **extra}},
    )["startSyncJob"]
    job = stack.wait(started["job"]["id"], timeout_s=1800)
    return _timing(conn, stack, job)


def _figures(conn: psycopg.Connection[Any], job: JobTiming, path: Path) -> dict[str, Any]:
    copy_s = _copy_s(conn, path)
    return {
        "lines": job.lines,
        "file_mb": round(path.stat().st_size / 1e6, 1),
        "raw_copy_s": round(copy_s, 2),
        "raw_copy_lines_per_s": round(job.lines / copy_s),
        "job_wall_s": round(job.wall_s, 2),
        "after_operation_s": round(job.after_operation_s, 2),
        "lines_per_s": round(job.lines / job.after_operation_s),
        "ratio_to_raw_copy": round(copy_s / job.after_operation_s, 3),
    }


def table(result: dict[str, Any]) -> str:
    p, f, n, u = (
        result["populate"],
        result["full_unchanged"],
        result["per_order_upsert"],
        result["update"],
    )
    rows = [
        ("raw COPY, same bytes (ceiling)", f"{p['raw_copy_lines_per_s']:,} lines/s", ""),
        (
            f"POPULATE {result['orders']:,} orders, end to end",
            f"{p['lines_per_s']:,} lines/s",
            f"{p['ratio_to_raw_copy']:.2f}x COPY (target >= 0.5); job {p['job_wall_s']} s",
        ),
        (
            "FULL over an unchanged mirror",
            f"{f['lines_per_s']:,} lines/s",
            f"{f['ratio_to_raw_copy']:.2f}x COPY; job {f['job_wall_s']} s",
        ),
        (
            f"one upsert per line ({n['lines']:,}-line sample)",
            f"{n['lines_per_s']:,} lines/s",
            f"POPULATE is {n['ratio']}x it (target >= 50)",
        ),
        ("worker RSS at start", f"{result['worker_baseline_rss_mib']} MiB", "target <= 45"),
        (
            f"worker peak RSS after the {result['orders']:,}-order POPULATE",
            f"{result['worker_peak_rss_mib_after_populate']} MiB",
            "target <= 150",
        ),
        (
            f"worker peak RSS after {result['consecutive_jobs']} more FULL jobs",
            f"{result['worker_peak_rss_mib_after_jobs']} MiB",
            f"now {result['worker_rss_mib_after_jobs']} MiB; target <= 150",
        ),
        (
            f"UPDATE of {u['changed_in_shopify']} changed in {u['table_orders']:,}",
            f"{u['order_rows_touched']} order rows touched",
            f"{u['after_operation_s']} s after its operation completed (target < 2); "
            f"job {u['job_wall_s']} s",
        ),
    ]
    width = max(len(r[0]) for r in rows)
    value_width = max(len(r[1]) for r in rows)
    return "\n".join(f"{a:<{width}}  {b:>{value_width}}  {c}".rstrip() for a, b, c in rows)


def main() -> None:
    orders = int(os.environ.get("BENCH_ORDERS", "60000"))
    jobs = int(os.environ.get("BENCH_JOBS", "20"))
    database_url = os.environ.get(
        "BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/shopsync_bench"
    )
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    out = Path(os.environ.get("BENCH_OUT", "artifacts/bench.json"))
    started = time.monotonic()
    result = run_bench(orders=orders, jobs=jobs, database_url=database_url, redis_url=redis_url)
    result["bench_s"] = round(time.monotonic() - started, 1)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(table(result))
    print(f"(written to {out}; the bench took {result['bench_s']} s)")
