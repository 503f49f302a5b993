"""``shopsync shops list|connect``: the tenant's shops, through the API."""

from __future__ import annotations

from typing import Any

import click

from .documents import CONNECT_SHOP, SHOPS
from .options import api_client, json_option, refused
from .render import echo_json, job_summary, table
from .settings import ENV_HELP


@click.group("shops", help=f"Your tenant's connected shops, through the API. {ENV_HELP}")
def shops() -> None:
    pass


@shops.command("list", help=f"List the connected shops and their schedules. {ENV_HELP}")
@json_option
def list_shops(as_json: bool) -> None:
    with api_client() as api:
        found = api.execute(SHOPS)["shops"]
    if as_json:
        echo_json(found)
        return
    if not found:
        click.echo("no shops connected (shopsync shops connect DOMAIN)")
        return
    rows = [
        [
            shop["id"],
            shop["domain"],
            shop["apiVersion"],
            _schedule(shop["schedule"]),
            shop["createdAt"][:19],
        ]
        for shop in found
    ]
    click.echo(table(["ID", "DOMAIN", "API VERSION", "SCHEDULE", "CONNECTED"], rows))


def _schedule(schedule: dict[str, Any] | None) -> str:
    if schedule is None:
        return "none"
    parts = []
    if schedule["updateEveryMins"] is not None:
        parts.append(f"update every {schedule['updateEveryMins']} min")
    if schedule["reconcileDaily"]:
        parts.append(f"reconcile daily {schedule['reconcileAtUtc']} UTC")
    if schedule["paused"]:
        parts.append("PAUSED")
    return ", ".join(parts) or "none"


@shops.command(
    "connect",
    help="Connect a shop with its Admin API access token (a custom app's, with the read_orders "
    "and read_all_orders scopes); a new shop starts its initial POPULATE. "
    f"{ENV_HELP} The access token is read from SHOPIFY_ACCESS_TOKEN, or asked for.",
)
@click.argument("domain")
@click.option(
    "--access-token",
    envvar="SHOPIFY_ACCESS_TOKEN",
    show_envvar=True,
    prompt="Admin API access token",
    hide_input=True,
    help="The shop's Admin API access token (never on the command line: use the variable).",
)
@click.option("--api-version", help="Admin API version; the server's default when omitted.")
@click.option(
    "--admin-url",
    help="Base URL of a Shopify-compatible Admin API (the simulator); https://DOMAIN otherwise.",
)
@click.option(
    "--initial-sync/--no-initial-sync",
    default=True,
    show_default=True,
    help="Start the initial POPULATE of a newly connected shop.",
)
@json_option
def connect(
    domain: str,
    access_token: str,
    api_version: str | None,
    admin_url: str | None,
    initial_sync: bool,
    as_json: bool,
) -> None:
    shop_input: dict[str, Any] = {
        "domain": domain,
        "accessToken": access_token,
        "initialSync": initial_sync,
    }
    if api_version:
        shop_input["apiVersion"] = api_version
    if admin_url:
        shop_input["adminUrl"] = admin_url
    with api_client() as api:
        result = api.execute(CONNECT_SHOP, {"input": shop_input})["connectShop"]
    if result["__typename"] != "ShopConnected":
        raise refused(result)
    if as_json:
        echo_json({"shop": result["shop"], "initialJob": result["initialJob"]})
        return
    shop = result["shop"]
    click.echo(f"connected shop {shop['id']} {shop['domain']} (API {shop['apiVersion']})")
    if result["initialJob"] is not None:
        click.echo(job_summary(result["initialJob"]))
