"""Beat with a leader: only the beat holding a Redis lock sends the tick.

Two beats started by mistake (or one per machine for failover) are safe: the others
wait, renewing nothing, and take over within one lease after the leader stops. The
tick task takes its own short lock as well, so even a tick sent twice acts once.
"""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

import redis
from celery.beat import Scheduler

from worker.config import get_settings
from worker.service._locks import RedisLock
from worker.service._redis import key, redis_client
from worker.service._settings import get_service_settings

__all__ = ["LEADER_KEY", "LeaderScheduler"]

log = logging.getLogger(__name__)

LEADER_KEY = key("beat", "leader")


class LeaderScheduler(Scheduler):
    """An in-memory beat scheduler that sends only while it holds the leader lock.

    In memory on purpose: the only entry is the tick, and what is due lives in the
    database, so there is no schedule file to keep (the container runs read-only)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        svc = get_service_settings()
        self._lock = RedisLock(
            redis_client(get_settings().redis_url),
            LEADER_KEY,
            ttl=svc.leader_ttl,
            token=f"{socket.gethostname()}:{os.getpid()}",
        )
        self._wait = max(0.5, svc.leader_ttl / 3)
        self._leading = False
        super().__init__(*args, **kwargs)

    def _is_leader(self) -> bool:
        try:
            leading = self._lock.acquire_or_renew()
        except redis.RedisError as exc:
            log.warning("beat: Redis unavailable, not sending (%s)", exc)
            leading = False
        if leading != self._leading:
            log.info("beat: %s", "leading: sending ticks" if leading else "standing by: another beat leads")
            self._leading = leading
        return leading

    def tick(self, *args: Any, **kwargs: Any) -> float:
        if not self._is_leader():
            return self._wait
        return min(super().tick(*args, **kwargs), self._wait)

    def close(self) -> None:
        try:
            if self._leading:
                self._lock.release()
        except redis.RedisError:
            pass
        super().close()
