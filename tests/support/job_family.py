"""Driving a job and the jobs its steps wake (a split job's children, a child's parent), each
in its own thread as separate worker messages would run, until every one of them is done."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from bulk.workflow import JobRunner, Step


class JobFamily:
    """Runs ``runner.advance`` loops; delays are honoured up to ``max_delay_s``."""

    def __init__(
        self,
        runner: JobRunner,
        *,
        max_delay_s: float = 0.05,
        before_step: Callable[[int], None] | None = None,
    ) -> None:
        self._runner = runner
        self._max_delay_s = max_delay_s
        self._before_step = before_step
        self._lock = threading.Lock()
        self._threads: dict[int, threading.Thread] = {}
        self._errors: list[BaseException] = []
        self.steps: dict[int, list[Step]] = {}

    def start(self, job_id: int) -> None:
        """Drive ``job_id`` unless a thread already does (a woken job that is being driven)."""
        with self._lock:
            running = self._threads.get(job_id)
            if running is not None and running.is_alive():
                return
            thread = threading.Thread(target=self._drive, args=(job_id,), daemon=True)
            self._threads[job_id] = thread
        thread.start()

    def _drive(self, job_id: int) -> None:
        try:
            while True:
                if self._before_step is not None:
                    self._before_step(job_id)
                step = self._runner.advance(job_id)
                with self._lock:
                    self.steps.setdefault(job_id, []).append(step)
                for other in step.wake:
                    if other != job_id:
                        self.start(other)
                if step.done:
                    return
                time.sleep(min(step.delay_s, self._max_delay_s))
        except BaseException as exc:  # re-raised by wait()
            with self._lock:
                self._errors.append(exc)

    def wait(self, timeout_s: float = 120.0) -> None:
        """Until no job of the family is being driven; raises what a thread raised."""
        deadline = time.monotonic() + timeout_s
        while True:
            with self._lock:
                alive = [t for t in self._threads.values() if t.is_alive()]
            if not alive:
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(alive)} job(s) still running after {timeout_s} s")
            alive[0].join(timeout=0.05)
        if self._errors:
            raise self._errors[0]


def run_family(runner: JobRunner, job_id: int, *, timeout_s: float = 120.0) -> JobFamily:
    """Run ``job_id`` and every job it wakes to the end."""
    family = JobFamily(runner)
    family.start(job_id)
    family.wait(timeout_s)
    return family
