"""Live sync-job updates: one LISTEN connection per API process, fanned out to subscribers."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import anyio
import psycopg
import structlog
from anyio import to_thread
from psycopg import sql

from bulk.errors import EventStreamEnded
from bulk.jobs import SyncJob
from bulk.retry import Backoff, reconnect_backoff

# Postgres triggers ``pg_notify('sync_job_events', '{"job_id": …, "shop_id": …, "status": …}')``
# on every job change. ``JobEventHub.running()`` (entered in the app's lifespan) keeps one
# autocommit connection listening, reconnecting with backoff; a single loader task reads the
# changed rows through the API's pool, one read at a time, so every subscriber sees the states of
# a job in the order they were read. Each subscriber has a bounded mailbox holding only the
# latest unread state per job: a slow reader skips intermediate states, never the last one.

log = structlog.get_logger(__name__)

CHANNEL = "sync_job_events"


class JobReader(Protocol):
    """Reads jobs through the pool (``service.jobs.ScopedJobReader`` fits)."""

    def get_job(self, job_id: int) -> SyncJob | None: ...

    def list_jobs(self, *, shop_id: int | None, first: int) -> list[SyncJob]: ...


@dataclass(frozen=True)
class JobEvent:
    """One notification: which job changed (payloads carry ids only)."""

    job_id: int
    shop_id: int | None


def parse_event(payload: str) -> JobEvent | None:
    """The event in a notification payload, or None when it is not one of ours."""
    try:
        data = json.loads(payload)
        job_id = int(data["job_id"])
        shop_id = None if data.get("shop_id") is None else int(data["shop_id"])
    except (ValueError, TypeError, KeyError):
        return None
    return JobEvent(job_id=job_id, shop_id=shop_id)


class JobSubscriber:
    """One subscriber's mailbox: the latest unread state per job, in order of first change.

    ``job_id`` set: one job (a read finding no row is delivered as None). ``shop_id`` set: the
    jobs of one shop. Neither: every job. More than ``max_pending`` distinct unread jobs ends
    the stream (``EventStreamEnded(lagged=True)``) instead of growing without bound.
    """

    def __init__(
        self, *, job_id: int | None = None, shop_id: int | None = None, max_pending: int = 1000
    ) -> None:
        self.job_id = job_id
        self.shop_id = shop_id
        self.max_pending = max_pending
        self._pending: dict[int, SyncJob | None] = {}
        self._wakeup = anyio.Event()
        self._ended: EventStreamEnded | None = None

    def wants(self, job_id: int, shop_id: int | None) -> bool:
        """Whether a change of this job concerns the subscriber (unknown shop: maybe)."""
        if self.job_id is not None:
            return job_id == self.job_id
        return self.shop_id is None or shop_id is None or shop_id == self.shop_id

    def offer(self, job_id: int, job: SyncJob | None) -> None:
        """Store the latest state of a job, replacing an unread older one."""
        if self._ended is not None:
            return
        if job_id not in self._pending and len(self._pending) >= self.max_pending:
            self._pending.clear()
            self.end(EventStreamEnded("the subscriber fell too far behind", lagged=True))
            return
        self._pending[job_id] = job
        self._wakeup.set()

    def end(self, reason: EventStreamEnded) -> None:
        """Stop the stream once the unread states are taken."""
        if self._ended is None:
            self._ended = reason
        self._wakeup.set()

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def next(self) -> tuple[int, SyncJob | None]:
        """The oldest unread (job id, latest state); raises EventStreamEnded when over."""
        while not self._pending:
            if self._ended is not None:
                raise self._ended
            self._wakeup = anyio.Event()
            await self._wakeup.wait()
        job_id = next(iter(self._pending))
        return job_id, self._pending.pop(job_id)


class JobEventHub:
    """The process's LISTEN connection, a loader reading changed jobs, and the subscribers."""

    def __init__(
        self,
        *,
        conninfo: str,
        reader: JobReader,
        max_pending_per_subscriber: int = 1000,
        max_pending_jobs: int = 10_000,
        reconnect_initial_delay_s: float = 0.5,
        reconnect_max_delay_s: float = 15.0,
        health_check_interval_s: float = 30.0,
        connect_timeout_s: int = 10,
        resync_margin_s: float = 60.0,
        resync_first: int = 200,
    ) -> None:
        self.conninfo = conninfo
        self.reader = reader
        self.max_pending_per_subscriber = max_pending_per_subscriber
        self.max_pending_jobs = max_pending_jobs
        self.reconnect_initial_delay_s = reconnect_initial_delay_s
        self.reconnect_max_delay_s = reconnect_max_delay_s
        self.health_check_interval_s = health_check_interval_s
        self.connect_timeout_s = connect_timeout_s
        # After a reconnect, jobs updated since the last sign of life minus this margin (clock
        # skew, transactions begun before and committed after the loss) are read again.
        self.resync_margin_s = resync_margin_s
        self.resync_first = resync_first
        self._subscribers: set[JobSubscriber] = set()
        # Jobs to read, in order: job id -> (shop id if known, whether a NOTIFY asked for it).
        # A read asked for by a new job subscriber alone is not news for the other subscribers.
        self._pending: dict[int, tuple[int | None, bool]] = {}
        self._resync_since: datetime | None = None
        self._loader_wakeup = anyio.Event()
        self._running = False
        self._alive_at = datetime.now(UTC)
        self.backend_pid: int | None = None  # of the LISTEN connection while it is up
        self.connections = 0  # successful (re)connections so far

    @property
    def listening(self) -> bool:
        return self.backend_pid is not None

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[JobEventHub]:
        """Listen and load until the block exits; then end every subscriber's stream."""
        self._loader_wakeup = anyio.Event()
        self._pending.clear()
        self._alive_at = datetime.now(UTC)
        async with anyio.create_task_group() as tasks:
            self._running = True
            tasks.start_soon(self._listen_forever)
            tasks.start_soon(self._load_forever)
            try:
                yield self
            finally:
                self._running = False
                tasks.cancel_scope.cancel()
                for subscriber in list(self._subscribers):
                    subscriber.end(EventStreamEnded("the API is shutting down"))

    @contextlib.contextmanager
    def subscribe(
        self, *, job_id: int | None = None, shop_id: int | None = None
    ) -> Iterator[JobSubscriber]:
        """Register a subscriber for the block; a job subscriber's current state is read first."""
        if not self._running:
            raise RuntimeError("the job event hub is not running")
        subscriber = JobSubscriber(
            job_id=job_id, shop_id=shop_id, max_pending=self.max_pending_per_subscriber
        )
        self._subscribers.add(subscriber)
        try:
            if job_id is not None:
                # Through the loader, so the first state is ordered with every later one.
                self._schedule(job_id, None, notified=False)
            yield subscriber
        finally:
            self._subscribers.discard(subscriber)

    def _schedule(self, job_id: int, shop_id: int | None, *, notified: bool) -> None:
        queued = self._pending.get(job_id)
        if queued is None and len(self._pending) >= self.max_pending_jobs:
            log.warning("events.pending_overflow", max_pending_jobs=self.max_pending_jobs)
            self._pending.clear()
            self._request_resync(self._alive_at)
            return
        if queued is not None:
            shop_id = queued[0] if shop_id is None else shop_id
            notified = notified or queued[1]
        self._pending[job_id] = (shop_id, notified)
        self._loader_wakeup.set()

    def _request_resync(self, since: datetime) -> None:
        if self._resync_since is None or since < self._resync_since:
            self._resync_since = since
        self._loader_wakeup.set()

    def _on_notify(self, payload: str) -> None:
        event = parse_event(payload)
        if event is None:
            log.warning("events.unexpected_payload", channel=CHANNEL)
            return
        if any(s.wants(event.job_id, event.shop_id) for s in self._subscribers):
            self._schedule(event.job_id, event.shop_id, notified=True)

    @property
    def reconnect_backoff(self) -> Backoff:
        """The jittered delays between reconnects (and loader retries), from the settings."""
        return reconnect_backoff(self.reconnect_initial_delay_s, self.reconnect_max_delay_s)

    async def _listen_forever(self) -> None:
        failures = 0
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(
                    self.conninfo, autocommit=True, connect_timeout=self.connect_timeout_s
                )
            except Exception as exc:  # down, refusing, unreachable: try again later
                log.warning(
                    "events.listen_connect_failed", channel=CHANNEL, error=type(exc).__name__
                )
            else:
                try:
                    await self._listen(conn)
                except Exception as exc:  # the connection broke: reconnect
                    log.warning("events.listen_lost", channel=CHANNEL, error=type(exc).__name__)
                finally:
                    self.backend_pid = None
                    # Shielded: when the hub stops, this task is cancelled, and anyio cancels
                    # every await inside a cancelled scope again, so an unshielded close (or
                    # ``async with conn``'s rollback before it) never runs and leaks the
                    # connection until garbage collection.
                    with anyio.CancelScope(shield=True):
                        await conn.close()
                failures = 0  # it was connected: start over from the shortest delay
            failures += 1
            await anyio.sleep(self.reconnect_backoff.delay_s(failures))

    async def _listen(self, conn: psycopg.AsyncConnection[Any]) -> None:
        await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(CHANNEL)))
        self.backend_pid = conn.info.backend_pid
        self.connections += 1
        # Anything changed while nobody listened (or before the first connection) is read now.
        self._request_resync(self._alive_at - timedelta(seconds=self.resync_margin_s))
        log.info("events.listening", channel=CHANNEL, backend_pid=self.backend_pid)
        while True:
            self._alive_at = datetime.now(UTC)
            async for notify in conn.notifies(timeout=self.health_check_interval_s):
                self._alive_at = datetime.now(UTC)
                self._on_notify(notify.payload)
            # Quiet for a while: make sure the connection is still there.
            await conn.execute("SELECT 1")

    async def _load_forever(self) -> None:
        failures = 0
        while True:
            await self._loader_wakeup.wait()
            self._loader_wakeup = anyio.Event()
            try:
                await self._load_pending()
            except Exception:  # the database is down or busy: keep the work and retry
                log.warning("events.load_failed", exc_info=True)
                self._loader_wakeup.set()
                failures += 1
                await anyio.sleep(self.reconnect_backoff.delay_s(failures))
            else:
                failures = 0

    async def _load_pending(self) -> None:
        if self._resync_since is not None:
            since, self._resync_since = self._resync_since, None
            try:
                await self._resync(since)
            except BaseException:
                self._request_resync(since)
                raise
        while self._pending:
            job_id, (shop_id, notified) = next(iter(self._pending.items()))
            # Taken off before the read: a change committed during it schedules another read.
            del self._pending[job_id]
            # Subscribers registered during the read get their own, later read.
            audience = [
                s
                for s in self._subscribers
                if s.wants(job_id, shop_id) and (notified or s.job_id == job_id)
            ]
            if not audience:
                continue
            try:
                job = await to_thread.run_sync(self.reader.get_job, job_id)
            except BaseException:
                if job_id not in self._pending:
                    self._pending[job_id] = (shop_id, notified)
                raise
            self._publish(job_id, job, audience)

    async def _resync(self, since: datetime) -> None:
        """Read again what may have changed unseen: watched jobs, and recent or active ones."""
        subscribers = list(self._subscribers)
        for job_id in {s.job_id for s in subscribers if s.job_id is not None}:
            job = await to_thread.run_sync(self.reader.get_job, job_id)
            self._publish(job_id, job, [s for s in subscribers if s.job_id == job_id])
        shop_filters = {s.shop_id for s in subscribers if s.job_id is None}
        if None in shop_filters:
            shop_filters = {None}
        for shop_id in shop_filters:
            jobs = await to_thread.run_sync(self._list_jobs, shop_id)
            for job in reversed(jobs):  # oldest first
                if job.status.is_active or job.updated_at >= since:
                    audience = [s for s in subscribers if s.job_id is None]
                    self._publish(job.id, job, audience)

    def _list_jobs(self, shop_id: int | None) -> list[SyncJob]:
        return self.reader.list_jobs(shop_id=shop_id, first=self.resync_first)

    def _publish(self, job_id: int, job: SyncJob | None, audience: list[JobSubscriber]) -> None:
        shop_id = None if job is None else job.shop_id
        for subscriber in audience:
            if subscriber not in self._subscribers:
                continue  # unsubscribed during the read
            if job is None and subscriber.job_id != job_id:
                continue  # "no such job" only matters to whoever asked for it
            if subscriber.wants(job_id, shop_id):
                subscriber.offer(job_id, job)
