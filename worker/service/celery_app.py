"""The Celery app: queues, routing, delivery guarantees and the beat tick.

    beat ── tick (every NEWSRADAR_TICK_INTERVAL s) ──► poll queue
    tick: due feeds ──► poll_feed (poll) ──► process_article (process) ──► deliver (deliver)
          due articles (new, retry due, stuck) ──► process_article
          due deliveries (pending, retry due, stuck) ──► deliver

Guarantees, and why each setting is here (see DESIGN.md, "Facts measured"):

- ``task_acks_late`` + ``task_reject_on_worker_lost``: a task whose process dies is
  given to another worker, not lost.
- ``visibility_timeout`` (NEWSRADAR_VISIBILITY_TIMEOUT, 300 s) is at least twice the
  longest hard time limit, or a long task would be delivered twice while it runs; and
  ``unacked_restore_interval``/``unacked_restore_throttle`` are low so the messages of
  a worker killed outright come back about one visibility timeout later, not 100 s after.
  The work itself comes back much sooner: row claims and "queued" marks are short
  leases renewed by each worker's lease keeper (``worker/service/_leases.py``), so the
  tick enqueues a dead worker's rows again about one lease (8 s) after it died.
- ``worker_prefetch_multiplier = 1``: a worker holds one message per process, so a
  long ``process`` task does not sit on messages another worker could run.
- Countdowns stay short (``ServiceSettings.countdown_cap``); long waits live in the
  database (``next_poll_at``, ``next_attempt_at``) and the tick enqueues what is due.
- Every task may run twice: row claims and unique keys in the database decide.
- Results are never read: ``task_ignore_result``.

Nothing in the pipeline imports Celery; ``worker/service/tasks.py`` wraps its functions.
"""

from __future__ import annotations

import os

from celery import Celery, signals
from kombu import Queue

from worker.config import Settings, get_settings
from worker.service._settings import ServiceSettings, get_service_settings

__all__ = ["QUEUES", "app", "make_celery"]

QUEUES = ("poll", "process", "deliver")
TICK_ENTRY = "newsradar-tick"


def make_celery(settings: Settings | None = None, service: ServiceSettings | None = None) -> Celery:
    settings = settings or get_settings()
    service = service or get_service_settings()
    celery = Celery("newsradar", broker=settings.redis_url, include=["worker.service.tasks"])
    vt = service.visibility_timeout
    celery.conf.update(
        task_queues=[Queue(q, routing_key=q) for q in QUEUES],
        task_default_queue="poll",
        task_routes={
            "newsradar.tick": {"queue": "poll"},
            "newsradar.poll_feed": {"queue": "poll"},
            "newsradar.process_article": {"queue": "process"},
            "newsradar.deliver": {"queue": "deliver"},
            "newsradar.send_digests": {"queue": "deliver"},
        },
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_store_errors_even_if_ignored=False,
        task_serializer="json",
        accept_content=["json"],
        enable_utc=True,
        timezone="UTC",
        broker_transport_options={
            "visibility_timeout": vt,
            "unacked_restore_interval": service.restore_interval,
            "unacked_restore_throttle": 1,
            # a Redis that vanished must fail calls, not hang them
            "socket_timeout": 30,
            "socket_connect_timeout": 5,
            "socket_keepalive": True,
            "health_check_interval": 10,
        },
        # Keep trying to reach Redis forever: a restart of Redis must not end workers.
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,
        task_publish_retry=True,
        # ... but a task publishing the next stage gives up within about 2 s: what it
        # could not enqueue is in the database, and the tick's sweep sends it later.
        task_publish_retry_policy={
            "max_retries": 3,
            "interval_start": 0.2,
            "interval_step": 0.4,
            "interval_max": 1.0,
        },
        # Tasks with late acks that were running when the broker connection broke keep
        # running: their work is committed in the database and a redelivery is a no-op.
        worker_cancel_long_running_tasks_on_connection_loss=False,
        # trafilatura/lxml hold on to memory: recycle prefork children now and then.
        worker_max_tasks_per_child=1000,
        worker_send_task_events=False,
        beat_scheduler="worker.service._beat:LeaderScheduler",
        beat_max_loop_interval=max(0.5, min(service.tick_interval, service.leader_ttl / 3)),
        beat_schedule={
            TICK_ENTRY: {
                "task": "newsradar.tick",
                "schedule": service.tick_interval,
                # a tick nobody ran in time is worthless: the next one is coming
                "options": {"queue": "poll", "expires": max(service.tick_interval * 3, 5.0)},
            }
        },
    )
    return celery


app = make_celery()


@signals.worker_init.connect
def _serve_metrics(**_: object) -> None:
    # In the worker's main process, before the pool forks (see worker/service/_metrics.py).
    from worker.service._metrics import setup_worker_metrics

    setup_worker_metrics(get_settings().metrics_port)


@signals.worker_ready.connect
def _keep_leases(**_: object) -> None:
    # In the worker's main process, once the pool runs: renew the claims and "queued"
    # marks of every task this worker holds (worker/service/_leases.py).
    from worker.service._leases import start_keeper

    start_keeper()


@signals.task_received.connect
def _received(request: object = None, **_: object) -> None:
    from worker.service._leases import on_task_received

    on_task_received(request)


@signals.worker_process_init.connect
def _after_fork(**_: object) -> None:
    # Database pools and Redis sockets must never be shared across fork.
    from worker.service._context import holder
    from worker.service._redis import reset_clients

    holder.after_fork()
    reset_clients()


@signals.worker_process_shutdown.connect
def _process_gone(pid: int | None = None, **_: object) -> None:
    from worker.service._metrics import mark_process_dead

    mark_process_dead(pid or os.getpid())
