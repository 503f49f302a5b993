"""The worker process's composition root: broker, pool, runner, actors, an in-process Worker."""

from __future__ import annotations

import logging
import threading
from urllib.parse import urlsplit

import dramatiq
import structlog

from bulk.workflow import JobRunner
from service.readiness import check_database
from workers.settings import WorkerSettings

from .actors import register_actors
from .broker import build_broker
from .malloc import TrimAfterLongSteps, cap_malloc_arenas
from .metrics import WorkerMetrics
from .metrics_server import metrics_server
from .pool import autocommit_pool
from .signals import install_signal_handlers, restore_signal_handlers

# These libraries log request URLs and bodies at INFO/DEBUG: signed result URLs are credentials.
_QUIET_LOGGERS = ("httpx", "httpcore", "gql.transport.httpx")

log = structlog.get_logger(__name__)

# How long an idle consumer waits before looking again, for new messages and for its delayed
# ones coming due (Dramatiq's default: 1 s, backing off to it between empty Redis fetches). A
# poll scheduled 1.5 s out then ran up to 2 s late (the delayed message re-enqueued late, then
# fetched late); at 100 ms an operation's end is seen within the poll bound, for 10 cheap
# broker calls a second per idle consumer.
_CONSUMER_IDLE_MS = 100


def run_worker(
    settings: WorkerSettings, *, threads: int = 4, stop: threading.Event | None = None
) -> None:
    """Consume sync jobs until SIGTERM/SIGINT (or ``stop`` is set), then shut down cleanly."""
    cap_malloc_arenas()  # before any thread starts (the pool's, Dramatiq's)
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    stop = stop or threading.Event()
    check_database(settings.database_url)  # at once, naming `shopsync migrate`: not a hang
    metrics = WorkerMetrics()
    broker = build_broker(
        settings.broker_url,
        heartbeat_timeout_s=settings.broker_heartbeat_timeout_s,
        maintenance_chance=settings.broker_maintenance_chance,
    )
    broker.add_middleware(metrics.middleware())
    broker.add_middleware(TrimAfterLongSteps())
    dramatiq.set_broker(broker)
    previous = install_signal_handlers(stop)
    try:
        with (
            metrics_server(
                metrics.registry, host=settings.metrics_host, port=settings.metrics_port
            ),
            autocommit_pool(
                settings.database_url,
                max_size=threads * settings.merge_connections + 1,
                application_name="shopsync-worker",
            ) as pool,
        ):
            runner = JobRunner(
                pool,
                settings.engine(),
                cipher=settings.token_cipher(),  # production without SHOP_TOKEN_KEYS stops here
                net_policy=settings.net_policy(),
                observer=metrics,
            )
            register_actors(broker, runner, settings.queue_name)
            worker = dramatiq.Worker(
                broker, worker_threads=threads, worker_timeout=_CONSUMER_IDLE_MS
            )
            worker.start()
            broker_url = urlsplit(settings.broker_url)
            # Kind, host and port only: the URL's user info holds the broker's password.
            log.info(
                "worker.started",
                broker=broker_url.scheme,
                broker_host=broker_url.hostname,
                broker_port=broker_url.port,
                queue=settings.queue_name,
                threads=threads,
            )
            try:
                stop.wait()
            finally:
                worker.stop()
                log.info("worker.stopped", queue=settings.queue_name)
    finally:
        broker.close()
        restore_signal_handlers(previous)
