"""Small Redis coordination primitives: a lock with expiry and "already queued" marks.

``RedisLock`` is SET NX PX with a random token; release and renewal only touch the lock
if it still holds our token, so a holder that stalled past its expiry never frees a lock
someone else now holds.

``QueuedMarks`` keep the tick from flooding the queues: a row id is enqueued only if
no mark says it is already queued. The mark expires by itself (a lost message costs a
delay, never the row), and the task removes it when it is done. Duplicates are still
harmless: the row claims in the database decide who works on a row.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import redis

from worker.service._redis import key

__all__ = ["QueuedMarks", "RedisLock"]

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
_EXTEND = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""


class RedisLock:
    def __init__(self, client: redis.Redis, name: str, ttl: float, token: str | None = None) -> None:
        self.client = client
        self.name = name
        self.ttl_ms = max(1, int(ttl * 1000))
        self.token = token or uuid.uuid4().hex
        self._release = client.register_script(_RELEASE)
        self._extend = client.register_script(_EXTEND)

    def acquire(self) -> bool:
        return bool(self.client.set(self.name, self.token, nx=True, px=self.ttl_ms))

    def acquire_or_renew(self) -> bool:
        """Hold the lock: take it if free, extend it if ours; False if someone else has it."""
        if self.acquire():
            return True
        return bool(self._extend(keys=[self.name], args=[self.token, self.ttl_ms]))

    def release(self) -> bool:
        return bool(self._release(keys=[self.name], args=[self.token]))

    def holder(self) -> str | None:
        value = self.client.get(self.name)
        return None if value is None else str(value)


class QueuedMarks:
    """``newsradar:queued:<kind>:<id>`` marks with a TTL."""

    def __init__(self, client: redis.Redis, ttl: float) -> None:
        self.client = client
        self.ttl_ms = max(1, int(ttl * 1000))

    @staticmethod
    def name(kind: str, row_id: int) -> str:
        return key("queued", kind, row_id)

    def claim(self, kind: str, ids: Iterable[int]) -> list[int]:
        """Mark ``ids`` as queued; return those that were not marked already."""
        ids = list(ids)
        if not ids:
            return []
        pipe = self.client.pipeline(transaction=False)
        for row_id in ids:
            pipe.set(self.name(kind, row_id), "1", nx=True, px=self.ttl_ms)
        return [row_id for row_id, ok in zip(ids, pipe.execute()) if ok]

    def shorten(self, held: dict[str, list[int]]) -> None:
        """Set the marks of rows a worker holds to expire ``ttl`` from now (the lease
        keeper's renewal); a mark already gone stays gone."""
        pipe = self.client.pipeline(transaction=False)
        for kind, ids in held.items():
            for row_id in ids:
                pipe.pexpire(self.name(kind, row_id), self.ttl_ms)
        pipe.execute()

    def clear(self, kind: str, row_id: int) -> None:
        self.client.delete(self.name(kind, row_id))
