"""``shopsync up`` runs the stack in the foreground and stops it all on a signal; ``shopsync
demo`` refuses a taken port; a started process is ready only when its own instance answers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from cli.ports import free_port, port_is_free
from cli.processes import ManagedProcess, ProcessFailed
from tests.support.capture_server import CaptureServer

_BODY = json.dumps({"status": "ok"}).encode()
FOREIGN_HEALTHZ = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    + f"Content-Length: {len(_BODY)}\r\nConnection: close\r\n\r\n".encode()
    + _BODY
)


def _env(database_url: str, redis_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "BROKER_URL": redis_url,
        "QUEUE_NAME": f"up-{uuid.uuid4().hex[:8]}",
    }


def _poll(url: str, deadline_s: float = 60.0) -> httpx.Response:
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            response = httpx.get(url, timeout=2)
            if response.status_code == 200:
                return response
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{url} never answered 200")
        time.sleep(0.2)


@pytest.mark.slow
def test_up_runs_the_stack_and_a_signal_stops_every_process(
    database_url: str, redis_url: str, tmp_path: Path
) -> None:
    api_port, sim_port = free_port(), free_port()
    command = [
        *(sys.executable, "-m", "cli", "up", "--api-port", str(api_port), "--simulator"),
        *("--simulator-port", str(sim_port), "--metrics-port", "0", "--threads", "1"),
        *("--log-dir", str(tmp_path)),
    ]
    up = subprocess.Popen(
        command,
        env=_env(database_url, redis_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # the signal below reaches `up` alone, as its handler must
    )
    try:
        ready = _poll(f"http://127.0.0.1:{api_port}/readyz")
        assert ready.json() == {"status": "ready"}
        _poll(f"http://127.0.0.1:{sim_port}/_sim/health")
        up.send_signal(signal.SIGINT)
        output, _ = up.communicate(timeout=60)
    finally:
        if up.poll() is None:
            up.kill()
    assert up.returncode == 0, output
    assert "stopped" in output
    assert port_is_free(api_port) and port_is_free(sim_port)
    for name in ("api", "worker", "scheduler", "simulator"):
        assert (tmp_path / f"{name}.log").exists(), name


def test_demo_refuses_a_taken_port_before_touching_anything(
    database_url: str, redis_url: str
) -> None:
    with CaptureServer(FOREIGN_HEALTHZ) as foreign:
        result = subprocess.run(
            [sys.executable, "-m", "cli", "demo", "--api-port", str(foreign.port)],
            env=_env(database_url, redis_url),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert foreign.connections == 0  # not even asked
    assert result.returncode == 1
    assert f"port {foreign.port} (API) is already in use" in result.stderr
    assert "--api-port" in result.stderr


def test_a_foreign_process_on_the_port_is_never_taken_for_the_started_one(
    database_url: str, redis_url: str, tmp_path: Path
) -> None:
    with CaptureServer(FOREIGN_HEALTHZ) as foreign:
        api = ManagedProcess(
            "api",
            ["api", "--port", str(foreign.port)],
            env=_env(database_url, redis_url),
            log_dir=tmp_path,
            ready_url=f"http://127.0.0.1:{foreign.port}/healthz",
        )
        try:
            with pytest.raises(ProcessFailed, match="another process answers"):
                api.start(ready_timeout_s=60)
        finally:
            api.stop()
        assert foreign.connections > 0  # it asked, and did not believe the answer


def test_api_logging_to_a_file_prints_no_development_token(
    database_url: str, redis_url: str, tmp_path: Path
) -> None:
    # Development gives a token to a person at a terminal; output to a file is a log, and a
    # token there would be a secret in a log (the demo and `shopsync up` write such files).
    port = free_port()
    log = tmp_path / "api.log"
    env = {**_env(database_url, redis_url), "ENVIRONMENT": "development"}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "cli", "api", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
        try:
            _poll(f"http://127.0.0.1:{port}/healthz")
        finally:
            process.terminate()
            process.wait(timeout=30)
    text = log.read_text(encoding="utf-8")
    assert "Uvicorn running" in text or "Application startup complete" in text, text
    assert "development token" not in text and "Bearer" not in text, text
