"""``shopsync`` commands. The group reads the shared settings (logging, and the commands that
need nothing more); ``api``, ``worker`` and ``scheduler`` each read their process's own once."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

import click

from bulk.errors import DatabaseNotReady
from schema.database import ensure_database
from schema.migrate import migrate_url
from service.readiness import check_database
from service.settings import CommonSettings

from .lazy import LazyGroup
from .log import configure_logging


@contextlib.contextmanager
def _not_ready_exits() -> Iterator[None]:
    """A database that does not exist or lacks migrations: one line naming ``shopsync
    migrate`` and exit code 1, at once (not a pool's 30-second wait, not a traceback)."""
    try:
        yield
    except DatabaseNotReady as exc:
        raise click.ClickException(str(exc)) from None


# Every other command's modules load only when it runs: a worker imports no simulator, API, demo.
_LAZY_COMMANDS = {
    "dead-letters": "cli.dead_letters:dead_letters",
    "keys": "cli.keys:keys",
    "token": "cli.tokens:token",
    "simulator": "simulator.cli:simulator_command",
    "demo": "cli.demo:demo",
    "up": "cli.up:up",
    # Over the API (SHOPSYNC_API_URL, SHOPSYNC_API_TOKEN), like any client.
    "shops": "cli.remote.shops:shops",
    "sync": "cli.remote.jobs:sync",
    "jobs": "cli.remote.jobs:jobs",
    "job": "cli.remote.jobs:job",
    "cancel": "cli.remote.jobs:cancel",
    "schedule": "cli.remote.schedule:schedule",
}


@click.group(cls=LazyGroup, lazy=_LAZY_COMMANDS)
@click.version_option(package_name="shopsync", prog_name="shopsync")
@click.option("--log-level", default="INFO", show_default=True, help="Logging level.")
@click.option(
    "--log-json",
    is_flag=True,
    help="Log JSON lines instead of key=value text (always so with ENVIRONMENT=production).",
)
@click.pass_context
def cli(ctx: click.Context, log_level: str, log_json: bool) -> None:
    """Keep a Postgres copy of Shopify orders in sync through GraphQL bulk operations."""
    settings = CommonSettings()
    configure_logging(log_level, environment=settings.environment, json=log_json)
    ctx.obj = settings


@cli.command()
@click.option(
    "--create-db/--no-create-db",
    default=True,
    show_default=True,
    help="Create the database named in DATABASE_URL when it does not exist.",
)
@click.pass_obj
def migrate(settings: CommonSettings, create_db: bool) -> None:
    """Apply the pending SQL migrations (safe to run from several processes at once), then
    encrypt any shop token still stored in plaintext (from before migration 0009)."""
    if create_db and ensure_database(settings.database_url):
        click.echo("created the database")
    applied = migrate_url(settings.database_url)
    click.echo(
        f"applied {len(applied)} migration(s)" + (f": {', '.join(applied)}" if applied else "")
    )
    from .keys import encrypt_plaintext_tokens

    encrypted = encrypt_plaintext_tokens(settings)
    if encrypted:
        click.echo(f"encrypted {encrypted} plaintext shop token(s)")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def api(host: str, port: int) -> None:
    """Serve the GraphQL API (GraphiQL at /graphql in development).

    Development prints a new admin token of the tenant "development" at start when its output
    is a terminal (send it as ``Authorization: Bearer <token>``; in GraphiQL, in the headers
    pane). Output to a file or a pipe (a log) gets none: use ``shopsync token create``.
    """
    from api.server import serve
    from api.settings import ApiSettings

    settings = ApiSettings()
    with _not_ready_exits():
        check_database(settings.database_url)
    # A token printed into a log file (the demo's, `shopsync up`'s, a container's) would be a
    # secret in a log: only a person at a terminal is given one.
    if settings.environment == "development" and settings.auth_required and sys.stdout.isatty():
        _print_development_token(settings)
    serve(settings, host=host, port=port)


def _print_development_token(settings: CommonSettings) -> None:
    """Issue one through the same use case as ``shopsync token create``; best effort."""
    from service.principal import SYSTEM

    from .services import local_services

    try:
        # Briefly: the API itself starts even while Postgres is down.
        with local_services(settings, timeout_s=5.0) as services:
            issued = services.tokens.create(SYSTEM, tenant="development", role="admin")
    except Exception as exc:  # the API starts even while Postgres is down
        click.echo(f"no development token ({type(exc).__name__}); use shopsync token create")
        return
    click.echo(f'development token: {{"Authorization": "Bearer {issued.token}"}}')


@cli.command()
@click.option("--threads", default=4, show_default=True, type=int, help="Worker threads.")
def worker(threads: int) -> None:
    """Run a Dramatiq worker that advances sync jobs."""
    from workers.main import run_worker
    from workers.settings import WorkerSettings

    with _not_ready_exits():
        run_worker(WorkerSettings(), threads=threads)


@cli.command()
def scheduler() -> None:
    """Run the periodic work: re-enqueue or fail jobs whose message was lost (the sweeper)."""
    from workers.scheduler.main import run_scheduler
    from workers.settings import SchedulerSettings

    with _not_ready_exits():
        run_scheduler(SchedulerSettings())


def main() -> None:
    cli(prog_name="shopsync")
