"""Translation of Admin API answers (HTTP status, GraphQL errors, userErrors) into bulk.errors."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

from bulk.errors import (
    AccessDeniedError,
    AuthenticationError,
    BulkLimitReachedError,
    InvalidBulkQueryError,
    OperationInProgressError,
    QueryCostExceededError,
    ShopFrozenError,
    ShopifyUnreachableError,
    ThrottledError,
    UnexpectedResponseError,
    UnknownInputFieldError,
)

# Messages are built here from safe parts only: status codes, error codes and Shopify's own error
# texts (which never echo the token); never a URL, a header or a request body.

_OPERATION_ID = re.compile(r"gid://shopify/BulkOperation/\d+")
_MAX_TEXT = 300
# How servers say an input object (e.g. a variable's value) has a field its type lacks:
# graphql-core 3.2, graphql-core/graphql-js before, graphql-ruby (Shopify) for variables and
# for literals.
_UNKNOWN_INPUT_FIELD = (
    re.compile(r"not to include unknown field '(\w+)'"),
    re.compile(r"Field '(\w+)' is not defined by type"),
    re.compile(r"invalid value for (\w+) \(Field is not defined on"),
    re.compile(r"doesn't accept argument '(\w+)'"),
)


def _short(text: str) -> str:
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 1] + "…"


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds; Shopify sends decimals such as ``"4.0"``. Dates are ignored."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def throttle_wait_s(extensions: Mapping[str, Any] | None) -> float | None:
    """Seconds until the cost bucket holds the requested cost again, from ``extensions.cost``."""
    cost = (extensions or {}).get("cost")
    if not isinstance(cost, Mapping):
        return None
    status = cost.get("throttleStatus")
    requested = cost.get("requestedQueryCost")
    if not isinstance(status, Mapping) or not isinstance(requested, int | float):
        return None
    available = status.get("currentlyAvailable")
    rate = status.get("restoreRate")
    if not isinstance(available, int | float) or not isinstance(rate, int | float) or rate <= 0:
        return None
    return max(float(requested) - float(available), 1.0) / float(rate)


def raise_for_status(status: int, headers: Mapping[str, str], body: Any) -> None:
    """Raise the error an HTTP status other than 200 stands for; return quietly on 200."""
    if status == 200:
        return
    if status == 401:
        # Here ``errors`` is a string, e.g. "[API] Invalid API key or access token (...)".
        detail = body.get("errors") if isinstance(body, Mapping) else None
        suffix = f": {_short(detail)}" if isinstance(detail, str) else ""
        raise AuthenticationError(f"Shopify rejected the access token (HTTP 401){suffix}")
    if status == 402:
        raise ShopFrozenError("the shop is frozen: its bill is unpaid (HTTP 402)")
    if status == 423:
        raise ShopFrozenError("the shop is locked (HTTP 423)")
    if status == 403:
        raise AccessDeniedError("Shopify denied access: a scope is missing (HTTP 403)")
    if status == 429:
        raise ThrottledError(
            "Shopify rate limit hit (HTTP 429)",
            retry_after_s=parse_retry_after(headers.get("retry-after")),
        )
    if status == 430 or status >= 500:
        raise ShopifyUnreachableError(f"Shopify is unavailable (HTTP {status})")
    raise UnexpectedResponseError(f"unexpected HTTP status {status} from the Admin API")


def _codes(errors: Sequence[Any]) -> list[str]:
    codes = []
    for error in errors:
        extensions = error.get("extensions") if isinstance(error, Mapping) else None
        code = extensions.get("code") if isinstance(extensions, Mapping) else None
        if isinstance(code, str):
            codes.append(code)
    return codes


def _messages(errors: Sequence[Any]) -> str:
    texts = [
        str(error.get("message")) if isinstance(error, Mapping) else str(error) for error in errors
    ]
    return _short("; ".join(texts))


def unknown_input_field(errors: Sequence[Any]) -> str | None:
    """The input field these errors reject as not defined on its input type, if any."""
    for error in errors:
        if not isinstance(error, Mapping):
            continue
        for pattern in _UNKNOWN_INPUT_FIELD:
            found = pattern.search(str(error.get("message", "")))
            if found:
                return found.group(1)
        extensions = error.get("extensions")
        problems = extensions.get("problems") if isinstance(extensions, Mapping) else None
        for problem in problems if isinstance(problems, Sequence) else ():
            if not isinstance(problem, Mapping):
                continue
            path, explanation = problem.get("path"), str(problem.get("explanation", ""))
            if "is not defined on" in explanation and isinstance(path, list) and path:
                return str(path[-1])
    return None


def raise_for_graphql_errors(errors: Any, extensions: Mapping[str, Any] | None) -> None:
    """Raise the error the top-level GraphQL ``errors`` of an HTTP 200 answer stand for."""
    if not errors:
        return
    if isinstance(errors, str):
        raise UnexpectedResponseError(f"Shopify answered with an error: {_short(errors)}")
    if not isinstance(errors, Sequence):
        raise UnexpectedResponseError("Shopify answered with a malformed errors member")
    codes = _codes(errors)
    messages = _messages(errors)
    if "THROTTLED" in codes:
        raise ThrottledError(
            "Shopify throttled the request (cost bucket empty)",
            retry_after_s=throttle_wait_s(extensions),
        )
    if "MAX_COST_EXCEEDED" in codes:
        raise QueryCostExceededError(f"the request costs more than Shopify allows: {messages}")
    if "ACCESS_DENIED" in codes:
        raise AccessDeniedError(f"Shopify denied access: {messages}")
    if "SHOP_INACTIVE" in codes:
        raise ShopFrozenError(f"the shop is inactive: {messages}")
    if "INTERNAL_SERVER_ERROR" in codes:
        raise ShopifyUnreachableError(f"Shopify had an internal error: {messages}")
    unknown = unknown_input_field(errors)
    shown = ", ".join(codes) or "no code"
    error = (
        UnknownInputFieldError(unknown)
        if unknown is not None
        else UnexpectedResponseError(f"Shopify answered with GraphQL errors ({shown}): {messages}")
    )
    error.shopify_messages = messages
    raise error


def raise_for_user_errors(user_errors: Any) -> None:
    """Raise the error the ``userErrors`` of ``bulkOperationRunQuery`` stand for."""
    if not user_errors:
        return
    if not isinstance(user_errors, Sequence):
        raise UnexpectedResponseError("bulkOperationRunQuery returned malformed userErrors")
    codes = {e.get("code") for e in user_errors if isinstance(e, Mapping)}
    messages = _messages(user_errors)
    # Before 2025-01 there is no code: recognise the in-progress rejection by its text.
    in_progress = "OPERATION_IN_PROGRESS" in codes or "already in progress" in messages
    if in_progress:
        raise OperationInProgressError(
            f"the shop's bulk operation limit is reached: {messages}",
            retry_after_s=30.0,
            operation_ids=tuple(_OPERATION_ID.findall(messages)),
        )
    if "LIMIT_REACHED" in codes:
        raise BulkLimitReachedError(
            f"Shopify refused a new bulk operation: {messages}", retry_after_s=30.0
        )
    if "INVALID" in codes or codes <= {None}:
        raise InvalidBulkQueryError(f"Shopify rejected the bulk query: {messages}")
    shown = ", ".join(sorted(str(code) for code in codes))
    raise UnexpectedResponseError(f"bulkOperationRunQuery userErrors ({shown}): {messages}")


def fail_shape(what: str) -> NoReturn:
    raise UnexpectedResponseError(f"unexpected response shape: {what}")
