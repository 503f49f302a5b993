"""A crashed step's exception as a short, safe text for the job's error and the logs; the
error of a job whose delivery budget is spent."""

from __future__ import annotations

import re
import traceback

# An unexpected exception may quote anything it saw: signed result URLs (credentials for the
# shop's data) and access tokens are cut out, and the text is bounded.

MAX_ERROR_CHARS = 500

# A URL keeps its scheme, host and path; its query (signatures) and user info go.
_URL = re.compile(
    r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?:[^\s/@'\"]*@)?(?P<rest>[^\s?#'\"]*)[^\s'\"]*"
)
# Shopify access tokens and app secrets: shpat_, shpca_, shppa_, shpss_ and the like.
_TOKEN = re.compile(r"\bshp[a-z]{2}_[A-Za-z0-9_]+")


def redact(text: str) -> str:
    """``text`` without URL queries, URL credentials or Shopify tokens."""
    text = _URL.sub(lambda m: f"{m.group('scheme')}{m.group('rest')}", text)
    return _TOKEN.sub("shp…", text)


def describe_crash(exc: BaseException) -> str:
    """``ExceptionType: message``, redacted and bounded (the type alone if there is no message)."""
    message = redact(str(exc)).strip()
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


def crash_frames(exc: BaseException) -> str:
    """Where it happened: the traceback's frames (file, line, code), without any message."""
    return "".join(traceback.format_tb(exc.__traceback__)).rstrip()


def delivery_budget_error(attempts: int, last_error: str | None) -> str:
    """The readable error of a job whose deliveries kept ending without a clean step."""
    if last_error is None:
        last = (
            "no error was recorded: the worker was killed (SIGKILL, out of memory) or lost "
            "its database connection mid-step"
        )
    else:
        last = f"last error: {last_error}"
    return f"gave up after {attempts} deliveries of a step that did not finish; {last}"
