"""Building the Dramatiq broker named by a URL; called only from entry points (no import set-up)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import dramatiq

from bulk.errors import ConfigurationError

# Each backend's client is imported only for a URL naming it: a process on Redis loads no pika
# (and RabbitMQ no redis), memory every worker and API process saves.


def build_broker(
    broker_url: str,
    *,
    heartbeat_timeout_s: float | None = None,
    maintenance_chance: int | None = None,
) -> dramatiq.Broker:
    """``redis://``/``rediss://`` → RedisBroker, ``amqp://``/``amqps://`` → RabbitmqBroker.

    ``heartbeat_timeout_s`` and ``maintenance_chance`` (Redis only; None: Dramatiq's defaults)
    decide when a dead worker's unacked messages are requeued: once its heartbeat is that old,
    by a maintenance run on that many broker commands per million. RabbitMQ requeues them as
    soon as the dead worker's connection drops.

    Neither connects here; the URL (which may hold a password) is never echoed in errors.
    """
    scheme = urlsplit(broker_url).scheme.lower()
    if scheme in ("redis", "rediss"):
        from dramatiq.brokers.redis import RedisBroker

        options: dict[str, Any] = {}
        if heartbeat_timeout_s is not None:
            options["heartbeat_timeout"] = max(int(heartbeat_timeout_s * 1000), 1)
        if maintenance_chance is not None:
            options["maintenance_chance"] = maintenance_chance
        return RedisBroker(url=broker_url, **options)  # type: ignore[no-untyped-call]
    if scheme in ("amqp", "amqps"):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        return RabbitmqBroker(url=broker_url)
    raise ConfigurationError(
        f"unsupported broker URL scheme {scheme!r}: use redis://, rediss:// or amqp://"
    )


def broker_problem(broker_url: str, *, timeout_s: float = 2.0) -> str | None:
    """What keeps the broker named by ``broker_url`` from answering a ping within about
    ``timeout_s``, or None when it answers. A fresh connection each call, closed at once; the
    answer never carries the URL (it may hold a password)."""
    scheme = urlsplit(broker_url).scheme.lower()
    try:
        if scheme in ("redis", "rediss"):
            import redis

            client = redis.Redis.from_url(
                broker_url, socket_connect_timeout=timeout_s, socket_timeout=timeout_s
            )
            try:
                client.ping()
            finally:
                client.close()
        elif scheme in ("amqp", "amqps"):
            import pika

            params = pika.URLParameters(broker_url)
            params.socket_timeout = timeout_s
            params.blocked_connection_timeout = timeout_s
            params.stack_timeout = timeout_s
            params.connection_attempts = 1
            pika.BlockingConnection(params).close()
        else:
            return f"unsupported broker URL scheme {scheme!r}"
    except Exception as exc:  # any failure is "not ready"; only its kind is reported
        return f"the {scheme} broker does not answer ({type(exc).__name__})"
    return None
