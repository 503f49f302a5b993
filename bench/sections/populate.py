"""Our POPULATE (and a FULL over the unchanged mirror) against a raw COPY of the very same result
file, and against one upsert per line; the worker's RSS at start and after the POPULATE."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

import psycopg

from ..ceiling import per_order_upsert_s, raw_copy_s
from ..config import BenchConfig
from ..harness import JobTiming, populate, section_stack, sync, timing_figures
from ..memory import peak_rss_mib, rss_mib

NAIVE_SAMPLE_LINES = 5_000


def _newest_file(directory: Path) -> Path:
    return max((p for p in directory.rglob("*") if p.is_file()), key=lambda p: p.stat().st_mtime)


def _copy_s(conn: psycopg.Connection[Any], path: Path) -> float:
    raw_copy_s(conn, path)  # warm-up: file cache, catalog caches
    return statistics.median(raw_copy_s(conn, path) for _ in range(3))


def _against_copy(conn: psycopg.Connection[Any], job: JobTiming, path: Path) -> dict[str, Any]:
    copy_s = _copy_s(conn, path)
    return {
        **timing_figures(job),
        "file_mb": round(path.stat().st_size / 1e6, 1),
        "raw_copy_s": round(copy_s, 2),
        "raw_copy_lines_per_s": round(job.lines / copy_s),
        "lines_per_s": round(job.lines / job.after_operation_s),
        "ratio_to_raw_copy": round(copy_s / job.after_operation_s, 3),
    }


def run(config: BenchConfig, scratch: Path) -> dict[str, Any]:
    result: dict[str, Any] = {"orders": config.orders}
    with section_stack(config, scratch, orders=config.orders) as section:
        pid = section.worker_pid
        result["worker_baseline_rss_mib"] = round(rss_mib(pid), 1)
        shop_id, job = populate(section)
        result["populate"] = _against_copy(section.conn, job, _newest_file(section.files))
        result["worker_peak_rss_mib"] = round(peak_rss_mib(pid), 1)
        full = sync(section, shop_id, "FULL")
        result["full_unchanged"] = _against_copy(section.conn, full, _newest_file(section.files))
        result["render_s"] = round(job.operation_span_s + full.operation_span_s, 1)
        naive_s, naive_lines = per_order_upsert_s(
            section.conn, _newest_file(section.files), lines=NAIVE_SAMPLE_LINES
        )
        naive_rate = naive_lines / naive_s
        our_rate = job.lines / job.after_operation_s
        result["per_order_upsert"] = {
            "lines": naive_lines,
            "lines_per_s": round(naive_rate),
            "populate_lines_per_s": round(our_rate),
            "ratio": round(our_rate / naive_rate, 1),
        }
    return result
