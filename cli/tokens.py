"""``shopsync token``: issue, list and revoke API tokens (a local operator command)."""

from __future__ import annotations

import click

from bulk.errors import InvalidArgument
from service.principal import SYSTEM
from service.settings import CommonSettings

from .services import local_services


@click.group("token")
def token() -> None:
    """API tokens: each belongs to one tenant, as an admin (reads and writes) or a viewer."""


@token.command("create")
@click.option("--tenant", required=True, help="Tenant name (created on first use).")
@click.option("--role", type=click.Choice(["admin", "viewer"]), default="admin", show_default=True)
@click.pass_obj
def create_command(settings: CommonSettings, tenant: str, role: str) -> None:
    """Print a new token once; only its sha256 is stored, so it cannot be shown again."""
    with local_services(settings) as services:
        try:
            issued = services.tokens.create(SYSTEM, tenant=tenant, role=role)
        except InvalidArgument as exc:
            raise click.ClickException(exc.message) from None
    click.echo(f"token {issued.id} for tenant {issued.tenant} ({issued.role}):", err=True)
    click.echo(issued.token)


@token.command("list")
@click.option("--tenant", default=None, help="Only this tenant's tokens.")
@click.pass_obj
def list_command(settings: CommonSettings, tenant: str | None) -> None:
    """List tokens (never the tokens themselves): id, tenant, role, created, last used, state."""
    with local_services(settings) as services:
        try:
            records = services.tokens.list(SYSTEM, tenant=tenant)
        except InvalidArgument as exc:
            raise click.ClickException(exc.message) from None
    if not records:
        click.echo("no tokens")
        return
    for record in records:
        used = "never" if record.last_used_at is None else record.last_used_at.isoformat()
        state = "revoked" if record.revoked_at is not None else "active"
        click.echo(
            f"{record.id}\t{record.tenant}\t{record.role}\t"
            f"created {record.created_at.isoformat()}\tlast used {used}\t{state}"
        )


@token.command("revoke")
@click.argument("token_id", type=int)
@click.pass_obj
def revoke_command(settings: CommonSettings, token_id: int) -> None:
    """Revoke a token by id: its next request is refused."""
    with local_services(settings) as services:
        if not services.tokens.revoke(SYSTEM, token_id):
            raise click.ClickException(f"no active token with id {token_id}")
    click.echo(f"revoked token {token_id}")
