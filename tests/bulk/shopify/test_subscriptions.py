"""Subscribing to bulk_operations/finish against the simulator, and an early wake-up of the job."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import stamina

from bulk.errors import (
    AuthenticationError,
    ShopifyPermanentError,
    ShopifyUnreachableError,
    UnexpectedResponseError,
    WebhookSubscriptionError,
)
from bulk.shopify import ShopifyClient, ShopifyEndpoint
from bulk.shopify.responses import unknown_input_field
from bulk.shopify.subscriptions import address_field, subscription_id
from bulk.types import JobStatus
from simulator.server import SimulatorServer
from tests.support.shopify_sim import (
    DEV_POLICY,
    SHOP,
    TOKEN,
    add_fault,
    fast_settings,
    job_of,
    make_runner,
    new_job,
    open_pool,
    run_until_done,
    sim_config,
    sim_operations,
    sim_requests,
    store_shop,
)
from tests.support.waiting import wait_for

CALLBACK = "https://sync.example.com/webhooks/shopify"


@pytest.fixture
def server() -> Iterator[SimulatorServer]:
    # `uri` only from 2025-07 here, so 2025-04 plays an old, `callbackUrl`-only version.
    with SimulatorServer(sim_config(20, webhook_uri_since="2025-07")) as srv:
        yield srv


@pytest.fixture(autouse=True)
def _no_retry_waits() -> Iterator[None]:
    with stamina.set_testing(True, attempts=10, cap=True):  # the client's retries, without waits
        yield


def _client(
    server: SimulatorServer, version: str = "2026-04", *, token: str = TOKEN, **kwargs: Any
) -> ShopifyClient:
    endpoint = ShopifyEndpoint(server.base_url, version, token)
    return ShopifyClient(endpoint, policy=DEV_POLICY, **kwargs)


def _subscriptions(server: SimulatorServer) -> list[Any]:
    return server.simulator.webhooks.subscriptions(SHOP)


def test_subscribe_registers_the_uri_once(server: SimulatorServer) -> None:
    with _client(server) as client:
        sub_id = client.subscribe_bulk_operations_finish(CALLBACK)
    assert sub_id is not None and sub_id.startswith("gid://shopify/WebhookSubscription/")
    (sub,) = _subscriptions(server)
    assert (sub.id, sub.topic, sub.uri, sub.format) == (
        sub_id,
        "BULK_OPERATIONS_FINISH",
        CALLBACK,
        "JSON",
    )
    assert sub.api_version == "2026-04"
    assert len(sim_requests(server, "subscribe")) == 1


def test_old_version_falls_back_to_callback_url_once(server: SimulatorServer) -> None:
    with _client(server, "2025-04") as client:
        sub_id = client.subscribe_bulk_operations_finish(CALLBACK)
    (sub,) = _subscriptions(server)
    assert sub.id == sub_id and sub.uri == CALLBACK and sub.api_version == "2025-04"
    assert len(sim_requests(server, "subscribe")) == 2  # `uri` refused, then `callbackUrl`


def test_address_field_follows_the_version() -> None:
    assert address_field("2024-10") == "callbackUrl"
    assert address_field("2025-01") == address_field("unstable") == "uri"


def test_user_errors_are_a_permanent_subscription_error(server: SimulatorServer) -> None:
    with _client(server) as client, pytest.raises(WebhookSubscriptionError) as info:
        client.subscribe_bulk_operations_finish("")
    assert isinstance(info.value, ShopifyPermanentError)
    assert "Address can't be blank" in str(info.value)
    assert _subscriptions(server) == []


def test_an_address_already_taken_is_success() -> None:
    # Real Shopify's answer when the topic is already subscribed to the address.
    payload = {
        "webhookSubscription": None,
        "userErrors": [
            {
                "field": ["webhookSubscription", "callbackUrl"],
                "message": "Address for this topic has already been taken",
            }
        ],
    }
    assert subscription_id(payload) is None
    refused = {"webhookSubscription": None, "userErrors": [{"field": None, "message": "Nope"}]}
    with pytest.raises(WebhookSubscriptionError, match="Nope"):
        subscription_id(refused)
    with pytest.raises(UnexpectedResponseError):
        subscription_id({"webhookSubscription": None, "userErrors": []})
    with pytest.raises(UnexpectedResponseError):
        subscription_id(None)


@pytest.mark.parametrize(
    "error",
    [
        {  # graphql-ruby (Shopify), the address in a variable
            "message": "Variable $subscription of type WebhookSubscriptionInput! was provided "
            "invalid value for uri (Field is not defined on WebhookSubscriptionInput)",
            "extensions": {
                "problems": [{"path": ["uri"], "explanation": "Field is not defined on Input"}]
            },
        },
        {
            "message": "x",
            "extensions": {"problems": [{"path": ["uri"], "explanation": "is not defined on T"}]},
        },
        {"message": "InputObject 'WebhookSubscriptionInput' doesn't accept argument 'uri'"},
        {"message": "Field 'uri' is not defined by type 'WebhookSubscriptionInput'."},
    ],
)
def test_unknown_input_field_is_recognised_in_every_dialect(error: dict[str, Any]) -> None:
    assert unknown_input_field([error]) == "uri"


def test_other_graphql_errors_are_not_an_unknown_field() -> None:
    assert unknown_input_field([{"message": "Field 'uri' doesn't exist on type 'Shop'"}]) is None
    assert unknown_input_field(["text", {"extensions": {"problems": "x"}}]) is None


def test_errors_are_translated_and_never_carry_the_token(server: SimulatorServer) -> None:
    with (
        _client(server, token="shpat_wrong_token") as client,
        pytest.raises(AuthenticationError) as info,
    ):
        client.subscribe_bulk_operations_finish(CALLBACK)
    assert "shpat_wrong" not in str(info.value)
    add_fault(server, "http_status", count=None, params={"status": 503})
    with _client(server, max_retries=1) as client, pytest.raises(ShopifyUnreachableError):
        client.subscribe_bulk_operations_finish(CALLBACK)
    assert _subscriptions(server) == []


def test_a_throttled_subscribe_is_retried(server: SimulatorServer) -> None:
    add_fault(server, "throttled")
    with _client(server) as client:
        assert client.subscribe_bulk_operations_finish(CALLBACK) is not None
    assert len(_subscriptions(server)) == 1


# -- the worker woken early -----------------------------------------------------------------


def test_an_early_wake_up_only_schedules_the_next_poll(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str
) -> None:
    """The finish webhook can arrive while the operation still reads RUNNING: no trust in it."""
    add_fault(server, "webhook_early", params={"delay": 1.5})
    shop_id = store_shop(conn, server)
    job_id = new_job(conn, shop_id)
    settings = fast_settings(database_url, poll_initial_delay_s=5.0, poll_max_delay_s=5.0)
    with open_pool(database_url) as pool:
        runner = make_runner(pool, settings)
        submitted = runner.advance(job_id)
        assert not submitted.done and submitted.delay_s == 5.0
        # The operation has finished inside "Shopify" and the webhook has gone out...
        wait_for(
            lambda: "webhook_early" in sim_operations(server)[0]["faults"],
            "the simulator's early webhook",
        )
        # ...so the woken message arrives, but the operation still reads RUNNING.
        woken = runner.advance(job_id)
        assert not woken.done and woken.delay_s == 5.0
        job = job_of(conn, job_id)
        assert job.status is JobStatus.RUNNING
        assert job.bulk_status == "RUNNING" and job.result_url is None
        assert job.checkpoint_line == 0
        time.sleep(1.6)  # the next poll (the fallback) sees it finished
        run_until_done(runner, job_id)
    job = job_of(conn, job_id)
    assert job.status is JobStatus.COMPLETED, job.error
    assert job.root_object_count == 20 and job.bulk_attempts == 1
    assert len(sim_operations(server)) == 1
