"""Where the tests find the running services: read from the environment here, once."""

from __future__ import annotations

import os

ADMIN_URL = os.environ.get(
    "SHOPSYNC_TEST_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("SHOPSYNC_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
RABBITMQ_URL = os.environ.get("SHOPSYNC_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")
