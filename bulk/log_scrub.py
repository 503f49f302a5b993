"""A logging filter that blanks shop tokens out of every record: message, arguments,
structlog event values and tracebacks (e.g. Strawberry's execution-error log prints the query
document, which may hold an inline ``accessToken: "shpat_…"`` literal)."""

from __future__ import annotations

import logging
import re
import traceback
from typing import Any

from .errors import ShopsyncError

REDACTED = "[redacted]"

# Shopify token prefixes (Admin API, custom app, partner, shared secret, storefront...).
_SHOPIFY_TOKEN = re.compile(r"\bshp[a-z]{2}_[A-Za-z0-9_\-]+")
# The value of any accessToken/access_token/X-Shopify-Access-Token field, quoted or bare.
_TOKEN_FIELD = re.compile(
    r"""(access[-_]?token["']?\s*[:=]\s*)("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s,}\])]+)""",
    re.IGNORECASE,
)


def scrub(text: str) -> str:
    text = _TOKEN_FIELD.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    return _SHOPIFY_TOKEN.sub(REDACTED, text)


def _scrub_value(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {key: _scrub_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_scrub_value(item) for item in value)
    return value


class RedactedTraceback(ShopsyncError):
    """Stands in for an exception whose traceback text held a token."""


class SecretScrubber(logging.Filter):
    """Rewrites each record in place; never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, dict):  # a structlog event on its way to the formatter
            record.msg = _scrub_value(record.msg)
        else:
            message = record.getMessage()
            record.msg, record.args = scrub(message), None
        if record.exc_info and record.exc_info[1] is not None:
            text = "".join(traceback.format_exception(*record.exc_info))
            clean = scrub(text)
            if clean != text:
                record.exc_info = (RedactedTraceback, RedactedTraceback(clean), None)
                record.exc_text = None
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True


def install(*loggers: str) -> None:
    """Add the scrubber to the named loggers (once each)."""
    for name in loggers:
        logger = logging.getLogger(name)
        if not any(isinstance(f, SecretScrubber) for f in logger.filters):
            logger.addFilter(SecretScrubber())
