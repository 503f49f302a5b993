"""ShopifyClient: a gql Client over the sync HTTPX transport, one per shop, with bounded retries."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any

import structlog

from bulk.errors import (
    AdminApiRefusedError,
    DestinationRefusedError,
    OperationInProgressError,
    ShopifyTransientError,
    ShopifyUnreachableError,
    ThrottledError,
    UnexpectedResponseError,
    UnknownInputFieldError,
)

from ..net import STRICT, NetPolicy
from ..observer import NULL_OBSERVER, EngineObserver
from ..retry import SHOPIFY_REQUEST, Backoff
from . import documents, subscriptions
from .endpoint import ShopifyEndpoint
from .operation import BulkOperation, parse_bulk_operation
from .responses import (
    fail_shape,
    raise_for_graphql_errors,
    raise_for_status,
    raise_for_user_errors,
)

# Retries (stamina with bulk.retry's policy, keyed on bulk.errors types) cover throttling, 429, 5xx,
# timeouts and connection failures for reads and cancels; a server-given wait is honoured.
# ``bulkOperationRunQuery`` is retried only when Shopify provably did not execute it (THROTTLED /
# 429): after a transport error the caller must reconcile first.

if TYPE_CHECKING:
    import httpx

# gql, graphql-core and httpx (~9 MB resident together) load with the first client, i.e. at a
# worker's first job, not when the worker starts.

log = structlog.get_logger(__name__)

# How far before our own submit instant a reconciled operation may have been created (clock skew).
_RECONCILE_SKEW = timedelta(seconds=60)
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class ShopInfo:
    name: str
    myshopify_domain: str


@dataclass(frozen=True)
class OrdersCount:
    """``ordersCount``'s answer: ``count`` orders, exactly or (``exact`` False: the limit was
    reached) at least."""

    count: int
    exact: bool


class _ResponseProbe:
    """Keeps the status and headers of the last HTTP answer: gql's result does not carry them."""

    def __init__(self) -> None:
        self.status: int | None = None
        self.headers: Mapping[str, str] = {}

    def reset(self) -> None:
        self.status = None
        self.headers = {}

    def __call__(self, response: httpx.Response) -> None:
        self.status = response.status_code
        self.headers = response.headers


def _outcome(exc: Exception) -> str:
    """A request's failure as a metric label: a few values, never the message."""
    if isinstance(exc, ThrottledError):
        return "throttled"
    if isinstance(exc, ShopifyTransientError):
        return "transient"
    return "error"


def _same_query(a: str, b: str) -> bool:
    return _WHITESPACE.sub(" ", a).strip() == _WHITESPACE.sub(" ", b).strip()


class ShopifyClient:
    """The Admin GraphQL API of one shop. Use as a context manager, or call :meth:`close`."""

    def __init__(
        self,
        endpoint: ShopifyEndpoint,
        *,
        timeout_s: float = 30.0,
        max_retries: int = 5,
        backoff: Backoff = SHOPIFY_REQUEST,
        policy: NetPolicy = STRICT,
        observer: EngineObserver = NULL_OBSERVER,
    ) -> None:
        self.endpoint = endpoint
        self._observer = observer
        self._max_retries = max_retries
        self._backoff = backoff
        self._probe = _ResponseProbe()
        import httpx
        from gql import Client
        from gql.transport.httpx import HTTPXTransport

        from ..net import GuardedTransport

        transport = HTTPXTransport(
            url=endpoint.url,
            headers={"X-Shopify-Access-Token": endpoint.access_token},
            timeout=httpx.Timeout(timeout_s),
            event_hooks={"response": [self._probe]},
            # Every connection goes to an address the policy allows (public, in production).
            transport=GuardedTransport(policy),
            trust_env=False,
        )
        self._client = Client(transport=transport, fetch_schema_from_transport=False)
        self._session = self._client.connect_sync()  # type: ignore[no-untyped-call]
        self._closed = False

    def __repr__(self) -> str:
        return f"ShopifyClient({self.endpoint!r})"

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._client.close_sync()  # type: ignore[no-untyped-call]

    def __enter__(self) -> ShopifyClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- requests ---------------------------------------------------------------------------

    def _post_once(self, document: str, variables: dict[str, Any] | None) -> dict[str, Any]:
        """One HTTP request; returns ``data`` or raises a bulk.errors exception."""
        import httpx
        from gql import GraphQLRequest
        from gql.transport.exceptions import (
            TransportConnectionFailed,
            TransportError,
            TransportQueryError,
        )

        request = GraphQLRequest(document, variable_values=variables)
        self._probe.reset()
        errors: Any = None
        data: Any = None
        extensions: Any = None
        try:
            result = self._session.execute(request, get_execution_result=True)
            data, extensions = result.data, result.extensions
        except TransportQueryError as exc:
            errors, data, extensions = exc.errors, exc.data, exc.extensions
        except TransportConnectionFailed as exc:
            cause = exc.__cause__
            if isinstance(cause, DestinationRefusedError):
                raise AdminApiRefusedError(f"the Admin API address was refused: {cause}") from exc
            if isinstance(cause, httpx.TimeoutException):
                raise ShopifyUnreachableError(
                    f"the Admin API did not answer in time ({type(cause).__name__})"
                ) from exc
            if isinstance(cause, httpx.TransportError):
                raise ShopifyUnreachableError(
                    f"could not reach the Admin API ({type(cause).__name__})"
                ) from exc
            raise UnexpectedResponseError(
                f"the Admin API request failed ({type(cause).__name__})"
            ) from exc
        except TransportError as exc:
            # Non-JSON body, or JSON without data/errors: the status decides, else it is a shape
            # we have no branch for.
            if self._probe.status is not None:
                raise_for_status(self._probe.status, self._probe.headers, None)
            raise UnexpectedResponseError(
                f"the Admin API answered with something that is not GraphQL "
                f"(HTTP {self._probe.status})"
            ) from exc
        status = self._probe.status
        if status is None:  # pragma: no cover - the hook runs for every answer
            raise UnexpectedResponseError("no HTTP status recorded for the Admin API answer")
        raise_for_status(status, self._probe.headers, {"errors": errors})
        raise_for_graphql_errors(errors, extensions)
        if not isinstance(data, dict):
            fail_shape("GraphQL answer without a data object")
        served = self._probe.headers.get("x-shopify-api-version")
        if served and served != self.endpoint.api_version:
            log.warning(
                "shopify.version_fell_forward",
                requested=self.endpoint.api_version,
                served=served,
            )
        return data

    def _post(
        self, document: str, variables: dict[str, Any] | None = None, *, idempotent: bool = True
    ) -> dict[str, Any]:
        """Post with bounded retries; a non-idempotent request is retried only when throttled."""

        def retry_on(exc: Exception) -> bool | float:
            """Whether to retry, or after how long when Shopify said so (stamina's ``on``)."""
            if not isinstance(exc, ShopifyTransientError):
                return False
            if isinstance(exc, OperationInProgressError):
                return False
            if not idempotent and not isinstance(exc, ThrottledError):
                return False
            if exc.retry_after_s is None:
                return True  # the policy's jittered exponential backoff
            if exc.retry_after_s > self._backoff.max_s:
                # Longer than we hold a step: the caller schedules the retry (at least this long).
                return False
            wait_s = self._backoff.server_delay_s(exc.retry_after_s)
            if isinstance(exc, ThrottledError):
                self._observer.throttle_wait(wait_s)
            return wait_s

        for attempt in self._backoff.retry_context(retry_on, attempts=self._max_retries + 1):
            with attempt:
                try:
                    data = self._post_once(document, variables)
                except Exception as exc:
                    self._observer.shopify_call(_outcome(exc))
                    raise
                self._observer.shopify_call("ok")
                return data
        raise AssertionError("unreachable")  # pragma: no cover

    # -- the API ----------------------------------------------------------------------------

    def fetch_shop(self) -> ShopInfo:
        """Read the shop's name and domain: proves the token works."""
        shop = self._post(documents.SHOP).get("shop")
        if not isinstance(shop, dict):
            fail_shape("shop is missing")
        name, domain = shop.get("name"), shop.get("myshopifyDomain")
        if not isinstance(name, str) or not isinstance(domain, str):
            fail_shape("shop without name or myshopifyDomain")
        return ShopInfo(name=name, myshopify_domain=domain)

    def earliest_order_created_at(self, search: str | None = None) -> datetime | None:
        """``createdAt`` of the shop's oldest order matching ``search`` (all orders without it),
        or None when there is none."""
        data = self._post(documents.EARLIEST_ORDER, {"query": search})
        orders = data.get("orders")
        edges = orders.get("edges") if isinstance(orders, dict) else None
        if not isinstance(edges, list):
            fail_shape("orders without edges")
        if not edges:
            return None
        node = edges[0].get("node") if isinstance(edges[0], dict) else None
        created = node.get("createdAt") if isinstance(node, dict) else None
        if not isinstance(created, str):
            fail_shape("an order without createdAt")
        try:
            moment = datetime.fromisoformat(created.replace("Z", "+00:00"))
        except ValueError:
            fail_shape(f"an order's createdAt is not a date: {created[:40]!r}")
        if moment.tzinfo is None:
            fail_shape("an order's createdAt has no time zone")
        return moment

    def orders_count(self, search: str | None, *, limit: int) -> OrdersCount:
        """How many orders match ``search`` (all orders without it), counted up to ``limit``."""
        data = self._post(documents.ORDERS_COUNT, {"query": search, "limit": limit})
        counted = data.get("ordersCount")
        if not isinstance(counted, dict):
            fail_shape("ordersCount is missing")
        count, precision = counted.get("count"), counted.get("precision")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            fail_shape("ordersCount without a count")
        if not isinstance(precision, str):
            fail_shape("ordersCount without a precision")
        # Anything but EXACT (AT_LEAST, or a precision added later) is taken as a lower bound.
        return OrdersCount(count=count, exact=precision == "EXACT")

    def order_selection_problem(self, selection: str) -> str | None:
        """Shopify's own messages refusing ``selection`` on an order (see
        ``documents.order_selection_probe``), or None when the query runs."""
        try:
            self._post(documents.order_selection_probe(selection))
        except UnexpectedResponseError as exc:
            if exc.shopify_messages is None:
                raise
            return exc.shopify_messages
        return None

    def run_bulk_query(self, query: str, *, group_objects: bool) -> BulkOperation:
        """Start a bulk query; ``groupObjects`` is pinned on versions that know it (2025-07+)."""
        variables: dict[str, Any] = {"query": query}
        if self.endpoint.at_least("2025-07"):
            document = documents.RUN_BULK_QUERY
            variables["groupObjects"] = group_objects
        elif self.endpoint.at_least("2025-01"):
            document = documents.RUN_BULK_QUERY_NO_GROUPING
        else:
            document = documents.RUN_BULK_QUERY_NO_CODE
        payload = self._post(document, variables, idempotent=False).get("bulkOperationRunQuery")
        if not isinstance(payload, dict):
            fail_shape("bulkOperationRunQuery payload is missing")
        raise_for_user_errors(payload.get("userErrors"))
        operation = payload.get("bulkOperation")
        if operation is None:
            fail_shape("bulkOperationRunQuery returned neither an operation nor userErrors")
        parsed = parse_bulk_operation(operation)
        log.info("shopify.bulk_submitted", operation_id=parsed.id, status=parsed.status.value)
        return parsed

    def get_bulk_operation(self, operation_id: str) -> BulkOperation | None:
        """The operation by id (``node(id:)``, all versions); None when Shopify does not know it."""
        node = self._post(documents.NODE, {"id": operation_id}).get("node")
        if node is None:
            return None
        if isinstance(node, dict) and not node:
            fail_shape(f"{operation_id} is not a bulk operation")
        return parse_bulk_operation(node)

    def cancel_bulk_operation(self, operation_id: str) -> BulkOperation | None:
        """Ask Shopify to cancel; returns the operation (maybe already terminal) or None if unknown.

        Shopify's userErrors here (already completed, does not exist) only say that there is
        nothing left to cancel, so they are not raised.
        """
        payload = self._post(documents.CANCEL, {"id": operation_id}).get("bulkOperationCancel")
        if not isinstance(payload, dict):
            fail_shape("bulkOperationCancel payload is missing")
        if payload.get("userErrors"):
            log.info("shopify.cancel_refused", operation_id=operation_id)
        operation = payload.get("bulkOperation")
        return None if operation is None else parse_bulk_operation(operation)

    def current_bulk_operation(self) -> BulkOperation | None:
        """The app's most recent bulk query operation, even if finished (deprecated in 2026-01)."""
        operation = self._post(documents.CURRENT).get("currentBulkOperation")
        return None if operation is None else parse_bulk_operation(operation)

    def recent_bulk_operations(self, *, first: int = 10) -> list[BulkOperation]:
        """The app's newest bulk query operations (``bulkOperations``, 2026-01+)."""
        data = self._post(documents.RECENT, {"first": first, "query": "operation_type:query"})
        connection = data.get("bulkOperations")
        if not isinstance(connection, dict) or not isinstance(connection.get("edges"), list):
            fail_shape("bulkOperations without edges")
        return [parse_bulk_operation(edge.get("node")) for edge in connection["edges"]]

    def subscribe_bulk_operations_finish(self, callback_url: str) -> str | None:
        """Subscribe ``bulk_operations/finish`` to ``callback_url`` (JSON); the subscription id.

        None when Shopify answers that the address is already subscribed to the topic (a
        reconnect): that is success, but Shopify does not say which subscription it is.
        Other userErrors raise ``WebhookSubscriptionError``.
        """
        return self._subscribe_topic(documents.SUBSCRIBE_BULK_FINISH, callback_url)

    def subscribe_orders_delete(self, callback_url: str) -> str | None:
        """Subscribe ``orders/delete`` to ``callback_url``; as for bulk_operations/finish."""
        return self._subscribe_topic(documents.SUBSCRIBE_ORDERS_DELETE, callback_url)

    def _subscribe_topic(self, document: str, callback_url: str) -> str | None:
        field_name = subscriptions.address_field(self.endpoint.api_version)
        try:
            data = self._subscribe(document, field_name, callback_url)
        except UnknownInputFieldError as exc:
            if exc.field_name != field_name:
                raise
            fallback = subscriptions.other_address_field(field_name)
            log.info("shopify.webhook_address_field_fallback", rejected=field_name, used=fallback)
            data = self._subscribe(document, fallback, callback_url)
        sub_id = subscriptions.subscription_id(data.get("webhookSubscriptionCreate"))
        log.info("shopify.webhook_subscribed", subscription_id=sub_id, already=sub_id is None)
        return sub_id

    def _subscribe(self, document: str, field_name: str, callback_url: str) -> dict[str, Any]:
        variables = {"subscription": subscriptions.subscription_input(field_name, callback_url)}
        # A repeated create is answered "already taken", which counts as success: retry freely.
        return self._post(document, variables)

    def latest_operation_ids(self) -> list[str]:
        """Ids of the app's newest bulk query operations (just the current one before 2026-01)."""
        return [operation.id for operation in self._latest_operations()]

    def _latest_operations(self) -> list[BulkOperation]:
        if self.endpoint.at_least("2026-01"):
            return self.recent_bulk_operations()
        current = self.current_bulk_operation()
        return [] if current is None else [current]

    def find_submitted_operation(
        self, query: str, *, submitted_at: datetime, exclude: Collection[str] = ()
    ) -> BulkOperation | None:
        """Find the operation a submit that failed in transit may have created anyway.

        One active job per shop means an operation of ours created since the submit attempt
        (allowing for clock skew) with the same inner query is that submit's, unless it is in
        ``exclude``: the operations of earlier jobs (same query text) and those that existed
        right before the submit, which no clock skew can make look new.
        """
        since = submitted_at - _RECONCILE_SKEW
        for operation in self._latest_operations():
            if operation.id in exclude:
                continue
            if operation.created_at is not None and operation.created_at < since:
                continue
            if operation.query is not None and not _same_query(operation.query, query):
                continue
            return operation
        return None
