"""How the API client commands print: aligned tables and summaries for people, ``--json`` for
scripts (the API's own field names)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import click


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, sort_keys=True))


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Left-aligned columns two spaces apart; None shows as "-"."""
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max(len(row[i]) for row in [list(header), *cells]) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [list(header), *cells]
    )


def _cell(value: object) -> str:
    return "-" if value is None else str(value)


def human_bytes(count: float | None) -> str:
    if count is None:
        return "?"
    for unit in ("B", "kB", "MB", "GB"):
        if abs(count) < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    return f"{count:.1f} GB"  # pragma: no cover - the loop returns


def duration(job: dict[str, Any]) -> str | None:
    """Seconds from start to finish (or to now while it runs), e.g. "4.2 s"; None unstarted."""
    if not job.get("startedAt"):
        return None
    started = datetime.fromisoformat(job["startedAt"])
    finished = datetime.fromisoformat(job["finishedAt"]) if job.get("finishedAt") else None
    if finished is None:
        return None
    return f"{(finished - started).total_seconds():.1f} s"


def stats_line(stats: dict[str, Any]) -> str:
    return (
        f"created {stats['ordersCreated']}  updated {stats['ordersUpdated']}  "
        f"unchanged {stats['ordersUnchanged']}  skipped {stats['ordersSkipped']}  "
        f"deleted {stats['ordersDeleted']}  line items {stats['lineItemsWritten']}  "
        f"failed lines {stats['failedLines']}"
    )


def job_summary(job: dict[str, Any]) -> str:
    """A few lines: what the job is, where it stands, its stats, its error."""
    mode = job["syncMode"]
    if job.get("days") is not None:
        mode += f" (last {job['days']} days)"
    if job.get("staleAfterMins") is not None:
        mode += f" (updated in the last {job['staleAfterMins']} min)"
    stats = job["stats"]
    lines = [
        f"job {job['id']}  {job['status']}  {mode}  shop {job['shopId']}  trigger {job['trigger']}",
        f"  {stats_line(stats)}",
        f"  read {stats['linesRead']} lines, {human_bytes(stats['bytesRead'])}"
        + (f"  in {duration(job)}" if duration(job) else ""),
    ]
    if job.get("error"):
        lines.append(f"  error: {job['error']}")
    return "\n".join(lines)


JOB_HEADER = (
    "ID",
    "SHOP",
    "MODE",
    "TRIGGER",
    "STATUS",
    "CREATED",
    "UPDATED",
    "UNCHANGED",
    "SKIPPED",
    "DELETED",
    "FAILED",
    "DURATION",
    "STARTED AT",
    "ERROR",
)


def job_row(job: dict[str, Any]) -> list[object]:
    stats = job["stats"]
    error = job.get("error")
    return [
        job["id"],
        job["shopId"],
        job["syncMode"],
        job["trigger"],
        job["status"],
        stats["ordersCreated"],
        stats["ordersUpdated"],
        stats["ordersUnchanged"],
        stats["ordersSkipped"],
        stats["ordersDeleted"],
        stats["failedLines"],
        duration(job),
        (job.get("startedAt") or "")[:19] or None,
        None if not error else (error if len(error) <= 60 else error[:59] + "…"),
    ]
