"""A started API holds what it serves, not what only a worker's job, the CLI or the simulator
needs: no Shopify client (gql, httpx) until a shop is connected, no cryptography until a token
is stored or read, no rich, no simulator."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from cli.ports import free_port
from tests.support.imports import modules_under
from tests.support.waiting import wait_for

# The real entry point (``shopsync api``); a thread keeps writing the module list, as uvicorn
# ends on SIGTERM without running atexit handlers.
_ENTRY = """
import json, os, sys, threading, time
out, port = sys.argv[1], sys.argv[2]
def dump():
    while True:
        with open(out + ".tmp", "w") as handle:
            handle.write(json.dumps(sorted(sys.modules)))
        os.replace(out + ".tmp", out)
        time.sleep(0.1)
threading.Thread(target=dump, daemon=True).start()
sys.argv = ["shopsync", "api", "--port", port]
from cli.main import main
main()
"""

_NOT_AT_START = (
    "gql",
    "httpx",
    "httpcore",
    "cryptography.fernet",
    "rich",
    "pygments",
    "simulator",
    "pika",
)


def _healthy(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_a_started_api_has_not_imported_what_it_does_not_serve(
    database_url: str, redis_url: str, tmp_path: Path
) -> None:
    modules_file, log_file, port = tmp_path / "modules.json", tmp_path / "api.log", free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "BROKER_URL": redis_url}
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", _ENTRY, str(modules_file), str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for(
                lambda: process.poll() is not None or _healthy(f"http://127.0.0.1:{port}/healthz"),
                "the API to answer /healthz",
                timeout_s=60,
            )
            assert process.poll() is None, log_file.read_text(errors="replace")
            time.sleep(0.3)  # a dump after the answer
            loaded = set(json.loads(modules_file.read_text()))
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    assert "strawberry" in loaded and "api.app" in loaded  # it really served the API
    heavy = modules_under(loaded, _NOT_AT_START)
    assert not heavy, heavy
