"""Prompt start: a finished operation is noticed within max(floor, share * its run time so far)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest

from bulk.polling import poll_delay_s
from simulator.server import SimulatorServer
from tests.support.shopify_sim import (
    fast_settings,
    job_of,
    make_runner,
    new_job,
    open_pool,
    sim_config,
    sim_operations,
    store_shop,
)

# Scaled down from production's 1.5 s / 4 % so the share, not the floor, sets the last gap of a
# few-second operation: at 5 s of run time the bound is 0.75 s.
FLOOR_S = 0.1
SHARE = 0.15
RUN_S = 5.0


def test_the_gap_is_a_share_of_the_run_time_between_floor_and_ceiling() -> None:
    def delay(since_s: float) -> float:
        return poll_delay_s(since_s, floor_s=1.5, share=0.04, ceiling_s=60.0)

    assert delay(0.0) == delay(10.0) == 1.5  # short operations: every 1.5 s
    assert delay(100.0) == pytest.approx(4.0)
    assert delay(3600.0) == 60.0  # days-long ones: capped
    assert delay(-5.0) == 1.5  # clock skew never asks for less than the floor


def test_polls_over_an_hour_cost_a_negligible_share_of_the_bucket() -> None:
    # The arithmetic in bulk/polling.py, checked: count the polls of a one-hour operation.
    since, polls = 0.0, 0
    while since < 3600.0:
        since += poll_delay_s(since, floor_s=1.5, share=0.04, ceiling_s=60.0)
        polls += 1
    assert polls < 160  # 1 point each, against a refill of 50 points/s: < 0.1 %


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@pytest.mark.slow
def test_a_finished_operation_is_noticed_within_the_bound(
    conn: psycopg.Connection[Any], database_url: str
) -> None:
    with SimulatorServer(sim_config(40, run_seconds=RUN_S)) as sim:
        job_id = new_job(conn, store_shop(conn, sim))
        settings = fast_settings(
            database_url,
            poll_initial_delay_s=FLOOR_S,
            poll_elapsed_share=SHARE,
            poll_max_delay_s=60.0,
        )
        polls: list[datetime] = []  # when each step that polled began
        with open_pool(database_url) as pool:
            runner = make_runner(pool, settings)
            for _ in range(200):
                polls.append(datetime.now(UTC))
                step = runner.advance(job_id)
                if step.done:
                    break
                time.sleep(step.delay_s)  # what the worker's delayed message does
        job = job_of(conn, job_id)
        assert job.status.value == "COMPLETED"
        (op,) = sim_operations(sim)
    completed = _at(op["completedAt"])
    row = conn.execute("SELECT bulk_submitted_at FROM sync_jobs WHERE id = %s", (job_id,))
    (submitted,) = row.fetchone() or (None,)
    assert isinstance(submitted, datetime)
    noticed = min(t for t in polls if t >= completed)
    bound_s = max(FLOOR_S, SHARE * (noticed - submitted).total_seconds())
    gap_s = (noticed - completed).total_seconds()
    # One poll's own latency may come on top (the poll before saw RUNNING just before the end).
    assert gap_s / bound_s <= 1.2, (gap_s, bound_s)
    # And the polls were few: a floor-paced loop would have made RUN_S / FLOOR_S = 50.
    assert len(polls) < 30
