"""Every process refuses to start on a database that does not exist or lacks migrations: one
line naming ``shopsync migrate``, exit code 1, at once (the timeout only catches a hang)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.support.databases import missing_database_url, unmigrated_database

PROCESSES = (["api", "--port", "0"], ["worker", "--threads", "1"], ["scheduler"])


def _start(args: list[str], database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "METRICS_PORT": "0"}
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,  # a hang, not a slow start: the check gives up after a few seconds
        check=False,
    )


@pytest.mark.parametrize("args", PROCESSES, ids=lambda args: args[0])
def test_a_missing_database_stops_the_process_naming_migrate(args: list[str]) -> None:
    result = _start(args, missing_database_url())
    assert result.returncode == 1, result.stderr
    assert "does not exist: run `shopsync migrate`" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args", PROCESSES, ids=lambda args: args[0])
def test_an_unmigrated_database_stops_the_process_naming_migrate(args: list[str]) -> None:
    with unmigrated_database() as url:
        result = _start(args, url)
    assert result.returncode == 1, result.stderr
    assert "lacks" in result.stderr
    assert "run `shopsync migrate`" in result.stderr
    assert "Traceback" not in result.stderr
