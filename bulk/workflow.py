"""The sync job state machine: one bounded step per ``JobRunner.advance`` call, framework-free."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import structlog
from psycopg_pool import ConnectionPool, PoolTimeout

from . import ranges, schedules
from .crashes import crash_frames, delivery_budget_error, describe_crash
from .download import open_result, url_expired
from .errors import (
    DownloadError,
    DownloadInterruptedError,
    InvalidOrderFields,
    LeaseLost,
    OperationInProgressError,
    ReconcileRefused,
    ResultUrlExpiredError,
    ResultUrlRefusedError,
    ShopFrozenError,
    ShopifyError,
    ShopifyPermanentError,
    ShopifyTransientError,
    ShopifyUnreachableError,
    ShopsyncError,
    ThrottledError,
    TokenKeyError,
)
from .ingest import Checkpoint, Ingestor, IngestResult
from .lease import (
    LeasedJob,
    LeaseRefused,
    cancel_job_row,
    release_crashed,
    take_lease,
)
from .net import NetPolicy
from .observer import NULL_OBSERVER, EngineObserver
from .order_selection import check_bulk_limits, combined, parse_added
from .orders_query import CreatedRange, build_orders_query
from .polling import poll_delay_s
from .retry import CRASHED_STEP, TRANSIENT_STEP
from .settings import EngineSettings
from .shopify import BulkOperation, BulkOperationStatus, ShopifyClient, ShopifyEndpoint
from .shops import get_shop
from .token_crypto import TokenCipher
from .types import SyncMode

# QUEUED → RUNNING → submit (operation id persisted first) → poll (bulk/polling.py) → ingest in
# time-bounded slices from the checkpoint → COMPLETED; FAILED with a readable error on permanent
# errors or exhausted retries. The caller re-enqueues the job after ``Step.delay_s`` until done.

log = structlog.get_logger(__name__)

# Error codes of a FAILED operation that a resubmission may cure (Shopify's own advice for them).
RETRYABLE_ERROR_CODES = frozenset({"INTERNAL_SERVER_ERROR", "TIMEOUT"})
IN_PROGRESS_DELAY_S = 30.0
# Pinned so behaviour does not change with the API version: the ingest handles ungrouped files.
GROUP_OBJECTS = False

ClientFactory = Callable[[ShopifyEndpoint], ShopifyClient]


@dataclass(frozen=True)
class Step:
    """What happened in one ``advance``: done, or re-enqueue the job after ``delay_s``; and the
    other jobs to enqueue now (``wake``): a split job's new children, or a child's parent when
    the child ended."""

    done: bool
    delay_s: float = 0.0
    wake: tuple[int, ...] = ()


class _Resubmit(ShopsyncError):
    """The followed operation cannot deliver a result: submit a new one (bounded)."""

    def __init__(self, bulk_status: str, reason: str) -> None:
        super().__init__(reason)
        self.bulk_status = bulk_status
        self.reason = reason


# How long an ingest step waits for each extra merge connection before merging with fewer.
_MERGE_CONN_WAIT_S = 1.0


class JobRunner:
    """Advances sync jobs; thread-safe (each step takes its own connection and Shopify client)."""

    def __init__(
        self,
        pool: ConnectionPool[Any],
        settings: EngineSettings,
        *,
        cipher: TokenCipher,
        net_policy: NetPolicy,
        client_factory: ClientFactory | None = None,
        clock: Callable[[], float] = time.monotonic,
        lease_ttl_s: float | None = None,
        max_transient_failures: int = 8,
        observer: EngineObserver = NULL_OBSERVER,
    ) -> None:
        """``cipher`` reads the shops' stored tokens; ``net_policy`` bounds every request to
        Shopify and to its result files. Both are built by the entry point from its settings;
        ``observer`` hears what the steps do (the worker's metrics)."""
        self._pool = pool
        self._settings = settings
        self._cipher = cipher
        self._client_factory = client_factory or self._default_client
        self._clock = clock
        self._lease_ttl_s = lease_ttl_s or settings.ingest_slice_s + 4 * settings.http_timeout_s
        self._max_transient_failures = max_transient_failures
        self._net_policy = net_policy
        self._observer = observer

    @property
    def lease_ttl_s(self) -> float:
        """How long one step may hold a job; the actor's time limit is set from it."""
        return self._lease_ttl_s

    def _default_client(self, endpoint: ShopifyEndpoint) -> ShopifyClient:
        return ShopifyClient(
            endpoint,
            timeout_s=self._settings.http_timeout_s,
            max_retries=self._settings.max_request_retries,
            policy=self._net_policy,
            observer=self._observer,
        )

    # -- the step ---------------------------------------------------------------------------

    def advance(self, job_id: int) -> Step:
        """Take the job's lease, do one bounded piece of work, release the lease.

        Every delivery is counted on the job; a step that raises is recorded and retried with
        backoff, and once ``max_deliveries`` deliveries in a row have not finished cleanly (raised,
        timed out, killed) the job FAILS naming the last error. Only an interrupt (the actor's
        time limit) or an unreachable database goes on up to the caller, recorded if possible.
        """
        # Every line of the step carries the job (ingest, download and client lines too);
        # bound for this call only, so the worker thread's next job starts clean.
        with structlog.contextvars.bound_contextvars(job_id=job_id):
            try:
                return self._advance(job_id)
            finally:
                structlog.contextvars.unbind_contextvars("shop_id")  # bound once leased

    def _advance(self, job_id: int) -> Step:
        crash: BaseException | None = None
        with self._pool.connection() as conn:
            if not conn.autocommit:
                conn.autocommit = True  # each write commits on its own; ingest batches too
            leased = take_lease(conn, job_id, ttl_s=self._lease_ttl_s)
            if isinstance(leased, LeaseRefused):
                return self._refused(job_id, leased)
            structlog.contextvars.bind_contextvars(shop_id=leased.job.shop_id)
            try:
                if leased.deliveries > self._settings.max_deliveries:
                    step = self._out_of_deliveries(leased)
                else:
                    step = self._step(leased)
            except LeaseLost:
                log.info("job.fenced")
                step = Step(done=False, delay_s=self._settings.poll_initial_delay_s)
            except BaseException as exc:  # recorded below, after the connection is returned
                crash = exc
            if crash is None:
                leased.release(next_step_in_s=step.delay_s)
                parent = leased.job.parent_job_id
                if step.done and parent is not None:
                    step = replace(step, wake=(*step.wake, parent))  # it judges its ranges now
                return step
        return self._crashed(leased, crash)

    def _refused(self, job_id: int, refused: LeaseRefused) -> Step:
        if refused.status is None:
            log.warning("job.not_found", job_id=job_id)
            return Step(done=True)
        if not refused.status.is_active:
            return Step(done=True)  # a duplicate message for a finished job
        # Leased by a live worker, or one that died holding it: try again once it expires (a
        # killed worker's redelivered message is the only one left).
        return Step(done=False, delay_s=max(refused.lease_left_s, 0.1))

    def _out_of_deliveries(self, job: LeasedJob) -> Step:
        attempts = job.deliveries - 1
        with job.conn.transaction():  # a split job's ranges end with it (children first)
            ranges.cancel_children(job.conn, job.job.id)
            job.fail(delivery_budget_error(attempts, job.step_error))
        log.warning("job.out_of_deliveries", job_id=job.job.id, deliveries=attempts)
        return Step(done=True)

    def _crashed(self, job: LeasedJob, exc: BaseException) -> Step:
        """Record a step that raised on a fresh connection (the step's may be broken): a bounded
        retry for an exception; an interrupt or an unrecordable crash goes on up."""
        error = describe_crash(exc)
        delay_s = CRASHED_STEP.delay_s(job.deliveries)
        log.error(
            "job.step_crashed",
            job_id=job.job.id,
            deliveries=job.deliveries,
            error=error,
            frames=crash_frames(exc),
        )
        try:
            with self._pool.connection() as conn:
                still_ours = release_crashed(
                    conn, job.job.id, job.lease, error=error, next_step_in_s=delay_s
                )
        except Exception as record_exc:
            # The database is away: the broker's retries, then the sweeper, deliver it again.
            log.warning(
                "job.crash_not_recorded", job_id=job.job.id, error=describe_crash(record_exc)
            )
            raise exc from None
        if not isinstance(exc, Exception):
            raise exc  # an interrupt (time limit, shutdown) is recorded, never swallowed
        self._observer.retry("crashed")
        # Not ours any more: finished, cancelled, or taken over by a worker that sends its own
        # next message (a second one would run the job twice as often from now on).
        return Step(done=False, delay_s=delay_s) if still_ours else Step(done=True)

    def _step(self, job: LeasedJob) -> Step:
        job.mark_running()
        shop = get_shop(job.conn, job.job.shop_id)
        if shop is None:
            job.fail("the job's shop no longer exists")
            return Step(done=True)
        try:
            endpoint = ShopifyEndpoint.from_shop(shop, self._cipher)
        except TokenKeyError as exc:
            job.fail(str(exc))  # the message names the shop, never the token or a key
            return Step(done=True)
        try:
            with self._client_factory(endpoint) as client:
                return self._step_with_client(job, client)
        except ShopifyPermanentError as exc:
            with job.conn.transaction():  # the job's end and its schedule's pause at once
                job.fail(f"Shopify: {exc}")
                if isinstance(exc, ShopFrozenError):
                    schedules.pause_unavailable_shop(job.conn, job.job.shop_id, f"Shopify: {exc}")
            return Step(done=True)
        except (ShopifyTransientError, DownloadInterruptedError) as exc:
            return self._transient(job, exc)

    def _transient(self, job: LeasedJob, exc: Exception) -> Step:
        failures = job.record_transient_failure(str(exc))
        if failures > self._max_transient_failures:
            job.fail(f"gave up after {failures} transient failures; last: {exc}")
            return Step(done=True)
        # Never sooner than Shopify asked (THROTTLED's restore time, Retry-After).
        server_wait_s = getattr(exc, "retry_after_s", None)
        delay_s = TRANSIENT_STEP.delay_s(failures, server_wait_s=server_wait_s)
        self._observer.retry("transient")
        if isinstance(exc, ThrottledError):
            self._observer.throttle_wait(delay_s)
        log.info("job.transient_failure", job_id=job.job.id, failures=failures, error=str(exc))
        return Step(done=False, delay_s=delay_s)

    def _step_with_client(self, job: LeasedJob, client: ShopifyClient) -> Step:
        if job.job.range_count is None and job.job.bulk_operation_id is None:
            planned = self._plan(job, client)
            if planned is not None:
                return planned
        if (job.job.range_count or 1) > 1:
            return self._supervise(job, client)
        for _ in range(self._settings.max_bulk_attempts + 1):
            try:
                return self._phase(job, client)
            except _Resubmit as resubmit:
                if job.job.bulk_attempts >= self._settings.max_bulk_attempts:
                    job.fail(
                        f"the bulk operation did not succeed in {job.job.bulk_attempts} "
                        f"attempts; last: {resubmit.reason}"
                    )
                    return Step(done=True)
                log.info("job.resubmit", job_id=job.job.id, reason=resubmit.reason)
                job.drop_operation(bulk_status=resubmit.bulk_status, error=resubmit.reason)
        raise AssertionError("resubmission loop did not settle")  # pragma: no cover

    def _phase(self, job: LeasedJob, client: ShopifyClient) -> Step:
        if job.job.bulk_operation_id is None:
            return self._submit(job, client)
        if job.job.bulk_status == BulkOperationStatus.COMPLETED and job.job.result_url:
            return self._ingest(job, client)
        return self._poll(job, client)

    # -- ranges (concurrent operations) -----------------------------------------------------

    def _plan(self, job: LeasedJob, client: ShopifyClient) -> Step | None:
        """Once per job, before its first submit: split it into created_at ranges, one child job
        each (enqueued by the caller), or keep it whole (None: go on as one operation)."""
        row = job.job
        count = ranges.operations_for(
            row,
            configured=self._settings.bulk_operations_per_job,
            concurrent_allowed=client.endpoint.at_least(ranges.CONCURRENT_SINCE),
        )
        planned = [CreatedRange()]
        window = ranges.window_search(row)
        if count > 1:
            count = self._operations_by_size(job, client, window, count)
        if count > 1:
            earliest = client.earliest_order_created_at(window)
            until = row.started_at or datetime.now(UTC)
            planned = ranges.plan_ranges(earliest, until, count)
        children = ranges.record_plan(job.conn, job_id=row.id, lease=job.lease, ranges=planned)
        job.job = replace(row, range_count=len(planned))
        if not children:
            return None
        log.info("job.split", job_id=row.id, ranges=len(children))
        return Step(done=False, delay_s=self._settings.poll_initial_delay_s, wake=tuple(children))

    def _operations_by_size(
        self, job: LeasedJob, client: ShopifyClient, window: str | None, most: int
    ) -> int:
        """Operations the job's window is large enough for (ordersCount, counted no further
        than it matters); 1 when Shopify cannot count it (after the client's own retries)."""
        minimum = self._settings.bulk_min_orders_per_operation
        try:
            counted = client.orders_count(window, limit=most * minimum)
        except ShopifyError as exc:
            log.warning("job.orders_count_unavailable", job_id=job.job.id, error=str(exc))
            return 1
        count = ranges.operations_by_size(counted.count, min_per_operation=minimum, most=most)
        log.info(
            "job.orders_counted",
            job_id=job.job.id,
            orders=counted.count,
            exact=counted.exact,
            operations=count,
        )
        return count

    def _supervise(self, job: LeasedJob, client: ShopifyClient) -> Step:
        """A split job: COMPLETED once every range is; FAILED, naming the range, as soon as one
        FAILED (after its own retries) or was cancelled, the other ranges cancelled with it."""
        count = job.job.range_count or 1
        children = ranges.children(job.conn, job.job.id)
        verdict = ranges.verdict(children)
        if verdict.failed is not None:
            with job.conn.transaction():  # children first: the lock order their commits take
                cancelled = ranges.cancel_children(job.conn, job.job.id)
                job.fail(ranges.failure_message(verdict.failed, count))
            for child in cancelled:
                if child.operation_id and child.bulk_status in _CANCELLABLE:
                    _cancel_quietly(client, child.operation_id, child.job_id)
            return Step(done=True)
        summary = ranges.summary_status(children)
        if summary is not None and summary != job.job.bulk_status:
            ranges.record_summary(job.conn, job_id=job.job.id, lease=job.lease, status=summary)
        if verdict.done:
            with job.conn.transaction():
                job.complete()
                schedules.resume_after_completed(job.conn, job.job)
            log.info("job.completed", job_id=job.job.id, ranges=count)
            return Step(done=True)
        # Each child wakes its parent when it ends; this is the fallback cadence.
        started = job.job.started_at or datetime.now(UTC)
        s = self._settings
        delay = poll_delay_s(
            (datetime.now(UTC) - started).total_seconds(),
            floor_s=s.poll_initial_delay_s,
            share=s.poll_elapsed_share,
            ceiling_s=s.poll_max_delay_s,
        )
        return Step(done=False, delay_s=delay)

    # -- submit -----------------------------------------------------------------------------

    def _query(self, job: LeasedJob) -> str:
        """The job's bulk query, with the fields the deployment and the shop add (raises
        InvalidOrderFields when they cannot be used)."""
        if job.job.sync_mode is SyncMode.RECONCILE:
            return build_orders_query(job.job.sync_mode, job.job.filter_since)
        shop = get_shop(job.conn, job.job.shop_id)
        extra = combined(
            parse_added(self._settings.extra_order_fields),
            parse_added(None if shop is None else shop.extra_order_fields),
        )
        check_bulk_limits(extra)
        created = CreatedRange(job.job.range_created_from, job.job.range_created_before)
        return build_orders_query(
            job.job.sync_mode, job.job.filter_since, extra or None, created=created
        )

    def _submit(self, job: LeasedJob, client: ShopifyClient) -> Step:
        try:
            query = self._query(job)
        except InvalidOrderFields as exc:
            # Never a query without them: the shop asked for those fields.
            job.fail(f"the orders query cannot be built: {exc}")
            return Step(done=True)
        if job.submit_started_at is not None:
            # A previous submit's answer was lost: adopt what it created rather than duplicate,
            # but never an operation any job of the shop already knows (same query text).
            found = client.find_submitted_operation(
                query, submitted_at=job.submit_started_at, exclude=job.known_operations()
            )
            if found is not None and found.status not in _DEAD:
                log.info("job.reconciled", job_id=job.job.id, operation_id=found.id)
                job.record_submission(found, new_attempt=True, role="adopted")
                return self._after_submit(job, found)
            job.clear_submit()
        # What exists now is not this submit's, whatever Shopify's clock says later.
        job.remember_operations(client.latest_operation_ids())
        submitted_at = job.begin_submit()
        try:
            operation = client.run_bulk_query(query, group_objects=GROUP_OBJECTS)
        except OperationInProgressError as exc:
            adopted = self._adopt_running(job, client, query, exc.operation_ids, submitted_at)
            if adopted is not None:
                job.record_submission(adopted, new_attempt=True, role="adopted")
                return self._after_submit(job, adopted)
            job.clear_submit()  # refused: nothing was created
            log.info("job.operation_in_progress", job_id=job.job.id, running=exc.operation_ids)
            return Step(done=False, delay_s=exc.retry_after_s or IN_PROGRESS_DELAY_S)
        except ShopifyUnreachableError:
            raise  # in doubt: submit_started_at stays set, the next step reconciles
        except (ShopifyTransientError, ShopifyPermanentError):
            job.clear_submit()  # Shopify answered: it did not create an operation
            raise
        try:
            job.record_submission(operation, new_attempt=True)
        except LeaseLost:
            # Cancelled (a split job's range with its parent, say) while Shopify created it:
            # nobody will read it, so it should not run on.
            _cancel_quietly(client, operation.id, job.job.id)
            raise
        log.info("job.submitted", job_id=job.job.id, operation_id=operation.id)
        return self._after_submit(job, operation)

    def _adopt_running(
        self,
        job: LeasedJob,
        client: ShopifyClient,
        query: str,
        ids: tuple[str, ...],
        submitted_at: Any,
    ) -> BulkOperation | None:
        if ids and client.endpoint.at_least("2026-01"):
            return None  # 5 concurrent ops allowed: a refusal means none of ours is among them
        known = job.known_operations()
        for operation_id in ids:
            if operation_id in known:
                continue
            operation = client.get_bulk_operation(operation_id)
            if operation is None or operation.status in _DEAD:
                continue
            found = client.find_submitted_operation(query, submitted_at=submitted_at, exclude=known)
            if found is not None and found.id == operation.id:
                return operation
        return None

    def _after_submit(self, job: LeasedJob, operation: BulkOperation) -> Step:
        if operation.status.is_terminal:
            return Step(done=False, delay_s=0.0)  # let the poll phase branch on it
        return Step(done=False, delay_s=self._settings.poll_initial_delay_s)

    # -- poll -------------------------------------------------------------------------------

    def _poll(self, job: LeasedJob, client: ShopifyClient) -> Step:
        operation_id = job.job.bulk_operation_id
        assert operation_id is not None
        operation = client.get_bulk_operation(operation_id)
        if operation is None:
            raise _Resubmit("UNKNOWN", f"Shopify no longer knows bulk operation {operation_id}")
        status = operation.status
        if status in (
            BulkOperationStatus.CREATED,
            BulkOperationStatus.RUNNING,
            BulkOperationStatus.CANCELING,
        ):
            ages = job.record_poll(operation)
            limit_s = self._status_limit_s(status)
            if ages.in_status_s > limit_s:
                return self._stuck(job, client, operation, ages.in_status_s, limit_s)
            s = self._settings
            delay = poll_delay_s(
                ages.since_submit_s,
                floor_s=s.poll_initial_delay_s,
                share=s.poll_elapsed_share,
                ceiling_s=s.poll_max_delay_s,
            )
            return Step(done=False, delay_s=delay)
        if status is BulkOperationStatus.COMPLETED:
            job.record_result(operation)
            if operation.url is None:
                if operation.object_count > 0:  # only an empty result comes without a file
                    raise _Resubmit(
                        status.value,
                        f"Shopify reported {operation.object_count} objects but no result URL",
                    )
                return self._finish(job, _ingestor(job, self._settings, []), eof_only=True)
            return self._ingest(job, client)
        job.record_poll(operation)
        code = operation.error_code
        if status is BulkOperationStatus.FAILED:
            if code == "ACCESS_DENIED":
                job.fail(
                    "Shopify failed the bulk operation with ACCESS_DENIED: the app lacks a scope "
                    "the query needs (e.g. read_orders / read_all_orders) or is not allowed to "
                    "run bulk operations"
                )
                return Step(done=True)
            if code in RETRYABLE_ERROR_CODES:
                raise _Resubmit(status.value, f"bulk operation failed with {code}")
            job.fail(f"Shopify failed the bulk operation with an unknown error code {code!r}")
            return Step(done=True)
        if status is BulkOperationStatus.CANCELED:
            raise _Resubmit(status.value, "Shopify cancelled the bulk operation")
        if status is BulkOperationStatus.EXPIRED:
            raise _Resubmit(status.value, "the bulk operation's result expired")
        job.fail(f"bulk operation in an unhandled status {status.value}")  # pragma: no cover
        return Step(done=True)  # pragma: no cover

    def _status_limit_s(self, status: BulkOperationStatus) -> float:
        s = self._settings
        if status is BulkOperationStatus.CREATED:
            return s.bulk_created_limit_s
        if status is BulkOperationStatus.RUNNING:
            return s.bulk_running_limit_s
        return s.bulk_canceling_limit_s

    def _stuck(
        self,
        job: LeasedJob,
        client: ShopifyClient,
        operation: BulkOperation,
        in_status_s: float,
        limit_s: float,
    ) -> Step:
        """The operation overstayed its status: cancel it (best effort) and fail the job."""
        status = operation.status.value
        outcome = "it was already being cancelled"
        if operation.status is not BulkOperationStatus.CANCELING:
            try:
                client.cancel_bulk_operation(operation.id)
                outcome = "asked Shopify to cancel it"
            except ShopifyError as exc:
                outcome = f"cancelling it failed ({type(exc).__name__})"
        job.fail(
            f"the bulk operation stayed {status} for {_duration(in_status_s)} "
            f"(limit {_duration(limit_s)}); {outcome}"
        )
        log.warning("job.operation_stuck", job_id=job.job.id, status=status, seconds=in_status_s)
        return Step(done=True)

    # -- ingest -----------------------------------------------------------------------------

    def _ingest(self, job: LeasedJob, client: ShopifyClient) -> Step:
        row = job.job
        start = Checkpoint(row.checkpoint_line, row.checkpoint_byte)
        started_at = self._clock()
        try:
            with ExitStack() as merging:
                ingestor = _ingestor(job, self._settings, self._merge_conns(merging))
                result = self._read_result(job, ingestor, start)
        except ResultUrlRefusedError as exc:  # permanent: a fresh URL would be the same host
            job.fail(f"the result URL was refused by the network policy: {exc}")
            log.warning("job.result_url_refused", job_id=row.id, error=str(exc))
            return Step(done=True)
        except DownloadInterruptedError as exc:
            if job.checkpoint_byte() != start.byte:
                job.record_progress()  # batches were committed: the download is not stuck
            return self._transient(job, exc)
        except DownloadError as exc:  # expired, or the host answered something else than the file
            return self._refresh_url(job, client, exc)
        self._observer.ingested(
            lines=result.lines,
            bytes_read=result.checkpoint.byte - start.byte,
            seconds=self._clock() - started_at,
            dead_letters=result.dead_letters,
        )
        log.info(
            "job.ingested",
            job_id=row.id,
            lines=result.lines,
            checkpoint_byte=result.checkpoint.byte,
            eof=result.eof,
        )
        if not result.eof:
            job.record_progress()
            return Step(done=False, delay_s=0.0)
        return self._finish(job, ingestor)

    def _read_result(self, job: LeasedJob, ingestor: Ingestor, start: Checkpoint) -> IngestResult:
        row = job.job
        assert row.result_url is not None
        with open_result(
            row.result_url,
            offset=start.byte,
            file_size=row.result_file_size,
            timeout_s=self._settings.http_timeout_s,
            policy=self._net_policy,
        ) as chunks:
            return ingestor.ingest(
                chunks, start=start, deadline=self._clock() + self._settings.ingest_slice_s
            )

    def _merge_conns(self, stack: ExitStack) -> list[psycopg.Connection[Any]]:
        """The connections that merge parts of the file beside the job's, from the pool (sized
        for them), returned when ``stack`` closes."""
        conns = []
        for _ in range(self._settings.merge_connections - 1):
            try:
                conn = stack.enter_context(self._pool.connection(timeout=_MERGE_CONN_WAIT_S))
            except PoolTimeout:
                # A pool smaller than threads x merge_connections: fewer parts, still exact.
                log.warning("job.merge_connections_short", wanted=self._settings.merge_connections)
                break
            if not conn.autocommit:
                conn.autocommit = True  # each part's batch commits its own transaction
            conns.append(conn)
        return conns

    def _refresh_url(self, job: LeasedJob, client: ShopifyClient, exc: DownloadError) -> Step:
        operation_id = job.job.bulk_operation_id
        assert operation_id is not None
        if job.url_refreshes < 1:
            operation = client.get_bulk_operation(operation_id)
            # Re-polling cannot extend a URL's expiry, but a URL that is not past its Expires
            # may have failed for a passing reason: one more try with what Shopify now gives.
            if (
                operation is not None
                and operation.status is BulkOperationStatus.COMPLETED
                and operation.url
                and not url_expired(operation.url)
            ):
                job.refresh_url(operation)
                return Step(done=False, delay_s=0.0)
        bulk_status = "EXPIRED" if isinstance(exc, ResultUrlExpiredError) else "COMPLETED"
        raise _Resubmit(bulk_status, f"the result URL could not be used: {exc}")

    def _finish(self, job: LeasedJob, ingestor: Ingestor, *, eof_only: bool = False) -> Step:
        try:
            ingestor.finish()
        except ReconcileRefused as exc:  # rolled back: nothing was marked deleted
            job.fail(f"reconcile marked nothing deleted: {exc}")
            return Step(done=True)
        with job.conn.transaction():  # a completed manual sync lifts a frozen shop's pause
            job.complete()
            schedules.resume_after_completed(job.conn, job.job)
        log.info("job.completed", job_id=job.job.id, empty=eof_only)
        return Step(done=True)


_DEAD = frozenset(
    {
        BulkOperationStatus.FAILED,
        BulkOperationStatus.CANCELED,
        BulkOperationStatus.CANCELING,
        BulkOperationStatus.EXPIRED,
    }
)


def _cancel_quietly(client: ShopifyClient, operation_id: str, job_id: int) -> None:
    """Ask Shopify to cancel an operation nobody will read, best effort."""
    try:
        client.cancel_bulk_operation(operation_id)
    except ShopifyError as exc:
        log.warning("job.cancel_operation_failed", job_id=job_id, error=str(exc))


def _duration(seconds: float) -> str:
    """Readable: ``10 days, 0:00:00``, ``1:00:00``; sub-second limits (tests) as ``0.30s``."""
    if seconds < 1:
        return f"{seconds:.2f}s"
    return str(timedelta(seconds=round(seconds)))


def _ingestor(
    job: LeasedJob, settings: EngineSettings, merge_conns: list[psycopg.Connection[Any]]
) -> Ingestor:
    return Ingestor(
        job.conn,
        merge_conns=merge_conns,
        job_id=job.job.id,
        shop_id=job.job.shop_id,
        mode=job.job.sync_mode,
        operation_id=job.job.bulk_operation_id,
        lease_token=job.lease,
        batch_bytes=settings.batch_bytes,
        max_line_bytes=settings.max_line_bytes,
        max_deleted_ratio=settings.reconcile_max_deleted_ratio,
    )


@dataclass(frozen=True)
class CancelledJob:
    """A job just marked CANCELLED, and the Shopify operations to cancel with it (its own, or a
    split job's children's)."""

    job_id: int
    endpoint: ShopifyEndpoint | None
    operation_ids: tuple[str, ...] = ()


# Statuses in which the operation may still produce a file: worth asking Shopify to cancel.
_CANCELLABLE = frozenset({BulkOperationStatus.CREATED.value, BulkOperationStatus.RUNNING.value})


def mark_cancelled(
    conn: psycopg.Connection[Any], job_id: int, cipher: TokenCipher
) -> CancelledJob | None:
    """QUEUED/RUNNING → CANCELLED (the fence: no worker commits for it any more), a split job's
    children with it; None if the job is not active. Only the database: call
    ``cancel_operation`` after releasing ``conn``."""
    with conn.transaction():  # children first: the lock order their commits take
        children = ranges.cancel_children(conn, job_id)
        row = cancel_job_row(conn, job_id)
    if row is None:
        return None
    operations = [(row["bulk_operation_id"], row["bulk_status"])]
    operations += [(child.operation_id, child.bulk_status) for child in children]
    operation_ids = tuple(op for op, status in operations if op and status in _CANCELLABLE)
    if not operation_ids:
        return CancelledJob(job_id, None)
    shop = get_shop(conn, row["shop_id"])
    try:
        endpoint = None if shop is None else ShopifyEndpoint.from_shop(shop, cipher)
    except TokenKeyError as exc:  # the job is CANCELLED; only Shopify's copy runs on
        log.warning("job.cancel_operation_failed", job_id=job_id, error=str(exc))
        endpoint = None
    return CancelledJob(job_id, endpoint, operation_ids if endpoint else ())


def cancel_operation(
    cancelled: CancelledJob, *, client_factory: ClientFactory | None = None
) -> None:
    """Ask Shopify to cancel the job's operations, best effort: the job is CANCELLED either way."""
    if cancelled.endpoint is None or not cancelled.operation_ids:
        return
    factory = client_factory or ShopifyClient
    try:
        with factory(cancelled.endpoint) as client:
            for operation_id in cancelled.operation_ids:
                try:
                    client.cancel_bulk_operation(operation_id)
                except ShopifyError as exc:  # the others are still worth asking
                    log.warning(
                        "job.cancel_operation_failed", job_id=cancelled.job_id, error=str(exc)
                    )
    except ShopifyError as exc:
        log.warning("job.cancel_operation_failed", job_id=cancelled.job_id, error=str(exc))


def cancel_job(
    conn: psycopg.Connection[Any],
    job_id: int,
    cipher: TokenCipher,
    *,
    client_factory: ClientFactory | None = None,
) -> bool:
    """QUEUED/RUNNING → CANCELLED; cancels the Shopify operation best-effort. False if inactive."""
    cancelled = mark_cancelled(conn, job_id, cipher)
    if cancelled is None:
        return False
    cancel_operation(cancelled, client_factory=client_factory)
    return True
