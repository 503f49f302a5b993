"""The composition root's default queue: connectShop puts a Dramatiq message in Redis."""

from __future__ import annotations

import json
import uuid

import pytest
import redis

from api.app import create_app
from api.settings import ApiSettings
from tests.support.api import FakeVerifier, api_client, connect_shop
from workers.queue import ACTOR_NAME

pytestmark = pytest.mark.anyio


async def test_connect_shop_enqueues_a_run_sync_job_message(
    database_url: str, redis_url: str, verifier: FakeVerifier
) -> None:
    queue_name = f"api_test_{uuid.uuid4().hex[:8]}"
    settings = ApiSettings(database_url=database_url, broker_url=redis_url, queue_name=queue_name)
    app = create_app(settings, verifier=verifier)
    async with api_client(app) as c:
        job_id = int((await connect_shop(c))["initialJob"]["id"])

    client = redis.Redis.from_url(redis_url)
    try:
        messages = client.hgetall(f"dramatiq:{queue_name}.msgs")
        decoded = [json.loads(raw) for raw in messages.values()]
        client.delete(f"dramatiq:{queue_name}", f"dramatiq:{queue_name}.msgs")
    finally:
        client.close()
    assert [(m["actor_name"], m["args"]) for m in decoded] == [(ACTOR_NAME, [job_id])]
