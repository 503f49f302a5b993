"""Run the simulator under uvicorn: blocking :func:`serve` or a threaded SimulatorServer."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType

import uvicorn
from starlette.applications import Starlette

from simulator.app import create_app
from simulator.config import SimulatorConfig
from simulator.runtime import Simulator


def serve(config: SimulatorConfig, host: str = "127.0.0.1", port: int = 8787) -> None:
    """Serve the simulator until interrupted (Ctrl-C)."""
    app = create_app(config)
    uvicorn.run(app, host=host, port=port, log_level="info", lifespan="on")


class SimulatorServer:
    """Context manager running the simulator on a free local port in a background thread."""

    def __init__(
        self,
        config: SimulatorConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        bucket_clock: Callable[[], float] | None = None,
        log_level: str = "warning",
    ) -> None:
        self.config = config or SimulatorConfig()
        self.app: Starlette = create_app(self.config, bucket_clock=bucket_clock)
        self._host = host
        self._port = port
        self._log_level = log_level
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.port = 0

    @property
    def simulator(self) -> Simulator:
        """The runtime state (shops, operations, faults...) for direct inspection in tests."""
        sim: Simulator = self.app.state.simulator
        return sim

    @property
    def base_url(self) -> str:
        """``http://host:port`` of the running server."""
        return f"http://{self._host}:{self.port}"

    def graphql_url(self, version: str = "2026-04") -> str:
        """The Admin GraphQL endpoint URL for ``version``."""
        return f"{self.base_url}/admin/api/{version}/graphql.json"

    def start(self) -> SimulatorServer:
        """Bind, start uvicorn in a thread and wait until it accepts connections."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self._host, self._port))
        self._socket = sock
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            lifespan="on",
            log_level=self._log_level,
            access_log=False,
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        server = self._server
        self._thread = threading.Thread(
            target=lambda: server.run(sockets=[sock]), name="simulator-uvicorn", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("simulator server failed to start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Ask uvicorn to exit, join the thread and close the socket."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(15)
            self._thread = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"SimulatorServer({self.base_url!r})"
