"""A process loads only what its command runs: a worker no simulator, API server or demo."""

from __future__ import annotations

import json
import subprocess
import sys

from click.testing import CliRunner

from cli.main import cli

# What the worker command imports, in a fresh interpreter: the CLI, the command, its modules.
_WORKER_IMPORTS = """
import json, sys
import click
from cli.main import cli
with click.Context(cli) as ctx:
    command = cli.get_command(ctx, "worker")
import workers.main, workers.settings
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""

_NOT_IN_A_WORKER = {"strawberry", "uvicorn", "starlette", "simulator", "api", "websockets", "pika"}


def test_a_worker_imports_no_simulator_api_or_demo() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _WORKER_IMPORTS], check=True, capture_output=True, text=True
    ).stdout
    loaded = set(json.loads(out))
    assert "dramatiq" in loaded  # the probe really imported the worker
    assert loaded.isdisjoint(_NOT_IN_A_WORKER), loaded & _NOT_IN_A_WORKER


def test_lazy_commands_still_list_and_run() -> None:
    listing = CliRunner().invoke(cli, ["--help"])
    assert listing.exit_code == 0
    for name in ("dead-letters", "keys", "token", "simulator", "demo", "up", "worker", "api"):
        assert f"  {name} " in listing.output
    generated = CliRunner().invoke(cli, ["keys", "generate"])
    assert generated.exit_code == 0 and generated.output.strip()
