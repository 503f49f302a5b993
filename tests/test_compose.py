"""docker-compose.yml runs production mode: secrets are required placeholders, the simulator
only exists under the development profile and is not published on the host."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.fernet import Fernet

from api.app import create_app
from api.settings import ApiSettings
from bulk.errors import ConfigurationError
from tests.support.api import FakeVerifier, RecordingQueue

COMPOSE = Path(__file__).resolve().parent.parent / "docker-compose.yml"
SHOPSYNC_SERVICES = ("migrate", "api", "worker", "scheduler")
# ${NAME:?message}: compose refuses to start while NAME is unset or empty.
REQUIRED = re.compile(r"^\$\{(\w+):\?[^}]+\}$")
DEFAULTED = re.compile(r"^\$\{(\w+):-([^}]*)\}$")
_SECRETS = {
    "SHOP_TOKEN_KEYS": Fernet.generate_key().decode(),
    "ALLOWED_HOSTS": "localhost",
    "WEBHOOK_SECRET": "shpss_compose",
}


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def _environment(values: dict[str, str]) -> dict[str, str]:
    """The shopsync services' environment as compose would pass it, given ``values``."""
    resolved: dict[str, str] = {}
    for name, raw in _compose()["x-shopsync-env"].items():
        if required := REQUIRED.match(str(raw)):
            if not values.get(required.group(1)):
                raise ConfigurationError(f"compose refuses to start without {name}")
            resolved[name] = values[required.group(1)]
        elif defaulted := DEFAULTED.match(str(raw)):
            resolved[name] = values.get(defaulted.group(1)) or defaulted.group(2)
        else:
            resolved[name] = str(raw)
    return resolved


def test_compose_runs_production_with_the_secrets_required() -> None:
    compose = _compose()
    env = compose["x-shopsync-env"]
    assert env["ENVIRONMENT"] == "${ENVIRONMENT:-production}"
    for name in ("SHOP_TOKEN_KEYS", "ALLOWED_HOSTS", "WEBHOOK_SECRET"):
        assert REQUIRED.match(env[name]), name
    for service in SHOPSYNC_SERVICES:
        assert compose["services"][service]["environment"] == env
    with pytest.raises(ConfigurationError, match="SHOP_TOKEN_KEYS"):
        _environment({"ALLOWED_HOSTS": "localhost", "WEBHOOK_SECRET": "s"})


def test_the_simulator_runs_only_in_development_and_is_not_published() -> None:
    simulator = _compose()["services"]["simulator"]
    assert simulator["profiles"] == ["development"]
    assert "ports" not in simulator


def test_the_api_starts_with_the_compose_environment(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    values = {
        "SHOP_TOKEN_KEYS": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "localhost",
        "WEBHOOK_SECRET": "shpss_compose",
    }
    for name, value in _environment(values).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DATABASE_URL", database_url)
    settings = ApiSettings()
    assert settings.environment == "production"
    routes = create_app(settings, queue=RecordingQueue(), verifier=FakeVerifier()).routes
    assert "/webhooks/shopify" in [getattr(route, "path", None) for route in routes]


def test_the_scheduler_runs_and_every_metrics_port_is_reachable_on_the_network() -> None:
    compose = _compose()
    services = compose["services"]
    assert services["scheduler"]["command"] == ["scheduler"]
    env = compose["x-shopsync-env"]
    assert env["METRICS_HOST"] == "0.0.0.0"
    assert services["worker"]["expose"] == ["9191"]
    assert services["scheduler"]["expose"] == ["9192"]
    for name in ("worker", "scheduler"):
        assert "ports" not in services[name], name  # scraped inside the network only
    assert "/readyz" in " ".join(services["api"]["healthcheck"]["test"])


def test_an_empty_metrics_token_means_none() -> None:
    settings = ApiSettings(**_environment({"METRICS_TOKEN": ""} | _SECRETS))
    assert settings.metrics_token is None
    given = ApiSettings(**_environment({"METRICS_TOKEN": "scrape"} | _SECRETS))
    assert given.metrics_token is not None
    assert given.metrics_token.get_secret_value() == "scrape"


def test_the_image_holds_every_package() -> None:
    """The Dockerfile copies each package pyproject installs (one missing breaks every role)."""
    root = COMPOSE.parent
    dockerfile = (root / "Dockerfile").read_text()
    pyproject = (root / "pyproject.toml").read_text()
    include = re.search(r"include = \[([^\]]*)\]", pyproject)
    assert include is not None
    packages = [name.strip().strip('"').rstrip("*") for name in include.group(1).split(",")]
    for package in packages:
        assert f"COPY {package} ./{package}" in dockerfile, package
