"""The ``simulator`` click command and its ``--fault`` syntax."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from simulator.cli import simulator_command
from simulator.config import SimulatorConfig
from simulator.faults import FaultError, parse_cli_fault


def test_help_lists_options() -> None:
    result = CliRunner().invoke(simulator_command, ["--help"])
    assert result.exit_code == 0
    for option in (
        "--host",
        "--port",
        "--orders",
        "--seed",
        "--shop-domain",
        "--access-token",
        "--run-seconds",
        "--layout",
        "--webhook-secret",
        "--fault",
    ):
        assert option in result.output


def test_fault_syntax() -> None:
    assert parse_cli_fault("http_status:status=503,count=2") == {
        "kind": "http_status",
        "status": 503,
        "count": 2,
    }
    assert parse_cli_fault("fail_operation:error_code=TIMEOUT,partial=false")["partial"] is False
    with pytest.raises(FaultError):
        parse_cli_fault("not_a_fault")
    bad = CliRunner().invoke(simulator_command, ["--fault", "bogus"])
    assert bad.exit_code != 0 and "--fault" in bad.output


def test_version_options_reach_the_config(monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[SimulatorConfig] = []
    # Capture the configuration instead of binding a port.
    monkeypatch.setattr("simulator.cli.serve", lambda config, host, port: served.append(config))
    args = ["--retired-versions", "refuse", "--legacy-versions", "2025-04, 2025-07"]
    result = CliRunner().invoke(simulator_command, args)
    assert result.exit_code == 0, result.output
    (config,) = served
    assert config.retired_versions == "refuse"
    assert config.legacy_versions == ("2025-04", "2025-07")
    assert config.resolve_version("2025-07") == "2025-07"
    assert config.resolve_version("2025-10") is None
    default = CliRunner().invoke(simulator_command, [])
    assert default.exit_code == 0
    assert served[1].legacy_versions == () and served[1].resolve_version("2025-07") == "2026-01"
