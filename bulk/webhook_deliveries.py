"""A database memory of handled webhook deliveries: replays are ignored across restarts."""

from __future__ import annotations

from typing import Any

import psycopg

from .sql import queries

_SQL = queries("webhook_deliveries")


def delivery_keys(operation_id: str, status: str, webhook_id: str | None) -> list[str]:
    """Shopify's docs disagree on what marks a duplicate: the webhook id, or the event (the
    same operation and status); either one seen before makes a delivery a duplicate."""
    keys = [f"operation:{operation_id}:{status}"]
    if webhook_id:
        keys.append(f"webhook:{webhook_id}")
    return keys


def claim(conn: psycopg.Connection[Any], keys: list[str]) -> bool:
    """Record ``keys``; False if any was recorded before (call inside a transaction to undo)."""
    cur = conn.execute(_SQL["claim"], {"keys": keys})
    return len(cur.fetchall()) == len(set(keys))


def prune(conn: psycopg.Connection[Any], *, older_than_s: float) -> int:
    """Forget deliveries older than the retention; how many were removed."""
    cur = conn.execute(_SQL["prune"], {"older_than_s": older_than_s})
    return cur.rowcount
