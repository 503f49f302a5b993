"""``shopsync schedule``: show or change a shop's sync schedule through the API."""

from __future__ import annotations

from typing import Any

import click

from .documents import SET_SCHEDULE
from .options import api_client, find_shop, json_option, refused
from .render import echo_json
from .settings import ENV_HELP

# setSyncSchedule replaces the whole schedule: the options given change the current one, the
# others keep their values (the mutation's defaults for a shop without a schedule).


@click.command(
    "schedule",
    help="Show a shop's sync schedule, or change what the options name (the rest stays). "
    f"{ENV_HELP}",
)
@click.option("--shop", required=True, help="The shop's id or domain.")
@click.option(
    "--update-every-mins", type=int, help="An UPDATE every N minutes (0: no scheduled UPDATE)."
)
@click.option("--stale-margin-mins", type=int, help="Added to each scheduled UPDATE's window.")
@click.option(
    "--reconcile-daily/--no-reconcile-daily", default=None, help="A RECONCILE once a day."
)
@click.option("--reconcile-at", help="The daily RECONCILE's time, HH:MM UTC.")
@click.option(
    "--pause/--resume", default=None, help="Pause the schedule (slots are skipped), or resume."
)
@json_option
def schedule(
    shop: str,
    update_every_mins: int | None,
    stale_margin_mins: int | None,
    reconcile_daily: bool | None,
    reconcile_at: str | None,
    pause: bool | None,
    as_json: bool,
) -> None:
    with api_client() as api:
        found = find_shop(api, shop)
        current = found["schedule"]
        changes = (update_every_mins, stale_margin_mins, reconcile_daily, reconcile_at, pause)
        if all(change is None for change in changes):
            _show(found["domain"], current, as_json=as_json)
            return
        schedule_input = _merged(
            current,
            update_every_mins=update_every_mins,
            stale_margin_mins=stale_margin_mins,
            reconcile_daily=reconcile_daily,
            reconcile_at=reconcile_at,
            pause=pause,
        )
        result = api.execute(SET_SCHEDULE, {"shopId": found["id"], "input": schedule_input})
    outcome = result["setSyncSchedule"]
    if outcome["__typename"] == "ValidationError":
        raise refused(outcome)
    _show(found["domain"], outcome["schedule"], as_json=as_json)


def _merged(
    current: dict[str, Any] | None,
    *,
    update_every_mins: int | None,
    stale_margin_mins: int | None,
    reconcile_daily: bool | None,
    reconcile_at: str | None,
    pause: bool | None,
) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    if current is not None:
        merged = {
            "updateEveryMins": current["updateEveryMins"],
            "staleMarginMins": current["staleMarginMins"],
            "reconcileDaily": current["reconcileDaily"],
            "paused": current["paused"],
        }
        if current["reconcileAtUtc"] is not None:
            merged["reconcileAtUtc"] = current["reconcileAtUtc"]
    if update_every_mins is not None:
        merged["updateEveryMins"] = update_every_mins or None
    if stale_margin_mins is not None:
        merged["staleMarginMins"] = stale_margin_mins
    if reconcile_daily is not None:
        merged["reconcileDaily"] = reconcile_daily
    if reconcile_at is not None:
        merged["reconcileAtUtc"] = reconcile_at
    if pause is not None:
        merged["paused"] = pause
    return merged


def _show(domain: str, current: dict[str, Any] | None, *, as_json: bool) -> None:
    if as_json:
        echo_json(current)
        return
    if current is None:
        click.echo(f"{domain}: no schedule")
        return
    update = current["updateEveryMins"]
    lines = [
        f"{domain}: "
        + ("PAUSED" if current["paused"] else "active")
        + (f" ({current['pausedReason']})" if current["pausedReason"] else ""),
        "  update: "
        + (
            f"every {update} min (margin {current['staleMarginMins']} min)"
            if update is not None
            else "none"
        ),
        "  reconcile: "
        + (f"daily at {current['reconcileAtUtc']} UTC" if current["reconcileDaily"] else "none"),
        f"  next run: {current['nextRunAt'] or '-'}  last run: {current['lastRunAt'] or '-'}",
    ]
    click.echo("\n".join(lines))
