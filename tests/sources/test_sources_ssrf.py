"""No reach inside: every non-public address class is refused, on the address actually
connected to, on every redirect hop; the allowlist opens exactly what it names.

Names like ``public.test`` cannot be resolved here (no DNS to the internet), so tests
inject a resolver through ``NetworkPolicy(resolver=...)``. The local server listens on
127.0.0.1 only.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable

import pytest

from tests.helpers.httpserver import LocalServer, Route
from tests.sources.conftest import FAST
from worker.errors import FetchError
from worker.sources import FetchLimits, NetworkPolicy, address_problem, fetch, make_client

NON_PUBLIC = {
    "127.0.0.1": "loopback", "127.8.9.10": "loopback", "::1": "loopback",
    "10.1.2.3": "private", "172.16.0.1": "private", "192.168.1.1": "private",
    "fc00::1": "private", "fd12:3456::1": "private",
    "169.254.169.254": "link-local", "169.254.1.1": "link-local", "fe80::1": "link-local",
    "224.0.0.1": "multicast", "239.255.255.250": "multicast", "ff02::1": "multicast",
    "0.0.0.0": "unspecified", "::": "unspecified",
    "100.64.0.1": "shared", "100.127.255.254": "shared",
    "240.0.0.1": "reserved", "255.255.255.255": "",
    "192.0.2.10": "", "198.51.100.1": "", "203.0.113.9": "", "198.18.0.1": "", "2001:db8::1": "",
    "::ffff:127.0.0.1": "loopback", "::ffff:169.254.169.254": "link-local",
    "::ffff:10.0.0.1": "private", "64:ff9b::a9fe:a9fe": "link-local",
    "2002:7f00:1::1": "loopback", "::127.0.0.1": "loopback",
}
PUBLIC = ["8.8.8.8", "1.1.1.1", "93.184.216.34", "2606:4700:4700::1111", "::ffff:8.8.8.8",
          "2a00:1450:4001:81c::200e"]


def resolver(table: dict[str, list[str]]) -> Callable[[str, int], list[str]]:
    def resolve(host: str, port: int) -> list[str]:
        if host in table:
            return list(table[host])
        raise OSError(f"test resolver: unknown host {host}")

    return resolve


@pytest.mark.parametrize(("address", "kind"), sorted(NON_PUBLIC.items()))
def test_non_public_address_classes(address: str, kind: str) -> None:
    problem = address_problem(address)
    assert problem is not None and kind in problem


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses(address: str) -> None:
    assert address_problem(address) is None


@pytest.mark.parametrize("address", sorted(NON_PUBLIC))
def test_fetch_refuses_names_resolving_to_each_class(address: str) -> None:
    policy = NetworkPolicy(resolver=resolver({"evil.test": [address]}))
    with pytest.raises(FetchError) as info:
        fetch("http://evil.test/feed", policy=policy, limits=FAST)
    err = info.value
    assert err.code == "blocked_address" and err.permanent
    assert "http://evil.test/feed" in str(err) and address in str(err)


def test_every_resolved_address_is_checked(server: LocalServer) -> None:
    server.route("/feed", Route(body=b"secret"))
    # The first address is public, the second is the local server: refuse the name outright.
    policy = NetworkPolicy(resolver=resolver({"mixed.test": ["93.184.216.34", "127.0.0.1"]}))
    with pytest.raises(FetchError) as info:
        fetch(f"http://mixed.test:{server.port}/feed", policy=policy, limits=FAST)
    assert info.value.code == "blocked_address" and server.requests == []


@pytest.mark.parametrize("host", ["127.0.0.1", "[::1]", "localhost", "2130706433", "0x7f000001",
                                  "127.1", "017700000001", "[::ffff:127.0.0.1]", "0.0.0.0"])
def test_literal_and_local_spellings_of_loopback(server: LocalServer, host: str) -> None:
    # The system resolver answers these from numbers and /etc/hosts, without DNS traffic.
    server.route("/feed", Route(body=b"secret"))
    with pytest.raises(FetchError) as info:
        fetch(f"http://{host}:{server.port}/feed", limits=FAST)
    assert info.value.code == "blocked_address"
    assert server.requests == []


def test_redirect_from_public_name_to_loopback_is_refused(server: LocalServer) -> None:
    # "public.test" stands for a public site: the allowlist lets that NAME through (it is
    # served by the local server at 127.0.0.1). It redirects to http://127.0.0.1/... which
    # must be refused because the address 127.0.0.1 itself is not allowlisted: the check
    # runs again on the redirect hop, on the address actually connected to.
    secret = server.route("/admin", Route(body=b"internal"))
    server.route("/start", Route.redirect(secret))
    policy = NetworkPolicy(allowlist=("public.test",),
                           resolver=resolver({"public.test": ["127.0.0.1"]}))
    start = f"http://public.test:{server.port}/start"
    with pytest.raises(FetchError) as info:
        fetch(start, policy=policy, limits=FAST)
    err = info.value
    assert err.code == "blocked_address" and start in str(err) and "redirected to" in str(err)
    assert [r.path for r in server.requests] == ["/start"], "the internal URL was never requested"


def test_redirect_to_metadata_address_is_refused(server: LocalServer) -> None:
    server.route("/start", Route.redirect("http://169.254.169.254/latest/meta-data/"))
    policy = NetworkPolicy(allowlist=("127.0.0.1/32",))
    with pytest.raises(FetchError) as info:
        fetch(server.url("/start"), policy=policy, limits=FAST)
    assert info.value.code == "blocked_address" and "169.254.169.254" in str(info.value)


def test_allowlist_by_cidr_by_name_and_allow_private(server: LocalServer) -> None:
    url = server.route("/feed", Route(body=b"ok"))
    assert fetch(url, policy=NetworkPolicy(allowlist=("127.0.0.0/8",)), limits=FAST).content == b"ok"
    assert fetch(url, policy=NetworkPolicy(allow_private=True), limits=FAST).content == b"ok"
    by_name = NetworkPolicy(allowlist=("localhost",))
    assert fetch(f"http://localhost:{server.port}/feed", policy=by_name, limits=FAST).content == b"ok"
    # The name is allowed, not the address: the same server by IP is still refused.
    with pytest.raises(FetchError) as info:
        fetch(url, policy=by_name, limits=FAST)
    assert info.value.code == "blocked_address"
    # A CIDR that does not cover the address does not help.
    with pytest.raises(FetchError):
        fetch(url, policy=NetworkPolicy(allowlist=("10.0.0.0/8",)), limits=FAST)


def test_connects_to_the_vetted_address_and_keeps_the_host_header(server: LocalServer) -> None:
    # DNS rebinding: the name answers an allowed address first and an internal one after.
    # The guard resolves once and connects to the address it checked.
    answers = [["127.0.0.1"], ["10.0.0.5"], ["10.0.0.5"]]
    calls: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        calls.append(host)
        return answers[min(len(calls) - 1, len(answers) - 1)]

    server.route("/feed", Route(body=b"ok"))
    policy = NetworkPolicy(allowlist=("127.0.0.1/32",), resolver=rebinding)
    url = f"http://rebind.test:{server.port}/feed"
    assert fetch(url, policy=policy, limits=FAST).content == b"ok"
    assert calls == ["rebind.test"]
    assert server.requests[0].headers["host"] == f"rebind.test:{server.port}"
    with pytest.raises(FetchError) as info:  # next connection: the name now points inside
        fetch(url, policy=policy, limits=FAST)
    assert info.value.code == "blocked_address" and "10.0.0.5" in str(info.value)


def test_tls_verifies_the_host_name_not_the_address() -> None:
    with LocalServer(https=True) as srv:
        srv.route("/feed", Route(body=b"ok"))
        trust = ssl.create_default_context(cafile=srv.cert_path)
        policy = NetworkPolicy(allowlist=("127.0.0.1/32",),
                               resolver=resolver({"localhost": ["127.0.0.1"],
                                                  "public.test": ["127.0.0.1"]}))
        with make_client(FAST, policy, verify=trust) as client:
            # The certificate names "localhost": SNI and verification use the URL's name.
            ok = fetch(f"https://localhost:{srv.port}/feed", policy=policy, limits=FAST,
                       client=client)
            assert ok.content == b"ok"
            with pytest.raises(FetchError) as info:
                fetch(f"https://public.test:{srv.port}/feed", policy=policy, limits=FAST,
                      client=client)
            assert info.value.code == "tls"


def test_unresolvable_name_is_a_network_error() -> None:
    policy = NetworkPolicy(resolver=resolver({}))
    with pytest.raises(FetchError) as info:
        fetch("http://nowhere.test/feed", policy=policy, limits=FAST)
    assert info.value.code == "network" and "nowhere.test" in str(info.value)


def test_only_http_and_https() -> None:
    for url in ("ftp://example.com/x", "file:///etc/passwd", "data:text/plain,hi",
                "javascript:alert(1)", "unix:///var/run/docker.sock"):
        with pytest.raises(FetchError) as info:
            fetch(url, limits=FAST)
        assert info.value.code in ("bad_scheme", "bad_url")


def test_unicode_host_names_are_resolved_in_idna_form(server: LocalServer) -> None:
    server.route("/feed", Route(body=b"ok"))
    policy = NetworkPolicy(allowlist=("127.0.0.1/32",),
                           resolver=resolver({"xn--bcher-kva.test": ["127.0.0.1"]}))
    result = fetch(f"http://bücher.test:{server.port}/feed", policy=policy, limits=FAST)
    assert result.content == b"ok"
    assert server.requests[0].headers["host"] == f"xn--bcher-kva.test:{server.port}"


def test_slow_name_resolution_is_bounded_by_the_deadline() -> None:
    import threading

    release = threading.Event()

    def stuck(host: str, port: int) -> list[str]:
        release.wait(10)  # a DNS server that does not answer
        return ["93.184.216.34"]

    policy = NetworkPolicy(resolver=stuck)
    try:
        with pytest.raises(FetchError) as info:
            fetch("http://slow-dns.test/feed", policy=policy,
                  limits=FetchLimits(connect_timeout=0.3, total_timeout=5))
        assert info.value.code == "timeout" and "slow-dns.test" in str(info.value)
    finally:
        release.set()


def test_resolution_works_in_a_forked_child() -> None:
    import os

    from worker.sources._guard import _resolver_pool

    _resolver_pool().submit(lambda: None).result()  # the parent has a live pool
    pid = os.fork()
    if pid == 0:  # child: resolve through a fresh pool, report by exit status
        try:
            policy = NetworkPolicy(resolver=resolver({"evil.test": ["10.0.0.1"]}))
            try:
                fetch("http://evil.test/", policy=policy, limits=FAST)
            except FetchError as exc:
                os._exit(0 if exc.code == "blocked_address" else 1)
            os._exit(2)
        except BaseException:  # noqa: BLE001 - a forked child must never return into pytest
            os._exit(3)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
