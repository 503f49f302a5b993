"""The outbound network policy: URL rules, address rules after DNS, and the guarded transport.

No test here sends traffic to a non-loopback address: refusals of private and link-local
addresses are checked on the resolution step, which never connects.
"""

from __future__ import annotations

import pytest

from bulk.download import open_result
from bulk.errors import DestinationRefusedError, ResultUrlRefusedError
from bulk.net import NetPolicy, allowed_addresses, guarded_client
from tests.support.capture_server import CaptureServer

PRODUCTION = NetPolicy()
DEVELOPMENT = NetPolicy(development=True)
SIGNED = "?GoogleAccessId=x&Expires=9999999999&Signature=SECRET-SIGNATURE"

REFUSED_ADDRESSES = [
    "127.0.0.1",
    "127.8.9.10",
    "::1",
    "0.0.0.0",
    "::",
    "169.254.169.254",
    "fe80::1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "100.64.0.1",  # carrier-grade NAT
    "fc00::1",
    "224.0.0.1",
    "ff02::1",
    "240.0.0.1",
    "255.255.255.255",
    "::ffff:127.0.0.1",  # IPv4-mapped loopback
    "::ffff:169.254.169.254",
    "::ffff:10.0.0.1",
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "192.0.2.1",  # documentation
]


@pytest.mark.parametrize("address", REFUSED_ADDRESSES)
def test_production_refuses_every_non_public_address(address: str) -> None:
    with pytest.raises(DestinationRefusedError):
        PRODUCTION.check_address("storage.googleapis.com", address)


@pytest.mark.parametrize("address", ["142.250.74.123", "2607:f8b0:4004:c1b::cf", "23.227.38.65"])
def test_production_accepts_public_addresses(address: str) -> None:
    PRODUCTION.check_address("storage.googleapis.com", address)


@pytest.mark.parametrize("address", ["127.0.0.1", "::1", "::ffff:127.0.0.1"])
def test_development_accepts_loopback(address: str) -> None:
    DEVELOPMENT.check_address("localhost", address)


@pytest.mark.parametrize(
    "address", ["10.1.2.3", "169.254.169.254", "192.168.1.1", "0.0.0.0", "::ffff:10.0.0.1"]
)
def test_development_refuses_other_private_addresses(address: str) -> None:
    with pytest.raises(DestinationRefusedError):
        DEVELOPMENT.check_address("simulator", address)


@pytest.mark.parametrize(
    "host",
    ["localhost", "127.0.0.1", "::1", "0.0.0.0", "169.254.169.254", "10.0.0.1", "::ffff:127.0.0.1"],
)
def test_resolution_refuses_hosts_that_resolve_to_internal_addresses(host: str) -> None:
    # Resolving never connects: safe for the non-loopback cases too.
    with pytest.raises(DestinationRefusedError) as refused:
        allowed_addresses(PRODUCTION, host, 443)
    assert host.strip("[]") in str(refused.value)


def test_resolution_in_development_keeps_only_checked_loopback_addresses() -> None:
    addresses = allowed_addresses(DEVELOPMENT, "localhost", 8787)
    assert addresses and set(addresses) <= {"127.0.0.1", "::1"}


def test_result_urls_need_https_and_an_allowed_host_in_production() -> None:
    PRODUCTION.check_result_url(
        "https://storage.googleapis.com/shopify-tiers-assets-prod-us-east1/x-final" + SIGNED
    )
    PRODUCTION.check_result_url("https://STORAGE.googleapis.com./bucket/key" + SIGNED)
    refused = [
        "http://storage.googleapis.com/bucket/key",
        "https://evil.example/bucket/key",
        "https://storage.googleapis.com.evil.example/key",
        "https://user:pw@storage.googleapis.com/key",
        "http://127.0.0.1:8787/_sim/files/k",
        "https://localhost/k",
        "ftp://storage.googleapis.com/key",
    ]
    for url in refused:
        with pytest.raises(DestinationRefusedError) as exc:
            PRODUCTION.check_result_url(url + SIGNED)
        assert "SECRET" not in str(exc.value) and "Signature" not in str(exc.value), url


def test_result_hosts_are_configurable() -> None:
    policy = NetPolicy(result_url_hosts=frozenset({"files.example.net"}))
    policy.check_result_url("https://files.example.net/k" + SIGNED)
    with pytest.raises(DestinationRefusedError):
        policy.check_result_url("https://storage.googleapis.com/k" + SIGNED)


def test_development_allows_the_simulators_loopback_urls_only() -> None:
    for url in ["http://127.0.0.1:8787/_sim/files/k", "http://localhost:1/k", "http://[::1]:2/k"]:
        DEVELOPMENT.check_result_url(url + SIGNED)
    DEVELOPMENT.check_result_url("https://storage.googleapis.com/k" + SIGNED)
    for url in ["http://10.0.0.1/k", "http://169.254.169.254/k", "http://simulator:8787/k"]:
        with pytest.raises(DestinationRefusedError):
            DEVELOPMENT.check_result_url(url + SIGNED)


def test_admin_urls_in_production_are_the_shop_or_allow_listed_https_hosts() -> None:
    shop = "demo.myshopify.com"
    PRODUCTION.check_admin_url("https://demo.myshopify.com", shop_domain=shop)
    for url in [
        "http://demo.myshopify.com",
        "https://other.myshopify.com",
        "https://127.0.0.1:8787",
        "http://localhost:8787",
        "https://proxy.example.com",
    ]:
        with pytest.raises(DestinationRefusedError):
            PRODUCTION.check_admin_url(url, shop_domain=shop)
    allowing = NetPolicy(admin_url_hosts=frozenset({"proxy.example.com"}))
    allowing.check_admin_url("https://proxy.example.com/base", shop_domain=shop)
    with pytest.raises(DestinationRefusedError):
        allowing.check_admin_url("http://proxy.example.com", shop_domain=shop)


def test_admin_urls_in_development_may_also_be_loopback() -> None:
    shop = "demo.myshopify.com"
    for url in ["http://127.0.0.1:8787", "http://localhost:9", "https://[::1]:8443"]:
        DEVELOPMENT.check_admin_url(url, shop_domain=shop)
    for url in ["http://10.0.0.5:8787", "http://169.254.169.254", "https://evil.example"]:
        with pytest.raises(DestinationRefusedError):
            DEVELOPMENT.check_admin_url(url, shop_domain=shop)


def test_the_guarded_client_never_connects_to_a_refused_address() -> None:
    # An allow-listed https host that resolves to loopback: refused at connect time, unsent.
    policy = NetPolicy(result_url_hosts=frozenset({"localhost"}))
    with CaptureServer() as capture, guarded_client(policy, timeout_s=5.0) as client:
        for host in ["localhost", "127.0.0.1"]:
            with pytest.raises(DestinationRefusedError):
                client.get(capture.url("https", host, "/file" + SIGNED))
        with pytest.raises(DestinationRefusedError):
            client.get(capture.url("http", "127.0.0.1", "/file" + SIGNED))
    assert capture.connections == 0


def test_the_guarded_client_checks_urls_for_results_when_asked() -> None:
    with (
        CaptureServer() as capture,
        guarded_client(DEVELOPMENT, timeout_s=5.0, check_url=PRODUCTION.check_result_url) as c,
        pytest.raises(DestinationRefusedError),
    ):
        c.get(capture.url("http", "127.0.0.1", "/file" + SIGNED))
    assert capture.connections == 0


def test_the_guarded_client_reaches_loopback_in_development_and_follows_no_redirect() -> None:
    with CaptureServer() as target:
        redirect = (
            b"HTTP/1.1 302 Found\r\nLocation: " + target.url(path="/next").encode() + b"\r\n"
            b"Content-Length: 0\r\nConnection: close\r\n\r\n"
        )
        with CaptureServer(redirect) as first, guarded_client(DEVELOPMENT, timeout_s=5.0) as c:
            response = c.get(first.url(path="/file"))
        assert response.status_code == 302
        assert first.connections == 1
    assert target.connections == 0


def test_refusal_messages_never_carry_the_query() -> None:
    policy = NetPolicy(result_url_hosts=frozenset({"localhost"}))
    with (
        guarded_client(policy, timeout_s=5.0) as client,
        pytest.raises(DestinationRefusedError) as refused,
    ):
        client.get("https://localhost:1/file" + SIGNED)
    assert "SECRET" not in str(refused.value)
    assert "localhost" in str(refused.value)


def test_open_result_refuses_before_it_looks_at_the_expiry() -> None:
    expired = "http://127.0.0.1:1/_sim/files/k?Expires=1&Signature=SECRET-SIGNATURE"
    with pytest.raises(ResultUrlRefusedError) as refused, open_result(expired, policy=PRODUCTION):
        pass
    assert "SECRET" not in str(refused.value) and "127.0.0.1" in str(refused.value)


def test_dev_private_hosts_reach_the_simulator_container_in_development_only() -> None:
    named = frozenset({"simulator"})
    dev = NetPolicy(development=True, dev_private_hosts=named)
    dev.check_result_url("http://simulator:8787/_sim/files/k" + SIGNED)
    dev.check_admin_url("http://simulator:8787", shop_domain="demo.myshopify.com")
    dev.check_address("simulator", "172.18.0.5")  # the container's private address
    for address in ("169.254.169.254", "0.0.0.0", "224.0.0.1"):
        with pytest.raises(DestinationRefusedError):
            dev.check_address("simulator", address)
    with pytest.raises(DestinationRefusedError):
        dev.check_address("other", "172.18.0.5")  # only the named host
    # Production ignores the setting.
    prod = NetPolicy(development=False, dev_private_hosts=named)
    with pytest.raises(DestinationRefusedError):
        prod.check_result_url("http://simulator:8787/_sim/files/k" + SIGNED)
    with pytest.raises(DestinationRefusedError):
        prod.check_address("simulator", "172.18.0.5")
