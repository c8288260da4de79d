"""Politeness per host across every worker, kept in Redis.

``RedisHostGate.host_slot(host)`` is a context manager held around each request to
``host``. It lets a request start only when

- fewer than ``max_concurrent`` requests to the host are in flight (a sorted set of
  leases, so a slot held by a killed worker frees itself when its lease ends),
- at least ``min_delay`` seconds have passed since the last request to it started, and
- the host is not blocked by an earlier ``Retry-After`` (429/503): a ``FetchError``
  with ``retry_after`` that leaves the ``with`` block blocks the host for that long.

Time is Redis' own clock (``TIME``), so machines with skewed clocks agree. A wait
longer than ``max_wait`` raises a transient ``FetchError(code=ErrorCode.RATE_LIMITED)`` (``"rate_limited"``) with
``retry_after``: the row goes back to the database schedule instead of a worker
sleeping. If Redis cannot be reached the gate lets the request through (and logs):
politeness is best effort, losing the article is not.

The embedded runner uses no gate (``pipeline.Context.host_gate`` defaults to a no-op).
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import redis

from worker.errors import ErrorCode, FetchError
from worker.service._redis import key

__all__ = ["RedisHostGate", "wait_at_most"]

log = logging.getLogger(__name__)

# A task may ask the gate to wait less than its max_wait (a page fetch: not at all, in
# effect): the row is then re-enqueued with a short countdown instead of a process
# sleeping while it holds a pool slot.
_WAIT_CAP: ContextVar[float | None] = ContextVar("newsradar_host_wait_cap", default=None)


@contextmanager
def wait_at_most(seconds: float) -> Iterator[None]:
    """Within this block, the host gate waits at most ``seconds`` for a slot."""
    token = _WAIT_CAP.set(seconds)
    try:
        yield
    finally:
        _WAIT_CAP.reset(token)

# KEYS: slots (zset token -> lease end ms), next start (ms), blocked until (ms)
# ARGV: token, max_concurrent, min_delay_ms, lease_ms
# Returns 0 when the slot is taken, else milliseconds to wait before trying again.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local blocked = tonumber(redis.call('GET', KEYS[3]) or '0')
if blocked > now then return blocked - now end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  local until_free = tonumber(first[2]) - now
  if until_free > 50 then until_free = 50 end
  if until_free < 1 then until_free = 1 end
  return until_free
end
local nxt = tonumber(redis.call('GET', KEYS[2]) or '0')
if nxt > now then return nxt - now end
local lease = tonumber(ARGV[4])
redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
redis.call('PEXPIRE', KEYS[1], lease * 2)
local gap = tonumber(ARGV[3])
if gap > 0 then redis.call('SET', KEYS[2], now + gap, 'PX', gap + 1000) end
return 0
"""

# Start times of their own for ``n`` requests to a host: the first at the earliest it could
# start (after the host's next allowed start, its Retry-After block and ARGV[3] ms from
# now), or one min_delay after the last time handed out, whichever is later; the others
# one min_delay apart. Used for a feed's new pages at poll time, and for a request turned
# away for long (its row is re-enqueued with a countdown). Without it every article
# waiting for one host would come back at the same moment, one would win and the rest
# would be re-enqueued again (n^2/2 wasted tasks for n pages of one host).
# KEYS: next start, blocked until, reserved up to; ARGV: n, min_delay_ms, earliest wait ms
# Returns the n waits in milliseconds.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local gap = tonumber(ARGV[2])
local at = now + tonumber(ARGV[3])
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
if nxt > at then at = nxt end
local blocked = tonumber(redis.call('GET', KEYS[2]) or '0')
if blocked > at then at = blocked end
local last = tonumber(redis.call('GET', KEYS[3]) or '0')
if last > 0 and last + gap > at then at = last + gap end
local out = {}
for i = 1, tonumber(ARGV[1]) do
  out[i] = at - now
  if i < tonumber(ARGV[1]) then at = at + gap end
end
redis.call('SET', KEYS[3], at, 'PX', at - now + gap + 1000)
return out
"""

# KEYS: blocked until; ARGV: seconds (ms) to block
_BLOCK = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untl = now + tonumber(ARGV[1])
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if untl > cur then redis.call('SET', KEYS[1], untl, 'PX', tonumber(ARGV[1]) + 1000) end
return untl
"""


class RedisHostGate:
    """Per-host concurrency, spacing and Retry-After, shared by all workers via Redis."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        max_concurrent: int = 2,
        min_delay: float = 1.0,
        max_wait: float = 30.0,
        lease: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.max_concurrent = max(1, int(max_concurrent))
        self.min_delay = max(0.0, float(min_delay))
        self.max_wait = float(max_wait)
        self.lease = max(1.0, float(lease))
        self._sleep = sleep
        self._acquire = client.register_script(_ACQUIRE)
        self._block = client.register_script(_BLOCK)
        self._reserve = client.register_script(_RESERVE)

    @staticmethod
    def _keys(host: str) -> list[str]:
        h = (host or "").lower()
        return [key("host", h, "slots"), key("host", h, "next"), key("host", h, "blocked"),
                key("host", h, "reserved")]

    def acquire(self, host: str) -> str | None:
        """Take a slot for ``host``; returns its token (None if Redis is unreachable)."""
        token = uuid.uuid4().hex
        keys = self._keys(host)
        cap = _WAIT_CAP.get()
        deadline = time.monotonic() + (self.max_wait if cap is None else min(cap, self.max_wait))
        while True:
            try:
                wait_ms = int(
                    self._acquire(
                        keys=keys[:3],
                        args=[token, self.max_concurrent, int(self.min_delay * 1000), int(self.lease * 1000)],
                    )
                )
            except redis.RedisError as exc:
                log.warning("host gate for %s: Redis unavailable, not limiting (%s)", host, exc)
                return None
            if wait_ms <= 0:
                return token
            wait = wait_ms / 1000.0
            remaining = deadline - time.monotonic()
            if wait > remaining:
                if wait > self.min_delay:
                    # a long wait (a Retry-After, every slot busy): join the host's queue
                    wait = (self._reserve_waits(host, 1, wait_ms) or [wait])[0]
                raise FetchError(
                    f"{host}: politeness limit, next request allowed in {wait:.1f} s",
                    code=ErrorCode.RATE_LIMITED,
                    permanent=False,
                    retry_after=wait,
                )
            # a little jitter so that waiting workers do not all retry together
            self._sleep(min(wait + random.uniform(0, 0.02), remaining))

    def _reserve_waits(self, host: str, n: int, earliest_ms: int = 0) -> list[float] | None:
        """``n`` start times of their own at ``host`` (see _RESERVE), in seconds from now;
        None if Redis cannot be reached."""
        keys = self._keys(host)
        try:
            waits = self._reserve(keys=keys[1:], args=[n, int(self.min_delay * 1000), earliest_ms])
        except redis.RedisError as exc:
            log.warning("host gate for %s: could not reserve a start (%s)", host, exc)
            return None
        return [int(w) / 1000.0 for w in waits]

    def reserve_starts(self, host: str, n: int) -> list[float]:
        """Seconds from now at which ``n`` requests to ``host`` may start, one
        ``min_delay`` apart: enqueue a feed's new pages with these countdowns and each
        arrives at its turn instead of being turned away. Zeros when there is no spacing
        to keep or Redis cannot be reached (the gate still decides at fetch time)."""
        if n <= 0:
            return []
        if self.min_delay <= 0:
            return [0.0] * n
        return self._reserve_waits(host, n) or [0.0] * n

    def release(self, host: str, token: str | None) -> None:
        if token is None:
            return
        try:
            self.client.zrem(self._keys(host)[0], token)
        except redis.RedisError as exc:  # the lease ends by itself
            log.warning("host gate for %s: could not release slot (%s)", host, exc)

    def block(self, host: str, seconds: float) -> None:
        """No request to ``host`` starts in the next ``seconds`` (a server's Retry-After)."""
        if seconds <= 0:
            return
        try:
            self._block(keys=[self._keys(host)[2]], args=[int(seconds * 1000)])
        except redis.RedisError as exc:
            log.warning("host gate for %s: could not record Retry-After (%s)", host, exc)

    def blocked_for(self, host: str) -> float:
        """Seconds until ``host`` may be asked again (0 if not blocked)."""
        raw = self.client.get(self._keys(host)[2])
        if not raw:
            return 0.0
        now_s, now_us = self.client.time()
        return max(0.0, (int(raw) - (now_s * 1000 + now_us // 1000)) / 1000.0)

    @contextmanager
    def host_slot(self, host: str) -> Iterator[None]:
        """Hold a slot for one request to ``host`` (usable as ``Context.host_gate``)."""
        token = self.acquire(host)
        try:
            yield
        except FetchError as exc:
            # 429 / 503 with Retry-After: every worker leaves the host alone until then.
            if exc.retry_after and (exc.status_code in (429, 503) or exc.code == ErrorCode.RATE_LIMITED):
                self.block(host, exc.retry_after)
            raise
        finally:
            self.release(host, token)
