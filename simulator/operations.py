"""BulkOperation registry and state machine; each operation renders in a background thread."""

from __future__ import annotations

import builtins
import itertools
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from simulator.config import SimulatorConfig
from simulator.downloads import FileStore
from simulator.faults import Fault, FaultRegistry
from simulator.render import UpdatedDuringExport, write_result

ACTIVE = ("CREATED", "RUNNING", "CANCELING")
TERMINAL = ("COMPLETED", "FAILED", "CANCELED", "EXPIRED")
OP_GID_PREFIX = "gid://shopify/BulkOperation/"


def second(value: datetime) -> datetime:
    """Truncate to whole seconds (Shopify timestamps are second precision)."""
    return value.replace(microsecond=0)


@dataclass
class BulkOperation:
    """Mutable state of one bulk query operation (guarded by the registry lock)."""

    id: str
    shop: str
    query: str
    api_version: str
    group_objects: bool
    read_all_orders: bool
    created_at: datetime
    type: str = "QUERY"
    status: str = "CREATED"
    error_code: str | None = None
    completed_at: datetime | None = None
    object_count: int = 0
    root_object_count: int = 0
    file_size: int | None = None
    url_key: str | None = None
    partial_key: str | None = None
    url_expires: datetime | None = None
    # Pacing: counts are revealed linearly between these monotonic instants.
    pace_start: float | None = None
    pace_end: float | None = None
    # A finished state kept hidden until ``reveal_at`` (the "early webhook" fault).
    pending: BulkOperation | None = None
    reveal_at: float | None = None
    cancel_event: threading.Event = field(default_factory=threading.Event, repr=False)
    faults: list[str] = field(default_factory=list)

    @property
    def number(self) -> int:
        """The numeric part of the id."""
        return int(self.id.rsplit("/", 1)[-1])


class OperationRegistry:
    """All operations of all shops; starts, cancels and finishes them."""

    def __init__(
        self,
        config: SimulatorConfig,
        files: FileStore,
        faults: FaultRegistry,
        on_finish: Callable[[BulkOperation], None],
    ) -> None:
        self._config = config
        self._files = files
        self._faults = faults
        self._on_finish = on_finish
        self._ops: dict[str, BulkOperation] = {}
        self._threads: list[threading.Thread] = []
        self._ids = itertools.count(
            random.Random(0).randrange(4_000_000_000_000, 5_000_000_000_000)
        )
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    # ---- queries -------------------------------------------------------------------------
    def view(self, op: BulkOperation) -> BulkOperation:
        """A consistent copy of ``op`` as a client would read it right now."""
        now_mono = time.monotonic()
        with self._lock:
            if op.pending is not None and op.reveal_at is not None and now_mono >= op.reveal_at:
                self._apply(op, op.pending)
            snap = replace(op, pending=None)
        if snap.pace_start is not None and snap.pace_end is not None and now_mono < snap.pace_end:
            span = max(1e-9, snap.pace_end - snap.pace_start)
            share = max(0.0, min(1.0, (now_mono - snap.pace_start) / span))
            snap.object_count = int(snap.object_count * share)
            snap.root_object_count = int(snap.root_object_count * share)
        expires = snap.url_expires
        if (
            self._config.expire_status
            and snap.status == "COMPLETED"
            and expires is not None
            and self._config.now() >= expires
        ):
            snap.status = "EXPIRED"
        return snap

    def get(self, op_id: str, shop: str | None = None) -> BulkOperation | None:
        """The live operation (not a view) with this id, restricted to ``shop`` if given."""
        with self._lock:
            op = self._ops.get(op_id)
        if op is None or (shop is not None and op.shop != shop):
            return None
        return op

    def list(self, shop: str | None = None) -> builtins.list[BulkOperation]:
        """Views of all operations (of one shop), oldest first."""
        with self._lock:
            ops = [op for op in self._ops.values() if shop is None or op.shop == shop]
        return [self.view(op) for op in ops]

    def active_ids(self, shop: str) -> builtins.list[str]:
        """Ids of the shop's operations still in progress."""
        return [op.id for op in self.list(shop) if op.status in ACTIVE]

    # ---- commands ------------------------------------------------------------------------
    def start(
        self,
        *,
        shop: str,
        query: str,
        plan: Any,
        store: Any,
        api_version: str,
        group_objects: bool,
        read_all_orders: bool,
        limit: int,
    ) -> tuple[BulkOperation | None, builtins.list[str]]:
        """Create and launch an operation; returns (its CREATED view, []) or (None, active ids)."""
        with self._lock:
            active = [
                o.id for o in self._ops.values() if o.shop == shop and self._visible_active(o)
            ]
            if len(active) >= limit:
                return None, active
            number = next(self._ids)
            op = BulkOperation(
                id=f"{OP_GID_PREFIX}{number}",
                shop=shop,
                query=query,
                api_version=api_version,
                group_objects=group_objects,
                read_all_orders=read_all_orders,
                created_at=second(self._config.now()),
            )
            self._ops[op.id] = op
            created = replace(op, pending=None)
            thread = threading.Thread(
                target=self._run, args=(op, plan, store), name=f"bulk-{number}", daemon=True
            )
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
        thread.start()
        return created, []

    @staticmethod
    def _visible_active(op: BulkOperation) -> bool:
        return op.status in ACTIVE

    def cancel(self, op: BulkOperation) -> tuple[BulkOperation, str | None]:
        """Request cancellation; returns the view and an error message for terminal ops."""
        current = self.view(op)
        if current.status not in ACTIVE:
            word = (
                "completed"
                if current.status in ("COMPLETED", "EXPIRED")
                else current.status.lower()
            )
            return current, f"A bulk operation cannot be canceled when it is {word}"
        with self._lock:
            if op.status in ACTIVE and op.pending is None:
                op.status = "CANCELING"
            op.cancel_event.set()
        return self.view(op), None

    def stop(self, timeout: float = 10.0) -> None:
        """Stop every worker thread and wait for them."""
        self._stopping.set()
        with self._lock:
            threads = list(self._threads)
            for op in self._ops.values():
                op.cancel_event.set()
        for thread in threads:
            thread.join(timeout)

    def reset(self) -> None:
        """Cancel and forget every operation."""
        self.stop()
        with self._lock:
            self._ops.clear()
            self._threads.clear()
        self._stopping.clear()

    # ---- worker --------------------------------------------------------------------------
    def _wait(self, op: BulkOperation, seconds: float) -> bool:
        """Sleep up to ``seconds``; True when cancellation interrupted the wait."""
        if seconds <= 0:
            return op.cancel_event.is_set()
        return op.cancel_event.wait(seconds)

    def _run(self, op: BulkOperation, plan: Any, store: Any) -> None:
        try:
            self._run_inner(op, plan, store)
        except Exception:  # pragma: no cover - defensive: a broken render must not hang clients
            self._finish(op, status="FAILED", error_code="INTERNAL_SERVER_ERROR")

    def _run_inner(self, op: BulkOperation, plan: Any, store: Any) -> None:
        take = self._faults.take
        if take("stuck_created", op.shop, op.id) is not None:
            op.faults.append("stuck_created")
            op.cancel_event.wait()
            return self._finish(op, status="CANCELED")
        if take("stuck_canceling", op.shop, op.id) is not None:
            op.faults.append("stuck_canceling")
            with self._lock:
                op.status = "CANCELING"  # cancelled unasked, and it never gets further
            self._stopping.wait()
            return None
        if self._wait(op, self._config.created_seconds):
            return self._finish(op, status="CANCELED")
        started = time.monotonic()
        with self._lock:
            op.status = "CANCELING" if op.status == "CANCELING" else "RUNNING"
        fail = take("fail_operation", op.shop, op.id)
        unsolicited = take("cancel_operation", op.shop, op.id)
        if unsolicited is not None:
            op.faults.append("cancel_operation")
            with self._lock:
                op.status = "CANCELING"
            op.cancel_event.set()
        key = self._files.new_key(op.shop, op.id)
        counts = {"objects": 0}
        fail_after = _fail_after(fail)

        def should_stop() -> bool:
            if op.cancel_event.is_set() or self._stopping.is_set():
                return True
            return fail_after is not None and counts["objects"] >= fail_after

        def on_progress(*args: Any, **kwargs: Any) -> None:
            objects, roots = _progress_counts(args, kwargs)
            counts["objects"] = objects
            with self._lock:
                op.object_count = objects
                if roots is not None:
                    op.root_object_count = roots

        layout = self._layout(op.group_objects)
        twice = take("updated_during_export", op.shop, op.id)
        if twice is not None:
            op.faults.append("updated_during_export")
        result = write_result(
            plan,
            store,
            self._files.path(key),
            layout=layout,
            seed=op.number,
            read_all_orders=op.read_all_orders,
            now=self._config.now(),
            should_stop=should_stop,
            on_progress=on_progress,
            twice=None
            if twice is None
            else UpdatedDuringExport(
                position=int(twice.params.get("order", 1)),
                newer_first=bool(twice.params.get("newer_first", False)),
            ),
        )
        objects = int(getattr(result, "object_count", counts["objects"]))
        roots = int(getattr(result, "root_object_count", 0))
        size = int(getattr(result, "file_size", 0))
        rate = self._config.objects_per_second
        run_s = max(self._config.run_seconds, objects / rate if rate > 0 else 0.0)
        remaining = run_s - (time.monotonic() - started)
        with self._lock:
            op.object_count, op.root_object_count = objects, roots
            if remaining > 0:
                op.pace_start, op.pace_end = time.monotonic(), time.monotonic() + remaining
        self._wait(op, remaining)
        with self._lock:
            op.pace_start = op.pace_end = None
        if op.cancel_event.is_set():
            return self._finish(op, status="CANCELED", key=key if size > 0 else None)
        if fail is not None:
            op.faults.append("fail_operation")
            partial = bool(fail.params.get("partial", True)) and size > 0
            code = str(fail.params.get("error_code", "INTERNAL_SERVER_ERROR"))
            return self._finish(
                op, status="FAILED", error_code=code, partial=key if partial else None
            )
        return self._finish(op, status="COMPLETED", key=key if objects > 0 else None, size=size)

    def _layout(self, group_objects: bool) -> str:
        if self._config.layout != "auto":
            return self._config.layout
        return "grouped" if group_objects else self._config.ungrouped_layout

    def _finish(
        self,
        op: BulkOperation,
        *,
        status: str,
        error_code: str | None = None,
        key: str | None = None,
        partial: str | None = None,
        size: int | None = None,
    ) -> None:
        now = second(self._config.now())
        lifetime = timedelta(seconds=self._config.url_lifetime_seconds)
        with self._lock:
            final = replace(op, pending=None, status=status, error_code=error_code)
            final.pace_start = final.pace_end = None
            if status == "COMPLETED":
                final.completed_at = now
                final.url_key = key
                if key and self._faults.take("completed_without_url", op.shop, op.id):
                    final.url_key = None  # objects were counted, but no file is offered
                    op.faults.append("completed_without_url")
                final.url_expires = now + lifetime
                final.file_size = (
                    size if key else (None if self._config.zero_result_file_size_null else 0)
                )
            elif status == "CANCELED":
                final.url_key = key
                final.url_expires = op.created_at + lifetime
            elif status == "FAILED":
                final.partial_key = partial
                final.url_expires = op.created_at + lifetime
            early = self._faults.take("webhook_early", op.shop, op.id)
            if early is None:
                self._apply(op, final)
            else:
                delay = float(early.params.get("delay", self._config.webhook_early_seconds))
                op.faults.append("webhook_early")
                op.pending, op.reveal_at = final, time.monotonic() + delay
        self._on_finish(final)

    @staticmethod
    def _apply(op: BulkOperation, final: BulkOperation) -> None:
        for name in (
            "status",
            "error_code",
            "completed_at",
            "object_count",
            "root_object_count",
            "file_size",
            "url_key",
            "partial_key",
            "url_expires",
        ):
            setattr(op, name, getattr(final, name))
        op.pending, op.reveal_at = None, None


def _fail_after(fault: Fault | None) -> int | None:
    if fault is None:
        return None
    value = fault.params.get("after_objects")
    return None if value is None else int(value)


def _progress_counts(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[int, int | None]:
    """Adapter for ``on_progress``: accepts (objects[, roots]), kwargs or a RenderResult-like."""
    if args and hasattr(args[0], "object_count"):
        return int(args[0].object_count), int(getattr(args[0], "root_object_count", 0))
    objects = kwargs.get("object_count", args[0] if args else 0)
    roots = kwargs.get("root_object_count", args[1] if len(args) > 1 else None)
    return int(objects), None if roots is None else int(roots)
