"""Cleaning a test's queues out of Redis or RabbitMQ."""

from __future__ import annotations

import redis

from workers.broker import build_broker
from workers.queue import DramatiqJobQueue


def delete_queues(broker_url: str, queue_name: str) -> None:
    """Leave nothing behind in the broker: RabbitMQ queues deleted; Redis queues flushed, and
    the ack sets of our queue (the killed worker's, if maintenance did not get to them)."""
    broker = build_broker(broker_url)
    try:
        DramatiqJobQueue(broker, queue_name)  # declares it, so the broker knows its DQ/XQ
        if broker_url.startswith("amqp"):
            channel = broker.channel  # type: ignore[attr-defined]
            for name in (queue_name, f"{queue_name}.DQ", f"{queue_name}.XQ"):
                channel.queue_delete(name)
        else:
            broker.flush(queue_name)
            client = redis.Redis.from_url(broker_url)
            try:
                for pattern in (
                    f"dramatiq:__acks__.*.{queue_name}",
                    f"dramatiq:__acks__.*.{queue_name}.DQ",
                ):
                    for key in client.scan_iter(match=pattern):
                        client.delete(key)
            finally:
                client.close()
    finally:
        broker.close()
