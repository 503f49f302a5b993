"""Shops: connect one (verified with Shopify, owned by the caller's tenant), read them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import structlog
from psycopg_pool import ConnectionPool

from bulk import jobs, shops
from bulk.errors import (
    AccessDeniedError,
    AdminApiRefusedError,
    AuthenticationError,
    DestinationRefusedError,
    InvalidArgument,
    InvalidOrderFields,
    ShopFrozenError,
    ShopifyError,
    ShopifyTransientError,
    ShopTaken,
    ShopVerificationFailed,
    WebhookSubscriptionError,
)
from bulk.jobs import JobRequest, SyncJob
from bulk.net import STRICT, NetPolicy
from bulk.order_selection import check_bulk_limits, combined, parse_added, probe_tree
from bulk.orders_query import render
from bulk.shops import Shop
from bulk.token_crypto import TokenCipher
from bulk.types import JobTrigger, SyncMode

from .ports import JobQueue, OrderSelectionChecker, ShopCredentials, ShopVerifier
from .principal import Principal
from .scope import visible_shop

log = structlog.get_logger(__name__)

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
    """Validate and normalise a connect request; raise InvalidArgument naming the field."""
    if not domain.strip():
        raise InvalidArgument("domain", "domain must not be empty")
    clean_domain = shops.normalise_domain(domain)
    token = access_token.strip()
    if not token:
        raise InvalidArgument("accessToken", "accessToken must not be empty")
    # Messages about the token never quote it.
    if len(token) > MAX_TOKEN_LENGTH or any(ch.isspace() for ch in token):
        raise InvalidArgument("accessToken", "accessToken is not a valid Admin API token")
    version = (api_version or default_api_version).strip()
    if not _API_VERSION.match(version):
        raise InvalidArgument(
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
        raise InvalidArgument("adminUrl", "adminUrl must be an http:// or https:// URL")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise InvalidArgument(
            "adminUrl", "adminUrl must not carry credentials, a query or a fragment"
        )
    try:
        policy.check_admin_url(admin_url, shop_domain=domain)
    except DestinationRefusedError as exc:
        raise InvalidArgument("adminUrl", str(exc)) from None
    return admin_url.strip().rstrip("/")


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
    if isinstance(exc, ShopFrozenError):
        return ShopVerificationFailed(
            "SHOP_UNAVAILABLE", f"the shop {credentials.domain} is frozen or locked"
        )
    if isinstance(exc, ShopifyTransientError):
        return ShopVerificationFailed(
            "UNREACHABLE", f"could not reach the Admin API at {credentials.admin_url}; try again"
        )
    if isinstance(exc, AdminApiRefusedError):
        # Our own network policy's words: a host and an address, never a URL's query.
        return ShopVerificationFailed("DESTINATION_REFUSED", f"the Admin API was not called: {exc}")
    return ShopVerificationFailed(
        "SHOPIFY_ERROR", f"Shopify answered unexpectedly while verifying {credentials.domain}"
    )


def _refused(credentials: ShopCredentials) -> ShopVerificationFailed:
    """One answer for a token of another shop and a domain another tenant owns: it tells an
    attacker nothing about who connected what."""
    return ShopVerificationFailed(
        "REFUSED", f"{credentials.domain} cannot be connected with this access token"
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


@dataclass
class ShopService:
    pool: ConnectionPool[Any]
    queue: JobQueue
    default_api_version: str
    # Encrypts the token on connect (nothing here decrypts one).
    cipher: TokenCipher
    verifier: ShopVerifier | None = None
    # Without one (no PUBLIC_URL or no WEBHOOK_SECRET), jobs learn of finished operations by
    # polling alone.
    webhook_registrar: WebhookRegistrar | None = None
    # Which adminUrl values connectShop accepts (bulk.net; production's rules by default).
    net_policy: NetPolicy = STRICT
    # setOrderFields: the deployment's own added fields (EXTRA_ORDER_FIELDS, checked together
    # with a shop's) and who asks Shopify whether they run (None: not asked, development only).
    deployment_order_fields: str = ""
    selection_checker: OrderSelectionChecker | None = None

    def connect(
        self,
        principal: Principal,
        *,
        domain: str,
        access_token: str,
        api_version: str | None,
        admin_url: str | None,
        initial_sync: bool = True,
    ) -> ConnectedShop:
        """Verify the credentials, store the shop; a new shop gets an initial POPULATE job
        unless ``initial_sync`` is False.

        The token must be the shop's own (Shopify's ``myshopifyDomain`` equals the domain),
        and a domain another tenant connected is refused: the same REFUSED answer for both.
        """
        principal.require_admin()
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
                reported = self.verifier(credentials)
            except ShopifyError as exc:
                log.info(
                    "shop.verification_failed",
                    domain=credentials.domain,
                    error=type(exc).__name__,
                )
                raise _verification_failure(exc, credentials) from None
            if reported.strip().lower() != credentials.domain:
                log.info(
                    "shop.connect_refused",
                    domain=credentials.domain,
                    reason="token_of_another_shop",
                )
                raise _refused(credentials)
        with self.pool.connection() as conn:
            existing = shops.get_shop_by_domain(conn, credentials.domain)
        if existing is not None and existing.tenant_id not in (None, principal.tenant_id):
            log.info(
                "shop.connect_refused", domain=credentials.domain, reason="owned_by_another_tenant"
            )
            raise _refused(credentials)
        # Before the initial job is enqueued, so its operation's webhook already has a target.
        subscribed = self._subscribe_webhook(credentials)
        with self.pool.connection() as conn:
            try:
                shop, created = shops.upsert_shop(
                    conn,
                    domain=credentials.domain,
                    access_token=credentials.access_token,
                    api_version=credentials.api_version,
                    admin_url=credentials.admin_url,
                    tenant_id=principal.tenant_id,
                    cipher=self.cipher,
                )
            except ShopTaken:  # connected by another tenant since the check above
                raise _refused(credentials) from None
            initial = (
                jobs.create_job(
                    conn,
                    JobRequest(
                        shop_id=shop.id, sync_mode=SyncMode.POPULATE, trigger=JobTrigger.INITIAL
                    ),
                )
                if created and initial_sync
                else None
            )
        # The transaction is committed here; only now may a worker see the job.
        if initial is not None and initial.created:
            self.queue.enqueue(initial.job.id)
        log.info("shop.connected", shop_id=shop.id, domain=credentials.domain, new=created)
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
            # The shop's jobs rely on polling.
            log.warning(
                "shop.webhook_subscription_failed",
                domain=credentials.domain,
                error=type(exc).__name__,
                reason=reason,
            )
            return False
        log.info("shop.webhook_subscribed", domain=credentials.domain)
        return True

    def get(self, principal: Principal, shop_id: int) -> Shop | None:
        """The shop, or None when it does not exist for the caller."""
        with self.pool.connection() as conn:
            return visible_shop(conn, principal, shop_id)

    def list(self, principal: Principal) -> list[Shop]:
        with self.pool.connection() as conn:
            return shops.list_shops(conn, tenant_id=principal.scope)

    def set_order_fields(self, principal: Principal, shop_id: int, fields: str | None) -> Shop:
        """Replace the fields the shop adds to its orders bulk query (None or blank: none).

        Checked before they are stored: syntax, size and the bulk limits here, then with the
        deployment's added fields by the shop's own Admin API (a plain orders query selecting
        them, with ``first: 1`` on connections that have no page size), whose messages come
        back as InvalidArgument("fields"). Stored normalised."""
        principal.require_admin()
        try:
            added = parse_added(fields)
            extra = combined(parse_added(self.deployment_order_fields), added)
            check_bulk_limits(extra)
        except InvalidOrderFields as exc:
            raise InvalidArgument("fields", str(exc)) from None
        with self.pool.connection() as conn:
            shop = visible_shop(conn, principal, shop_id)
        if shop is None:
            raise InvalidArgument("shopId", f"no shop with id {shop_id}")
        if added and self.selection_checker is not None:
            # Not holding a pooled connection while Shopify answers.
            try:
                problem = self.selection_checker(shop, render(probe_tree(extra)))
            except ShopifyError as exc:
                log.info("shop.order_fields_unchecked", shop_id=shop_id, error=type(exc).__name__)
                raise InvalidArgument(
                    "fields", "Shopify could not be asked to check the fields; try again"
                ) from None
            if problem is not None:
                raise InvalidArgument("fields", f"Shopify refused the fields: {problem}")
        with self.pool.connection() as conn:
            updated = shops.set_extra_order_fields(conn, shop_id, render(added) if added else None)
        if updated is None:  # deleted since
            raise InvalidArgument("shopId", f"no shop with id {shop_id}")
        log.info(
            "shop.order_fields_set", shop_id=shop_id, chars=len(updated.extra_order_fields or "")
        )
        return updated
