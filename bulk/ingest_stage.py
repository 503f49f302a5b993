"""Load a parsed batch into the session's staging table, pg_temp.ingest_batch, with one COPY.

The rows are those ``bulk.ingest_parse`` built from lines ijson accepted, escaped for COPY's text
format, so COPY has nothing to refuse: text Postgres cannot take as jsonb is found at the merge.
"""

from __future__ import annotations

from typing import Any

import psycopg

from schema.sqlfile import load_queries

_Q = load_queries("bulk", "sql/ingest.sql")


def prepare_batch(cur: psycopg.Cursor[Any]) -> None:
    """Set the transaction's settings and create the staging table if this session lacks it."""
    cur.execute(_Q["prepare_batch"])


def stage_rows(cur: psycopg.Cursor[Any], rows: bytes) -> None:
    """COPY ``rows`` (text format, one line each) into the staging table."""
    if rows:
        with cur.copy(_Q["copy_batch"]) as copy:
            copy.write(rows)
