"""The use cases for local operator commands: a small pool, no queue, the SYSTEM principal."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from psycopg_pool import ConnectionPool

from service.container import Services, build_services
from service.principal import SYSTEM
from service.settings import CommonSettings


@contextmanager
def local_services(settings: CommonSettings, *, timeout_s: float = 30.0) -> Iterator[Services]:
    """``timeout_s``: how long a use case waits for the database before failing."""
    with ConnectionPool(
        settings.database_url, min_size=1, max_size=1, open=True, name="cli", timeout=timeout_s
    ) as pool:
        yield build_services(
            pool, cipher=settings.token_cipher(), default_api_version=settings.default_api_version
        )


def issue_token(settings: CommonSettings, *, tenant: str, role: str = "admin") -> str:
    """A new API token, through the same use case as ``shopsync token create``."""
    with local_services(settings) as services:
        return services.tokens.create(SYSTEM, tenant=tenant, role=role).token
