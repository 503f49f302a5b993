"""``shopsync dead-letters``: list a job's lines that could not be ingested, and retry them."""

from __future__ import annotations

from collections.abc import Sequence

import click

from bulk.deadletters import DeadLetter
from bulk.errors import InvalidArgument
from service.principal import SYSTEM
from service.settings import CommonSettings

from .services import local_services

TEXT_WIDTH = 60  # characters of a line's text shown in the table
REASON_WIDTH = 70


@click.group("dead-letters")
def dead_letters() -> None:
    """Lines of a job's result file that could not be ingested."""


@dead_letters.command("list")
@click.argument("job_id", type=int)
@click.option("--all", "include_resolved", is_flag=True, help="Include resolved dead letters.")
@click.option(
    "--limit", default=100, show_default=True, type=click.IntRange(min=1), help="At most N."
)
@click.pass_obj
def list_command(settings: CommonSettings, job_id: int, include_resolved: bool, limit: int) -> None:
    """List a job's open dead letters in file order (--all: resolved ones too)."""
    # A local operator command: whoever runs it can read the database, so it acts as SYSTEM.
    with local_services(settings) as services:
        job = services.jobs.get(SYSTEM, job_id)
        if job is None:
            raise click.ClickException(f"no sync job with id {job_id}")
        letters = services.dead_letters.list(
            SYSTEM, job_id, include_resolved=include_resolved, first=limit + 1
        )
    kind = "" if include_resolved else "open "
    if not letters:
        click.echo(f"sync job {job_id} ({job.status.value}) has no {kind}dead letters")
        return
    click.echo(f"sync job {job_id} ({job.status.value}), {kind}dead letters in file order:")
    click.echo(_table(letters[:limit], with_state=include_resolved))
    if len(letters) > limit:
        click.echo(f"(the first {limit} only; raise --limit for more)")


@dead_letters.command("retry")
@click.argument("job_id", type=int)
@click.pass_obj
def retry_command(settings: CommonSettings, job_id: int) -> None:
    """Retry a finished job's open dead letters; the job's stats follow."""
    with local_services(settings) as services:
        try:
            result = services.dead_letters.retry(SYSTEM, job_id).result
        except InvalidArgument as exc:
            raise click.ClickException(exc.message) from None
    click.echo(
        f"retried {result.retried}, resolved {result.resolved}, "
        f"still failing {result.still_failing}"
    )


def _table(letters: Sequence[DeadLetter], *, with_state: bool) -> str:
    """Aligned columns: line, offset, (state,) reason, the line's text cut short."""
    header = ["LINE", "OFFSET", *(["STATE"] if with_state else []), "REASON", "TEXT"]
    rows = [
        [
            _or_dash(letter.line_number),
            _or_dash(letter.byte_offset),
            *([_state(letter)] if with_state else []),
            _shorten(letter.reason, REASON_WIDTH),
            _shorten(letter.line, TEXT_WIDTH),
        ]
        for letter in letters
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    numeric = 2  # LINE and OFFSET are right-aligned
    lines = []
    for row in [header, *rows]:
        cells = [
            cell.rjust(width) if i < numeric else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _state(letter: DeadLetter) -> str:
    """open, resolved (the line went in) or superseded (newer data overtook it)."""
    if letter.resolved_at is None:
        return "open"
    return "superseded" if letter.resolution == "superseded" else "resolved"


def _or_dash(value: int | None) -> str:
    return "-" if value is None else str(value)


def _shorten(text: str, width: int) -> str:
    """One terminal line: control characters as spaces, cut to ``width`` with an ellipsis."""
    flat = "".join(ch if ch.isprintable() else " " for ch in text)
    return flat if len(flat) <= width else flat[: width - 1] + "…"
