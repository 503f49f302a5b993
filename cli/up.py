"""``shopsync up``: the whole stack in the foreground without Docker (migrate, the API, workers,
the scheduler, optionally the simulator), stopped cleanly by Ctrl-C."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import click

from schema.database import ensure_database
from schema.migrate import migrate_url
from workers.settings import BrokerSettings

from .ports import claim_port
from .processes import ManagedProcess, ProcessFailed, ProcessGroup

SIMULATOR_TOKEN = "shpat_simulator_demo_token_0000000000"


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Where the API listens.")
@click.option("--api-port", default=8000, show_default=True, help="0 picks a free port.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 16))
@click.option("--threads", default=4, show_default=True, help="Threads per worker.")
@click.option("--simulator/--no-simulator", default=False, help="Also run the Shopify simulator.")
@click.option("--simulator-port", default=8787, show_default=True, help="0 picks a free port.")
@click.option(
    "--metrics-port",
    default=9191,
    show_default=True,
    help="The first worker's /metrics port; the next workers and the scheduler take the "
    "following ones; 0 turns their metrics off.",
)
@click.option("--log-dir", default="var/up", show_default=True, type=click.Path(path_type=Path))
def up(
    host: str,
    api_port: int,
    workers: int,
    threads: int,
    simulator: bool,
    simulator_port: int,
    metrics_port: int,
    log_dir: Path,
) -> None:
    """Run the stack in the foreground until Ctrl-C (or SIGTERM), then stop every process.

    Migrates first (creating the database if needed). Every process reads the environment as
    when started alone: DATABASE_URL, BROKER_URL, ENVIRONMENT, SHOP_TOKEN_KEYS, ... Refuses a
    port that is taken before starting anything. Each process logs to LOG_DIR/<name>.log.
    """
    api_port = claim_port(api_port, what="API", option="--api-port", host=host)
    if simulator:
        simulator_port = claim_port(simulator_port, what="simulator", option="--simulator-port")
    metrics_ports = [0] * (workers + 1)
    if metrics_port:
        metrics_ports = [
            claim_port(metrics_port + n, what="metrics", option="--metrics-port")
            for n in range(workers + 1)
        ]
    settings = BrokerSettings()
    if ensure_database(settings.database_url):
        click.echo("created the database")
    applied = migrate_url(settings.database_url)
    click.echo(f"applied {len(applied)} migration(s)")

    stop = threading.Event()
    previous = {
        signum: signal.signal(signum, lambda *_: stop.set())
        for signum in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        with ProcessGroup() as group:
            if simulator:
                sim_url = f"http://127.0.0.1:{simulator_port}"
                group.start(
                    ManagedProcess(
                        "simulator",
                        ["simulator", "--port", str(simulator_port)],
                        env={},
                        log_dir=log_dir,
                        ready_url=f"{sim_url}/_sim/health",
                    ),
                    ready_timeout_s=60,
                )
                click.echo(f"simulator  {sim_url}  (adminUrl; token {SIMULATOR_TOKEN})")
            api_url = f"http://{host}:{api_port}"
            group.start(
                ManagedProcess(
                    "api",
                    ["api", "--host", host, "--port", str(api_port)],
                    env={},
                    log_dir=log_dir,
                    ready_url=f"http://127.0.0.1:{api_port}/healthz",
                ),
                ready_timeout_s=60,
            )
            click.echo(f"api        {api_url}/graphql  (/healthz /readyz /metrics)")
            for n in range(workers):
                name = "worker" if n == 0 else f"worker{n + 1}"
                env = {"METRICS_PORT": str(metrics_ports[n])}
                group.start(
                    ManagedProcess(
                        name, ["worker", "--threads", str(threads)], env=env, log_dir=log_dir
                    )
                )
                click.echo(f"{name:<10} metrics port {metrics_ports[n] or 'off'}")
            group.start(
                ManagedProcess(
                    "scheduler",
                    ["scheduler"],
                    env={"METRICS_PORT": str(metrics_ports[-1])},
                    log_dir=log_dir,
                )
            )
            click.echo(f"scheduler  metrics port {metrics_ports[-1] or 'off'}")
            click.echo(f"logs in {log_dir}/; Ctrl-C stops everything")
            _wait(group, stop)
            click.echo("stopping")
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    click.echo("stopped")


def _wait(group: ProcessGroup, stop: threading.Event) -> None:
    """Until ``stop`` is set; a process that dies ends the stack with its log's tail."""
    while not stop.wait(0.5):
        try:
            group.check_alive()
        except ProcessFailed as exc:
            raise click.ClickException(str(exc)) from None
