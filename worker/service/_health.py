"""``newsradar health``: is the service able to work?

Checks, each with a short timeout: the database answers and has the schema; Redis
answers; beat ticked recently (the tick task writes its time to Redis); and the depth
of each queue (informational, or a failure over ``max_queue``). Healthy means every
check passed; the CLI exits 0 or 1 on that.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

import redis
from sqlalchemy import text

from worker.config import Settings, get_settings
from worker.service._redis import key, short_retry
from worker.service._settings import ServiceSettings, get_service_settings

__all__ = ["LAST_TICK_KEY", "QUEUES", "Check", "HealthReport", "check_health", "queue_depths"]

QUEUES = ("poll", "process", "deliver")
LAST_TICK_KEY = key("beat", "last_tick")
# kombu's Redis transport keeps priorities in sibling lists: name, name\x06\x163, ...
_PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    value: Any = None


@dataclass
class HealthReport:
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checks": [asdict(c) for c in self.checks]}


def queue_depths(client: redis.Redis, queues: tuple[str, ...] = QUEUES) -> dict[str, int]:
    pipe = client.pipeline(transaction=False)
    for q in queues:
        for suffix in _PRIORITY_SUFFIXES:
            pipe.llen(q + suffix)
    counts = pipe.execute()
    n = len(_PRIORITY_SUFFIXES)
    return {q: int(sum(counts[i * n : (i + 1) * n])) for i, q in enumerate(queues)}


def _check_database(url: str) -> Check:
    from worker.store import make_engine
    from worker.store.db import has_schema

    engine = make_engine(url, pool_size=1)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        if not has_schema(engine):
            return Check("database", False, "reachable, but no schema: run `newsradar db upgrade`")
        return Check("database", True, "reachable, schema present")
    except Exception as exc:  # noqa: BLE001 - any failure is the answer
        return Check("database", False, f"unreachable: {exc.__class__.__name__}: {str(exc).splitlines()[0][:200]}")
    finally:
        engine.dispose()


def check_health(
    settings: Settings | None = None,
    service: ServiceSettings | None = None,
    *,
    max_queue: int | None = None,
    now: float | None = None,
) -> HealthReport:
    settings = settings or get_settings()
    service = service or get_service_settings()
    report = HealthReport()
    report.checks.append(_check_database(settings.database_url))

    client = redis.Redis.from_url(
        settings.redis_url, socket_timeout=3, socket_connect_timeout=3, decode_responses=True,
        retry=short_retry(),
    )
    try:
        client.ping()
    except redis.RedisError as exc:
        report.checks.append(Check("redis", False, f"unreachable: {exc}"))
        report.checks.append(Check("beat", False, "unknown: Redis unreachable"))
        return report
    report.checks.append(Check("redis", True, "reachable"))

    raw = client.get(LAST_TICK_KEY)
    now = time.time() if now is None else now
    if raw is None:
        report.checks.append(Check(
            "beat", False, "no tick recorded yet: is `newsradar beat` running, and a worker on the poll queue?"
        ))
    else:
        age = max(0.0, now - float(raw))
        limit = service.tick_age_limit
        # the tick is recorded by the worker that runs it: a stale tick means no beat
        # is leading or no worker consumes the poll queue
        report.checks.append(
            Check("beat", age <= limit, f"last tick {age:.0f} s ago (limit {limit:.0f} s)", round(age, 1))
        )

    depths = queue_depths(client)
    for q, depth in depths.items():
        ok = max_queue is None or depth <= max_queue
        limit_note = f" (limit {max_queue})" if max_queue is not None else ""
        report.checks.append(Check(f"queue:{q}", ok, f"{depth} waiting{limit_note}", depth))
    client.close()
    return report
