"""``shopsync simulator``: run the simulated Shopify Admin API (options build the config here)."""

from __future__ import annotations

from pathlib import Path

import click

from simulator.config import (
    DEFAULT_ACCESS_TOKEN,
    DEFAULT_OBJECTS_PER_SECOND,
    DEFAULT_SCOPES,
    DEFAULT_SHOP_DOMAIN,
    DEFAULT_WEBHOOK_SECRET,
    PLAN_RESTORE_RATES,
    ShopConfig,
    SimulatorConfig,
)
from simulator.faults import FaultError, parse_cli_fault
from simulator.server import serve


@click.command("simulator")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8787, show_default=True, type=int)
@click.option("--orders", default=20_000, show_default=True, type=int, help="Orders in the store.")
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--shop-domain", default=DEFAULT_SHOP_DOMAIN, show_default=True)
@click.option("--access-token", default=DEFAULT_ACCESS_TOKEN, show_default=True)
@click.option(
    "--scopes",
    default=",".join(DEFAULT_SCOPES),
    show_default=True,
    help="Comma-separated token scopes (drop read_all_orders for the 60-day window).",
)
@click.option(
    "--plan", default="Standard", show_default=True, type=click.Choice(list(PLAN_RESTORE_RATES))
)
@click.option(
    "--run-seconds",
    default=3.0,
    show_default=True,
    type=float,
    help="Minimum time an operation spends RUNNING (0 = as fast as possible).",
)
@click.option(
    "--objects-per-second",
    default=DEFAULT_OBJECTS_PER_SECOND,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Export rate of one operation: it runs objects / this long, at least --run-seconds "
    "(0 = no rate).",
)
@click.option(
    "--created-seconds",
    default=0.5,
    show_default=True,
    type=float,
    help="Time an operation spends in CREATED.",
)
@click.option(
    "--layout",
    default="auto",
    show_default=True,
    type=click.Choice(["auto", "grouped", "ungrouped", "adversarial"]),
)
@click.option("--webhook-secret", default=DEFAULT_WEBHOOK_SECRET, show_default=True)
@click.option(
    "--file-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where result files go (default: a temporary directory).",
)
@click.option("--url-lifetime-seconds", default=7 * 24 * 3600, show_default=True, type=int)
@click.option("--no-range", is_flag=True, help="Ignore Range headers on downloads (always 200).")
@click.option("--no-expire-status", is_flag=True, help="Keep COMPLETED after the URL expires.")
@click.option("--zero-file-size", is_flag=True, help='fileSize "0" instead of null for zero rows.')
@click.option(
    "--retired-versions",
    type=click.Choice(["fall_forward", "refuse"]),
    default="fall_forward",
    show_default=True,
    help="A retired API version is served as the oldest supported one (as Shopify does) "
    "or refused with 404.",
)
@click.option(
    "--legacy-versions",
    default="",
    help="Comma-separated retired versions answered as they were while supported "
    "(e.g. 2025-01,2025-04,2025-07,2025-10) instead of falling forward.",
)
@click.option(
    "--fault",
    "faults",
    multiple=True,
    metavar="KIND[:key=value,...]",
    help="Install a fault at start, e.g. http_status:status=503,count=2 (repeatable).",
)
def simulator_command(
    host: str,
    port: int,
    orders: int,
    seed: int,
    shop_domain: str,
    access_token: str,
    scopes: str,
    plan: str,
    run_seconds: float,
    objects_per_second: float,
    created_seconds: float,
    layout: str,
    webhook_secret: str,
    file_dir: Path | None,
    url_lifetime_seconds: int,
    no_range: bool,
    no_expire_status: bool,
    zero_file_size: bool,
    retired_versions: str,
    legacy_versions: str,
    faults: tuple[str, ...],
) -> None:
    """Run the local Shopify Admin API simulator (GraphQL bulk operations, webhooks, faults)."""
    try:
        fault_specs = [parse_cli_fault(text) for text in faults]
    except FaultError as exc:
        raise click.BadParameter(str(exc), param_hint="--fault") from exc
    shop = ShopConfig(
        domain=shop_domain,
        access_token=access_token,
        scopes=tuple(s.strip() for s in scopes.split(",") if s.strip()),
        plan=plan,
        orders=orders,
        seed=seed,
    )
    config = SimulatorConfig(
        shops=[shop],
        run_seconds=run_seconds,
        objects_per_second=objects_per_second,
        created_seconds=created_seconds,
        layout=layout,  # type: ignore[arg-type]
        webhook_secret=webhook_secret,
        file_dir=file_dir,
        url_lifetime_seconds=url_lifetime_seconds,
        honour_range=not no_range,
        expire_status=not no_expire_status,
        zero_result_file_size_null=not zero_file_size,
        retired_versions=retired_versions,  # type: ignore[arg-type]
        legacy_versions=tuple(v.strip() for v in legacy_versions.split(",") if v.strip()),
        faults=fault_specs,
    )
    click.echo(
        f"Shopify simulator on http://{host}:{port}/admin/api/<version>/graphql.json "
        f"shop={shop_domain} orders={orders} token={access_token}"
    )
    serve(config, host, port)
