"""Reads through the caller's eyes: another tenant's rows do not exist for it."""

from __future__ import annotations

from typing import Any

import psycopg

from bulk import jobs, shops
from bulk.jobs import SyncJob
from bulk.shops import Shop

from .principal import Principal


def visible_shop(conn: psycopg.Connection[Any], principal: Principal, shop_id: int) -> Shop | None:
    shop = shops.get_shop(conn, shop_id)
    return shop if shop is not None and principal.can_see(shop.tenant_id) else None


def visible_job(conn: psycopg.Connection[Any], principal: Principal, job_id: int) -> SyncJob | None:
    job = jobs.get_job(conn, job_id)
    if job is None:
        return None
    if principal.is_system or visible_shop(conn, principal, job.shop_id) is not None:
        return job
    return None
