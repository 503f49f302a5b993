"""The engine's observer hears what a job's steps did: Shopify calls by outcome, throttle waits,
ingest slices whose lines and bytes add up to the job's stats, retries."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg
import pytest

from bulk.types import JobStatus
from simulator.server import SimulatorServer
from tests.support.shopify_sim import add_fault, job_of, new_job, run_job, sim_config, store_shop

ORDERS = 30


@dataclass
class RecordingObserver:
    """An EngineObserver that keeps every report (thread-safe enough: one runner thread)."""

    calls: list[str] = field(default_factory=list)
    waits: list[float] = field(default_factory=list)
    slices: list[dict[str, Any]] = field(default_factory=list)
    retries: list[str] = field(default_factory=list)

    def shopify_call(self, outcome: str) -> None:
        self.calls.append(outcome)

    def throttle_wait(self, seconds: float) -> None:
        self.waits.append(seconds)

    def ingested(self, *, lines: int, bytes_read: int, seconds: float, dead_letters: int) -> None:
        self.slices.append(
            {"lines": lines, "bytes": bytes_read, "seconds": seconds, "dead": dead_letters}
        )

    def retry(self, kind: str) -> None:
        self.retries.append(kind)


@pytest.fixture
def server() -> Iterator[SimulatorServer]:
    with SimulatorServer(sim_config(ORDERS)) as srv:
        yield srv


def test_a_throttled_job_reports_its_calls_waits_and_slices(
    conn: psycopg.Connection[Any], database_url: str, server: SimulatorServer
) -> None:
    job_id = new_job(conn, store_shop(conn, server))
    add_fault(server, "throttled", count=1)
    observer = RecordingObserver()

    run_job(database_url, job_id, settings={"batch_bytes": 4096}, observer=observer)

    job = job_of(conn, job_id)
    assert job.status is JobStatus.COMPLETED
    assert observer.calls.count("throttled") == 1
    assert observer.calls.count("ok") >= 2  # the submit and at least one poll
    assert set(observer.calls) <= {"ok", "throttled"}
    assert observer.waits and all(wait > 0 for wait in observer.waits)
    assert sum(s["lines"] for s in observer.slices) == job.stats.lines_read
    assert sum(s["bytes"] for s in observer.slices) == job.stats.bytes_read
    assert all(s["dead"] == 0 and s["seconds"] >= 0 for s in observer.slices)
