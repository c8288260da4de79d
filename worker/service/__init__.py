"""Service mode: what Celery needs around the pipeline.

- ``RedisHostGate``: per-host politeness across workers (``Context.host_gate``)
- ``RedisLock``, ``QueuedMarks``: a lock with expiry; "already queued" marks
- ``LeaderScheduler``: beat that sends only while it holds the leader lock
  (import it from ``worker.service._beat``; it imports Celery)
- ``check_health``: database, Redis, last tick, queue depths
- ``metrics``, ``setup_worker_metrics``: Prometheus counters served by the worker
- ``ServiceSettings``: NEWSRADAR_VISIBILITY_TIMEOUT, NEWSRADAR_TICK_INTERVAL, ...

The CLI commands (worker, beat, health) are in ``worker.cli.service``.
"""

from worker.service._health import Check, HealthReport, check_health, queue_depths
from worker.service._limiter import RedisHostGate
from worker.service._locks import QueuedMarks, RedisLock
from worker.service._metrics import metrics, record, setup_worker_metrics
from worker.service._redis import key, redis_client
from worker.service._settings import ServiceSettings, TaskLimits, get_service_settings

__all__ = [
    "Check",
    "HealthReport",
    "QueuedMarks",
    "RedisHostGate",
    "RedisLock",
    "ServiceSettings",
    "TaskLimits",
    "check_health",
    "get_service_settings",
    "key",
    "metrics",
    "queue_depths",
    "record",
    "redis_client",
    "setup_worker_metrics",
]
