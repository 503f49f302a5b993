"""Starting, watching and stopping the processes of a local stack (demo, end-to-end tests)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

import httpx

from bulk.errors import ShopsyncError


class ProcessFailed(ShopsyncError, RuntimeError):
    """A managed process exited early or never became ready."""


class ManagedProcess:
    """One ``shopsync`` sub-command in a child process, its output kept in a log file."""

    def __init__(
        self,
        name: str,
        args: Sequence[str],
        *,
        env: Mapping[str, str],
        log_dir: Path,
        ready_url: str | None = None,
    ) -> None:
        """``ready_url`` must answer 200 with this process's ``INSTANCE_ID`` as ``instance``
        (the API's /healthz and the simulator's /_sim/health echo it): an answer from another
        process on that port never counts as ready."""
        self.name = name
        self.args = [sys.executable, "-m", "cli", *args]
        self.instance_id = uuid.uuid4().hex
        self.env = {**os.environ, **env, "INSTANCE_ID": self.instance_id}
        self.log_path = log_dir / f"{name}.log"
        self.ready_url = ready_url
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, *, ready_timeout_s: float = 30.0) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                self.args, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        if self.ready_url is not None:
            self._wait_ready(self.ready_url, ready_timeout_s)

    def _wait_ready(self, url: str, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        foreign = False
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                try:
                    self.check_alive()
                except ProcessFailed as exc:
                    if foreign:
                        raise ProcessFailed(f"another process answers at {url}; {exc}") from None
                    raise
                try:
                    response = client.get(url)
                except httpx.TransportError:
                    response = None
                if response is not None and response.status_code == 200:
                    if _instance(response) == self.instance_id:
                        return
                    foreign = True
                time.sleep(0.1)
        raise ProcessFailed(f"{self.name} did not become ready at {url}\n{self.log_tail()}")

    def check_alive(self) -> None:
        if self._process is not None and self._process.poll() is not None:
            raise ProcessFailed(
                f"{self.name} exited with code {self._process.returncode}\n{self.log_tail()}"
            )

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def kill(self) -> None:
        """SIGKILL, as a crash would: no clean-up runs in the child."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()

    def stop(self, *, timeout_s: float = 15.0) -> None:
        process = self._process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(f"  {self.name}| {line}" for line in text.splitlines()[-lines:])


def _instance(response: httpx.Response) -> object:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("instance") if isinstance(body, dict) else None


class ProcessGroup:
    """Processes started in order and stopped in reverse, whatever happens in between."""

    def __init__(self) -> None:
        self.processes: list[ManagedProcess] = []

    def start(self, process: ManagedProcess, *, ready_timeout_s: float = 30.0) -> ManagedProcess:
        self.processes.append(process)
        process.start(ready_timeout_s=ready_timeout_s)
        return process

    def check_alive(self) -> None:
        for process in self.processes:
            process.check_alive()

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()

    def __enter__(self) -> ProcessGroup:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
