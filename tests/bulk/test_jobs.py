"""Creating, reading and listing jobs; one active job per shop."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from bulk.errors import InvalidArgument
from bulk.jobs import JobRequest, create_job, get_job, list_jobs
from bulk.shops import get_shop, normalise_domain, upsert_shop
from bulk.types import JobStatus, SyncMode
from tests.support.token_keys import TEST_CIPHER


def _shop(conn: psycopg.Connection[Any], domain: str = "a.myshopify.com") -> int:
    shop, created = upsert_shop(
        conn,
        domain=domain,
        access_token="shpat_secret",
        api_version="2026-10",
        admin_url="http://x",
        cipher=TEST_CIPHER,
    )
    assert created
    return shop.id


def test_upsert_shop_refreshes_credentials_and_hides_token(conn: psycopg.Connection[Any]) -> None:
    shop_id = _shop(conn)
    shop, created = upsert_shop(
        conn,
        domain="a.myshopify.com",
        access_token="new",
        api_version="2026-07",
        admin_url="y",
        cipher=TEST_CIPHER,
    )
    assert not created and shop.id == shop_id
    stored = get_shop(conn, shop_id)
    assert stored is not None and stored.api_version == "2026-07"
    assert stored.access_token(TEST_CIPHER) == "new"
    assert "new" not in repr(stored) and "shpat" not in repr(stored)


def test_normalise_domain() -> None:
    assert normalise_domain(" https://Demo.MyShopify.com/ ") == "demo.myshopify.com"
    with pytest.raises(InvalidArgument):
        normalise_domain("not a domain")


def test_second_request_returns_the_active_job(conn: psycopg.Connection[Any]) -> None:
    shop_id = _shop(conn)
    first = create_job(conn, JobRequest(shop_id, SyncMode.POPULATE, days=30))
    second = create_job(conn, JobRequest(shop_id, SyncMode.FULL))
    assert first.created and not second.created
    assert second.job.id == first.job.id
    assert first.job.status is JobStatus.QUEUED
    assert first.job.filter_since is not None


def test_a_finished_job_frees_the_slot(conn: psycopg.Connection[Any]) -> None:
    shop_id = _shop(conn)
    first = create_job(conn, JobRequest(shop_id))
    conn.execute("UPDATE sync_jobs SET status = 'COMPLETED' WHERE id = %s", (first.job.id,))
    again = create_job(conn, JobRequest(shop_id, SyncMode.UPDATE, stale_after_mins=60))
    assert again.created and again.job.sync_mode is SyncMode.UPDATE
    assert [job.id for job in list_jobs(conn, shop_id=shop_id)] == [again.job.id, first.job.id]
    fetched = get_job(conn, again.job.id)
    assert fetched is not None and fetched.stale_after_mins == 60


@pytest.mark.parametrize(
    ("request_kwargs", "field"),
    [
        ({"sync_mode": SyncMode.UPDATE}, "staleAfterMins"),
        ({"sync_mode": SyncMode.UPDATE, "stale_after_mins": 0}, "staleAfterMins"),
        ({"sync_mode": SyncMode.POPULATE, "days": -1}, "days"),
        ({"sync_mode": SyncMode.FULL, "days": 3}, "days"),
        ({"sync_mode": SyncMode.POPULATE, "stale_after_mins": 3}, "staleAfterMins"),
        ({"sync_mode": SyncMode.RECONCILE, "days": 0}, "days"),
        ({"sync_mode": SyncMode.RECONCILE, "stale_after_mins": 3}, "staleAfterMins"),
    ],
)
def test_invalid_requests_name_the_field(
    conn: psycopg.Connection[Any], request_kwargs: dict[str, Any], field: str
) -> None:
    shop_id = _shop(conn)
    with pytest.raises(InvalidArgument) as info:
        create_job(conn, JobRequest(shop_id, **request_kwargs))
    assert info.value.field == field
    assert list_jobs(conn, shop_id=shop_id) == []


def test_a_reconcile_takes_an_optional_days_window(conn: psycopg.Connection[Any]) -> None:
    shop_id = _shop(conn)
    windowed = create_job(conn, JobRequest(shop_id, SyncMode.RECONCILE, days=30)).job
    assert windowed.days == 30 and windowed.filter_since is not None
    assert (windowed.created_at - windowed.filter_since).days == 30
    conn.execute("UPDATE sync_jobs SET status = 'COMPLETED' WHERE id = %s", (windowed.id,))
    whole = create_job(conn, JobRequest(shop_id, SyncMode.RECONCILE)).job
    assert whole.days is None and whole.filter_since is None
