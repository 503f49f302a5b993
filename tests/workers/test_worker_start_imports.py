"""A started, idle worker holds only what it runs before its first job: no Shopify client (gql,
graphql-core, httpx), no token cipher (cryptography), no rich, no API or simulator."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

from tests.support.imports import modules_under
from tests.support.waiting import wait_for

# The real entry point (``shopsync worker``), with the module list written as the process exits.
_ENTRY = """
import atexit, json, sys
out = sys.argv[1]
atexit.register(lambda: open(out, "w").write(json.dumps(sorted(sys.modules))))
sys.argv = ["shopsync", "worker", "--threads", "2"]
from cli.main import main
main()
"""

# Each of these loads at first use (a job's client, download or token; `--follow`), or never.
_NOT_AT_START = (
    "gql",
    "graphql",
    "httpx",
    "httpcore",
    "cryptography.fernet",
    "rich",
    "pygments",
    "strawberry",
    "uvicorn",
    "starlette",
    "websockets",
    "simulator",
    "api",
    "pika",
)


def test_a_started_worker_has_not_imported_what_only_a_job_needs(
    database_url: str, redis_url: str, tmp_path: Path
) -> None:
    modules_file, log_file = tmp_path / "modules.json", tmp_path / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "BROKER_URL": redis_url,
        "QUEUE_NAME": f"imports-{uuid.uuid4().hex[:8]}",
        "METRICS_PORT": "0",
    }
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", _ENTRY, str(modules_file)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for(
                lambda: (
                    process.poll() is not None
                    or "worker.started" in log_file.read_text(errors="replace")
                ),
                "the worker to start",
                timeout_s=60,
            )
            assert process.poll() is None, log_file.read_text(errors="replace")
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0, log_file.read_text(errors="replace")
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    loaded = set(json.loads(modules_file.read_text()))
    assert "dramatiq" in loaded and "workers.main" in loaded  # it really ran the worker
    heavy = modules_under(loaded, _NOT_AT_START)
    assert not heavy, heavy
