"""The worker's memory over consecutive jobs: its peak RSS after a POPULATE, then after
``BENCH_JOBS`` FULL jobs of the same shop (flat means no growth from job to job)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..config import BenchConfig
from ..harness import populate, section_stack, sync
from ..memory import peak_rss_mib, rss_mib


def run(config: BenchConfig, scratch: Path) -> dict[str, Any]:
    with section_stack(config, scratch, orders=config.orders) as section:
        pid = section.worker_pid
        shop_id, first = populate(section)
        after_populate = peak_rss_mib(pid)
        jobs = [sync(section, shop_id, "FULL") for _ in range(config.jobs)]
        return {
            "orders": config.orders,
            "jobs": config.jobs,
            "worker_peak_rss_mib_after_populate": round(after_populate, 1),
            "worker_peak_rss_mib_after_jobs": round(peak_rss_mib(pid), 1),
            "worker_rss_mib_after_jobs": round(rss_mib(pid), 1),
            "full_job_wall_s": {
                "first": round(jobs[0].wall_s, 2),
                "last": round(jobs[-1].wall_s, 2),
            },
            "render_s": round(sum(job.operation_span_s for job in [first, *jobs]), 1),
        }
