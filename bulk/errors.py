"""The exceptions of shopsync, one tree; adapters translate third-party errors into these."""

from __future__ import annotations

# ShopsyncError
# ├── InvalidArgument                  a caller's argument cannot work; .field names it
# ├── ConfigurationError               bad settings; never retried
# │   ├── InvalidOrderFields           an added order field selection that cannot be used
# │   └── TokenKeyError                token keys missing, malformed, or unable to decrypt
# ├── Forbidden                        the caller may read but not change this (a viewer)
# ├── AuthUnavailable                  the token store cannot be asked: nobody is let in
# ├── ShopTaken                        the shop domain is connected by another tenant
# ├── ShopVerificationFailed           connecting a shop: Shopify refused or could not check; .code
# ├── EventStreamEnded                 a job-event subscriber's stream stopped; .lagged
# ├── JobError
# │   ├── JobNotFound
# │   ├── JobStillActive               .status: QUEUED or RUNNING, where finished jobs are expected
# │   └── LeaseLost                    the lease moved to another worker, or a fenced write changed
# │                                    nothing (job cancelled/finished): stop quietly
# ├── DestinationRefusedError          the network policy refuses a URL or the address it resolves
# │                                    to (bulk/net); adapters translate it, never retried
# ├── TransientError                   expected to pass: retry with backoff
# │   ├── ShopifyTransientError        (also a ShopifyError)
# │   │   ├── ThrottledError           .retry_after_s from the cost bucket or Retry-After
# │   │   ├── ShopifyUnreachableError  5xx, timeouts, connection failures
# │   │   ├── OperationInProgressError the shop's concurrency limit is reached; .operation_ids
# │   │   └── BulkLimitReachedError    userErrors code LIMIT_REACHED: try later
# │   └── DownloadInterruptedError     (also a DownloadError) resume from the last checkpoint
# ├── ShopifyError
# │   ├── ShopifyTransientError        see TransientError
# │   └── ShopifyPermanentError        retrying the same request cannot help
# │       ├── AuthenticationError      401: token invalid or revoked
# │       ├── ShopFrozenError          402/423: shop frozen or locked
# │       ├── AccessDeniedError        403 / ACCESS_DENIED: missing scope or bulk access
# │       ├── InvalidBulkQueryError    userErrors code INVALID
# │       ├── QueryCostExceededError   MAX_COST_EXCEEDED: the request itself is too expensive
# │       ├── WebhookSubscriptionError webhookSubscriptionCreate userErrors
# │       ├── AdminApiRefusedError     the shop's Admin API address is refused by the network policy
# │       └── UnexpectedResponseError  a shape or status we have no branch for
# │           └── UnknownInputFieldError  the API version has no such input field; .field_name
# └── DownloadError
#     ├── DownloadInterruptedError     see TransientError
#     ├── ResultUnusableError          the host answered something we cannot read (204, 3xx, ...)
#     │   └── ResultUrlExpiredError    the signed URL is dead
#     │   (either way: fetch a fresh URL once, then resubmit within max_bulk_attempts)
#     └── ResultUrlRefusedError        the network policy refuses the URL: the job fails at once
#
# A few module-private signals (e.g. the workflow's resubmit) live beside their only user, but
# derive from ShopsyncError too (tests/test_error_tree.py checks every class).


class ShopsyncError(Exception):
    """Root of every error shopsync raises on purpose."""


class InvalidArgument(ShopsyncError):
    """A caller's argument (job request, shop domain, id, role, ...) cannot work.

    ``field`` names the culprit (None: the request as a whole); the message is safe to show.
    """

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class ConfigurationError(ShopsyncError):
    """Settings that cannot work; retrying does not help."""


class DatabaseNotReady(ConfigurationError):
    """The database is unreachable, missing, or lacks shipped migrations: a process refuses to
    start (the message says what to do: ``shopsync migrate``)."""


class InvalidOrderFields(ConfigurationError):
    """Fields added to the orders bulk query (a deployment's or a shop's) that cannot be used."""


class TokenKeyError(ConfigurationError):
    """The configured keys are missing, malformed, or cannot decrypt a stored token."""


class Forbidden(ShopsyncError):
    """The caller may read but not change this (a viewer); the message is safe to show."""


class AuthUnavailable(ShopsyncError):
    """The token store could not be asked (the database is down): nobody is let in."""


class ShopTaken(ShopsyncError):
    """The domain is connected by another tenant."""


class ShopVerificationFailed(ShopsyncError):
    """Shopify refused or could not check the credentials; the message is safe to show."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class EventStreamEnded(ShopsyncError):
    """A subscriber's stream stopped: the hub is shutting down, or the reader fell behind."""

    def __init__(self, message: str, *, lagged: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.lagged = lagged


class JobError(ShopsyncError):
    """A problem with a sync job record."""


class JobNotFound(JobError):
    """No sync job has the given id."""


class JobStillActive(JobError):
    """The job is still queued or running, and the operation needs a finished one."""

    def __init__(self, message: str, *, status: str) -> None:
        super().__init__(message)
        self.status = status


class ReconcileRefused(JobError):
    """A RECONCILE cannot trust its export to list every order of its window (a bad line, a
    count that does not match Shopify's, too many orders missing): it marks nothing deleted."""


class LeaseLost(JobError):
    """This worker may no longer write to the job: stop quietly, without writing.

    Either the lease moved on to another worker (or the checkpoint moved past ours), or a
    fenced write changed nothing because the job was cancelled or finished meanwhile.
    """


class TransientError(ShopsyncError):
    """A failure that is expected to pass (Shopify or the result host): retry with backoff."""


class DestinationRefusedError(ShopsyncError):
    """The network policy refuses a URL, or an address its host resolves to.

    The message names the host (and address), never the URL's path or query: a signed URL's
    query is a credential.
    """


class ShopifyError(ShopsyncError):
    """Shopify answered with an error, or could not be reached."""


class ShopifyTransientError(ShopifyError, TransientError):
    """A failure that is expected to pass: retry with backoff."""

    def __init__(self, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class ThrottledError(ShopifyTransientError):
    """The shop's cost bucket (or another throttle) is empty."""


class ShopifyUnreachableError(ShopifyTransientError):
    """5xx, timeout or connection failure."""


class OperationInProgressError(ShopifyTransientError):
    """The shop already runs as many bulk operations as its API version allows."""

    def __init__(
        self,
        message: str,
        *,
        retry_after_s: float | None = None,
        operation_ids: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message, retry_after_s=retry_after_s)
        self.operation_ids = operation_ids


class BulkLimitReachedError(ShopifyTransientError):
    """Shopify refused a new bulk operation with LIMIT_REACHED ("try later")."""


class ShopifyPermanentError(ShopifyError):
    """Retrying the same request cannot succeed."""


class AuthenticationError(ShopifyPermanentError):
    """The access token is invalid or revoked (HTTP 401)."""


class ShopFrozenError(ShopifyPermanentError):
    """The shop is frozen (402) or locked (423)."""


class AccessDeniedError(ShopifyPermanentError):
    """A scope or the bulk-operations permission is missing."""


class InvalidBulkQueryError(ShopifyPermanentError):
    """Shopify rejected the bulk query document (userErrors code INVALID)."""


class QueryCostExceededError(ShopifyPermanentError):
    """The request's requested cost is above Shopify's per-query maximum (MAX_COST_EXCEEDED)."""


class WebhookSubscriptionError(ShopifyPermanentError):
    """Shopify refused the webhook subscription (``webhookSubscriptionCreate`` userErrors)."""


class AdminApiRefusedError(ShopifyPermanentError):
    """The shop's Admin API address is refused by the network policy (e.g. an internal address)."""


class UnexpectedResponseError(ShopifyPermanentError):
    """A response shape or status the client has no deliberate branch for.

    ``shopify_messages``: the GraphQL errors' own messages, when that is what it is (they may
    echo the request: shown only to the caller who wrote it, as setOrderFields does)."""

    shopify_messages: str | None = None


class UnknownInputFieldError(UnexpectedResponseError):
    """The API version has no such input field (e.g. ``uri`` before it replaced ``callbackUrl``)."""

    def __init__(self, field_name: str) -> None:
        # Shopify's own text would echo the variable's value: it is not repeated here.
        super().__init__(f"the Admin API does not know the input field {field_name!r}")
        self.field_name = field_name


class DownloadError(ShopsyncError):
    """Fetching the result file failed."""


class DownloadInterruptedError(DownloadError, TransientError):
    """The download broke off; resume from the last committed checkpoint."""


class ResultUnusableError(DownloadError):
    """The result host answered with something other than the file (204, a redirect, ...)."""


class ResultUrlExpiredError(ResultUnusableError):
    """The signed result URL has expired."""


class ResultUrlRefusedError(DownloadError):
    """The network policy refuses the result URL (host, scheme or resolved address)."""
