"""The worker's peak RSS over one large POPULATE (``BENCH_LARGE_ORDERS``): memory must not grow
with the shop's size."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..config import BenchConfig
from ..harness import populate, section_stack, timing_figures
from ..memory import peak_rss_mib


def run(config: BenchConfig, scratch: Path) -> dict[str, Any]:
    with section_stack(config, scratch, orders=config.large_orders) as section:
        _, job = populate(section)
        return {
            "orders": config.large_orders,
            "worker_peak_rss_mib": round(peak_rss_mib(section.worker_pid), 1),
            "render_s": round(job.operation_span_s, 1),
            "populate": {
                **timing_figures(job),
                "lines_per_s": round(job.lines / job.after_operation_s),
            },
        }
