"""Test-only worker entry for the fault scenarios (tests/test_faults.py): the real worker
(``workers.main.run_worker``), plus Dramatiq middleware that observes it or injects a fault.

Run as ``python -m tests.fault_worker [--threads N] [--record DIR] [--kill-after-completed]
[--barrier MESSAGE_ID --barrier-dir DIR]``; settings come from the environment as for
``shopsync worker``. Nothing here is production code.

- ``--record DIR``: every message processed or enqueued is appended as a JSON line to
  ``DIR/<pid>.jsonl`` (``start``, ``end`` and ``enqueue`` events: message id, job id, thread,
  monotonic time, exception).
- ``--kill-after-completed``: after a message whose job row is COMPLETED has been processed,
  note it in ``DIR/killed.log`` and SIGKILL this process. Dramatiq calls
  ``after_process_message`` in the worker thread before handing the message to the consumer to
  ack (``Worker.process_message`` emits it, then its ``finally`` calls
  ``post_process_message``), so the message is never acked.
- ``--barrier MESSAGE_ID``: each delivery of that message waits in ``before_process_message``
  until two deliveries of it (in any processes) have arrived, so both run at the same instant.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import dramatiq
import psycopg
from dramatiq.middleware import Middleware

from cli.log import configure_logging
from workers import main as worker_main
from workers.settings import WorkerSettings

BARRIER_TIMEOUT_S = 30.0


def _append(path: Path, event: dict[str, Any]) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(event) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def _job_id(message: Any) -> int | None:
    args = getattr(message, "args", ())
    return int(args[0]) if args else None


class Recorder(Middleware):  # type: ignore[misc]
    """Appends a line per message start and end to ``<dir>/<pid>.jsonl``."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / f"{os.getpid()}.jsonl"

    def _event(self, kind: str, message: Any, **extra: Any) -> None:
        _append(
            self.path,
            {
                "event": kind,
                "pid": os.getpid(),
                "thread": threading.get_ident(),
                "message_id": message.message_id,
                "job_id": _job_id(message),
                "t": time.monotonic(),
                **extra,
            },
        )

    def before_process_message(self, broker: dramatiq.Broker, message: Any) -> None:
        self._event("start", message)

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: Any,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        self._event("end", message, exception=None if exception is None else repr(exception))

    def after_enqueue(self, broker: dramatiq.Broker, message: Any, delay: int | None) -> None:
        self._event("enqueue", message)


class KillAfterCompleted(Middleware):  # type: ignore[misc]
    """SIGKILLs the process once a processed message's job is COMPLETED, before the ack."""

    def __init__(self, database_url: str, directory: Path) -> None:
        self.database_url = database_url
        self.path = directory / "killed.log"

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: Any,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        job_id = _job_id(message)
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            row = conn.execute("SELECT status FROM sync_jobs WHERE id = %s", (job_id,)).fetchone()
        if row is None or row[0] != "COMPLETED":
            return
        _append(self.path, {"pid": os.getpid(), "message_id": message.message_id, "job_id": job_id})
        os.kill(os.getpid(), signal.SIGKILL)


class Barrier(Middleware):  # type: ignore[misc]
    """Holds each delivery of one message until two deliveries of it have arrived."""

    def __init__(self, message_id: str, directory: Path) -> None:
        self.message_id = message_id
        self.directory = directory

    def before_process_message(self, broker: dramatiq.Broker, message: Any) -> None:
        if message.message_id != self.message_id:
            return
        me = f"{os.getpid()}-{threading.get_ident()}"
        (self.directory / f"arrived-{me}").touch()
        deadline = time.monotonic() + BARRIER_TIMEOUT_S
        while len(list(self.directory.glob("arrived-*"))) < 2:
            if time.monotonic() > deadline:
                (self.directory / f"timeout-{me}").touch()
                return
            time.sleep(0.005)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--record", type=Path)
    parser.add_argument("--kill-after-completed", action="store_true")
    parser.add_argument("--barrier")
    parser.add_argument("--barrier-dir", type=Path)
    args = parser.parse_args()
    configure_logging("INFO")
    settings = WorkerSettings()

    middleware: list[Middleware] = []
    if args.record is not None:
        middleware.append(Recorder(args.record))
    if args.barrier is not None:
        middleware.append(Barrier(args.barrier, args.barrier_dir))
    if args.kill_after_completed:
        middleware.append(KillAfterCompleted(settings.database_url, args.record))

    original = worker_main.build_broker

    def build_broker(broker_url: str, **options: Any) -> dramatiq.Broker:
        broker = original(broker_url, **options)
        for item in middleware:
            broker.add_middleware(item)
        return broker

    worker_main.build_broker = build_broker
    worker_main.run_worker(settings, threads=args.threads)


if __name__ == "__main__":
    main()
