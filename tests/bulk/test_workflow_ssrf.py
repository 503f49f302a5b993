"""Production jobs fetch results and talk to the Admin API only at allowed, public addresses.

A local capture server stands in for an internal service: the job must FAIL readably, at once,
without the server ever seeing a connection, and without the signed URL's query in the error.
"""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from bulk.shopify import ShopifyClient, ShopifyEndpoint
from bulk.shops import upsert_shop
from bulk.types import JobStatus
from simulator.server import SimulatorServer
from tests.support.capture_server import CaptureServer
from tests.support.shopify_sim import (
    DEV_POLICY,
    SHOP,
    TOKEN,
    job_of,
    new_job,
    run_job,
    sim_config,
    sim_requests,
    store_shop,
)
from tests.support.token_keys import PRODUCTION as PRODUCTION_SETTINGS
from tests.support.token_keys import PRODUCTION_CIPHER

ORDERS = 10
PRODUCTION = {**PRODUCTION_SETTINGS, "result_url_hosts": ["localhost"]}


def _simulator_clients(endpoint: ShopifyEndpoint) -> ShopifyClient:
    """The Admin API side of these tests is the loopback simulator: a development client."""
    return ShopifyClient(endpoint, policy=DEV_POLICY, timeout_s=5.0, max_retries=2)


@pytest.mark.parametrize(
    ("scheme", "host"),
    [
        ("https", "localhost"),  # an allow-listed name that resolves to loopback
        ("http", "localhost"),  # an allow-listed name, but plain http
        ("https", "127.0.0.1"),  # a host outside the allow-list
    ],
)
def test_a_result_url_at_an_internal_address_is_never_requested_and_the_job_fails(
    conn: psycopg.Connection[Any], database_url: str, scheme: str, host: str
) -> None:
    with CaptureServer() as capture:
        config = sim_config(ORDERS, public_base_url=capture.url(scheme, host, ""))
        with SimulatorServer(config) as server:
            job_id = new_job(conn, store_shop(conn, server, cipher=PRODUCTION_CIPHER))
            run_job(database_url, job_id, settings=PRODUCTION, client_factory=_simulator_clients)
            assert sim_requests(server, "download") == []
        assert capture.connections == 0
    job = job_of(conn, job_id)
    assert job.status is JobStatus.FAILED, job.error
    assert job.error is not None and "refused" in job.error and host in job.error, job.error
    for secret in ("Signature", "Expires", "_sim/files"):
        assert secret not in job.error, job.error
    # A permanent error: no resubmission, no retry loop.
    assert job.bulk_attempts == 1


def test_in_development_the_simulators_loopback_result_url_is_fetched(
    conn: psycopg.Connection[Any], database_url: str
) -> None:
    with SimulatorServer(sim_config(ORDERS)) as server:
        job_id = new_job(conn, store_shop(conn, server))
        run_job(database_url, job_id)  # fast_settings: development, default client factory
        assert len(sim_requests(server, "download")) >= 1
    job = job_of(conn, job_id)
    assert job.status is JobStatus.COMPLETED, job.error


def test_in_production_the_admin_api_is_never_called_at_an_internal_address(
    conn: psycopg.Connection[Any], database_url: str
) -> None:
    with CaptureServer() as capture:
        shop, _ = upsert_shop(
            conn,
            domain=SHOP,
            access_token=TOKEN,
            api_version="2026-04",
            admin_url=capture.url(),
            cipher=PRODUCTION_CIPHER,
        )
        job_id = new_job(conn, shop.id)
        run_job(database_url, job_id, settings=PRODUCTION_SETTINGS)
        assert capture.connections == 0
    job = job_of(conn, job_id)
    assert job.status is JobStatus.FAILED, job.error
    assert job.error is not None and "refused" in job.error and "127.0.0.1" in job.error
    assert TOKEN not in job.error
