"""``shopsync sync|jobs|job|cancel``: start, list, show, follow and cancel sync jobs."""

from __future__ import annotations

from typing import Any

import click

from bulk.types import JobStatus, SyncMode

from .client import ApiClient
from .documents import CANCEL_JOB, GET_JOB, LIST_JOBS, START_JOB, TERMINAL, WATCH_JOB
from .errors import JobDidNotComplete, RequestRefused
from .options import api_client, find_shop, json_option, refused
from .progress import follow
from .render import JOB_HEADER, echo_json, job_row, job_summary, table
from .settings import ENV_HELP

MODES = [mode.value.lower() for mode in SyncMode]
STATUSES = [status.value.lower() for status in JobStatus]
FOLLOW_HELP = (
    "Draw a live progress bar (the syncJobUpdated subscription) until the job ends, then its "
    "stats; exit code 3 when it ends FAILED or CANCELLED."
)


@click.command(
    "sync",
    help="Start a sync of a shop (or get its active job). POPULATE takes --days, UPDATE needs "
    f"--stale-after-mins. {ENV_HELP}",
)
@click.option("--shop", required=True, help="The shop's id or domain.")
@click.option(
    "--mode",
    type=click.Choice(MODES, case_sensitive=False),
    default="full",
    show_default=True,
    help="populate: new orders only; update: orders updated lately; full: everything; "
    "reconcile: mark orders deleted in Shopify deleted.",
)
@click.option("--days", type=int, help="POPULATE/RECONCILE: orders created in the last N days.")
@click.option("--stale-after-mins", type=int, help="UPDATE: orders updated in the last N minutes.")
@click.option("--follow", "follow_job", is_flag=True, help=FOLLOW_HELP)
@json_option
def sync(
    shop: str,
    mode: str,
    days: int | None,
    stale_after_mins: int | None,
    follow_job: bool,
    as_json: bool,
) -> None:
    with api_client() as api:
        shop_id = find_shop(api, shop)["id"]
        job_input = {
            "shopId": shop_id,
            "syncMode": mode.upper(),
            "days": days,
            "staleAfterMins": stale_after_mins,
        }
        result = api.execute(START_JOB, {"input": job_input})["startSyncJob"]
        if result["__typename"] == "ValidationError":
            raise refused(result)
        job = result["job"]
        if not as_json:
            started = result["__typename"] == "SyncJobStarted"
            click.echo(
                f"started job {job['id']} ({job['syncMode']})"
                if started
                else f"shop {shop_id} already has an active job: {job['id']} ({job['syncMode']})"
            )
        _finish(api, job, follow_job=follow_job, as_json=as_json)


def _finish(api: ApiClient, job: dict[str, Any], *, follow_job: bool, as_json: bool) -> None:
    """Print the job (after following it to its end when asked); exit 3 if it did not complete."""
    if follow_job:
        job = follow(api, job) if not as_json else _wait(api, job)
    if as_json:
        echo_json(job)
    else:
        click.echo(job_summary(job))
    if follow_job and job["status"] != "COMPLETED":
        raise JobDidNotComplete(f"job {job['id']} ended {job['status']}")


def _wait(api: ApiClient, job: dict[str, Any]) -> dict[str, Any]:
    """Follow without drawing (--json): the last state the subscription pushes."""
    last = job
    if job["status"] not in TERMINAL:
        for data in api.subscribe(WATCH_JOB, {"id": job["id"]}):
            last = data["syncJobUpdated"]  # completed by the API after a terminal state
    if last["status"] not in TERMINAL:
        found = api.execute(GET_JOB, {"id": job["id"]})["syncJob"]
        last = found or last
    return last


@click.command("jobs", help=f"List sync jobs, newest first. {ENV_HELP}")
@click.option("--shop", help="Only this shop's jobs (its id or domain).")
@click.option("--status", type=click.Choice(STATUSES, case_sensitive=False))
@click.option("--mode", type=click.Choice(MODES, case_sensitive=False))
@click.option(
    "--limit", type=click.IntRange(1, 500), default=20, show_default=True, help="At most N."
)
@json_option
def jobs(shop: str | None, status: str | None, mode: str | None, limit: int, as_json: bool) -> None:
    with api_client() as api:
        shop_id = None if shop is None else find_shop(api, shop)["id"]
        variables = {
            "shopId": shop_id,
            "first": limit,
            "status": None if status is None else status.upper(),
            "mode": None if mode is None else mode.upper(),
        }
        found = api.execute(LIST_JOBS, variables)["syncJobs"]
    if as_json:
        echo_json(found)
    elif not found:
        click.echo("no jobs")
    else:
        click.echo(table(JOB_HEADER, [job_row(job) for job in found]))


@click.command("job", help=f"Show one sync job and its stats. {ENV_HELP}")
@click.argument("job_id")
@click.option("--follow", "follow_job", is_flag=True, help=FOLLOW_HELP)
@json_option
def job(job_id: str, follow_job: bool, as_json: bool) -> None:
    with api_client() as api:
        found = api.execute(GET_JOB, {"id": job_id})["syncJob"]
        if found is None:
            raise RequestRefused(f"no sync job with id {job_id}")
        _finish(api, found, follow_job=follow_job, as_json=as_json)


@click.command(
    "cancel",
    help="Cancel a QUEUED or RUNNING job (and its Shopify bulk operation); a finished job is "
    f"left as it is. {ENV_HELP}",
)
@click.argument("job_id")
@json_option
def cancel(job_id: str, as_json: bool) -> None:
    with api_client() as api:
        result = api.execute(CANCEL_JOB, {"id": job_id})["cancelSyncJob"]
    if result["__typename"] == "ValidationError":
        raise refused(result)
    if as_json:
        echo_json(result["job"])
        return
    if result["__typename"] == "SyncJobAlreadyFinished":
        click.echo(f"job {job_id} had already finished ({result['job']['status']})")
    else:
        click.echo(f"job {job_id} cancelled")
    click.echo(job_summary(result["job"]))
