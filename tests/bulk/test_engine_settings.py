"""The engine reads no environment and imports no entry point; its settings are a closed value."""

from __future__ import annotations

import json
import subprocess
import sys

import pydantic
import pytest

from bulk.settings import EngineSettings
from service.settings import CommonSettings

# Entry-point side: the engine gets values from these, never imports them.
FORBIDDEN = ("api", "workers", "cli", "service", "pydantic_settings")

_IMPORT_EVERY_BULK_MODULE = """
import json, pkgutil, sys, importlib
import bulk
for module in pkgutil.walk_packages(bulk.__path__, "bulk."):
    importlib.import_module(module.name)
print(json.dumps(sorted(sys.modules)))
"""


def test_bulk_imports_no_entry_point_and_no_settings_reader() -> None:
    # A fresh interpreter: this test process has imported the entry points already.
    done = subprocess.run(
        [sys.executable, "-c", _IMPORT_EVERY_BULK_MODULE],
        capture_output=True,
        text=True,
        check=True,
    )
    modules = json.loads(done.stdout)
    assert "bulk.workflow" in modules and "bulk.settings" in modules
    leaked = [m for m in modules if m.split(".")[0] in FORBIDDEN]
    assert leaked == []


def test_engine_settings_refuse_unknown_fields() -> None:
    with pytest.raises(pydantic.ValidationError, match="webhook_secret"):
        EngineSettings(webhook_secret="x")  # type: ignore[call-arg]
    with pytest.raises(pydantic.ValidationError, match="broker_url"):
        EngineSettings.model_validate({"broker_url": "redis://x"})


def test_engine_settings_are_a_frozen_value_that_reads_no_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MAX_DELIVERIES", "9")
    engine = EngineSettings()
    assert engine.max_deliveries == 5
    with pytest.raises(pydantic.ValidationError):
        engine.max_deliveries = 7
    assert EngineSettings(max_deliveries=9) == EngineSettings(max_deliveries=9)


def test_an_entry_point_hands_the_engine_its_environment_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MAX_DELIVERIES", "9")
    monkeypatch.setenv("POLL_INITIAL_DELAY_S", "0.5")
    monkeypatch.setenv("WEBHOOK_SECRET", "not the engine's")
    engine = CommonSettings().engine()
    assert type(engine) is EngineSettings
    assert (engine.max_deliveries, engine.poll_initial_delay_s) == (9, 0.5)
    assert set(type(engine).model_fields) <= set(CommonSettings.model_fields)
    assert not isinstance(CommonSettings(), EngineSettings)  # never passed as the engine's


def test_min_orders_per_operation_is_bounded() -> None:
    assert EngineSettings().bulk_min_orders_per_operation == 25_000
    for refused in (0, 100_000_001):  # the limit asked (5 x this) must fit a GraphQL Int
        with pytest.raises(pydantic.ValidationError, match="bulk_min_orders_per_operation"):
            EngineSettings(bulk_min_orders_per_operation=refused)
