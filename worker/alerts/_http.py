"""The HTTP client for webhooks: the single place where the network guard plugs in.

``worker.sources`` provides the SSRF-guarded transport (resolve once, vet every
address, connect to the vetted address). Webhook URLs go through it with the config's
``network`` policy, so a webhook pointed at 169.254.169.254 or an internal host is
refused unless ``network.allow_private`` or ``network.allowlist`` says otherwise.
"""

from __future__ import annotations

import httpx

__all__ = ["webhook_client"]


def webhook_client(network: object | None, *, timeout: float) -> httpx.Client:
    """A client that never follows redirects, ignores proxy environment variables and
    connects only where ``network`` (a ``worker.sources.NetworkPolicy``) allows."""
    from worker.sources import FetchLimits, NetworkPolicy, make_client

    policy = network if isinstance(network, NetworkPolicy) else NetworkPolicy()
    limits = FetchLimits(connect_timeout=timeout, read_timeout=timeout, total_timeout=timeout * 2)
    client = make_client(limits, policy)
    client.follow_redirects = False
    return client
