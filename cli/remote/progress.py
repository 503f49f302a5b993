"""``--follow``: a live rich progress bar fed by the ``syncJobUpdated`` subscription."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from .client import ApiClient
from .documents import GET_JOB, TERMINAL, WATCH_JOB
from .errors import ApiCommandError

# A job first waits in the queue, then Shopify exports (objects counted, no total yet), then the
# worker reads the result file: bytes read against the file's size, lines against the objects.
# The bar measures bytes once the size is known; the rate and ETA are rich's, from the updates.


def follow(client: ApiClient, job: dict[str, Any], *, console: Console | None = None) -> Any:
    """Draw the job's progress until it is terminal; return its last state."""
    console = console or Console()
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[objects]}"),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
    )
    last = job
    with progress:
        task = progress.add_task(_phase(job), total=None, objects="")
        _show(progress, task, job, previous=None)
        if job["status"] not in TERMINAL:
            for data in client.subscribe(WATCH_JOB, {"id": job["id"]}):
                current = data["syncJobUpdated"]
                _show(progress, task, current, previous=last)
                last = current  # the API completes the subscription after a terminal state
    if last["status"] not in TERMINAL:
        # The subscription ended early (the API restarted): read where the job stands.
        found = client.execute(GET_JOB, {"id": job["id"]})["syncJob"]
        if found is None or found["status"] not in TERMINAL:
            raise ApiCommandError(
                f"lost the job's updates before it finished; follow it again with "
                f"`shopsync job {job['id']} --follow`"
            )
        last = found
    return last


def _phase(job: dict[str, Any]) -> str:
    status = job["status"]
    if status in TERMINAL or status == "QUEUED":
        return f"job {job['id']} {status.lower()}"
    if job.get("resultFileSize") is None:
        bulk = (job.get("bulkOperationStatus") or "starting").lower()
        return f"job {job['id']} Shopify export {bulk}"
    return f"job {job['id']} ingesting"


def _show(
    progress: Progress, task: TaskID, job: dict[str, Any], *, previous: dict[str, Any] | None
) -> None:
    stats = job["stats"]
    total = job.get("resultFileSize")
    objects = job.get("objectCount")
    if total is None:
        counted = "" if objects is None else f"{objects} objects"
    else:
        counted = f"{stats['linesRead']}/{'?' if objects is None else objects} objects"
    completed = stats["bytesRead"]
    if job["status"] == "COMPLETED" and total is not None:
        completed = total
    progress.update(
        task, description=_phase(job), total=total, completed=completed, objects=counted
    )
    changed = previous is None or (
        (previous["status"], previous.get("bulkOperationStatus"))
        != (job["status"], job.get("bulkOperationStatus"))
    )
    if changed:
        bulk = job.get("bulkOperationStatus")
        progress.console.print(
            f"job {job['id']}: {job['status']}" + (f" (Shopify {bulk})" if bulk else "")
        )
