"""``shopsync sync --follow`` as a real process against the real stack (simulator, API, worker):
the bar moves, the run ends with the job's stats and exit code 0; a job cancelled with
``shopsync cancel`` ends the follower with exit code 3."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.remote.documents import GET_JOB
from tests.support.mirror import assert_mirror
from tests.support.stack import Stack

pytestmark = pytest.mark.slow

DOMAIN = "follow.myshopify.com"
TOKEN = "shpat_follow_secret_token_4d1"
ORDERS = 400
RUN_SECONDS = 4  # each export takes this long: room to watch it, and to cancel one


@pytest.fixture
def stack(database_url: str, redis_url: str, tmp_path: Path) -> Iterator[Stack]:
    stack = Stack(domain=DOMAIN, token=TOKEN, orders=ORDERS, logs=tmp_path)
    env = {"POLL_INITIAL_DELAY_S": "0.2", "POLL_MAX_DELAY_S": "0.5", "BATCH_BYTES": "16384"}
    with stack.run(
        database_url=database_url,
        redis_url=redis_url,
        queue_prefix="follow",
        seed=11,
        env=env,
        simulator_args=["--run-seconds", str(RUN_SECONDS)],
    ):
        yield stack


def _env(stack: Stack) -> dict[str, str]:
    return {
        **os.environ,
        **stack.env,
        "SHOPSYNC_API_URL": stack.api_url,
        "SHOPSYNC_API_TOKEN": stack.api_token,
        "SHOPIFY_ACCESS_TOKEN": TOKEN,
        "COLUMNS": "120",
    }


def shopsync(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        env=_env(stack),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_sync_follow_shows_progress_and_the_stats(
    stack: Stack, database_url: str, tmp_path: Path
) -> None:
    connected = shopsync(
        stack, "shops", "connect", DOMAIN, "--admin-url", stack.sim_url, "--no-initial-sync"
    )
    assert connected.returncode == 0, connected.stderr

    run = shopsync(stack, "sync", "--shop", DOMAIN, "--mode", "populate", "--follow")
    (tmp_path / "sync-follow.txt").write_text(run.stdout)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stderr == ""
    out = run.stdout
    assert "(Shopify RUNNING)" in out and "COMPLETED (Shopify COMPLETED)" in out
    assert "completed ━" in out and "objects" in out  # the finished bar
    assert f"created {ORDERS}" in out and "failed lines 0" in out
    assert_mirror(database_url, stack.shopify_orders())

    as_json = shopsync(stack, "jobs", "--shop", DOMAIN, "--json")
    assert as_json.returncode == 0 and '"status": "COMPLETED"' in as_json.stdout


def test_a_cancelled_job_ends_the_follower_with_exit_code_3(stack: Stack) -> None:
    assert (
        shopsync(
            stack, "shops", "connect", DOMAIN, "--admin-url", stack.sim_url, "--no-initial-sync"
        ).returncode
        == 0
    )
    follower = subprocess.Popen(
        [sys.executable, "-m", "cli", "sync", "--shop", DOMAIN, "--mode", "full", "--follow"],
        env=_env(stack),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        job_id = _wait_for_running_export(stack)
        cancelled = shopsync(stack, "cancel", job_id)
        assert cancelled.returncode == 0, cancelled.stderr
        assert f"job {job_id} cancelled" in cancelled.stdout
        out, err = follower.communicate(timeout=60)
    finally:
        if follower.poll() is None:
            follower.kill()
            follower.communicate()
    assert follower.returncode == 3, out + err
    assert f"job {job_id}: CANCELLED" in out
    assert err.strip().splitlines() == [f"Error: job {job_id} ended CANCELLED"]


def _wait_for_running_export(stack: Stack, timeout_s: float = 30.0) -> str:
    """The id of the shop's job once Shopify's export of it runs."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        stack.group.check_alive()
        found = stack.api.execute("{ syncJobs(first: 1) { id } }")["syncJobs"]
        if found:
            job = stack.api.execute(GET_JOB, {"id": found[0]["id"]})["syncJob"]
            if job["bulkOperationStatus"] == "RUNNING":
                job_id: str = job["id"]
                return job_id
        time.sleep(0.05)
    raise AssertionError("no running export within the time limit")
