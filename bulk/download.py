"""Streaming a bulk result file from its signed URL, resuming from a byte offset with Range."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from .errors import (
    DestinationRefusedError,
    DownloadInterruptedError,
    ResultUnusableError,
    ResultUrlExpiredError,
    ResultUrlRefusedError,
)
from .net import STRICT, NetPolicy

if TYPE_CHECKING:
    import httpx

# httpx loads with the first download (see bulk.net), not when a worker starts.

# Offsets count bytes of the file itself (what the checkpoint stores): a resumed request asks
# for ``identity`` encoding so Range addresses those bytes; a fresh one lets httpx decode gzip.
# The URL is a bearer credential, so no message or log line here ever includes it.
#
# Without a client passed in, the file is fetched under a NetPolicy (production's by default):
# https from Shopify's storage hosts only, at a public address checked when connecting; a refused
# URL raises ResultUrlRefusedError, which retrying cannot cure.
#
# The stream's end is the truth: ``fileSize`` is only a hint. A file longer than it is read to its
# end. A stream that ends cleanly before it is the one truncation signal we have, so it counts as
# interrupted (the caller resumes from its checkpoint, a bounded number of times), not as the end.

_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")
_EXPIRED_STATUSES = frozenset({400, 401, 403, 404, 410})


def url_expired(url: str, *, now_s: float | None = None) -> bool:
    """True when the signed URL's ``Expires`` (epoch seconds) has passed; False if it has none."""
    values = parse_qs(urlsplit(url).query).get("Expires")
    if not values:
        return False
    try:
        expires = int(values[0])
    except ValueError:
        return False
    return expires <= (time.time() if now_s is None else now_s)


def _range_start(content_range: str | None) -> int | None:
    match = _CONTENT_RANGE.fullmatch((content_range or "").strip())
    return None if match is None else int(match.group(1))


def _chunks(response: httpx.Response, *, skip: int, expected: int | None) -> Iterator[bytes]:
    import httpx

    delivered = 0
    try:
        # As the bytes arrive (no re-chunking): a break-off loses nothing already received.
        for chunk in response.iter_bytes():
            if skip:
                dropped = min(skip, len(chunk))
                skip -= dropped
                chunk = chunk[dropped:]
                if not chunk:
                    continue
            delivered += len(chunk)
            yield chunk
    except httpx.TimeoutException as exc:
        raise DownloadInterruptedError(
            f"the result download stalled after {delivered} bytes"
        ) from exc
    except httpx.TransportError as exc:
        raise DownloadInterruptedError(
            f"the result download broke off after {delivered} bytes ({type(exc).__name__})"
        ) from exc
    if skip:
        raise DownloadInterruptedError("the result download ended before the resume offset")
    if expected is not None and delivered < expected:
        raise DownloadInterruptedError(
            f"the result download ended after {delivered} of {expected} bytes"
        )


@contextmanager
def open_result(
    url: str,
    *,
    offset: int = 0,
    file_size: int | None = None,
    timeout_s: float = 30.0,
    policy: NetPolicy = STRICT,
    client: httpx.Client | None = None,
) -> Iterator[Iterator[bytes]]:
    """Open the result file at byte ``offset``; yields an iterator of the bytes from there on.

    Raises ResultUrlExpiredError when the URL is dead, DownloadInterruptedError for anything a
    later resume can fix, ResultUrlRefusedError when ``policy`` refuses it. A ``client`` passed
    in is used as it is (``policy`` is then the client's business). Leaving the ``with`` block
    early closes the connection.
    """
    import httpx

    from .net import guarded_client

    if offset < 0:
        raise ValueError("offset must be >= 0")
    if client is None:
        try:  # before the expiry: a fresh URL on a refused host would be refused too
            policy.check_result_url(url)
        except DestinationRefusedError as exc:
            raise ResultUrlRefusedError(str(exc)) from exc
    if url_expired(url):
        raise ResultUrlExpiredError("the result URL has expired (its Expires has passed)")
    headers = {"Range": f"bytes={offset}-", "Accept-Encoding": "identity"} if offset else {}
    owned = client is None
    http = client or guarded_client(policy, timeout_s=timeout_s, check_url=policy.check_result_url)
    try:
        with http.stream("GET", url, headers=headers) as response:
            status = response.status_code
            if status == 416 and offset:
                if file_size is not None and offset < file_size:
                    raise DownloadInterruptedError(
                        f"the result host says the file ends before byte {offset} of {file_size}"
                    )
                yield iter(())  # the offset is the file's end: nothing left
                return
            if status in _EXPIRED_STATUSES:
                raise ResultUrlExpiredError(f"the result URL is no longer valid (HTTP {status})")
            if status in (408, 429) or status >= 500:
                raise DownloadInterruptedError(f"the result host is unavailable (HTTP {status})")
            skip = 0
            if status == 206:
                start = _range_start(response.headers.get("content-range"))
                if start is None or start > offset:
                    raise ResultUnusableError("the result host answered a range we did not ask for")
                skip = offset - start
            elif status == 200:
                skip = offset  # Range ignored: the whole file comes; drop what we already have
            else:  # 204, a redirect, ...: not the file (the status only: never the URL)
                raise ResultUnusableError(f"the result host answered HTTP {status}, not the file")
            # fileSize is a hint: fewer bytes mean interrupted, more are read to the end.
            expected = None if file_size is None or file_size <= offset else file_size - offset
            yield _chunks(response, skip=skip, expected=expected)
    except DestinationRefusedError as exc:  # names the host, never the URL's query
        raise ResultUrlRefusedError(str(exc)) from exc
    except httpx.TimeoutException as exc:
        raise DownloadInterruptedError("the result host did not answer in time") from exc
    except httpx.TransportError as exc:
        raise DownloadInterruptedError(
            f"could not fetch the result file ({type(exc).__name__})"
        ) from exc
    finally:
        if owned:
            http.close()
