"""A large POPULATE with one bulk operation, then with five (``BULK_OPERATIONS_PER_JOB``), each on
a fresh database and the same simulated export rate per operation: wall times and their ratio."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..config import BenchConfig
from ..harness import populate, section_stack, timing_figures

COUNTS = (1, 5)
# The simulator renders a result file at its own pace (one process: concurrent operations share
# it); when that is slower than the modelled export rate, the span measures the simulator.
RENDER_BOUND = 1.25


def run(config: BenchConfig, scratch: Path) -> dict[str, Any]:
    result: dict[str, Any] = {
        "orders": config.operations_orders,
        "objects_per_second": config.objects_per_second,
    }
    for count in COUNTS:
        with section_stack(
            config,
            scratch / f"ops{count}",
            orders=config.operations_orders,
            # Split whatever the shop's size: this section measures the split itself.
            env={"BULK_OPERATIONS_PER_JOB": str(count), "BULK_MIN_ORDERS_PER_OPERATION": "1"},
            objects_per_second=config.objects_per_second,
        ) as section:
            _, job = populate(section)
            (stored,) = section.conn.execute("SELECT count(*) FROM orders").fetchone() or (0,)
            if stored != config.operations_orders:
                raise AssertionError(f"{stored} orders stored of {config.operations_orders}")
            (objects,) = section.conn.execute(
                "SELECT object_count FROM sync_jobs WHERE id = %s", (job.job_id,)
            ).fetchone() or (0,)
            # Each operation exports about objects / operations at the modelled rate.
            modelled_s = int(objects or 0) / max(job.operations, 1) / config.objects_per_second
            result[f"operations_{count}"] = {
                **timing_figures(job),
                "objects": int(objects or 0),
                "modelled_operation_s": round(modelled_s, 1),
                "render_bound": job.operation_span_s > RENDER_BOUND * modelled_s + 1,
            }
    one, five = result["operations_1"], result["operations_5"]
    result["wall_ratio_5_to_1"] = round(five["job_wall_s"] / one["job_wall_s"], 3)
    result["render_bound"] = one["render_bound"] or five["render_bound"]
    return result
