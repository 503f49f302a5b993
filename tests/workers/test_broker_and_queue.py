"""Broker selection by URL and the id-only messages the API enqueues."""

from __future__ import annotations

import json

import pytest
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker

from bulk.errors import ConfigurationError
from workers.broker import build_broker
from workers.queue import ACTOR_NAME, DramatiqJobQueue, make_broker
from workers.settings import WorkerSettings


def test_build_broker_by_scheme_without_connecting(redis_url: str) -> None:
    redis = build_broker(redis_url)
    assert isinstance(redis, RedisBroker)
    redis.close()
    assert isinstance(build_broker("rediss://:pw@127.0.0.1:1/0"), RedisBroker)
    # Nothing listens on port 1: building must not connect.
    rabbit = build_broker("amqp://guest:secret@127.0.0.1:1/")
    assert isinstance(rabbit, RabbitmqBroker)
    rabbit.close()
    assert make_broker is build_broker


def test_build_broker_rejects_unknown_scheme_without_echoing_the_url() -> None:
    with pytest.raises(ConfigurationError) as info:
        build_broker("kafka://user:hunter2@host:9092")
    assert "hunter2" not in str(info.value) and "kafka" in str(info.value)


def test_enqueue_sends_only_the_job_id_by_actor_name() -> None:
    broker = StubBroker()
    queue = DramatiqJobQueue(broker, "jobs_q")
    queue.enqueue(42)
    (raw,) = list(broker.queues["jobs_q"].queue)
    message = json.loads(raw)
    assert message["actor_name"] == ACTOR_NAME == "run_sync_job"
    assert message["args"] == [42] and message["kwargs"] == {}
    assert message["queue_name"] == "jobs_q"
    broker.close()


def test_delayed_enqueue_goes_to_the_delay_queue_with_an_eta() -> None:
    broker = StubBroker()
    queue = DramatiqJobQueue(broker, "jobs_q")
    queue.enqueue(7, delay_s=2.5)
    assert broker.queues["jobs_q"].qsize() == 0
    (raw,) = list(broker.queues["jobs_q.DQ"].queue)
    message = json.loads(raw)
    assert message["args"] == [7] and "eta" in message["options"]
    broker.close()


def test_redis_broker_takes_the_dead_worker_settings(redis_url: str) -> None:
    default = build_broker(redis_url)
    assert isinstance(default, RedisBroker)
    tuned = build_broker(redis_url, heartbeat_timeout_s=2.5, maintenance_chance=250_000)
    assert isinstance(tuned, RedisBroker)
    assert tuned.heartbeat_timeout == 2500 and tuned.maintenance_chance == 250_000
    assert (default.heartbeat_timeout, default.maintenance_chance) == (60_000, 1_000)
    default.close()
    tuned.close()
    # RabbitMQ requeues a dead consumer's messages when its connection drops: nothing to set.
    rabbit = build_broker("amqp://guest:secret@127.0.0.1:1/", heartbeat_timeout_s=2.5)
    assert isinstance(rabbit, RabbitmqBroker)
    rabbit.close()


def test_settings_read_the_dead_worker_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BROKER_HEARTBEAT_TIMEOUT_S", "3")
    monkeypatch.setenv("BROKER_MAINTENANCE_CHANCE", "250000")
    settings = WorkerSettings()
    assert settings.broker_heartbeat_timeout_s == 3.0
    assert settings.broker_maintenance_chance == 250_000
    monkeypatch.delenv("BROKER_HEARTBEAT_TIMEOUT_S")
    monkeypatch.delenv("BROKER_MAINTENANCE_CHANCE")
    settings = WorkerSettings()
    # Ours, not Dramatiq's (60 s, 1,000): a crashed worker's job resumes within ~half a minute.
    assert settings.broker_heartbeat_timeout_s == 15.0
    assert settings.broker_maintenance_chance == 50_000
