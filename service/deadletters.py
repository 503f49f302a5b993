"""Dead letters: list a job's lines that could not be ingested, retry the open ones."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
import structlog
from psycopg_pool import ConnectionPool

from bulk import deadletters, jobs, ranges
from bulk.deadletters import DeadLetter, RetryResult
from bulk.errors import InvalidArgument, JobNotFound, JobStillActive
from bulk.jobs import SyncJob

from .principal import Principal
from .scope import visible_job

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class RetriedDeadLetters:
    result: RetryResult
    job: SyncJob  # read after the retry committed: its stats include it


@dataclass
class DeadLetterService:
    pool: ConnectionPool[Any]

    def list(
        self,
        principal: Principal,
        job_id: int,
        *,
        include_resolved: bool,
        first: int,
        line_max_chars: int | None = None,
    ) -> list[DeadLetter]:
        """The job's dead letters in file order (open ones only unless ``include_resolved``),
        lines cut to ``line_max_chars``; empty when the job does not exist for the caller."""
        with self.pool.connection() as conn:
            if visible_job(conn, principal, job_id) is None:
                return []
            return deadletters.list_dead_letters(
                conn,
                job_id,
                only_open=not include_resolved,
                limit=first,
                line_max_chars=line_max_chars,
            )

    def list_of_jobs(
        self,
        principal: Principal,
        job_ids: Sequence[int],
        *,
        include_resolved: bool,
        first: int,
        line_max_chars: int,
    ) -> dict[int, builtins.list[DeadLetter]]:
        """Each job's dead letters, lines cut to ``line_max_chars``, in one statement; a job
        that does not exist for the caller has none."""
        with self.pool.connection() as conn:
            return deadletters.list_dead_letters_of_jobs(
                conn,
                list(job_ids),
                only_open=not include_resolved,
                limit=first,
                line_max_chars=line_max_chars,
                tenant_id=principal.scope,
            )

    def line_chunk(
        self, principal: Principal, letter_id: int, *, offset: int, length: int
    ) -> deadletters.LineChunk | None:
        """A slice of one dead letter's line (by characters); None if no such dead letter, or
        when its job does not exist for the caller."""
        with self.pool.connection() as conn:
            chunk = deadletters.dead_letter_line_chunk(
                conn, letter_id, offset=offset, length=length
            )
            if chunk is None or visible_job(conn, principal, chunk.job_id) is None:
                return None
            return chunk

    def retry(self, principal: Principal, job_id: int) -> RetriedDeadLetters:
        """Retry a finished job's open dead letters; InvalidArgument("jobId") if it cannot."""
        principal.require_admin()
        with self.pool.connection() as conn:
            if visible_job(conn, principal, job_id) is None:
                raise InvalidArgument("jobId", f"no sync job with id {job_id}")
            try:
                result = self._retry(conn, job_id)
            except JobNotFound:
                raise InvalidArgument("jobId", f"no sync job with id {job_id}") from None
            except JobStillActive as exc:
                raise InvalidArgument(
                    "jobId",
                    f"sync job {job_id} is still {exc.status}; retry its dead letters once it "
                    "has finished",
                ) from None
            # The retry committed in its own transaction: this read shows its stats.
            job = jobs.get_job(conn, job_id)
        if job is None:  # deleted with its shop since
            raise InvalidArgument("jobId", f"no sync job with id {job_id}")
        log.info(
            "dead_letters.retried",
            job_id=job_id,
            shop_id=job.shop_id,
            retried=result.retried,
            resolved=result.resolved,
        )
        return RetriedDeadLetters(result, job)

    @staticmethod
    def _retry(conn: psycopg.Connection[Any], job_id: int) -> RetryResult:
        """The job's retry; a job split into ranges retries each range's (its children hold
        the lines, and their counts add up on it), once it has finished."""
        children = ranges.children(conn, job_id)
        if not children:
            return deadletters.retry_dead_letters(conn, job_id, finished_only=True)
        parent = jobs.get_job(conn, job_id)
        if parent is not None and parent.status.is_active:
            raise JobStillActive(
                f"job {job_id} is {parent.status.value}", status=parent.status.value
            )
        total = RetryResult(retried=0, resolved=0, still_failing=0)
        for child in children:
            done = deadletters.retry_dead_letters(conn, child.id, finished_only=True)
            total = RetryResult(
                retried=total.retried + done.retried,
                resolved=total.resolved + done.resolved,
                still_failing=total.still_failing + done.still_failing,
            )
        return total
