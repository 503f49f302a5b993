"""The whole stack for end-to-end tests: the simulator, the API and a worker as real child
processes on free ports, driven only over HTTP (GraphQL API, simulator control API).

The GraphQL documents are the API client's (``cli.remote.documents``), as the demo sends them.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from cli.demo import TERMINAL
from cli.graphql_client import GraphQLClient
from cli.ports import free_port
from cli.processes import ManagedProcess, ProcessGroup
from cli.remote.documents import CONNECT_SHOP, GET_JOB, START_JOB
from cli.services import issue_token
from service.settings import CommonSettings


class Stack:
    """One simulated shop and the processes that sync it; ports are picked on creation, so the
    environment given to :meth:`run` can already name the API's URL."""

    def __init__(
        self, *, domain: str, token: str, orders: int, logs: Path, worker_threads: int = 2
    ) -> None:
        self.domain, self.token, self.orders, self.logs = domain, token, orders, logs
        self.worker_threads = worker_threads
        self.sim_port, self.api_port = free_port(), free_port()
        self.sim_url = f"http://127.0.0.1:{self.sim_port}"
        self.api_url = f"http://127.0.0.1:{self.api_port}"
        self._group: ProcessGroup | None = None
        self._api: GraphQLClient | None = None
        self.env: dict[str, str] = {}  # the processes' environment, set by :meth:`run`
        self.api_token = ""  # an admin token of tenant e2e, issued by :meth:`run`
        self._workers = 0

    @contextmanager
    def run(
        self,
        *,
        database_url: str,
        redis_url: str,
        queue_prefix: str,
        seed: int,
        env: Mapping[str, str],
        simulator_args: Sequence[str],
    ) -> Iterator[Stack]:
        """Start the simulator (``simulator_args`` after the shop's own), the API and a worker;
        stop them all on the way out."""
        full_env = {
            "DATABASE_URL": database_url,
            "BROKER_URL": redis_url,
            "QUEUE_NAME": f"{queue_prefix}-{uuid.uuid4().hex[:8]}",
            # Tests run side by side: no fixed metrics port unless a test asks for one.
            "METRICS_PORT": "0",
            # One operation per job, as these tests follow it (its id, its objects); a test of
            # concurrent operations passes its own value.
            "BULK_OPERATIONS_PER_JOB": "1",
            **env,
        }
        self.env = full_env
        simulator = [
            *("simulator", "--port", str(self.sim_port), "--orders", str(self.orders)),
            *("--seed", str(seed), "--shop-domain", self.domain, "--access-token", self.token),
            *simulator_args,
        ]
        servers = [
            ("simulator", simulator, f"{self.sim_url}/_sim/health"),
            ("api", ["api", "--port", str(self.api_port)], f"{self.api_url}/healthz"),
        ]
        with ProcessGroup() as group:
            for name, args, ready_url in servers:
                group.start(
                    ManagedProcess(
                        name, args, env=full_env, log_dir=self.logs, ready_url=ready_url
                    ),
                    ready_timeout_s=60,
                )
            self._workers = 0
            self._start_worker(group)
            self.api_token = issue_token(CommonSettings(database_url=database_url), tenant="e2e")
            with GraphQLClient(f"{self.api_url}/graphql", token=self.api_token) as api:
                self._group, self._api = group, api
                try:
                    yield self
                finally:
                    self._group = self._api = None

    def _start_worker(self, group: ProcessGroup) -> ManagedProcess:
        self._workers += 1
        name = "worker" if self._workers == 1 else f"worker{self._workers}"
        process = ManagedProcess(
            name,
            ["worker", "--threads", str(self.worker_threads)],
            env=self.env,
            log_dir=self.logs,
        )
        return group.start(process)

    @property
    def queue_name(self) -> str:
        return self.env["QUEUE_NAME"]

    @property
    def worker(self) -> ManagedProcess:
        """The worker started last."""
        return [p for p in self.group.processes if p.name.startswith("worker")][-1]

    def kill_worker(self) -> ManagedProcess:
        """SIGKILL the current worker (a crash: no clean-up, no acks) and forget it, so
        :meth:`wait` does not count its death as a failure."""
        worker = self.worker
        worker.kill()
        self.group.processes.remove(worker)
        return worker

    def start_worker(self) -> ManagedProcess:
        """One more worker process (same environment; its log is ``worker<N>.log``)."""
        return self._start_worker(self.group)

    @property
    def group(self) -> ProcessGroup:
        assert self._group is not None, "the stack is not running"
        return self._group

    @property
    def api(self) -> GraphQLClient:
        assert self._api is not None, "the stack is not running"
        return self._api

    def connect(self) -> dict[str, Any]:
        """``connectShop`` for the simulated shop; the ShopConnected payload."""
        variables = {"domain": self.domain, "accessToken": self.token, "adminUrl": self.sim_url}
        result: dict[str, Any] = self.api.execute(CONNECT_SHOP, {"input": variables})["connectShop"]
        assert result["__typename"] == "ShopConnected", result
        return result

    def start(self, **job_input: Any) -> dict[str, Any]:
        """``startSyncJob``, then wait for the job to finish."""
        result = self.api.execute(START_JOB, {"input": job_input})["startSyncJob"]
        assert result["__typename"] == "SyncJobStarted", result
        return self.wait(result["job"]["id"])

    def wait(self, job_id: str, timeout_s: float = 120.0) -> dict[str, Any]:
        """Poll ``syncJob`` until the job is terminal; fail if a process dies or time runs out."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.group.check_alive()
            job: dict[str, Any] = self.api.execute(GET_JOB, {"id": job_id})["syncJob"]
            if job["status"] in TERMINAL:
                return job
            time.sleep(0.1)
        raise AssertionError(f"job {job_id} not finished within {timeout_s} s")

    def sim_get(self, path: str, **params: Any) -> Any:
        # Listing thousands of orders renders each one's whole order domain: allow for it.
        response = httpx.get(f"{self.sim_url}{path}", params=params, timeout=120)
        response.raise_for_status()
        return response.json()

    def sim_post(self, path: str, body: Any) -> Any:
        response = httpx.post(f"{self.sim_url}{path}", json=body, timeout=10)
        response.raise_for_status()
        return response.json()

    def shopify_orders(self) -> dict[str, dict[str, Any]]:
        """The simulated shop's orders (with their line items), by id."""
        orders = self.sim_get(f"/_sim/shops/{self.domain}/orders", limit=100_000)["orders"]
        return {order["id"]: order for order in orders}
