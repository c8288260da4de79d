"""Fetch limits and the network policy: which addresses newsradar may connect to.

By default only public unicast addresses are reachable. An address is refused if it is
loopback, private (RFC 1918, fc00::/7), link-local (169.254/16 incl. the cloud metadata
address 169.254.169.254, fe80::/10), multicast, reserved, unspecified, shared
(CGNAT 100.64/10), documentation/benchmark ranges, or an IPv4 address hidden inside
IPv6 (mapped ::ffff:a.b.c.d, 6to4 2002::/16, Teredo, NAT64 64:ff9b::/96) that is itself
non-public. ``NetworkPolicy.allowlist`` lets named hosts or CIDRs through on purpose.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass, field

from worker.allowlist import AllowEntry, parse_allow_entry

__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_POLICY",
    "FetchLimits",
    "NetworkPolicy",
    "Resolver",
    "AllowEntry",
    "address_problem",
    "parse_allow_entry",
    "system_resolver",
]

# Resolver(host, port) -> list of IP address strings. Injectable so tests can map names.
Resolver = Callable[[str, int], list[str]]


@dataclass(frozen=True)
class FetchLimits:
    """Bounds on one fetch. ``max_bytes`` caps both the bytes on the wire and the
    decompressed body; ``total_timeout`` is a wall-clock deadline for the whole fetch,
    redirects included, enforced on every socket read."""

    connect_timeout: float = 10
    read_timeout: float = 20
    total_timeout: float = 60
    max_redirects: int = 5
    max_bytes: int = 10 * 1024 * 1024
    user_agent: str = "newsradar/0.1 (+https://github.com/newsradar/newsradar)"


@dataclass(frozen=True)
class NetworkPolicy:
    """Where fetches may go. ``allowlist`` entries are CIDRs ("127.0.0.1/32") or host
    names ("localhost"), each optionally limited to one port ("127.0.0.1:8080",
    "[::1]:8080", "feeds.internal:8443"); a listed name is allowed whatever it resolves
    to, a listed CIDR allows addresses inside it whatever name led there. An entry
    without a port opens every port of that address: prefer host:port for loopback.
    ``resolver`` replaces DNS (tests, or a deliberate local resolver); by default the
    system resolver is used."""

    allow_private: bool = False
    allowlist: tuple[str, ...] = ()
    schemes: tuple[str, ...] = ("http", "https")
    resolver: Resolver | None = field(default=None, compare=False, repr=False)

    def entries(self) -> list[AllowEntry]:
        out = []
        for item in self.allowlist:
            try:
                out.append(parse_allow_entry(item))
            except ValueError:
                continue  # config validation reports these; an unparsable entry allows nothing
        return out

    def networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        """The CIDRs allowed on every port."""
        return [e.network for e in self.entries() if e.network is not None and e.port is None]

    def names(self) -> frozenset[str]:
        """The host names allowed on every port."""
        return frozenset(e.name for e in self.entries() if e.name is not None and e.port is None)

    def resolve(self, host: str, port: int) -> list[str]:
        return (self.resolver or system_resolver)(host, port)


DEFAULT_LIMITS = FetchLimits()
DEFAULT_POLICY = NetworkPolicy()  # public addresses only, http and https


def system_resolver(host: str, port: int) -> list[str]:
    """All addresses the system resolver gives for ``host`` (TCP), in its order, deduplicated."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        addr = str(sockaddr[0])
        if addr not in seen:
            seen.append(addr)
    return seen


_EXTRA_BLOCKED_V4 = [
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",  # "this network"
        "100.64.0.0/10",  # shared address space (CGNAT)
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",  # documentation
        "198.18.0.0/15",  # benchmarking
        "240.0.0.0/4",  # reserved
        "255.255.255.255/32",
    )
]
_EXTRA_BLOCKED_V6 = [
    ipaddress.ip_network(n)
    for n in ("fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8", "100::/64", "2001:db8::/32")
]
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def address_problem(address: str) -> str | None:
    """Why ``address`` is not a public unicast address, or None if it is."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_v4(ip)
        if embedded is not None:
            inner = address_problem(str(embedded))
            return f"IPv4 {embedded} inside IPv6: {inner}" if inner else None
        for net in _EXTRA_BLOCKED_V6:
            if ip in net:
                return _describe(ip) or f"in non-public range {net}"
    else:
        for net in _EXTRA_BLOCKED_V4:
            if ip in net:
                return _describe(ip) or f"in non-public range {net}"
    described = _describe(ip)
    if described:
        return described
    if not ip.is_global:
        return "not a globally routable address"
    return None


def _describe(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    if ip.is_unspecified:
        return "unspecified address"
    if ip.is_loopback:
        return "loopback address"
    if ip.is_link_local:
        return "link-local address (cloud metadata lives here)"
    if ip.is_multicast:
        return "multicast address"
    if isinstance(ip, ipaddress.IPv4Address) and ip in ipaddress.ip_network("100.64.0.0/10"):
        return "shared (CGNAT) address"
    if ip.is_reserved:
        return "reserved address"
    if ip.is_private:
        return "private address"
    return None


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]  # the client address (obfuscated form already decoded)
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    # IPv4-compatible ::a.b.c.d (deprecated, but some stacks still route it)
    if int(ip) >> 32 == 0 and int(ip) > 1:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def check_address(host: str, address: str, policy: NetworkPolicy,
                  port: int | None = None) -> str | None:
    """None if connecting to ``address`` (resolved from ``host``) on ``port`` is allowed,
    else why not. Allowlist entries limited to a port allow only that port."""
    if policy.allow_private:
        return None
    problem = address_problem(address)
    if problem is None:
        return None
    name = host.rstrip(".").lower()
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        ip = None
    for entry in policy.entries():
        if not entry.allows_port(port):
            continue
        if entry.name is not None and entry.name == name:
            return None
        if entry.network is not None and ip is not None and ip.version == entry.network.version \
                and ip in entry.network:
            return None
    return problem
