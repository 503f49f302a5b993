"""Fixtures for simulator service tests: a running SimulatorServer and httpx clients."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from simulator.server import SimulatorServer
from tests.support.simulator_api import TOKEN, Api, make_config
from tests.support.webhook_receiver import Receiver


@pytest.fixture
def server() -> Iterator[SimulatorServer]:
    """A simulator on a free port with a small default shop."""
    with SimulatorServer(make_config()) as srv:
        yield srv


@pytest.fixture
def client(server: SimulatorServer) -> Iterator[httpx.Client]:
    """An httpx client authenticated as the test shop's app."""
    with httpx.Client(
        base_url=server.base_url, headers={"X-Shopify-Access-Token": TOKEN}, timeout=10
    ) as c:
        yield c


@pytest.fixture
def api(client: httpx.Client) -> Api:
    """GraphQL helper bound to the default test client and version."""
    return Api(client)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()
