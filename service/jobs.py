"""Sync jobs: start, cancel, read, and wake the one following a finished bulk operation."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
import structlog
from psycopg_pool import ConnectionPool

from bulk import checkpoints, jobs, sweeper, webhook_deliveries, workflow
from bulk.checkpoints import ExpiredCheckpoint
from bulk.errors import ConfigurationError, Forbidden, InvalidArgument
from bulk.jobs import CreatedJob, JobFilter, JobPosition, JobRequest, SyncJob
from bulk.shopify import ShopifyClient, ShopifyEndpoint
from bulk.token_crypto import TokenCipher
from bulk.types import JobStatus

from .ports import JobQueue
from .principal import Principal
from .scope import visible_job, visible_shop

# Jobs are enqueued only after their row is committed, so a worker never receives an id it
# cannot read.

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class CancelOutcome:
    job: SyncJob  # as it is after the request
    finished: bool  # True: the job had already COMPLETED or FAILED, nothing was changed


@dataclass(frozen=True)
class WakeOutcome:
    job_id: int | None  # the job enqueued, if any
    duplicate: bool  # the delivery was handled before
    shop_id: int | None = None  # the enqueued job's shop


@dataclass
class JobService:
    pool: ConnectionPool[Any]
    queue: JobQueue
    # Decrypts the shop's token for the cancel path only (a process that never cancels, like
    # the scheduler, has none).
    cipher: TokenCipher | None = None
    # Talks to the shop's Admin API (cancel); keep it bounded (timeout, few retries).
    shopify_client_factory: Callable[[ShopifyEndpoint], ShopifyClient] | None = None

    def start(self, principal: Principal, request: JobRequest) -> CreatedJob:
        """Create and enqueue a job, or return the shop's active one (not enqueued again).

        A new job resumes the shop's last job's file when that one FAILED mid-file with the
        same request and its result is still downloadable (a RETRY naming it).
        """
        principal.require_admin()
        request.validate()
        with self.pool.connection() as conn:
            if visible_shop(conn, principal, request.shop_id) is None:
                raise InvalidArgument("shopId", f"no shop with id {request.shop_id}")
            created = checkpoints.create_resuming_job(conn, request)
        # A lost message of the active job is the scheduler's sweeper's to recover, not this
        # request's: it knows when the job's step was due and re-sends it once.
        if created.created:
            self.queue.enqueue(created.job.id)
        return created

    def cancel(self, principal: Principal, job_id: int) -> CancelOutcome:
        """Cancel an active job and its Shopify operation; InvalidArgument("id") if unknown.

        Idempotent: an already CANCELLED job is returned as it is. A COMPLETED or FAILED one is
        returned with ``finished`` set and left alone.
        """
        principal.require_admin()
        with self.pool.connection() as conn:
            visible = visible_job(conn, principal, job_id)
            if visible is None:
                raise InvalidArgument("id", f"no sync job with id {job_id}")
        # The workflow's and the Shopify client's lines about this cancel carry the job too.
        with structlog.contextvars.bound_contextvars(job_id=job_id, shop_id=visible.shop_id):
            return self._cancel(job_id)

    def _cancel(self, job_id: int) -> CancelOutcome:
        with self.pool.connection() as conn:
            if self.cipher is None:
                raise ConfigurationError("this process cannot cancel jobs: it has no token keys")
            cancelled = workflow.mark_cancelled(conn, job_id, self.cipher)
            job = jobs.get_job(conn, job_id)
        if job is None:  # deleted with its shop since
            raise InvalidArgument("id", f"no sync job with id {job_id}")
        if cancelled is not None:
            # The connection is back in the pool: none waits on Shopify.
            workflow.cancel_operation(cancelled, client_factory=self.shopify_client_factory)
            log.info("job.cancelled", job_id=job_id, shop_id=job.shop_id)
        return CancelOutcome(job, finished=job.status is not JobStatus.CANCELLED)

    def get(self, principal: Principal, job_id: int) -> SyncJob | None:
        """The job, or None when it does not exist for the caller."""
        with self.pool.connection() as conn:
            return visible_job(conn, principal, job_id)

    def list(
        self,
        principal: Principal,
        *,
        shop_id: int | None,
        first: int,
        where: JobFilter | None = None,
        after: JobPosition | None = None,
    ) -> list[SyncJob]:
        """Newest first, of the caller's tenant only (a position from anywhere else just
        places the page: it reveals nothing of another tenant)."""
        with self.pool.connection() as conn:
            return jobs.list_jobs(
                conn,
                shop_id=shop_id,
                first=first,
                tenant_id=principal.scope,
                where=where,
                after=after,
            )

    def clear_checkpoint(self, principal: Principal, job_id: int) -> SyncJob:
        """Drop a finished job's checkpoint so nothing resumes from it (the shop's next sync
        starts from the beginning); InvalidArgument("jobId") if unknown or still active."""
        principal.require_admin()
        with self.pool.connection() as conn:
            visible = visible_job(conn, principal, job_id)
            if visible is None:
                raise InvalidArgument("jobId", f"no sync job with id {job_id}")
            if visible.status.is_active:
                raise InvalidArgument(
                    "jobId", f"sync job {job_id} is {visible.status.value}: cancel it first"
                )
            cleared = checkpoints.clear_checkpoint(conn, job_id, reason="cleared on request")
        if cleared is None:  # a finished job stays finished: deleted with its shop since
            raise InvalidArgument("jobId", f"no sync job with id {job_id}")
        log.info("checkpoint.cleared", job_id=job_id, shop_id=cleared.shop_id)
        return cleared

    def expire_checkpoints(
        self, principal: Principal, *, cutoff: datetime, reason: str, limit: int
    ) -> Sequence[ExpiredCheckpoint]:
        """Clear finished jobs' checkpoints older than ``cutoff`` (the scheduler; system only)."""
        if not principal.is_system:
            raise Forbidden("only the system expires checkpoints")
        with self.pool.connection() as conn:
            expired = checkpoints.expire_checkpoints(
                conn, cutoff=cutoff, reason=reason, limit=limit
            )
        for job in expired:
            log.info("checkpoint.expired", job_id=job.job_id, shop_id=job.shop_id, reason=reason)
        return expired

    def wake_for_operation(
        self, principal: Principal, operation_id: str, *, status: str, webhook_id: str | None
    ) -> WakeOutcome:
        """Enqueue the active job following this bulk operation, once per delivery: a delivery
        seen before (kept in the database, so also after a restart) is a duplicate.

        System only: the webhook receiver calls it after checking Shopify's signature.
        """
        if not principal.is_system:
            raise Forbidden("only the system wakes jobs")
        keys = webhook_deliveries.delivery_keys(operation_id, status, webhook_id)
        job = None
        duplicate = False
        with self.pool.connection() as conn, conn.transaction() as tx:
            if not webhook_deliveries.claim(conn, keys):
                duplicate = True
                raise psycopg.Rollback(tx)  # leaves the block, undoing the claim
            job = jobs.find_active_job_for_operation(conn, operation_id)
            if job is None:
                # An unknown operation is not remembered: a copy arriving after a fast
                # operation's id was persisted can still wake its job.
                raise psycopg.Rollback(tx)
        if job is None:
            return WakeOutcome(job_id=None, duplicate=duplicate)
        self.queue.enqueue(job.id)
        return WakeOutcome(job_id=job.id, duplicate=False, shop_id=job.shop_id)

    def sweep_lost(
        self, principal: Principal, *, grace_s: float, max_deliveries: int, limit: int
    ) -> sweeper.Sweep:
        """Re-enqueue or fail active jobs whose message was lost (the scheduler; system only)."""
        if not principal.is_system:
            raise Forbidden("only the system sweeps jobs")
        with self.pool.connection() as conn:
            return sweeper.sweep_lost_jobs(
                conn,
                self.queue.enqueue,
                grace_s=grace_s,
                max_deliveries=max_deliveries,
                limit=limit,
            )

    def count_by_state(self, principal: Principal) -> Sequence[tuple[str, str, str, int]]:
        """Every tenant's jobs by (status, mode, trigger): the operator's metrics; system only."""
        if not principal.is_system:
            raise Forbidden("only the system counts every tenant's jobs")
        with self.pool.connection() as conn:
            return jobs.count_jobs_by_state(conn)


@dataclass(frozen=True)
class ScopedJobReader:
    """Job reads as one principal sees them (``api.job_events.JobReader`` fits)."""

    jobs: JobService
    principal: Principal

    def get_job(self, job_id: int) -> SyncJob | None:
        return self.jobs.get(self.principal, job_id)

    def list_jobs(self, *, shop_id: int | None, first: int) -> list[SyncJob]:
        return self.jobs.list(self.principal, shop_id=shop_id, first=first)
