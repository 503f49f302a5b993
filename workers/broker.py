"""Building the Dramatiq broker named by a URL; called only from entry points (no import set-up)."""

from __future__ import annotations

from urllib.parse import urlsplit

import dramatiq
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker

from bulk.errors import ConfigurationError


def build_broker(broker_url: str) -> dramatiq.Broker:
    """``redis://``/``rediss://`` → RedisBroker, ``amqp://``/``amqps://`` → RabbitmqBroker.

    Neither connects here; the URL (which may hold a password) is never echoed in errors.
    """
    scheme = urlsplit(broker_url).scheme.lower()
    if scheme in ("redis", "rediss"):
        return RedisBroker(url=broker_url)  # type: ignore[no-untyped-call]
    if scheme in ("amqp", "amqps"):
        return RabbitmqBroker(url=broker_url)
    raise ConfigurationError(
        f"unsupported broker URL scheme {scheme!r}: use redis://, rediss:// or amqp://"
    )
