"""The outbound network policy: which admin and result URLs, and which addresses, are allowed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple
from urllib.parse import urlsplit

from bulk.errors import DestinationRefusedError

from .addresses import address_refusal, parse_address

# Production: the Admin API is https on the shop's own domain or an allow-listed host; result
# files are https on Shopify's storage hosts; every address must be public. Development also
# allows loopback (the simulator) and, at private addresses, the host names it is given
# (``DEV_PRIVATE_HOSTS``: the simulator's container); nothing else private. Pure rules: no I/O.

# Where Shopify's signed result and partialData URLs point: Google Cloud Storage.
SHOPIFY_RESULT_HOSTS = ("storage.googleapis.com",)

_LOOPBACK_NAMES = frozenset({"localhost"})


class _Target(NamedTuple):
    scheme: str
    host: str


def _host(name: str) -> str:
    return name.strip().lower().rstrip(".")


def _hosts(names: frozenset[str]) -> frozenset[str]:
    return frozenset(_host(name) for name in names if name.strip())


def _target(url: str, what: str) -> _Target:
    """Scheme and normalised host; messages never quote the URL (its query may be a secret)."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        has_userinfo = parts.username is not None or parts.password is not None
    except ValueError:
        raise DestinationRefusedError(f"the {what} is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not host:
        raise DestinationRefusedError(f"the {what} must be an http(s) URL with a host")
    if has_userinfo:
        raise DestinationRefusedError(f"the {what} must not carry credentials")
    return _Target(parts.scheme, _host(host))


def _is_loopback_host(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    ip = parse_address(host)
    return ip is not None and address_refusal(ip, allow_loopback=False) == "a loopback address"


def _listing(hosts: frozenset[str]) -> str:
    return ", ".join(sorted(hosts)) or "none configured"


@dataclass(frozen=True)
class NetPolicy:
    """Where shopsync may send requests. The default is production's, with Shopify's hosts."""

    development: bool = False
    # connectShop's adminUrl hosts besides the shop's own domain (https only).
    admin_url_hosts: frozenset[str] = frozenset()
    # Hosts of signed result / partialData URLs (https only).
    result_url_hosts: frozenset[str] = field(default=frozenset(SHOPIFY_RESULT_HOSTS))
    # Development only: names allowed like loopback, and at private addresses.
    dev_private_hosts: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "admin_url_hosts", _hosts(self.admin_url_hosts))
        object.__setattr__(self, "result_url_hosts", _hosts(self.result_url_hosts))
        private = _hosts(self.dev_private_hosts) if self.development else frozenset()
        object.__setattr__(self, "dev_private_hosts", private)

    def _loopback_allowed(self, target: _Target) -> bool:
        return self.development and (
            _is_loopback_host(target.host) or target.host in self.dev_private_hosts
        )

    def check_admin_url(self, url: str, *, shop_domain: str) -> None:
        """Raise DestinationRefusedError unless ``url`` may serve the shop's Admin API."""
        target = _target(url, "adminUrl")
        if self._loopback_allowed(target):
            return
        allowed = self.admin_url_hosts | {_host(shop_domain)}
        if target.host not in allowed:
            extra = " or a loopback address (development)" if self.development else ""
            raise DestinationRefusedError(
                f"adminUrl host {target.host} is not allowed: use the shop's own domain, a host "
                f"in ADMIN_URL_HOSTS ({_listing(self.admin_url_hosts)}){extra}"
            )
        if target.scheme != "https":
            raise DestinationRefusedError(f"adminUrl must use https for {target.host}")

    def check_result_url(self, url: str) -> None:
        """Raise DestinationRefusedError unless a result file may be fetched from ``url``."""
        target = _target(url, "result URL")
        if self._loopback_allowed(target):
            return
        if target.host not in self.result_url_hosts:
            raise DestinationRefusedError(
                f"result URL host {target.host} is not one of RESULT_URL_HOSTS "
                f"({_listing(self.result_url_hosts)})"
            )
        if target.scheme != "https":
            raise DestinationRefusedError(f"result URLs must use https (got http on {target.host})")

    def check_address(self, host: str, address: str) -> None:
        """Raise DestinationRefusedError unless ``host``'s resolved ``address`` may be reached."""
        ip = parse_address(address)
        if ip is None:
            raise DestinationRefusedError(f"{host} did not resolve to an IP address")
        reason = address_refusal(ip, allow_loopback=self.development)
        if reason is None:
            return
        if reason == "a private address" and _host(host) in self.dev_private_hosts:
            return  # development: a host named in DEV_PRIVATE_HOSTS (the simulator container)
        if parse_address(host) == ip:
            raise DestinationRefusedError(f"{host} is {reason}")
        raise DestinationRefusedError(f"{host} resolves to {ip}, {reason}")


# The strictest policy: production's, with the default hosts. What a caller gets by default.
STRICT = NetPolicy()
