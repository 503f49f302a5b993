"""A tiny TCP server on 127.0.0.1 that records every connection made to it (SSRF tests)."""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType

OK_ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


class CaptureServer:
    """Accepts connections, records the first bytes of each, answers ``answer`` and closes.

    ``connections`` counts accepted TCP connections, so a refused-by-policy URL is proven
    unrequested even if the client would have spoken TLS or garbage to it.
    """

    def __init__(self, answer: bytes = OK_ANSWER) -> None:
        self.answer = answer
        self.received: list[bytes] = []
        self._lock = threading.Lock()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.1)
        self.port: int = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="capture-server", daemon=True)

    @property
    def connections(self) -> int:
        with self._lock:
            return len(self.received)

    def url(self, scheme: str = "http", host: str = "127.0.0.1", path: str = "/") -> str:
        return f"{scheme}://{host}:{self.port}{path}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(1.0)
                try:
                    data = conn.recv(65536)
                except OSError:
                    data = b""
                with self._lock:
                    self.received.append(data)
                with contextlib.suppress(OSError):  # the client may be gone
                    conn.sendall(self.answer)

    def __enter__(self) -> CaptureServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()
