"""ShopifyClient against the real simulator over HTTP: answers, errors, retries, versions."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import stamina
from stamina.instrumentation import RetryDetails, set_on_retry_hooks

from bulk.errors import (
    AccessDeniedError,
    AuthenticationError,
    InvalidBulkQueryError,
    OperationInProgressError,
    ShopFrozenError,
    ShopifyUnreachableError,
    ThrottledError,
)
from bulk.orders_query import build_orders_query
from bulk.retry import Backoff
from bulk.shopify import (
    BulkOperation,
    BulkOperationStatus,
    OrdersCount,
    ShopifyClient,
    ShopifyEndpoint,
)
from bulk.types import SyncMode
from simulator.server import SimulatorServer
from tests.support.shopify_sim import (
    DEV_POLICY,
    TOKEN,
    add_fault,
    sim_config,
    sim_operations,
    sim_requests,
)

QUERY = build_orders_query(SyncMode.FULL, None)
# The production policy's shape at a fiftieth of its delays: stamina really waits, briefly.
FAST = Backoff(initial_s=0.01, max_s=0.4, jitter_s=0.005)


@pytest.fixture
def server() -> Iterator[SimulatorServer]:
    with SimulatorServer(sim_config(30, run_seconds=0.3)) as srv:
        yield srv


@pytest.fixture
def waits() -> Iterator[list[float]]:
    """The waits stamina schedules between attempts, in order."""
    seen: list[float] = []

    def record(details: RetryDetails) -> None:
        seen.append(details.wait_for)

    set_on_retry_hooks([record])
    try:
        yield seen
    finally:
        set_on_retry_hooks(None)


def _client(
    server: SimulatorServer,
    version: str = "2026-04",
    *,
    token: str = TOKEN,
    **kwargs: float,
) -> ShopifyClient:
    endpoint = ShopifyEndpoint(server.base_url, version, token)
    return ShopifyClient(endpoint, backoff=FAST, policy=DEV_POLICY, **kwargs)  # type: ignore[arg-type]


def _wait_terminal(client: ShopifyClient, operation_id: str) -> BulkOperation:
    for _ in range(200):
        op = client.get_bulk_operation(operation_id)
        assert op is not None
        if op.status.is_terminal:
            return op
        time.sleep(0.02)
    raise AssertionError("operation never finished")


def test_endpoint_url_and_secrets_stay_out_of_reprs(server: SimulatorServer) -> None:
    endpoint = ShopifyEndpoint("https://x.myshopify.com/", "2026-10", "shpat_very_secret")
    assert endpoint.url == "https://x.myshopify.com/admin/api/2026-10/graphql.json"
    with ShopifyClient(endpoint) as client:
        assert "shpat_very_secret" not in repr(client)
    assert "shpat_very_secret" not in repr(endpoint)


def test_fetch_shop_verifies_the_token(server: SimulatorServer) -> None:
    with _client(server) as client:
        info = client.fetch_shop()
    assert info.myshopify_domain == "demo.myshopify.com" and info.name


def test_bad_token_is_an_authentication_error_without_the_token(server: SimulatorServer) -> None:
    with (
        _client(server, token="shpat_wrong_token") as client,
        pytest.raises(AuthenticationError) as info,
    ):
        client.fetch_shop()
    message = str(info.value)
    assert "401" in message and "Invalid API key" in message and "shpat_wrong" not in message


@pytest.mark.parametrize(
    ("status", "error"),
    [(402, ShopFrozenError), (423, ShopFrozenError), (403, AccessDeniedError)],
)
def test_permanent_http_statuses(
    server: SimulatorServer, waits: list[float], status: int, error: type[Exception]
) -> None:
    add_fault(server, "http_status", params={"status": status})
    with _client(server) as client, pytest.raises(error):
        client.fetch_shop()
    assert waits == []  # never retried


def test_5xx_is_retried_then_succeeds(server: SimulatorServer, waits: list[float]) -> None:
    add_fault(server, "http_status", count=2, params={"status": 503})
    with _client(server) as client:
        assert client.fetch_shop().name
    assert len(waits) == 2 and waits[1] > waits[0] > 0


def test_5xx_retries_are_jittered_and_capped(server: SimulatorServer, waits: list[float]) -> None:
    add_fault(server, "http_status", count=None, params={"status": 503})
    runs = []
    for _ in range(2):
        with (
            _client(server, max_retries=7) as client,
            pytest.raises(ShopifyUnreachableError),
        ):
            client.fetch_shop()
        runs.append(list(waits))
        waits.clear()
    assert runs[0] != runs[1]  # two clients hammering a struggling shop spread apart
    eps = 1e-9  # stamina reports each wait as a difference of running totals
    for run in runs:
        floors = [FAST.floor_s(n) for n in range(1, 8)]
        bounds = [(f - eps, min(f + FAST.jitter_s, FAST.max_s) + eps) for f in floors]
        assert all(low <= w <= high for (low, high), w in zip(bounds, run, strict=True)), run
        assert run[-1] == pytest.approx(FAST.max_s)


def test_persistent_5xx_gives_up_after_bounded_attempts(
    server: SimulatorServer, waits: list[float]
) -> None:
    add_fault(server, "http_status", count=None, params={"status": 502})
    with (
        stamina.set_testing(True, attempts=100, cap=True),  # no waits; the client's own bound
        _client(server, max_retries=3) as client,
        pytest.raises(ShopifyUnreachableError),
    ):
        client.fetch_shop()
    assert len(waits) == 3
    assert len([r for r in sim_requests(server) if r.get("status") == 502]) == 4


def test_429_honours_decimal_retry_after(server: SimulatorServer, waits: list[float]) -> None:
    add_fault(server, "http_status", params={"status": 429, "retry_after": "0.3"})
    with _client(server) as client:
        client.fetch_shop()
    (wait,) = waits
    assert 0.3 <= wait <= 0.3 + FAST.jitter_s  # at least what Shopify asked


def test_a_retry_after_beyond_the_cap_is_left_to_the_caller(
    server: SimulatorServer, waits: list[float]
) -> None:
    add_fault(server, "http_status", params={"status": 429, "retry_after": "4.0"})
    with _client(server) as client, pytest.raises(ThrottledError) as info:
        client.fetch_shop()
    assert waits == [] and info.value.retry_after_s == 4.0  # the workflow re-enqueues after it


def test_throttled_waits_from_the_cost_bucket(server: SimulatorServer, waits: list[float]) -> None:
    add_fault(server, "throttled")
    with _client(server) as client:
        client.fetch_shop()
    (wait,) = waits
    assert 0 < wait <= 1.0  # (requested - available) / restoreRate, at least one point's worth


def test_throttling_past_the_retries_raises_throttled(server: SimulatorServer) -> None:
    add_fault(server, "throttled", count=None)
    with _client(server, max_retries=1) as client, pytest.raises(ThrottledError) as info:
        client.fetch_shop()
    assert info.value.retry_after_s is not None


def test_timeout_is_transient(server: SimulatorServer) -> None:
    add_fault(server, "slow", count=None, params={"delay": 1.0})
    with (
        _client(server, timeout_s=0.2, max_retries=1) as client,
        pytest.raises(ShopifyUnreachableError, match="in time"),
    ):
        client.fetch_shop()


def test_run_poll_complete_with_group_objects_pinned(server: SimulatorServer) -> None:
    with _client(server) as client:
        op = client.run_bulk_query(QUERY, group_objects=False)
        assert op.status in (BulkOperationStatus.CREATED, BulkOperationStatus.RUNNING)
        assert op.id.startswith("gid://shopify/BulkOperation/")
        done = _wait_terminal(client, op.id)
    assert done.status is BulkOperationStatus.COMPLETED
    assert done.root_object_count == 30 and done.object_count > 30
    assert done.file_size and done.url and done.completed_at is not None
    assert "Signature" not in repr(done)  # the signed URL is never printed
    (sim_op,) = sim_operations(server)
    assert sim_op["groupObjects"] is False


def test_group_objects_omitted_before_2025_07(server: SimulatorServer) -> None:
    with _client(server, "2025-04") as client:
        op = client.run_bulk_query(QUERY, group_objects=True)
        assert _wait_terminal(client, op.id).status is BulkOperationStatus.COMPLETED


def test_invalid_bulk_query_is_permanent_with_shopifys_message(server: SimulatorServer) -> None:
    with _client(server) as client, pytest.raises(InvalidBulkQueryError) as info:
        client.run_bulk_query("{ shop { id } }", group_objects=False)
    assert "at least one connection" in str(info.value)


def test_operation_in_progress_names_the_running_operation() -> None:
    # An operation that runs a minute: still running at the second submit however slow the
    # machine (the module's 0.3 s operations may have finished by then).
    with (
        SimulatorServer(sim_config(30, run_seconds=60)) as slow,
        _client(slow, "2025-10") as client,
    ):
        first = client.run_bulk_query(QUERY, group_objects=False)
        with pytest.raises(OperationInProgressError) as info:
            client.run_bulk_query(QUERY, group_objects=False)
        assert first.id in info.value.operation_ids
        client.cancel_bulk_operation(first.id)


def test_submit_is_not_retried_after_a_server_error(
    server: SimulatorServer, waits: list[float]
) -> None:
    add_fault(server, "http_status", params={"status": 504})
    with _client(server) as client, pytest.raises(ShopifyUnreachableError):
        client.run_bulk_query(QUERY, group_objects=False)
    assert waits == []


def test_submit_is_retried_when_throttled(server: SimulatorServer, waits: list[float]) -> None:
    add_fault(server, "throttled")
    with _client(server) as client:
        client.run_bulk_query(QUERY, group_objects=False)
    assert len(waits) == 1 and len(sim_operations(server)) == 1


def test_unknown_operation_is_none_and_cancel(server: SimulatorServer) -> None:
    with _client(server) as client:
        assert client.get_bulk_operation("gid://shopify/BulkOperation/1234567890123") is None
        assert client.cancel_bulk_operation("gid://shopify/BulkOperation/1234567890123") is None
        op = client.run_bulk_query(QUERY, group_objects=False)
        cancelled = client.cancel_bulk_operation(op.id)
        assert cancelled is not None
        assert cancelled.status in (BulkOperationStatus.CANCELING, BulkOperationStatus.CANCELED)
        final = _wait_terminal(client, op.id)
        assert final.status is BulkOperationStatus.CANCELED
        again = client.cancel_bulk_operation(op.id)  # terminal: refused, op returned unchanged
        assert again is not None and again.status is BulkOperationStatus.CANCELED


@pytest.mark.parametrize("version", ["2025-10", "2026-04"])
def test_find_submitted_operation_reconciles_a_lost_answer(
    server: SimulatorServer, version: str
) -> None:
    before = datetime.now(UTC)
    with _client(server, version) as client:
        assert client.find_submitted_operation(QUERY, submitted_at=before) is None
        op = client.run_bulk_query(QUERY, group_objects=False)
        found = client.find_submitted_operation(QUERY, submitted_at=before)
        assert found is not None and found.id == op.id
        other = build_orders_query(SyncMode.POPULATE, before)
        assert client.find_submitted_operation(other, submitted_at=before) is None
        if version == "2025-10":
            current = client.current_bulk_operation()
            assert current is not None and current.id == op.id
        _wait_terminal(client, op.id)


def test_orders_count_exact_and_at_least_past_the_limit(server: SimulatorServer) -> None:
    with _client(server) as client:
        assert client.orders_count(None, limit=100) == OrdersCount(count=30, exact=True)
        assert client.orders_count(None, limit=30) == OrdersCount(count=30, exact=True)
        assert client.orders_count(None, limit=12) == OrdersCount(count=12, exact=False)
        later = "created_at:>='2100-01-01T00:00:00Z'"
        assert client.orders_count(later, limit=10) == OrdersCount(count=0, exact=True)


def test_orders_count_follows_the_retry_rules(server: SimulatorServer, waits: list[float]) -> None:
    add_fault(server, "http_status", count=2, params={"status": 503})
    with _client(server) as client:
        assert client.orders_count(None, limit=5) == OrdersCount(count=5, exact=False)
    assert len(waits) == 2
    add_fault(server, "http_status", params={"status": 403})
    with _client(server) as client, pytest.raises(AccessDeniedError):
        client.orders_count(None, limit=5)
