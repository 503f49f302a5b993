"""SIGTERM/SIGINT as a stop event, for the long-running processes (worker, scheduler)."""

from __future__ import annotations

import signal
import threading
from types import FrameType

Handler = signal.Handlers | int | None | object


def install_signal_handlers(stop: threading.Event) -> dict[int, Handler]:
    """Set ``stop`` on SIGTERM/SIGINT; returns the previous handlers (none off the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return {}  # signals can only be handled on the main thread; ``stop`` still works

    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous: dict[int, Handler] = {}
    for signum in (signal.SIGTERM, signal.SIGINT):
        previous[signum] = signal.signal(signum, handle)
    return previous


def restore_signal_handlers(previous: dict[int, Handler]) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)  # type: ignore[arg-type]
