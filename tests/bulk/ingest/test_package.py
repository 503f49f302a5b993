"""The ingest engine is one package with a curated surface, one stats type, no test-only code."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import typing

import pytest

import bulk
import bulk.ingest
from api.jobs.types import SyncJobStats
from bulk.jobs import SyncJob


def _stat_names() -> tuple[str, ...]:
    return tuple(field.name for field in dataclasses.fields(bulk.ingest.IngestStats))


def test_the_ingest_is_a_package_whose_surface_is_what_its_callers_use() -> None:
    assert hasattr(bulk.ingest, "__path__"), "bulk.ingest is a package"
    assert sorted(bulk.ingest.__all__) == [
        "Checkpoint",
        "IngestResult",
        "IngestStats",
        "Ingestor",
        "merge_batch",
        "parse_lines",
        "stage_batch",
    ]
    for name in bulk.ingest.__all__:
        assert getattr(bulk.ingest, name).__module__.startswith("bulk.ingest.")
    stages = {module.name for module in pkgutil.iter_modules(bulk.ingest.__path__)}
    assert stages == {"engine", "lines", "merge", "parse", "reconcile", "stats"}
    top = {module.name for module in pkgutil.iter_modules(bulk.__path__)}
    assert not top & {"lines", "ingest_parse", "ingest_stage", "ingest_merge", "ingest_stats"}


def test_jobs_and_the_api_use_the_one_stats_type() -> None:
    assert typing.get_type_hints(SyncJob)["stats"] is bulk.ingest.IngestStats
    api_fields = {field.python_name for field in SyncJobStats.__strawberry_definition__.fields}
    assert api_fields == set(_stat_names())
    stats = bulk.ingest.IngestStats(**{name: i + 1 for i, name in enumerate(_stat_names())})
    shown = SyncJobStats.from_domain(stats)
    assert {name: int(getattr(shown, name)) for name in _stat_names()} == dataclasses.asdict(stats)


def test_stats_are_an_immutable_value_that_adds_into_a_new_one() -> None:
    one = bulk.ingest.IngestStats(lines_read=2, failed_lines=1)
    total = one + bulk.ingest.IngestStats(lines_read=3, bytes_read=7)
    assert (total.lines_read, total.bytes_read, total.failed_lines) == (5, 7, 1)
    assert one.lines_read == 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        one.lines_read = 9  # type: ignore[misc]


@pytest.mark.parametrize("name", ["ingest_file", "read_file_chunks"])
def test_production_modules_hold_no_test_only_helpers(name: str) -> None:
    for module in pkgutil.walk_packages(bulk.__path__, "bulk."):
        assert not hasattr(importlib.import_module(module.name), name), module.name
    assert not hasattr(bulk.ingest.IngestStats, "from_row")
    from bulk.ingest.lines import LineBatch

    assert not hasattr(LineBatch, "line_offsets")
