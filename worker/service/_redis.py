"""One Redis client per process (redis-py pools are not shared across fork) and the
key names the service keeps in Redis."""

from __future__ import annotations

import os
import threading

import redis
from redis.backoff import ExponentialWithJitterBackoff
from redis.retry import Retry

__all__ = ["key", "redis_client", "reset_clients"]

PREFIX = "newsradar:"

_lock = threading.Lock()
_clients: dict[tuple[int, str], redis.Redis] = {}


def key(*parts: object) -> str:
    return PREFIX + ":".join(str(p) for p in parts)


def redis_client(url: str) -> redis.Redis:
    """A client for ``url`` owned by this process. Short socket timeouts: a Redis that is
    down must fail a call quickly, not hang a task."""
    k = (os.getpid(), url)
    client = _clients.get(k)
    if client is None:
        with _lock:
            client = _clients.get(k)
            if client is None:
                client = redis.Redis.from_url(
                    url,
                    socket_timeout=5,
                    socket_connect_timeout=3,
                    health_check_interval=10,
                    # redis-py's default retries back off for seconds: a task must not
                    # stall that long on a Redis that is restarting.
                    retry=short_retry(),
                    decode_responses=True,
                )
                _clients[k] = client
    return client


def short_retry() -> Retry:
    return Retry(ExponentialWithJitterBackoff(base=0.05, cap=0.5), retries=2)


def reset_clients() -> None:
    """Forget clients made by a parent process (after fork)."""
    with _lock:
        for (pid, _), _client in list(_clients.items()):
            if pid != os.getpid():
                del _clients[(pid, _)]
