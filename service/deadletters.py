"""Dead letters: list a job's lines that could not be ingested, retry the open ones."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from psycopg_pool import ConnectionPool

from bulk import deadletters, jobs
from bulk.deadletters import DeadLetter, RetryResult
from bulk.errors import InvalidJobRequest, JobNotFound, JobStillActive
from bulk.jobs import SyncJob

from .principal import Principal
from .scope import visible_job

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetriedDeadLetters:
    result: RetryResult
    job: SyncJob  # read after the retry committed: its stats include it


@dataclass
class DeadLetterService:
    pool: ConnectionPool[Any]

    def list(
        self, principal: Principal, job_id: int, *, include_resolved: bool, first: int
    ) -> list[DeadLetter]:
        """The job's dead letters in file order (open ones only unless ``include_resolved``);
        empty when the job does not exist for the caller."""
        with self.pool.connection() as conn:
            if visible_job(conn, principal, job_id) is None:
                return []
            return deadletters.list_dead_letters(
                conn, job_id, only_open=not include_resolved, limit=first
            )

    def retry(self, principal: Principal, job_id: int) -> RetriedDeadLetters:
        """Retry a finished job's open dead letters; InvalidJobRequest("jobId") if it cannot."""
        principal.require_admin()
        with self.pool.connection() as conn:
            if visible_job(conn, principal, job_id) is None:
                raise InvalidJobRequest("jobId", f"no sync job with id {job_id}")
            try:
                result = deadletters.retry_dead_letters(conn, job_id, finished_only=True)
            except JobNotFound:
                raise InvalidJobRequest("jobId", f"no sync job with id {job_id}") from None
            except JobStillActive as exc:
                raise InvalidJobRequest(
                    "jobId",
                    f"sync job {job_id} is still {exc.status}; retry its dead letters once it "
                    "has finished",
                ) from None
            # The retry committed in its own transaction: this read shows its stats.
            job = jobs.get_job(conn, job_id)
        if job is None:  # deleted with its shop since
            raise InvalidJobRequest("jobId", f"no sync job with id {job_id}")
        log.info(
            "dead letters retried",
            extra={"job_id": job_id, "retried": result.retried, "resolved": result.resolved},
        )
        return RetriedDeadLetters(result, job)
