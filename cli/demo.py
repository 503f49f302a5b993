"""``shopsync demo``: a real POPULATE then UPDATE sync against the simulator, end to end."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any

import click
import httpx
from psycopg import conninfo
from websockets.exceptions import WebSocketException

from bulk.errors import ShopsyncError
from schema.database import recreate_database
from schema.migrate import migrate_url
from workers.settings import BrokerSettings

from .graphql_client import GraphQLClient
from .graphql_ws import SubscriptionError, subscribe, websocket_url
from .ports import claim_port
from .processes import ManagedProcess, ProcessGroup
from .remote.documents import CONNECT_SHOP, GET_JOB, START_JOB, WATCH_JOB
from .services import issue_token

# Starts the simulator, the API and a worker as child processes, drives them only through their
# HTTP interfaces (GraphQL API, simulator control API), prints progress and each job's final
# stats, and stops everything it started.

DEMO_DOMAIN = "demo.myshopify.com"
DEMO_TOKEN = "shpat_demo_0123456789abcdef"

TERMINAL = {"COMPLETED", "FAILED", "CANCELLED"}


class DemoFailed(click.ClickException, ShopsyncError):
    """The demo could not show a successful sync."""


def demo_database_url(database_url: str) -> str:
    """The demo's own database beside the configured one, so the demo never touches real data."""
    name = conninfo.conninfo_to_dict(database_url).get("dbname") or "shopsync"
    return conninfo.make_conninfo(database_url, dbname=f"{name}_demo")


def watch_job(api: GraphQLClient, job_id: str, group: ProcessGroup, timeout_s: float) -> Any:
    """Print progress until the job is terminal; return its final state.

    Live through the ``syncJobUpdated`` subscription; polling ``syncJob`` when the WebSocket
    cannot be used.
    """
    deadline = time.monotonic() + timeout_s
    try:
        return _watch_live(api, job_id, group, deadline)
    except (OSError, WebSocketException, SubscriptionError) as exc:
        click.echo(f"  live updates unavailable ({type(exc).__name__}: {exc}); polling")
    return _watch_polling(api, job_id, group, deadline)


def _watch_live(api: GraphQLClient, job_id: str, group: ProcessGroup, deadline: float) -> Any:
    job: Any = None
    printer = _ProgressPrinter(job_id)
    updates = subscribe(websocket_url(api.url), WATCH_JOB, {"id": job_id}, token=api.token)
    with contextlib.closing(updates):  # closes the WebSocket on any way out
        for data in updates:
            group.check_alive()
            if data is not None:
                job = data["syncJobUpdated"]
                printer.show(job)
            if time.monotonic() > deadline:
                raise DemoFailed(f"job {job_id} did not finish in time")
    if job is None or job["status"] not in TERMINAL:
        raise SubscriptionError("the subscription ended before a terminal state")
    return job


def _watch_polling(api: GraphQLClient, job_id: str, group: ProcessGroup, deadline: float) -> Any:
    printer = _ProgressPrinter(job_id)
    while time.monotonic() < deadline:
        group.check_alive()
        job = api.execute(GET_JOB, {"id": job_id})["syncJob"]
        printer.show(job)
        if job["status"] in TERMINAL:
            return job
        time.sleep(0.5)
    raise DemoFailed(f"job {job_id} did not finish in time")


class _ProgressPrinter:
    """Prints a job's progress line whenever it changes."""

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        self.last_line = ""

    def show(self, job: Any) -> None:
        stats = job["stats"]
        line = (
            f"  job {self.job_id} {job['status']:<9} "
            f"bulk={job.get('bulkOperationStatus') or '-':<9} "
            f"lines={stats['linesRead']:>7} created={stats['ordersCreated']:>6} "
            f"updated={stats['ordersUpdated']:>5} skipped={stats['ordersSkipped']:>6}"
        )
        if line != self.last_line:
            click.echo(line)
            self.last_line = line


def print_summary(title: str, job: Any) -> None:
    stats = job["stats"]
    click.echo(f"\n== {title}: job {job['id']} {job['syncMode']} {job['status']}")
    for key in (
        "linesRead",
        "bytesRead",
        "ordersCreated",
        "ordersUpdated",
        "ordersUnchanged",
        "ordersSkipped",
        "lineItemsWritten",
        "lineItemsSkipped",
        "lineItemsDeleted",
        "failedLines",
    ):
        click.echo(f"   {key:<18} {stats[key]:>10}")
    if job["error"]:
        click.echo(f"   error: {job['error']}")
    click.echo("")


def _job_from(result: dict[str, Any], kind: str) -> Any:
    if result["__typename"] not in ("SyncJobStarted", "SyncJobAlreadyRunning", "ShopConnected"):
        raise DemoFailed(f"{kind} was refused: {result}")
    return result["initialJob"] if kind == "connectShop" else result["job"]


@click.command()
@click.option("--orders", default=20_000, show_default=True, help="Orders in the simulated store.")
@click.option("--seed", default=1, show_default=True, help="Seed of the simulated store.")
@click.option(
    "--update",
    "update_count",
    default=500,
    show_default=True,
    help="Orders the simulator changes before the UPDATE job.",
)
@click.option(
    "--create",
    "create_count",
    default=100,
    show_default=True,
    help="Orders the simulator adds before the UPDATE job.",
)
@click.option("--simulator-port", default=8787, show_default=True, help="0 picks a free port.")
@click.option("--api-port", default=8000, show_default=True, help="0 picks a free port.")
@click.option(
    "--run-seconds",
    default=2.0,
    show_default=True,
    help="Minimum time a simulated bulk operation runs.",
)
@click.option("--timeout", "timeout_s", default=600.0, show_default=True)
@click.option("--log-dir", default="var/demo", show_default=True, type=click.Path(path_type=Path))
def demo(
    orders: int,
    seed: int,
    update_count: int,
    create_count: int,
    simulator_port: int,
    api_port: int,
    run_seconds: float,
    timeout_s: float,
    log_dir: Path,
) -> None:
    """Run a POPULATE then an UPDATE sync of a simulated shop, end to end.

    Refuses to start when a port is taken (it never drives another process), and checks that
    the simulator and API it talks to are the ones it started. Reads DATABASE_URL (the demo
    uses a database of its own beside it) and BROKER_URL.
    """
    # Before anything is touched: another API or simulator may be listening there.
    simulator_port = claim_port(simulator_port, what="simulator", option="--simulator-port")
    api_port = claim_port(api_port, what="API", option="--api-port")
    settings = BrokerSettings()
    database_url = demo_database_url(settings.database_url)
    click.echo(
        f"demo database: {conninfo.conninfo_to_dict(database_url).get('dbname')} (recreated)"
    )
    recreate_database(database_url)
    migrate_url(database_url)
    env = {
        "DATABASE_URL": database_url,
        "BROKER_URL": settings.broker_url,
        "QUEUE_NAME": "shopsync-demo",
        "ENVIRONMENT": "development",
        "METRICS_PORT": "0",  # the demo reads no metrics; never contend for a shared port
    }
    sim_url = f"http://127.0.0.1:{simulator_port}"
    api_url = f"http://127.0.0.1:{api_port}"
    with ProcessGroup() as group:
        click.echo(f"starting the simulator ({orders} orders, seed {seed}) on {sim_url}")
        group.start(
            ManagedProcess(
                "simulator",
                [
                    "simulator",
                    "--port",
                    str(simulator_port),
                    "--orders",
                    str(orders),
                    "--seed",
                    str(seed),
                    "--shop-domain",
                    DEMO_DOMAIN,
                    "--access-token",
                    DEMO_TOKEN,
                    "--run-seconds",
                    str(run_seconds),
                ],
                env=env,
                log_dir=log_dir,
                ready_url=f"{sim_url}/_sim/health",
            ),
            ready_timeout_s=60,
        )
        click.echo(f"starting the API on {api_url} and a worker")
        group.start(
            ManagedProcess(
                "api",
                ["api", "--port", str(api_port)],
                env=env,
                log_dir=log_dir,
                ready_url=f"{api_url}/healthz",
            )
        )
        group.start(
            ManagedProcess("worker", ["worker", "--threads", "2"], env=env, log_dir=log_dir)
        )
        # The demo's tenant gets its token like any other: `shopsync token create`'s use case.
        token = issue_token(
            settings.model_copy(update={"database_url": database_url}), tenant="demo"
        )
        click.echo("issued an admin token for tenant demo")
        with (
            GraphQLClient(f"{api_url}/graphql", token=token) as api,
            httpx.Client(timeout=30) as sim,
        ):
            click.echo(f"connecting {DEMO_DOMAIN} through the GraphQL API")
            connected = api.execute(
                CONNECT_SHOP,
                {
                    "input": {
                        "domain": DEMO_DOMAIN,
                        "accessToken": DEMO_TOKEN,
                        "adminUrl": sim_url,
                    }
                },
            )["connectShop"]
            populate = _job_from(connected, "connectShop")
            if populate is None:
                raise DemoFailed("connecting the shop started no initial POPULATE job")
            click.echo(f"initial POPULATE job {populate['id']} queued")
            populate = watch_job(api, populate["id"], group, timeout_s)
            print_summary("POPULATE", populate)

            click.echo(f"simulator: changing {update_count} orders and adding {create_count}")
            response = sim.post(
                f"{sim_url}/_sim/shops/{DEMO_DOMAIN}/orders/mutate",
                json={"update": update_count, "create": create_count, "seed": seed},
            )
            response.raise_for_status()
            shop_id = connected["shop"]["id"]
            started = api.execute(
                START_JOB,
                {
                    "input": {
                        "shopId": shop_id,
                        "syncMode": "UPDATE",
                        "staleAfterMins": 60,
                    }
                },
            )["startSyncJob"]
            update = _job_from(started, "startSyncJob")
            click.echo(f"UPDATE job {update['id']} queued (staleAfterMins=60)")
            update = watch_job(api, update["id"], group, timeout_s)
            print_summary("UPDATE", update)
        failed = [job for job in (populate, update) if job["status"] != "COMPLETED"]
        if failed:
            raise DemoFailed(f"{len(failed)} job(s) did not complete; logs in {log_dir}")
    click.echo("demo finished: every process stopped")
