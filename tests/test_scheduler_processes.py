"""Sync schedules run by real ``shopsync scheduler`` processes with second-scale intervals
(rows written directly: the API's minimum is minutes): two schedulers start one job per slot,
a scheduler killed and restarted neither duplicates a slot nor replays the missed ones, a slot
during an active job is skipped and recorded, and end to end with a worker and the simulator a
frozen shop pauses its schedule until a manual sync completes."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis

from bulk.shops import upsert_shop
from cli.processes import ManagedProcess, ProcessGroup
from tests.support.broker import delete_queues
from tests.support.kill import ENV
from tests.support.stack import Stack
from tests.support.token_keys import TEST_CIPHER

pytestmark = pytest.mark.slow

EVERY_S = 1
TICK_S = "0.05"


def _wait(
    condition: Callable[[], bool], group: ProcessGroup, what: str, timeout_s: float = 60.0
) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        group.check_alive()
        assert time.monotonic() < deadline, f"{what}: not within {timeout_s} s"
        time.sleep(0.05)


def _shops(database_url: str, count: int, *, every_s: int = EVERY_S) -> list[int]:
    """``count`` shops, each with an UPDATE schedule every ``every_s`` seconds from now."""
    ids = []
    with psycopg.connect(database_url, autocommit=True) as conn:
        for number in range(count):
            shop, _ = upsert_shop(
                conn,
                domain=f"slot{number}.myshopify.com",
                access_token="shpat_slot_secret",
                api_version="2026-10",
                admin_url="http://127.0.0.1:9",
                cipher=TEST_CIPHER,
            )
            ids.append(shop.id)
            _schedule(conn, shop.id, every_s=every_s)
    return ids


def _schedule(conn: psycopg.Connection[Any], shop_id: int, *, every_s: int) -> None:
    conn.execute(
        "INSERT INTO sync_schedules (shop_id, update_every_s, stale_margin_s, next_update_at)"
        " VALUES (%s, %s, 60, now())",
        (shop_id, every_s),
    )


@contextmanager
def _completer(database_url: str) -> Iterator[None]:
    """Stands in for the workers: every queued job completes at once, so each slot can start
    one (no worker runs, no Shopify is called)."""
    stop = threading.Event()

    def run() -> None:
        with psycopg.connect(database_url, autocommit=True) as conn:
            while not stop.wait(0.02):
                conn.execute(
                    "UPDATE sync_jobs SET status = 'COMPLETED', finished_at = now()"
                    " WHERE status = 'QUEUED'"
                )

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(10)


def _delete_queues(redis_url: str, queue_name: str) -> None:
    """Leave nothing of the queue behind in Redis (messages the slots enqueued; no worker ran
    in most tests)."""
    client = redis.Redis.from_url(redis_url)
    try:
        for key in client.scan_iter(match=f"dramatiq:*{queue_name}*"):
            client.delete(key)
    finally:
        client.close()


def _env(database_url: str, redis_url: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "BROKER_URL": redis_url,
        "QUEUE_NAME": f"slots-{uuid.uuid4().hex[:8]}",
        "SCHEDULE_TICK_S": TICK_S,
    }


def _scheduler(name: str, env: dict[str, str], logs: Path) -> ManagedProcess:
    return ManagedProcess(name, ["scheduler"], env=env, log_dir=logs)


def _count(database_url: str, query: str, *params: Any) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(query, params).fetchone()
    assert row is not None
    return int(row[0])


def _assert_one_job_per_slot(database_url: str) -> int:
    """Every scheduled job is the job of exactly one STARTED slot, and every STARTED slot's job
    is a scheduled job; returns how many there are."""
    with psycopg.connect(database_url) as conn:
        jobs = sorted(
            row[0] for row in conn.execute("SELECT id FROM sync_jobs WHERE trigger = 'SCHEDULED'")
        )
        started = sorted(
            row[0]
            for row in conn.execute("SELECT job_id FROM schedule_slots WHERE outcome = 'STARTED'")
        )
    assert jobs == started
    return len(jobs)


def _log_count(processes: list[ManagedProcess], event: str) -> int:
    return sum(p.log_path.read_text(encoding="utf-8").count(event) for p in processes)


def _shops_with_started_slots(database_url: str, at_least: int) -> int:
    return _count(
        database_url,
        "SELECT count(*) FROM (SELECT shop_id FROM schedule_slots WHERE outcome = 'STARTED'"
        " GROUP BY shop_id HAVING count(*) >= %s) AS enough",
        at_least,
    )


def _db_now(database_url: str) -> Any:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT now()").fetchone()
    assert row is not None
    return row[0]


def test_two_schedulers_start_exactly_one_job_per_slot(
    database_url: str, redis_url: str, tmp_path: Path
) -> None:
    shops = _shops(database_url, 20)
    env = _env(database_url, redis_url)
    try:
        with ProcessGroup() as group, _completer(database_url):
            schedulers = [
                group.start(_scheduler(name, env, tmp_path)) for name in ("sched1", "sched2")
            ]
            _wait(
                lambda: _shops_with_started_slots(database_url, 3) == len(shops),
                group,
                "three started slots per shop",
            )
        started = _assert_one_job_per_slot(database_url)
        assert _log_count(schedulers, "schedule.slot_started") == started
        per_scheduler = [_log_count([p], "schedule.slot_started") for p in schedulers]
        print(f"\ntwo schedulers: {per_scheduler} slots started, {started} slots, as many jobs")
    finally:
        delete_queues(redis_url, env["QUEUE_NAME"])


def test_a_scheduler_killed_and_restarted_duplicates_no_slot_and_runs_missed_ones_once(
    database_url: str, redis_url: str, tmp_path: Path
) -> None:
    shops = _shops(database_url, 10)
    env = _env(database_url, redis_url)
    try:
        with ProcessGroup() as group, _completer(database_url):
            first = group.start(_scheduler("before", env, tmp_path))
            _wait(lambda: _shops_with_started_slots(database_url, 2) == len(shops), group, "before")
            first.kill()  # SIGKILL: likely mid-turn, with a claim transaction open
            group.processes.remove(first)
            killed_at = _db_now(database_url)
            time.sleep(5 * EVERY_S)  # the downtime under test: five boundaries pass unserved
            restarted_at = _db_now(database_url)
            group.start(_scheduler("after", env, tmp_path))
            _wait(
                lambda: (
                    _count(
                        database_url,
                        "SELECT count(*) FROM schedule_slots WHERE slot_at > %s",
                        restarted_at,
                    )
                    >= 3 * len(shops)
                ),
                group,
                "slots after the restart",
            )
        _assert_one_job_per_slot(database_url)
        with psycopg.connect(database_url) as conn:
            after = conn.execute(
                "SELECT shop_id, array_agg(slot_at ORDER BY slot_at),"
                " array_agg(outcome ORDER BY slot_at)"
                " FROM schedule_slots WHERE slot_at > %s GROUP BY shop_id",
                (killed_at,),
            ).fetchall()
        assert len(after) == len(shops)
        for _shop_id, slots, outcomes in after:
            # The downtime's boundaries were not replayed: the first slot after the kill is the
            # restart's catch-up (the latest boundary when it first ran), and it ran once.
            assert slots[0] > restarted_at - timedelta(seconds=EVERY_S), (killed_at, slots)
            assert outcomes[0] == "STARTED"
            assert len(slots) >= 3
    finally:
        delete_queues(redis_url, env["QUEUE_NAME"])


def test_slots_during_an_active_job_are_skipped_and_recorded(
    database_url: str, redis_url: str, tmp_path: Path
) -> None:
    (shop_id,) = _shops(database_url, 1)
    env = _env(database_url, redis_url)
    try:
        with ProcessGroup() as group:
            scheduler = group.start(_scheduler("sched", env, tmp_path))
            # No worker: the first slot's job stays QUEUED, so the next slots find it active.
            _wait(
                lambda: (
                    _count(
                        database_url,
                        "SELECT count(*) FROM schedule_slots WHERE outcome = 'SKIPPED_ACTIVE_JOB'",
                    )
                    >= 3
                ),
                group,
                "three skipped slots",
            )
        with psycopg.connect(database_url) as conn:
            jobs = [row[0] for row in conn.execute("SELECT id FROM sync_jobs")]
            slots = conn.execute(
                "SELECT outcome, job_id FROM schedule_slots WHERE shop_id = %s ORDER BY slot_at",
                (shop_id,),
            ).fetchall()
        assert len(jobs) == 1  # nothing queued behind the active job
        assert slots[0] == ("STARTED", jobs[0])
        assert set(slots[1:]) == {("SKIPPED_ACTIVE_JOB", jobs[0])}
        log = scheduler.log_path.read_text(encoding="utf-8")
        assert log.count("schedule.slot_skipped") == len(slots) - 1
        assert f"the shop has an active job {jobs[0]}" in log
    finally:
        delete_queues(redis_url, env["QUEUE_NAME"])


# -- end to end: a worker, the API and the simulator ------------------------------------------

E2E_ENV = {**ENV, "SCHEDULE_TICK_S": "0.2"}
E2E_EVERY_S = 2


def _schedule_row(database_url: str, shop_id: int) -> dict[str, Any]:
    with psycopg.connect(database_url) as conn:
        cur = conn.execute(
            "SELECT paused, pause_cause, paused_reason FROM sync_schedules WHERE shop_id = %s",
            (shop_id,),
        )
        row = cur.fetchone()
    assert row is not None
    return dict(zip(("paused", "pause_cause", "paused_reason"), row, strict=True))


def _slot_rows(database_url: str, shop_id: int) -> list[tuple[str, str | None]]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT s.outcome, j.status FROM schedule_slots AS s"
            " LEFT JOIN sync_jobs AS j ON j.id = s.job_id"
            " WHERE s.shop_id = %s ORDER BY s.slot_at",
            (shop_id,),
        ).fetchall()
    return [(str(outcome), status) for outcome, status in rows]


def test_a_frozen_shop_pauses_its_schedule_until_a_manual_sync_completes(
    database_url: str, redis_url: str, tmp_path: Path
) -> None:
    stack = Stack(
        domain="frozen.myshopify.com", token="shpat_frozen_secret_1", orders=30, logs=tmp_path
    )
    try:
        with stack.run(
            database_url=database_url,
            redis_url=redis_url,
            queue_prefix="frozen",
            seed=5,
            env=E2E_ENV,
            simulator_args=["--run-seconds", "0.3"],
        ):
            connected = stack.connect()
            shop_id = int(connected["shop"]["id"])
            assert stack.wait(connected["initialJob"]["id"])["status"] == "COMPLETED"
            with psycopg.connect(database_url, autocommit=True) as conn:
                _schedule(conn, shop_id, every_s=E2E_EVERY_S)
            scheduler = stack.group.start(
                ManagedProcess("scheduler", ["scheduler"], env=stack.env, log_dir=tmp_path)
            )

            def completed_slots() -> int:
                return _slot_rows(database_url, shop_id).count(("STARTED", "COMPLETED"))

            _wait(lambda: completed_slots() >= 3, stack.group, "three scheduled syncs")
            # The shop's bill goes unpaid: its next request answers 402.
            stack.sim_post(
                "/_sim/faults",
                {"kind": "http_status", "shop": stack.domain, "params": {"status": 402}},
            )
            _wait(lambda: _schedule_row(database_url, shop_id)["paused"], stack.group, "paused")
            paused = _schedule_row(database_url, shop_id)
            assert paused["pause_cause"] == "SHOP_UNAVAILABLE"
            assert "402" in paused["paused_reason"]
            failed = [s for s in _slot_rows(database_url, shop_id) if s[1] == "FAILED"]
            assert failed == [("STARTED", "FAILED")]
            skipped = len(_slot_rows(database_url, shop_id))
            _wait(
                lambda: (
                    _slot_rows(database_url, shop_id)[skipped:].count(("SKIPPED_PAUSED", None)) >= 2
                ),
                stack.group,
                "slots skipped while paused",
            )
            manual = stack.start(shopId=str(shop_id), syncMode="FULL")
            assert manual["status"] == "COMPLETED"
            assert not _schedule_row(database_url, shop_id)["paused"]
            done_before = completed_slots()
            _wait(lambda: completed_slots() > done_before, stack.group, "scheduled sync resumed")
        slot_lines = [
            line
            for line in scheduler.log_path.read_text(encoding="utf-8").splitlines()
            if "schedule.slot_" in line
        ]
        print("\n" + "\n".join(slot_lines[:8]))
    finally:
        if stack.env:
            delete_queues(redis_url, stack.queue_name)
