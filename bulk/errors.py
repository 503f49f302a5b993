"""The exceptions of the engine; third-party errors are translated into these at the adapters.

ShopsyncError
├── ConfigurationError               bad settings or arguments; never retried
│   └── InvalidJobRequest            .field names the bad argument
├── JobError
│   ├── JobNotFound
│   ├── JobStillActive               .status: QUEUED or RUNNING, where finished jobs are expected
│   └── LeaseLost                    another worker now owns the job; stop quietly
├── DestinationRefusedError          the network policy refuses a URL or the address it resolves
│                                    to (bulk/net); adapters translate it, never retried
├── ShopifyError
│   ├── ShopifyTransientError        retry with backoff
│   │   ├── ThrottledError           .retry_after_s from the cost bucket or Retry-After
│   │   ├── ShopifyUnavailableError  5xx, timeouts, connection failures
│   │   ├── OperationInProgressError the shop's concurrency limit is reached; .operation_ids
│   │   └── BulkLimitReachedError    userErrors code LIMIT_REACHED: try later
│   └── ShopifyPermanentError        retrying the same request cannot help
│       ├── AuthenticationError      401: token invalid or revoked
│       ├── ShopUnavailableError     402/423: shop frozen or locked
│       ├── AccessDeniedError        403 / ACCESS_DENIED: missing scope or bulk access
│       ├── InvalidBulkQueryError    userErrors code INVALID
│       ├── QueryCostExceededError   MAX_COST_EXCEEDED: the request itself is too expensive
│       ├── WebhookSubscriptionError webhookSubscriptionCreate userErrors
│       ├── AdminApiRefusedError     the shop's Admin API address is refused by the network policy
│       └── UnexpectedResponseError  a shape or status we have no branch for
└── DownloadError
    ├── DownloadInterruptedError     transient: resume from the last checkpoint
    ├── ResultUnusableError          the host answered something we cannot read (204, 3xx, ...)
    │   └── ResultUrlExpiredError    the signed URL is dead
    │   (either way: fetch a fresh URL once, then resubmit within max_bulk_attempts)
    └── ResultUrlRefusedError        the network policy refuses the URL: the job fails at once
"""

from __future__ import annotations


class ShopsyncError(Exception):
    """Root of every error shopsync raises on purpose."""


class ConfigurationError(ShopsyncError):
    """Settings or arguments that cannot work; retrying does not help."""


class JobError(ShopsyncError):
    """A problem with a sync job record."""


class JobNotFound(JobError):
    """No sync job has the given id."""


class JobStillActive(JobError):
    """The job is still queued or running, and the operation needs a finished one."""

    def __init__(self, message: str, *, status: str) -> None:
        super().__init__(message)
        self.status = status


class LeaseLost(JobError):
    """The job's lease belongs to another worker: this one must stop without writing."""


class DestinationRefusedError(ShopsyncError):
    """The network policy refuses a URL, or an address its host resolves to.

    The message names the host (and address), never the URL's path or query: a signed URL's
    query is a credential.
    """


class ShopifyError(ShopsyncError):
    """Shopify answered with an error, or could not be reached."""


class ShopifyTransientError(ShopifyError):
    """A failure that is expected to pass: retry with backoff."""

    def __init__(self, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class ThrottledError(ShopifyTransientError):
    """The shop's cost bucket (or another throttle) is empty."""


class ShopifyUnavailableError(ShopifyTransientError):
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


class ShopUnavailableError(ShopifyPermanentError):
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
    """A response shape or status the client has no deliberate branch for."""


class DownloadError(ShopsyncError):
    """Fetching the result file failed."""


class DownloadInterruptedError(DownloadError):
    """The download broke off; resume from the last committed checkpoint."""


class ResultUnusableError(DownloadError):
    """The result host answered with something other than the file (204, a redirect, ...)."""


class ResultUrlExpiredError(ResultUnusableError):
    """The signed result URL has expired."""


class ResultUrlRefusedError(DownloadError):
    """The network policy refuses the result URL (host, scheme or resolved address)."""


class InvalidJobRequest(ConfigurationError):
    """A sync job or shop request with arguments that cannot work; ``field`` names the culprit."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
