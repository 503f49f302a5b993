"""Subscribing to ``bulk_operations/finish``: which input field to send, what the answer means."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bulk.errors import WebhookSubscriptionError

from .endpoint import version_at_least
from .responses import fail_shape

# ``WebhookSubscriptionInput`` took ``callbackUrl`` on older API versions and ``uri`` later; the
# cut-over version is not documented ([U] in the reference), so the client starts from
# :data:`WEBHOOK_URI_SINCE` and falls back to the other field once if the server rejects it.

# [U] Matches the simulator's default ``webhook_uri_since``; a wrong guess costs one request.
WEBHOOK_URI_SINCE = "2025-01"
URI_FIELD = "uri"
CALLBACK_URL_FIELD = "callbackUrl"
# Real Shopify's userError for a topic already subscribed to the same address.
_ALREADY_TAKEN = "has already been taken"
_MAX_TEXT = 300


def address_field(api_version: str) -> str:
    """The input field carrying the callback address on ``api_version``, as far as we know."""
    return URI_FIELD if version_at_least(api_version, WEBHOOK_URI_SINCE) else CALLBACK_URL_FIELD


def other_address_field(name: str) -> str:
    """The fallback for an address field the server does not know."""
    return CALLBACK_URL_FIELD if name == URI_FIELD else URI_FIELD


def subscription_input(field_name: str, callback_url: str) -> dict[str, str]:
    """The ``WebhookSubscriptionInput`` value: JSON deliveries to ``callback_url``."""
    return {field_name: callback_url, "format": "JSON"}


def _messages(user_errors: Sequence[Any]) -> list[str]:
    return [
        str(error.get("message")) if isinstance(error, Mapping) else str(error)
        for error in user_errors
    ]


def subscription_id(payload: Any) -> str | None:
    """The new subscription's id; None if the address was already subscribed to the topic.

    Any other userError raises :class:`WebhookSubscriptionError`.
    """
    if not isinstance(payload, Mapping):
        fail_shape("webhookSubscriptionCreate payload is missing")
    user_errors = payload.get("userErrors")
    if user_errors:
        if not isinstance(user_errors, Sequence) or isinstance(user_errors, str):
            fail_shape("webhookSubscriptionCreate returned malformed userErrors")
        messages = _messages(user_errors)
        if all(_ALREADY_TAKEN in message.lower() for message in messages):
            return None
        text = "; ".join(messages)
        text = text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 1] + "…"
        raise WebhookSubscriptionError(f"Shopify refused the webhook subscription: {text}")
    subscription = payload.get("webhookSubscription")
    sub_id = subscription.get("id") if isinstance(subscription, Mapping) else None
    if not isinstance(sub_id, str):
        fail_shape("webhookSubscriptionCreate returned neither a subscription nor userErrors")
    return sub_id
