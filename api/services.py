"""What the API does, as plain sync functions over the pool, the queue and Shopify.

Each public method is one unit of work for one resolver; resolvers run them in a worker
thread because psycopg's pool is synchronous. Jobs are enqueued only after their row is
committed, so a worker never receives an id it cannot read.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import psycopg
from psycopg_pool import ConnectionPool

from bulk import deadletters, jobs, shops, webhook_deliveries, workflow
from bulk.deadletters import DeadLetter, RetryResult
from bulk.errors import (
    AccessDeniedError,
    AuthenticationError,
    DestinationRefusedError,
    InvalidJobRequest,
    JobNotFound,
    JobStillActive,
    ShopifyError,
    ShopifyTransientError,
    ShopUnavailableError,
    WebhookSubscriptionError,
)
from bulk.jobs import CreatedJob, JobRequest, SyncJob
from bulk.net import STRICT, NetPolicy
from bulk.shopify import ShopifyClient, ShopifyEndpoint
from bulk.shops import Shop
from bulk.token_crypto import TokenCipher
from bulk.types import JobStatus, SyncMode

from .ports import JobQueue, ShopCredentials, ShopVerifier

log = logging.getLogger(__name__)

_API_VERSION = re.compile(r"^(\d{4}-(0[1-9]|1[0-2])|unstable)$")
MAX_TOKEN_LENGTH = 1024


def parse_connect_request(
    *,
    domain: str,
    access_token: str,
    api_version: str | None,
    admin_url: str | None,
    default_api_version: str,
    net_policy: NetPolicy = STRICT,
) -> ShopCredentials:
    """Validate and normalise a connect request; raise InvalidJobRequest naming the field."""
    if not domain.strip():
        raise InvalidJobRequest("domain", "domain must not be empty")
    clean_domain = shops.normalise_domain(domain)
    token = access_token.strip()
    if not token:
        raise InvalidJobRequest("accessToken", "accessToken must not be empty")
    # Messages about the token never quote it.
    if len(token) > MAX_TOKEN_LENGTH or any(ch.isspace() for ch in token):
        raise InvalidJobRequest("accessToken", "accessToken is not a valid Admin API token")
    version = (api_version or default_api_version).strip()
    if not _API_VERSION.match(version):
        raise InvalidJobRequest(
            "apiVersion", f"apiVersion must look like 2026-10 or be 'unstable', not {version!r}"
        )
    return ShopCredentials(
        domain=clean_domain,
        api_version=version,
        admin_url=_parse_admin_url(admin_url, clean_domain, net_policy),
        access_token=token,
    )


def _parse_admin_url(admin_url: str | None, domain: str, policy: NetPolicy) -> str:
    """Default ``https://{domain}``; otherwise an http(s) base URL without credentials, which
    ``policy`` allows (production: https on the domain or an ADMIN_URL_HOSTS host)."""
    if admin_url is None:
        return f"https://{domain}"
    parts = urlsplit(admin_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidJobRequest("adminUrl", "adminUrl must be an http:// or https:// URL")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise InvalidJobRequest(
            "adminUrl", "adminUrl must not carry credentials, a query or a fragment"
        )
    try:
        policy.check_admin_url(admin_url, shop_domain=domain)
    except DestinationRefusedError as exc:
        raise InvalidJobRequest("adminUrl", str(exc)) from None
    return admin_url.strip().rstrip("/")


class ShopVerificationFailed(Exception):
    """Shopify refused or could not check the credentials; the message is safe to show."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _verification_failure(
    exc: ShopifyError, credentials: ShopCredentials
) -> ShopVerificationFailed:
    """A message composed here, never copied from Shopify's answer, so no secret can leak."""
    if isinstance(exc, AuthenticationError):
        return ShopVerificationFailed(
            "AUTHENTICATION", f"Shopify rejected the access token for {credentials.domain}"
        )
    if isinstance(exc, AccessDeniedError):
        return ShopVerificationFailed(
            "ACCESS_DENIED", f"the access token for {credentials.domain} lacks a required scope"
        )
    if isinstance(exc, ShopUnavailableError):
        return ShopVerificationFailed(
            "SHOP_UNAVAILABLE", f"the shop {credentials.domain} is frozen or locked"
        )
    if isinstance(exc, ShopifyTransientError):
        return ShopVerificationFailed(
            "UNREACHABLE", f"could not reach the Admin API at {credentials.admin_url}; try again"
        )
    return ShopVerificationFailed(
        "SHOPIFY_ERROR", f"Shopify answered unexpectedly while verifying {credentials.domain}"
    )


class WebhookRegistrar(Protocol):
    """Subscribes the shop's ``bulk_operations/finish`` webhook; raises ShopifyError on failure."""

    def __call__(self, credentials: ShopCredentials) -> str | None: ...


@dataclass(frozen=True)
class ConnectedShop:
    shop: Shop
    initial_job: SyncJob | None  # only for a shop connected for the first time
    # Whether Shopify now sends bulk_operations/finish to us; polling runs either way.
    webhook_subscribed: bool = False


@dataclass(frozen=True)
class RetriedDeadLetters:
    result: RetryResult
    job: SyncJob  # read after the retry committed: its stats include it


@dataclass(frozen=True)
class WakeOutcome:
    job_id: int | None  # the job enqueued, if any
    duplicate: bool  # the delivery was handled before


@dataclass(frozen=True)
class CancelOutcome:
    job: SyncJob  # as it is after the request
    finished: bool  # True: the job had already COMPLETED or FAILED, nothing was changed


@dataclass
class ShopsyncService:
    """The unit-of-work functions behind the GraphQL resolvers and the webhook endpoint."""

    pool: ConnectionPool[Any]
    queue: JobQueue
    default_api_version: str
    # Encrypts tokens on connect and decrypts them for the cancel path, nowhere else.
    cipher: TokenCipher
    verifier: ShopVerifier | None = None
    # Without one (no PUBLIC_URL or no WEBHOOK_SECRET), jobs learn of finished operations by
    # polling alone.
    webhook_registrar: WebhookRegistrar | None = None
    # Talks to the shop's Admin API (cancelSyncJob); keep it bounded (timeout, few retries).
    shopify_client_factory: Callable[[ShopifyEndpoint], ShopifyClient] | None = None
    # Which adminUrl values connectShop accepts (bulk.net; production's rules by default).
    net_policy: NetPolicy = STRICT

    def connect_shop(
        self, *, domain: str, access_token: str, api_version: str | None, admin_url: str | None
    ) -> ConnectedShop:
        """Verify the credentials, store the shop; a new shop gets an initial POPULATE job."""
        credentials = parse_connect_request(
            domain=domain,
            access_token=access_token,
            api_version=api_version,
            admin_url=admin_url,
            default_api_version=self.default_api_version,
            net_policy=self.net_policy,
        )
        if self.verifier is not None:
            # Before taking a connection: no pooled connection waits on Shopify.
            try:
                self.verifier(credentials)
            except ShopifyError as exc:
                log.warning(
                    "shop verification failed",
                    extra={"domain": credentials.domain, "error": type(exc).__name__},
                )
                raise _verification_failure(exc, credentials) from None
        # Before the initial job is enqueued, so its operation's webhook already has a target.
        subscribed = self._subscribe_webhook(credentials)
        with self.pool.connection() as conn:
            shop, created = shops.upsert_shop(
                conn,
                domain=credentials.domain,
                access_token=credentials.access_token,
                api_version=credentials.api_version,
                admin_url=credentials.admin_url,
                cipher=self.cipher,
            )
            initial = (
                jobs.create_job(conn, JobRequest(shop_id=shop.id, sync_mode=SyncMode.POPULATE))
                if created
                else None
            )
        # The transaction is committed here; only now may a worker see the job.
        if initial is not None and initial.created:
            self.queue.enqueue(initial.job.id)
        log.info("shop connected", extra={"shop_id": shop.id, "new": created})
        return ConnectedShop(shop, initial.job if initial is not None else None, subscribed)

    def _subscribe_webhook(self, credentials: ShopCredentials) -> bool:
        """Best effort: a shop whose subscription fails is still connected, and polled."""
        if self.webhook_registrar is None:
            return False
        try:
            self.webhook_registrar(credentials)
        except Exception as exc:  # even a bug here must not cost the connection
            # Only Shopify's refusal (userErrors about the address) is quoted; other messages
            # are not, in case one carries a credential.
            reason = str(exc) if isinstance(exc, WebhookSubscriptionError) else None
            log.warning(
                "webhook subscription failed; the shop's jobs rely on polling",
                extra={"domain": credentials.domain, "error": type(exc).__name__, "reason": reason},
            )
            return False
        log.info("webhook subscribed", extra={"domain": credentials.domain})
        return True

    def start_job(self, request: JobRequest) -> CreatedJob:
        """Create and enqueue a job, or return the shop's active one (not enqueued again)."""
        request.validate()
        with self.pool.connection() as conn:
            if shops.get_shop(conn, request.shop_id) is None:
                raise InvalidJobRequest("shopId", f"no shop with id {request.shop_id}")
            created = jobs.create_job(conn, request)
        # A lost message of the active job is the scheduler's sweeper's to recover, not this
        # request's: it knows when the job's step was due and re-sends it once.
        if created.created:
            self.queue.enqueue(created.job.id)
        return created

    def cancel_job(self, job_id: int) -> CancelOutcome:
        """Cancel an active job and its Shopify operation; InvalidJobRequest("id") if unknown.

        Idempotent: an already CANCELLED job is returned as it is. A COMPLETED or FAILED one is
        returned with ``finished`` set and left alone.
        """
        with self.pool.connection() as conn:
            cancelled = workflow.mark_cancelled(conn, job_id, self.cipher)
            job = jobs.get_job(conn, job_id)
        if job is None:
            raise InvalidJobRequest("id", f"no sync job with id {job_id}")
        if cancelled is not None:
            # The connection is back in the pool: none waits on Shopify.
            workflow.cancel_operation(cancelled, client_factory=self.shopify_client_factory)
            log.info("job cancelled", extra={"job_id": job_id})
        return CancelOutcome(job, finished=job.status is not JobStatus.CANCELLED)

    def get_job(self, job_id: int) -> SyncJob | None:
        with self.pool.connection() as conn:
            return jobs.get_job(conn, job_id)

    def list_jobs(self, *, shop_id: int | None, first: int) -> list[SyncJob]:
        with self.pool.connection() as conn:
            return jobs.list_jobs(conn, shop_id=shop_id, first=first)

    def list_dead_letters(
        self, job_id: int, *, include_resolved: bool, first: int
    ) -> list[DeadLetter]:
        """The job's dead letters in file order (open ones only unless ``include_resolved``)."""
        with self.pool.connection() as conn:
            return deadletters.list_dead_letters(
                conn, job_id, only_open=not include_resolved, limit=first
            )

    def list_dead_letters_of_jobs(
        self, job_ids: list[int], *, include_resolved: bool, first: int, line_max_chars: int
    ) -> dict[int, list[DeadLetter]]:
        """Each job's dead letters, lines cut to ``line_max_chars``, in one statement."""
        with self.pool.connection() as conn:
            return deadletters.list_dead_letters_of_jobs(
                conn,
                job_ids,
                only_open=not include_resolved,
                limit=first,
                line_max_chars=line_max_chars,
            )

    def dead_letter_line_chunk(
        self, letter_id: int, *, offset: int, length: int
    ) -> deadletters.LineChunk | None:
        """A slice of one dead letter's line (by characters); None if no such dead letter."""
        with self.pool.connection() as conn:
            return deadletters.dead_letter_line_chunk(conn, letter_id, offset=offset, length=length)

    def retry_dead_letters(self, job_id: int) -> RetriedDeadLetters:
        """Retry a finished job's open dead letters; InvalidJobRequest("jobId") if it cannot."""
        with self.pool.connection() as conn:
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

    def get_shop(self, shop_id: int) -> Shop | None:
        with self.pool.connection() as conn:
            return shops.get_shop(conn, shop_id)

    def list_shops(self) -> list[Shop]:
        with self.pool.connection() as conn:
            return shops.list_shops(conn)

    def wake_job_for_operation(
        self, operation_id: str, *, status: str, webhook_id: str | None
    ) -> WakeOutcome:
        """Enqueue the active job following this bulk operation, once per delivery: a delivery
        seen before (kept in the database, so also after a restart) is a duplicate."""
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
        return WakeOutcome(job_id=job.id, duplicate=False)

    def database_is_up(self, *, timeout_s: float = 2.0) -> bool:
        """One round trip to Postgres through the pool."""
        try:
            with self.pool.connection(timeout=timeout_s) as conn:
                conn.execute("SELECT 1")
        except Exception:  # any failure means "not healthy"; the reason goes to the log
            log.warning("database health check failed", exc_info=True)
            return False
        return True
