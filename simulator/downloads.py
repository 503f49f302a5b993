"""Result files on disk, signed URLs and the streaming (Range-aware, fault-aware) download route."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import shutil
import tempfile
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio
from starlette.types import Receive, Scope, Send

from simulator.config import SimulatorConfig
from simulator.faults import FaultRegistry
from simulator.requestlog import RequestLog, RequestRecord

FILES_PREFIX = "/_sim/files/"


class FileStore:
    """Owns the result-file directory, maps file keys to operations and signs URLs."""

    def __init__(self, config: SimulatorConfig) -> None:
        self._config = config
        self._owned_tmp: str | None = None
        if config.file_dir is None:
            self._owned_tmp = tempfile.mkdtemp(prefix="shopsync-sim-")
            self.directory = Path(self._owned_tmp)
        else:
            self.directory = Path(config.file_dir)
            self.directory.mkdir(parents=True, exist_ok=True)
        self._owners: dict[str, tuple[str, str]] = {}  # key -> (shop, operation id)
        self._lock = threading.Lock()

    def new_key(self, shop: str, operation_id: str) -> str:
        """Allocate a fresh unguessable key for an operation's result file."""
        key = f"bulk-operation-outputs-{secrets.token_hex(12)}-final"
        with self._lock:
            self._owners[key] = (shop, operation_id)
        return key

    def path(self, key: str) -> Path:
        """Where the file of ``key`` lives."""
        return self.directory / f"{key}.jsonl"

    def owner(self, key: str) -> tuple[str, str] | None:
        """(shop, operation id) owning ``key``."""
        with self._lock:
            return self._owners.get(key)

    def signature(self, key: str, expires: int) -> str:
        """URL-safe HMAC of the key and expiry."""
        mac = hmac.new(self._config.signing_key, f"{key}\n{expires}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")

    def signed_path(self, key: str, expires: datetime, operation_id: str) -> str:
        """Path plus query of the signed URL (stable for a given key and expiry)."""
        epoch = int(expires.timestamp())
        number = operation_id.rsplit("/", 1)[-1]
        disposition = quote(f'attachment; filename="bulk-{number}.jsonl"', safe="")
        return (
            f"{FILES_PREFIX}{key}?Expires={epoch}&Signature={self.signature(key, epoch)}"
            f"&response-content-disposition={disposition}&response-content-type=application%2Fjsonl"
        )

    def remove_all(self) -> None:
        """Delete every result file (reset)."""
        with self._lock:
            keys = list(self._owners)
            self._owners.clear()
        for key in keys:
            self.path(key).unlink(missing_ok=True)

    def close(self) -> None:
        """Remove the temporary directory if this store created it."""
        if self._owned_tmp is not None:
            shutil.rmtree(self._owned_tmp, ignore_errors=True)


def _xml_error(code: str, message: str, details: str) -> bytes:
    return (
        "<?xml version='1.0' encoding='UTF-8'?>"
        f"<Error><Code>{code}</Code><Message>{message}</Message><Details>{details}</Details></Error>"
    ).encode()


def _parse_range(header: str, size: int) -> tuple[int, int] | None:
    """Parse ``bytes=N-``, ``bytes=N-M`` or ``bytes=-K`` to an inclusive range (None: unusable)."""
    if not header.startswith("bytes=") or "," in header:
        return None
    start_text, _, end_text = header[6:].strip().partition("-")
    try:
        if start_text == "":
            suffix = int(end_text)
            return (max(0, size - suffix), size - 1) if suffix > 0 and size > 0 else None
        start = int(start_text)
        end = int(end_text) if end_text else size - 1
    except ValueError:
        return None
    if start >= size or end < start:
        return (start, -1)  # unsatisfiable
    return start, min(end, size - 1)


class DownloadApp:
    """Raw ASGI app serving ``/_sim/files/<key>`` in ~1 MiB chunks straight from disk."""

    def __init__(
        self,
        config: SimulatorConfig,
        files: FileStore,
        faults: FaultRegistry,
        log: RequestLog,
        now: Callable[[], datetime],
    ) -> None:
        self._config = config
        self._files = files
        self._faults = faults
        self._log = log
        self._now = now

    async def _simple(self, send: Send, status: int, body: bytes, ctype: str) -> None:
        headers = [(b"content-type", ctype.encode()), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _record(self, shop: str | None, op_id: str | None, status: int, fault: str | None) -> None:
        self._log.add(
            RequestRecord(
                shop=shop,
                kind="download",
                http_status=status,
                bulk_operation_id=op_id,
                fault=fault,
                at=self._now().strftime("%Y-%m-%dT%H:%M:%SZ"),
                path=FILES_PREFIX,
            )
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = scope["path"][len(FILES_PREFIX) :]
        query: dict[str, str] = {}
        for part in scope.get("query_string", b"").decode().split("&"):
            name, _, value = part.partition("=")
            query[name] = value
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        owner = self._files.owner(key)
        shop, op_id = owner if owner else (None, None)
        try:
            expires = int(query.get("Expires", ""))
        except ValueError:
            expires = -1
        good = owner is not None and hmac.compare_digest(
            self._files.signature(key, expires), query.get("Signature", "")
        )
        if not good:
            self._record(shop, op_id, 403, None)
            body = _xml_error(
                "SignatureDoesNotMatch",
                "Access denied.",
                "The request signature we calculated does not match the signature you provided.",
            )
            return await self._simple(send, 403, body, "application/xml; charset=UTF-8")
        forced = self._faults.take("url_expired", shop, op_id)
        if forced or self._now() >= datetime.fromtimestamp(expires, UTC):
            self._record(shop, op_id, 403, "url_expired" if forced else None)
            body = _xml_error("AccessDenied", "Access denied.", f"Request has expired: {expires}")
            return await self._simple(send, 403, body, "application/xml; charset=UTF-8")
        odd = self._faults.take("download_status", shop, op_id)
        if odd is not None:
            status = int(odd.params["status"])
            self._record(shop, op_id, status, "download_status")
            headers_out = [(b"content-length", b"0")]
            if 300 <= status < 400:
                headers_out.append((b"location", b"https://storage.example.invalid/moved"))
            await send({"type": "http.response.start", "status": status, "headers": headers_out})
            return await send({"type": "http.response.body", "body": b""})
        path = self._files.path(key)
        try:
            size = os.stat(path).st_size
        except FileNotFoundError:
            self._record(shop, op_id, 404, None)
            body = _xml_error("NoSuchKey", "The specified key does not exist.", key)
            return await self._simple(send, 404, body, "application/xml; charset=UTF-8")
        await self._stream(send, path, size, headers, shop, op_id)

    async def _stream(
        self,
        send: Send,
        path: Path,
        size: int,
        headers: dict[str, str],
        shop: str | None,
        op_id: str | None,
    ) -> None:
        start, end, status = 0, size - 1, 200
        fault: str | None = None
        range_header = headers.get("range")
        ignore = self._faults.take("ignore_range", shop, op_id) if range_header else None
        if range_header and self._config.honour_range and ignore is None:
            parsed = _parse_range(range_header, size)
            if parsed is not None and parsed[1] < 0:
                self._record(shop, op_id, 416, None)
                await send(
                    {
                        "type": "http.response.start",
                        "status": 416,
                        "headers": [
                            (b"content-range", f"bytes */{size}".encode()),
                            (b"content-length", b"0"),
                        ],
                    }
                )
                return await send({"type": "http.response.body", "body": b""})
            if parsed is not None:
                start, end, status = parsed[0], parsed[1], 206
        elif ignore is not None:
            fault = "ignore_range"
        length = max(0, end - start + 1)
        declared = length
        limit = length
        cut = self._faults.take("download_cut", shop, op_id)
        reset = self._faults.take("download_reset", shop, op_id)
        truncate = self._faults.take("truncate_body", shop, op_id)
        if cut is not None:
            limit, fault = min(length, int(cut.params.get("at_byte", length // 2))), "download_cut"
        if reset is not None:
            limit, fault = 0, "download_reset"
        if truncate is not None:
            declared, fault = (
                length + int(truncate.params.get("missing_bytes", 1024)),
                "truncate_body",
            )
        number = (op_id or "0").rsplit("/", 1)[-1]
        out: list[tuple[bytes, bytes]] = [
            (b"content-type", b"application/jsonl"),
            (b"content-length", str(declared).encode()),
            (b"accept-ranges", b"bytes"),
            (b"content-disposition", f'attachment; filename="bulk-{number}.jsonl"'.encode()),
        ]
        if status == 206:
            out.append((b"content-range", f"bytes {start}-{end}/{size}".encode()))
        self._record(shop, op_id, status, fault)
        await send({"type": "http.response.start", "status": status, "headers": out})
        await _send_file(send, path, start, limit, self._config.download_chunk_size)
        if limit == length and declared == length:
            await send({"type": "http.response.body", "body": b""})
        # Otherwise return without completing: the server closes the connection mid-body.


async def _send_file(send: Send, path: Path, start: int, length: int, chunk: int) -> None:
    """Send ``length`` bytes of ``path`` from ``start`` without holding the file in memory."""
    if length <= 0:
        return
    handle: Any = await anyio.to_thread.run_sync(open, path, "rb")
    try:
        await anyio.to_thread.run_sync(handle.seek, start)
        remaining = length
        while remaining > 0:
            data: bytes = await anyio.to_thread.run_sync(handle.read, min(chunk, remaining))
            if not data:
                break
            remaining -= len(data)
            await send({"type": "http.response.body", "body": data, "more_body": True})
    finally:
        await anyio.to_thread.run_sync(handle.close)
