"""Network allowlist entries: a CIDR or a host name, optionally limited to one port.

Shared by config validation (a bad entry is a config error naming the key) and the
SSRF guard in ``worker.sources`` (which addresses a fetch may reach).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

__all__ = ["AllowEntry", "parse_allow_entry"]


@dataclass(frozen=True)
class AllowEntry:
    """One parsed allowlist entry: a CIDR or a host name, optionally limited to one port."""

    network: ipaddress.IPv4Network | ipaddress.IPv6Network | None
    name: str | None
    port: int | None

    def allows_port(self, port: int | None) -> bool:
        return self.port is None or self.port == port


def parse_allow_entry(item: str) -> AllowEntry:
    """Parse ``"127.0.0.1/32"``, ``"localhost"``, ``"127.0.0.1:8080"``, ``"[::1]:8080"``,
    ``"10.0.0.0/8:443"`` or ``"feeds.internal:8080"``. Raises ValueError with the reason."""
    text = item.strip()
    if not text:
        raise ValueError("empty allowlist entry")
    port: int | None = None
    body = text
    if text.startswith("["):  # [v6] or [v6]:port or [v6/len]:port
        close = text.find("]")
        if close < 0:
            raise ValueError(f"{item!r}: '[' without ']'")
        body, rest = text[1:close], text[close + 1:]
        if rest:
            if not rest.startswith(":") or not rest[1:].isdigit():
                raise ValueError(f"{item!r}: expected ':PORT' after ']'")
            port = int(rest[1:])
    elif text.count(":") == 1:  # host:port or v4[/len]:port (a bare IPv6 has several colons)
        body, _, port_text = text.partition(":")
        if not port_text.isdigit():
            raise ValueError(f"{item!r}: the port after ':' must be a number")
        port = int(port_text)
    if port is not None and not 0 < port < 65536:
        raise ValueError(f"{item!r}: port {port} is out of range 1-65535")
    try:
        return AllowEntry(ipaddress.ip_network(body, strict=False), None, port)
    except ValueError:
        pass
    name = body.rstrip(".").lower()
    if not name or any(c in name for c in "/ @?#"):
        raise ValueError(f"{item!r}: not a CIDR, an IP address or a host name")
    return AllowEntry(None, name, port)
