"""An UPDATE of a few changed orders in a large mirror (``BENCH_UPDATE_BASE_ORDERS``): the job's
wall time, its ingest time (the worker's own slice timer), the time after its operation
completed, and the order rows it touched (rows whose ``xmin`` changed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import psycopg

from cli.ports import free_port

from ..config import BenchConfig
from ..harness import DOMAIN, populate, section_stack, sync, timing_figures

_SLICE_SUM = "shopsync_ingest_slice_seconds_sum"


def _ingest_seconds(metrics_port: int) -> float:
    """The worker's summed ingest-slice seconds so far (its /metrics)."""
    text = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).text
    for line in text.splitlines():
        if line.startswith(_SLICE_SUM + " "):
            return float(line.split()[1])
    raise AssertionError(f"{_SLICE_SUM} not in the worker's /metrics")


def _snapshot_xmins(conn: psycopg.Connection[Any]) -> None:
    """Each order row's current version, kept in the database (a million ids stay out of Python)."""
    conn.execute("DROP TABLE IF EXISTS bench_xmins")
    conn.execute(
        "CREATE UNLOGGED TABLE bench_xmins AS"
        " SELECT shop_id, id, xmin::text AS row_version FROM orders"
    )


def _touched(conn: psycopg.Connection[Any]) -> int:
    """Order rows written since the snapshot: new ones and those with another ``xmin``."""
    (count,) = conn.execute(
        "SELECT count(*) FROM orders o LEFT JOIN bench_xmins b USING (shop_id, id)"
        " WHERE b.row_version IS DISTINCT FROM o.xmin::text"
    ).fetchone() or (0,)
    return int(count)


def run(config: BenchConfig, scratch: Path) -> dict[str, Any]:
    port = free_port()
    with section_stack(
        config, scratch, orders=config.update_base_orders, env={"METRICS_PORT": str(port)}
    ) as section:
        shop_id, base = populate(section)
        section.stack.sim_post(
            f"/_sim/shops/{DOMAIN}/orders/mutate", {"update": config.updated_orders}
        )
        _snapshot_xmins(section.conn)
        ingest_before = _ingest_seconds(port)
        update = sync(section, shop_id, "UPDATE", staleAfterMins=60)
        ingest_s = _ingest_seconds(port) - ingest_before
        (table_orders,) = section.conn.execute("SELECT count(*) FROM orders").fetchone() or (0,)
        return {
            "base_orders": config.update_base_orders,
            "base_populate": timing_figures(base),
            "changed_in_shopify": config.updated_orders,
            "table_orders": int(table_orders),
            "order_rows_touched": _touched(section.conn),
            "ingest_s": round(ingest_s, 3),
            "render_s": round(base.operation_span_s + update.operation_span_s, 1),
            **timing_figures(update),
        }
