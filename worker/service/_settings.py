"""Service settings: the knobs of the Celery service, from ``NEWSRADAR_*`` variables.

They sit beside ``worker.config.Settings`` (database, Redis, config path) rather than in
it because only the service needs them. Every time limit is kept below the broker's
visibility timeout: a task that outlives it is delivered again (see DESIGN.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from worker.config import environment_key

__all__ = ["ServiceSettings", "TaskLimits", "get_service_settings"]


@dataclass(frozen=True)
class TaskLimits:
    """Soft and hard time limits (seconds) of one task."""

    soft: float
    hard: float


class ServiceSettings(BaseSettings):
    """``NEWSRADAR_VISIBILITY_TIMEOUT``, ``NEWSRADAR_TICK_INTERVAL``, ... (see docs/service.md)."""

    model_config = SettingsConfigDict(env_prefix="NEWSRADAR_", extra="ignore")

    # Seconds before Redis hands an unacknowledged message to another worker. A whole
    # worker killed with SIGKILL gets its tasks back after this long.
    visibility_timeout: float = Field(300.0, gt=0)
    # How often beat sends the tick that enqueues due feeds, articles and deliveries. It
    # also bounds recovery: work whose lease expired is enqueued by the next tick.
    tick_interval: float = Field(5.0, gt=0)
    # Politeness per host, across every worker: concurrent requests and the minimum gap
    # between the starts of two requests.
    host_concurrency: int = Field(2, ge=1)
    host_min_delay: float = Field(1.0, ge=0)
    # A task does not wait longer than this for a host slot: it gives the slot back to
    # the schedule (the row is retried from the database) instead of holding a worker.
    host_max_wait: float = Field(30.0, gt=0)
    # A page fetch waits at most this for a host slot; then its article is re-enqueued
    # with a countdown (the time until the host's next slot), so politeness never holds a
    # process slot (a sleeping prefork process did 0.87 articles/s from one host).
    page_max_wait: float = Field(0.1, ge=0)
    # Hard time limits (s); soft limits are 80 % of them.
    poll_time_limit: float = Field(90.0, gt=0)
    process_time_limit: float = Field(120.0, gt=0)
    deliver_time_limit: float = Field(60.0, gt=0)
    tick_time_limit: float = Field(60.0, gt=0)
    # The longest countdown a task may set on Redis; anything longer waits in the database.
    max_countdown: float | None = None
    # How long "already queued" marks live (default: the visibility timeout).
    enqueue_ttl: float | None = None
    # Rows enqueued per sweep and per kind.
    sweep_limit: int = Field(500, ge=1)
    # Beat leadership lease (default: 3 ticks).
    beat_lock_ttl: float | None = None
    # `newsradar health` fails when the last tick is older than this (default: 6 ticks, >= 60 s).
    max_tick_age: float | None = None
    # How long a row claim (feed, article, delivery) and its "queued" mark outlive the
    # worker holding them: the worker's lease keeper renews both every lease / 4 s while
    # the task is held (running, or waiting for its countdown), so a slow but alive
    # worker keeps them; a SIGKILLed one loses them this long after its last renewal,
    # and the next tick enqueues the work again (worker/service/_leases.py).
    claim_lease: float = Field(8.0, ge=1.0)
    # Database connections per worker process (prefork children each have their own pool).
    db_pool_size: int = Field(2, ge=1)

    @model_validator(mode="after")
    def _fit_under_visibility(self) -> ServiceSettings:
        # A hard limit at or over the visibility timeout means a long task is run twice.
        ceiling = self.visibility_timeout * 0.5
        for name in ("poll_time_limit", "process_time_limit", "deliver_time_limit", "tick_time_limit"):
            if getattr(self, name) > ceiling:
                object.__setattr__(self, name, ceiling)
        return self

    def limits(self, task: str) -> TaskLimits:
        hard = {
            "poll": self.poll_time_limit,
            "process": self.process_time_limit,
            "deliver": self.deliver_time_limit,
            "tick": self.tick_time_limit,
        }[task]
        return TaskLimits(soft=round(hard * 0.8, 3), hard=hard)

    @property
    def row_claim_lease(self) -> float:
        """The lease of a row claim held by a task, renewed while the task is alive."""
        return self.claim_lease

    @property
    def lease_renew_every(self) -> float:
        """Seconds between two renewals: four chances before a lease runs out."""
        return max(0.25, self.claim_lease / 4)

    @property
    def unrenewed_claim_lease(self) -> float:
        """The lease of a claim nobody renews (a digest being sent): longer than any
        hard time limit, so a live worker never loses it."""
        return max(self.poll_time_limit, self.process_time_limit, self.deliver_time_limit) * 1.5

    @property
    def countdown_cap(self) -> float:
        if self.max_countdown is not None:
            return min(self.max_countdown, self.visibility_timeout * 0.25)
        return min(60.0, self.visibility_timeout * 0.25)

    @property
    def queued_ttl(self) -> float:
        return self.enqueue_ttl if self.enqueue_ttl is not None else self.visibility_timeout

    @property
    def leader_ttl(self) -> float:
        return self.beat_lock_ttl if self.beat_lock_ttl is not None else max(3 * self.tick_interval, 5.0)

    @property
    def tick_age_limit(self) -> float:
        return self.max_tick_age if self.max_tick_age is not None else max(6 * self.tick_interval, 60.0)

    @property
    def restore_interval(self) -> int:
        """Seconds between kombu's sweeps for messages of dead workers."""
        return max(1, min(10, int(self.visibility_timeout / 4)))


_CACHE: list[tuple[tuple[tuple[str, str], ...], ServiceSettings]] = []


def get_service_settings() -> ServiceSettings:
    """The service settings, built again whenever a NEWSRADAR_* variable changed
    (building them costs milliseconds; tasks and the received-message hook ask often)."""
    key = environment_key()
    if _CACHE and _CACHE[0][0] == key:
        return _CACHE[0][1]
    service = ServiceSettings()
    _CACHE[:] = [(key, service)]
    return service
