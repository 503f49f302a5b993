"""The API client commands (``shopsync shops|sync|jobs|job|cancel|schedule``) against a real
API under uvicorn: their output, ``--json``, exit codes, one-line errors, ``--follow``'s bar."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner, Result

from api.app import create_app
from api.settings import ApiSettings
from cli.main import cli
from tests.support.api import REJECTED_TOKEN, FakeVerifier, RecordingQueue
from tests.support.api_server import ApiServer, set_job, wait_for

SHOP_TOKEN = "shpat_cli_shop_secret_91f2"
DOMAIN = "cli.myshopify.com"
API_COMMANDS = [
    ["shops", "list"],
    ["shops", "connect"],
    ["sync"],
    ["jobs"],
    ["job"],
    ["cancel"],
    ["schedule"],
]


@pytest.fixture
def queue() -> RecordingQueue:
    return RecordingQueue()


@pytest.fixture
def server(database_url: str, queue: RecordingQueue) -> Iterator[ApiServer]:
    settings = ApiSettings(database_url=database_url, environment="development")
    app = create_app(settings, queue=queue, verifier=FakeVerifier(), pool_max_size=4)
    with ApiServer(app) as running:
        yield running


def run(server: ApiServer | None, *args: str, token: str | None = None, **env: str) -> Result:
    """``shopsync ARGS`` in this process, configured only through its environment (warnings
    only: the API serving it logs into the same process's stderr)."""
    environment = {
        "SHOPSYNC_API_URL": "http://127.0.0.1:1" if server is None else server_url(server),
        "SHOPSYNC_API_TOKEN": token or (server.token if server else "none"),
        "SHOPIFY_ACCESS_TOKEN": SHOP_TOKEN,
        **env,
    }
    return CliRunner().invoke(
        cli, ["--log-level", "WARNING", *args], env=environment, catch_exceptions=False
    )


def server_url(server: ApiServer) -> str:
    return f"http://127.0.0.1:{server.port}"


def _connect(server: ApiServer) -> str:
    result = run(server, "shops", "connect", DOMAIN, "--no-initial-sync", "--json")
    assert result.exit_code == 0, result.output
    shop_id: str = json.loads(result.stdout)["shop"]["id"]
    return shop_id


def _assert_one_line_error(result: Result, exit_code: int, fragment: str) -> None:
    assert result.exit_code == exit_code, result.output
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and fragment in result.stderr, result.stderr
    assert "Traceback" not in result.output


def test_version_and_every_commands_help_names_its_environment() -> None:
    version = CliRunner().invoke(cli, ["--version"])
    assert version.exit_code == 0 and version.stdout.startswith("shopsync, version ")
    for command in API_COMMANDS:
        shown = CliRunner().invoke(cli, [*command, "--help"], terminal_width=200)
        assert shown.exit_code == 0, shown.output
        text = " ".join(shown.stdout.split())
        assert "SHOPSYNC_API_URL" in text and "SHOPSYNC_API_TOKEN" in text, command
    connect = CliRunner().invoke(cli, ["shops", "connect", "--help"], terminal_width=200)
    assert "SHOPIFY_ACCESS_TOKEN" in connect.stdout


def test_shops_connect_and_list(server: ApiServer) -> None:
    connected = run(server, "shops", "connect", DOMAIN)
    assert connected.exit_code == 0, connected.output
    assert f"connected shop 1 {DOMAIN}" in connected.stdout
    assert "POPULATE" in connected.stdout  # the initial job
    listed = run(server, "shops", "list")
    assert listed.stdout.splitlines()[0].split() == [
        "ID",
        "DOMAIN",
        "API",
        "VERSION",
        "SCHEDULE",
        "CONNECTED",
    ]
    assert DOMAIN in listed.stdout
    as_json = json.loads(run(server, "shops", "list", "--json").stdout)
    assert [(shop["id"], shop["domain"]) for shop in as_json] == [("1", DOMAIN)]
    for result in (connected, listed):
        assert SHOP_TOKEN not in result.output and server.token not in result.output


def test_sync_jobs_job_and_cancel(server: ApiServer, queue: RecordingQueue) -> None:
    _connect(server)
    started = run(server, "sync", "--shop", DOMAIN, "--mode", "populate", "--days", "7", "--json")
    assert started.exit_code == 0, started.output
    job = json.loads(started.stdout)
    assert (job["syncMode"], job["days"], job["status"]) == ("POPULATE", 7, "QUEUED")
    assert queue.enqueued == [int(job["id"])]

    again = run(server, "sync", "--shop", "1", "--mode", "full")
    assert f"already has an active job: {job['id']}" in again.stdout

    table = run(server, "jobs", "--shop", DOMAIN)
    header, row = table.stdout.splitlines()
    assert header.split()[:5] == ["ID", "SHOP", "MODE", "TRIGGER", "STATUS"]
    assert row.split()[:5] == [job["id"], "1", "POPULATE", "MANUAL", "QUEUED"]
    filtered = run(server, "jobs", "--status", "completed", "--json")
    assert json.loads(filtered.stdout) == []
    by_mode = json.loads(run(server, "jobs", "--mode", "populate", "--limit", "1", "--json").stdout)
    assert [found["id"] for found in by_mode] == [job["id"]]

    shown = run(server, "job", job["id"])
    assert shown.stdout.startswith(f"job {job['id']}  QUEUED  POPULATE (last 7 days)")
    assert json.loads(run(server, "job", job["id"], "--json").stdout)["id"] == job["id"]

    cancelled = run(server, "cancel", job["id"])
    assert cancelled.exit_code == 0 and f"job {job['id']} cancelled" in cancelled.stdout
    assert json.loads(run(server, "cancel", job["id"], "--json").stdout)["status"] == "CANCELLED"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sync", "--shop", DOMAIN, "--mode", "update"], "staleAfterMins is required for UPDATE"),
        (["sync", "--shop", DOMAIN, "--days", "3"], "days only applies to POPULATE"),
        (["sync", "--shop", "nope.myshopify.com"], "no shop 'nope.myshopify.com'"),
        (["job", "424242"], "no sync job with id 424242"),
        (["cancel", "424242"], "no sync job with id 424242"),
        (["schedule", "--shop", DOMAIN, "--update-every-mins", "1"], "updateEveryMins"),
    ],
)
def test_refused_requests_exit_2_with_one_line(
    server: ApiServer, args: list[str], message: str
) -> None:
    _connect(server)
    _assert_one_line_error(run(server, *args), 2, message)


def test_a_token_shopify_rejects_exits_2_without_echoing_it(server: ApiServer) -> None:
    result = run(server, "shops", "connect", DOMAIN, SHOPIFY_ACCESS_TOKEN=REJECTED_TOKEN)
    _assert_one_line_error(result, 2, "AUTHENTICATION")
    assert REJECTED_TOKEN not in result.output
    assert json.loads(run(server, "shops", "list", "--json").stdout) == []


def test_auth_failures_and_an_unreachable_api_exit_1_with_one_line(server: ApiServer) -> None:
    bad = run(server, "jobs", token="not-a-real-token")
    _assert_one_line_error(bad, 1, "the API refused the token")
    assert "not-a-real-token" not in bad.output
    _assert_one_line_error(run(None, "shops", "list"), 1, "cannot reach the API")
    viewer = server.issue_token(role="viewer")
    _connect(server)
    read_only = run(server, "sync", "--shop", DOMAIN, token=viewer)
    _assert_one_line_error(read_only, 1, "read-only")


def test_another_tenants_jobs_do_not_exist_for_it(server: ApiServer) -> None:
    _connect(server)
    job = json.loads(run(server, "sync", "--shop", DOMAIN, "--json").stdout)
    other = server.issue_token(tenant="tenant-b")
    assert json.loads(run(server, "jobs", "--json", token=other).stdout) == []
    _assert_one_line_error(run(server, "job", job["id"], token=other), 2, "no sync job")
    _assert_one_line_error(run(server, "cancel", job["id"], token=other), 2, "no sync job")
    _assert_one_line_error(run(server, "sync", "--shop", DOMAIN, token=other), 2, "no shop")


def test_schedule_changes_only_what_is_named(server: ApiServer) -> None:
    _connect(server)
    assert run(server, "schedule", "--shop", DOMAIN).stdout == f"{DOMAIN}: no schedule\n"
    set_up = run(
        server,
        "schedule",
        "--shop",
        DOMAIN,
        "--update-every-mins",
        "60",
        "--reconcile-daily",
        "--reconcile-at",
        "04:30",
    )
    assert set_up.exit_code == 0, set_up.output
    assert "every 60 min" in set_up.stdout and "daily at 04:30 UTC" in set_up.stdout
    paused = json.loads(run(server, "schedule", "--shop", "1", "--pause", "--json").stdout)
    assert paused["paused"] is True
    assert (paused["updateEveryMins"], paused["reconcileAtUtc"]) == (60, "04:30")
    resumed = json.loads(
        run(
            server, "schedule", "--shop", "1", "--resume", "--update-every-mins", "0", "--json"
        ).stdout
    )
    assert (resumed["paused"], resumed["updateEveryMins"], resumed["reconcileDaily"]) == (
        False,
        None,
        True,
    )


def _drive(
    server: ApiServer, queue: RecordingQueue, database_url: str, end: dict[str, Any]
) -> None:
    """Move the CLI's job like a worker would, once the CLI has subscribed."""
    wait_for(lambda: server.hub.subscriber_count == 1, "the CLI's subscription")
    job_id = queue.enqueued[-1]
    now = datetime.now(UTC)
    with psycopg.connect(database_url, autocommit=True) as conn:
        set_job(
            conn, job_id, status="RUNNING", bulk_status="RUNNING", object_count=50, started_at=now
        )
        set_job(conn, job_id, bulk_status="COMPLETED", object_count=120, result_file_size=10_000)
        set_job(conn, job_id, bytes_read=5_000, lines_read=60)
        set_job(conn, job_id, finished_at=now, **end)


@pytest.mark.parametrize(
    ("end", "exit_code"),
    [
        (
            {
                "status": "COMPLETED",
                "bytes_read": 10_000,
                "lines_read": 120,
                "orders_created": 40,
                "line_items_written": 80,
            },
            0,
        ),
        ({"status": "FAILED", "error": "the shop's token was revoked"}, 3),
    ],
)
def test_sync_follow_draws_the_bar_and_ends_with_the_stats(
    server: ApiServer,
    queue: RecordingQueue,
    database_url: str,
    end: dict[str, Any],
    exit_code: int,
) -> None:
    _connect(server)
    driver = threading.Thread(target=_drive, args=(server, queue, database_url, end))
    driver.start()
    try:
        result = run(server, "sync", "--shop", DOMAIN, "--mode", "populate", "--follow")
    finally:
        driver.join(timeout=30)
    assert result.exit_code == exit_code, result.output
    out = result.stdout
    job_id = queue.enqueued[-1]
    assert f"job {job_id}: QUEUED" in out
    if exit_code == 0:
        assert f"job {job_id}: COMPLETED (Shopify COMPLETED)" in out
        assert (
            f"job {job_id} completed" in out and "10.0/10.0 kB" in out and "120/120 objects" in out
        )
        assert "created 40" in out and "line items 80" in out
        assert result.stderr == ""
    else:
        assert "error: the shop's token was revoked" in out
        assert result.stderr == f"Error: job {job_id} ended FAILED\n"
