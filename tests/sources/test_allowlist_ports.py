"""Allowlist entries can name a port: "127.0.0.1:8080" opens that port and no other.

An address-wide entry ("127.0.0.1/32") opens every port of the address, which on
loopback means every local service; a port-limited entry is the narrow way to let a
local feed through.
"""

from __future__ import annotations

import socket

import pytest

from tests.helpers.httpserver import LocalServer, Route
from tests.sources.conftest import FAST
from worker.config import parse_config
from worker.errors import ConfigError, FetchError
from worker.sources import NetworkPolicy, fetch
from worker.sources._policy import check_address, parse_allow_entry


@pytest.mark.parametrize(
    ("entry", "network", "name", "port"),
    [
        ("127.0.0.1/32", "127.0.0.1/32", None, None),
        ("127.0.0.1:8080", "127.0.0.1/32", None, 8080),
        ("10.0.0.0/8:443", "10.0.0.0/8", None, 443),
        ("[::1]:8080", "::1/128", None, 8080),
        ("::1", "::1/128", None, None),
        ("localhost", None, "localhost", None),
        ("Feeds.Internal.:8443", None, "feeds.internal", 8443),
    ],
)
def test_entries_parse(entry: str, network: str | None, name: str | None, port: int | None) -> None:
    parsed = parse_allow_entry(entry)
    assert (str(parsed.network) if parsed.network else None, parsed.name, parsed.port) == \
        (network, name, port)


@pytest.mark.parametrize(
    ("entry", "reason"),
    [("127.0.0.1:http", "port"), ("localhost:0", "out of range"), ("[::1", "without"),
     ("", "empty"), ("feeds/x", "not a CIDR"), ("http://x/", "must be a number")],
)
def test_bad_entries_say_what_is_wrong(entry: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_allow_entry(entry)


def test_port_entry_opens_only_that_port() -> None:
    policy = NetworkPolicy(allowlist=("127.0.0.1:8080", "localhost:9000"))
    assert check_address("127.0.0.1", "127.0.0.1", policy, 8080) is None
    assert check_address("127.0.0.1", "127.0.0.1", policy, 2375) is not None
    assert check_address("localhost", "127.0.0.1", policy, 9000) is None
    assert check_address("localhost", "127.0.0.1", policy, 8080) is None  # the IP entry
    assert check_address("localhost", "127.0.0.1", policy, 2375) is not None
    # an address-wide entry opens every port
    wide = NetworkPolicy(allowlist=("127.0.0.1/32",))
    assert check_address("127.0.0.1", "127.0.0.1", wide, 2375) is None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_fetch_through_port_entry_and_refusal_elsewhere() -> None:
    with LocalServer() as srv:
        srv.routes["/feed.xml"] = Route(body=b"<rss/>", content_type="application/rss+xml")
        port = srv.port
        ok = fetch(srv.url("/feed.xml"), policy=NetworkPolicy(allowlist=(f"127.0.0.1:{port}",)),
                   limits=FAST)
        assert ok.status_code == 200 and ok.content == b"<rss/>"
        other = NetworkPolicy(allowlist=(f"127.0.0.1:{_free_port()}",))
        with pytest.raises(FetchError) as info:
            fetch(srv.url("/feed.xml"), policy=other, limits=FAST)
        assert info.value.code == "blocked_address"
        assert f"127.0.0.1:{port}" in str(info.value)  # the message names the entry to add


def test_config_names_a_bad_allowlist_entry() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config("network:\n  allowlist: ['127.0.0.1:http']\n", source="c.yaml")
    assert "network.allowlist" in str(info.value) and "127.0.0.1:http" in str(info.value)
