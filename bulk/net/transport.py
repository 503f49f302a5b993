"""httpx clients that connect only to addresses the NetPolicy allows."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable

import httpcore
import httpx

from bulk.errors import DestinationRefusedError

from .addresses import parse_address
from .policy import NetPolicy

# The host is resolved once, every address it resolves to is checked, and the socket is opened to
# a checked address: there is no second lookup that a rebinding DNS could answer differently.
# This sits in httpcore's network backend, so it covers every new connection of the client
# (TLS still verifies the certificate against the host name). Proxies from the environment are
# ignored, and redirects are not followed.

UrlCheck = Callable[[str], None]
_LIMITS = httpx.Limits(max_connections=20, max_keepalive_connections=10)


def allowed_addresses(policy: NetPolicy, host: str, port: int) -> list[str]:
    """Resolve ``host``; its addresses if every one is allowed, else DestinationRefusedError.

    One disallowed answer refuses the host: a name that also points inside is not trusted.
    """
    literal = parse_address(host)
    if literal is not None:
        policy.check_address(host, str(literal))
        return [str(literal)]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise httpcore.ConnectError(f"could not resolve {host}") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    for address in addresses:
        policy.check_address(host, address)
    return addresses


class _GuardedBackend(httpcore.NetworkBackend):
    """httpcore's sync backend, connecting to checked addresses only."""

    def __init__(self, policy: NetPolicy) -> None:
        self._policy = policy
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        last: Exception | None = None
        for address in allowed_addresses(self._policy, host, port):
            try:
                return self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc  # the next checked address, as socket.create_connection would
        assert last is not None
        raise last

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise DestinationRefusedError("unix sockets are not allowed")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's own transport over a connection pool whose backend enforces ``policy``.

    ``check_url``, when given, vets every request's URL first (e.g. the result URL rules).
    """

    def __init__(
        self,
        policy: NetPolicy,
        *,
        check_url: UrlCheck | None = None,
        limits: httpx.Limits = _LIMITS,
    ) -> None:
        super().__init__(trust_env=False, limits=limits)
        self._check_url = check_url
        # httpx 0.28 has no public knob for the network backend: its pool, with ours.
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_GuardedBackend(policy),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self._check_url is not None:
            self._check_url(str(request.url))
        return super().handle_request(request)


def guarded_client(
    policy: NetPolicy, *, timeout_s: float, check_url: UrlCheck | None = None
) -> httpx.Client:
    """An httpx.Client under ``policy``: no redirects, no proxies from the environment."""
    return httpx.Client(
        transport=GuardedTransport(policy, check_url=check_url),
        timeout=httpx.Timeout(timeout_s),
        follow_redirects=False,
        trust_env=False,
    )
