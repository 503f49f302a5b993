"""One bench run: each section (see ``bench.config.SECTIONS``) on its own fresh database and stack
(simulator, API, workers as child processes), its figures into one JSON file and one table.

Environment (see README, "Benchmarks"): BENCH_SCALE, BENCH_ONLY / BENCH_SKIP, the sizes
(BENCH_ORDERS, BENCH_LARGE_ORDERS, BENCH_UPDATE_BASE_ORDERS, BENCH_OPERATIONS_ORDERS,
BENCH_SHOPS, BENCH_SHOP_ORDERS, BENCH_JOBS, ...), BENCH_DATABASE_URL, BENCH_REDIS_URL, BENCH_OUT.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .config import BenchConfig, load
from .harness import Unsupported
from .sections import large, many_shops, operations, populate, repeated, update
from .table import table

_RUN: dict[str, Callable[[BenchConfig, Path], dict[str, Any]]] = {
    "populate": populate.run,
    "repeated": repeated.run,
    "large": large.run,
    "update": update.run,
    "operations": operations.run,
    "many_shops": many_shops.run,
}


def _write(out: Path, result: dict[str, Any]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str) + "\n")


def run_bench(config: BenchConfig) -> dict[str, Any]:
    """Every configured section in turn; one that fails is recorded with its error and the run
    goes on (the JSON file is rewritten after each section, so a long run's figures survive)."""
    started = time.monotonic()
    result: dict[str, Any] = {"config": asdict(config), "sections": {}}
    with tempfile.TemporaryDirectory(prefix="shopsync-bench-") as scratch:
        for name in config.sections:
            section_started = time.monotonic()
            print(f"bench: {name} ...", file=sys.stderr, flush=True)
            try:
                figures = _RUN[name](config, Path(scratch) / name)
            except Unsupported as exc:
                figures = {"skipped": str(exc)}
            except Exception as exc:  # the other sections still run; the exit code says so
                traceback.print_exc()
                figures = {"error": f"{type(exc).__name__}: {exc}"}
            figures["section_s"] = round(time.monotonic() - section_started, 1)
            result["sections"][name] = figures
            _write(config.out, result)
    result["bench_s"] = round(time.monotonic() - started, 1)
    rendered = [s["render_s"] for s in result["sections"].values() if "render_s" in s]
    if rendered:
        result["render_s"] = round(sum(rendered), 1)
        result["render_share"] = round(result["render_s"] / result["bench_s"], 3)
    _write(config.out, result)
    return result


def main() -> None:
    config = load()
    result = run_bench(config)
    print(table(result))
    print(f"(written to {config.out}; the bench took {result['bench_s']} s)")
    if any("error" in figures for figures in result["sections"].values()):
        sys.exit(1)
