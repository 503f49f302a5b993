"""The bench's figures as a plain-text table, one row per figure, with its target."""

from __future__ import annotations

from typing import Any

Row = tuple[str, str, str]


def _populate(r: dict[str, Any]) -> list[Row]:
    p, f, n = r["populate"], r["full_unchanged"], r["per_order_upsert"]
    return [
        ("raw COPY, same bytes (ceiling)", f"{p['raw_copy_lines_per_s']:,} lines/s", ""),
        (
            f"POPULATE {r['orders']:,} orders, end to end",
            f"{p['lines_per_s']:,} lines/s",
            f"{p['ratio_to_raw_copy']:.2f}x COPY (target >= 0.5); job {p['job_wall_s']} s",
        ),
        (
            "FULL over an unchanged mirror",
            f"{f['lines_per_s']:,} lines/s",
            f"{f['ratio_to_raw_copy']:.2f}x COPY; job {f['job_wall_s']} s",
        ),
        (
            f"one upsert per line ({n['lines']:,}-line sample)",
            f"{n['lines_per_s']:,} lines/s",
            f"POPULATE is {n['ratio']}x it (target >= 50)",
        ),
        ("worker RSS at start", f"{r['worker_baseline_rss_mib']} MiB", "target <= 45"),
        (
            f"worker peak RSS, POPULATE of {r['orders']:,}",
            f"{r['worker_peak_rss_mib']} MiB",
            "target <= 150",
        ),
    ]


def _repeated(r: dict[str, Any]) -> list[Row]:
    return [
        (
            f"worker peak RSS after {r['jobs']} FULL jobs ({r['orders']:,})",
            f"{r['worker_peak_rss_mib_after_jobs']} MiB",
            f"{r['worker_peak_rss_mib_after_populate']} MiB after the POPULATE, now "
            f"{r['worker_rss_mib_after_jobs']} MiB; target <= 150",
        )
    ]


def _large(r: dict[str, Any]) -> list[Row]:
    p = r["populate"]
    return [
        (
            f"worker peak RSS, POPULATE of {r['orders']:,}",
            f"{r['worker_peak_rss_mib']} MiB",
            f"target <= 150; {p['lines_per_s']:,} lines/s, job {p['job_wall_s']} s",
        )
    ]


def _update(r: dict[str, Any]) -> list[Row]:
    return [
        (
            f"UPDATE of {r['changed_in_shopify']} changed in {r['table_orders']:,}",
            f"{r['order_rows_touched']} order rows touched",
            f"target <= {r['changed_in_shopify']}; {r['after_operation_s']} s after its "
            f"operation (target < 2), ingest {r['ingest_s']} s, job {r['job_wall_s']} s",
        )
    ]


def _operations(r: dict[str, Any]) -> list[Row]:
    one, five = r["operations_1"], r["operations_5"]
    return [
        (
            f"POPULATE of {r['orders']:,}, 1 vs 5 operations",
            f"{r['wall_ratio_5_to_1']}x the wall time",
            f"target <= 0.3; {one['job_wall_s']} s vs {five['job_wall_s']} s "
            f"({five['operations']} operations; {r['objects_per_second']:g} objects/s each)"
            + (
                "; RENDER-BOUND: the simulator rendered slower than the modelled rate, lower "
                "BENCH_OBJECTS_PER_SECOND"
                if r["render_bound"]
                else ""
            ),
        )
    ]


def _many_shops(r: dict[str, Any]) -> list[Row]:
    return [
        (
            f"{r['shops']} shops x {r['orders_per_shop']:,} at once "
            f"({r['workers']} workers x {r['threads_per_worker']} threads)",
            f"slowest {r['slowest_to_median']}x the median",
            f"target <= 2; median {r['median_wall_s']} s, slowest {r['slowest_wall_s']} s; "
            f"{'all exact' if r['all_exact'] else 'NOT ALL EXACT'}; "
            f"{r['throttled']} throttled responses; {r['operations']} operations",
        )
    ]


_ROWS = {
    "populate": _populate,
    "repeated": _repeated,
    "large": _large,
    "update": _update,
    "operations": _operations,
    "many_shops": _many_shops,
}


def table(result: dict[str, Any]) -> str:
    rows: list[Row] = []
    for name, figures in result["sections"].items():
        if "skipped" in figures:
            rows.append((name, "skipped", figures["skipped"]))
        elif "error" in figures:
            rows.append((name, "FAILED", figures["error"]))
        else:
            rows.extend(_ROWS[name](figures))
    if "render_s" in result:
        rows.append(
            (
                "simulator rendering result files",
                f"{result['render_s']} s",
                f"{result['render_share']:.0%} of the bench's {result['bench_s']} s",
            )
        )
    width = max(len(r[0]) for r in rows)
    value_width = max(len(r[1]) for r in rows)
    return "\n".join(f"{a:<{width}}  {b:>{value_width}}  {c}".rstrip() for a, b, c in rows)
