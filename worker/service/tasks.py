"""Celery tasks: thin wrappers around the pipeline stages.

Each task gets the process's Context, calls one pipeline function, records metrics
and enqueues the next stage. The tick also runs the periodic parts the embedded runner
runs every pass: feed health (in the tick) and digests (``send_digests``, deliver
queue), each at most once per ``PERIODIC_EVERY``. Retry policy:

- Problems of a feed, page or channel are recorded by the pipeline on the row, with
  the row's own schedule (feed backoff, ``articles.next_attempt_at``,
  ``deliveries.next_attempt_at``); the tick enqueues the row again when it is due.
  A due time within ``countdown_cap`` is re-enqueued at once with a countdown.
- Infrastructure failures (database connection dropped, Redis gone) raise out of the
  pipeline; the task is retried with exponential backoff and full jitter
  (``worker.retry.should_retry``), with countdowns short enough for Redis, and after
  that the row is left to the database sweep.

Every task may run twice; the database decides (row claims, unique keys).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import redis
from celery import Task
from celery.exceptions import Retry
from kombu.exceptions import OperationalError as KombuOperationalError
from sqlalchemy.exc import DBAPIError, OperationalError

from worker import pipeline
from worker.config import get_settings
from worker.errors import ErrorCode, NewsradarError
from worker.pipeline.states import ArticleStatus, DeliveryStatus
from worker.retry import RetryPolicy, should_retry
from worker.service._context import holder
from worker.service._health import LAST_TICK_KEY
from worker.service._limiter import wait_at_most
from worker.service._locks import QueuedMarks, RedisLock
from worker.service._metrics import record
from worker.service._redis import key, redis_client
from worker.service._settings import get_service_settings
from worker.service.celery_app import app

__all__ = ["deliver", "poll_feed", "process_article", "send_digests", "tick"]

log = logging.getLogger(__name__)

_service = get_service_settings()
INFRA_POLICY = RetryPolicy(base=1.0, cap=_service.countdown_cap, max_attempts=8)
_INFRA_ERRORS = (OperationalError, DBAPIError, redis.ConnectionError, redis.TimeoutError, KombuOperationalError)


# How often the tick runs the periodic parts: feed health, digests (docs/alerts.md).
PERIODIC_EVERY = 60.0


def _redis() -> redis.Redis:
    return redis_client(get_settings().redis_url)


def _marks() -> QueuedMarks:
    return QueuedMarks(_redis(), _service.queued_ttl)


def _enqueue(kind: str, ids: Sequence[int], task: Task, *, marks: QueuedMarks | None = None,
             countdowns: dict[int, float] | None = None) -> int:
    """Send ``task`` for each id not already queued (after ``countdowns[id]`` seconds
    when given). A failure here loses nothing: the rows are in the database and the next
    tick's sweep finds them."""
    if not ids:
        return 0
    try:
        marks = marks or _marks()
        fresh = marks.claim(kind, ids)
    except redis.RedisError as exc:
        log.warning("enqueue %s %s: Redis unavailable, the sweep will pick them up (%s)", kind, list(ids)[:5], exc)
        return 0
    sent = 0
    for row_id in fresh:
        try:
            delay = (countdowns or {}).get(row_id, 0.0)
            if delay > 0:
                task.apply_async((row_id,), countdown=delay)
            else:
                task.apply_async((row_id,))
            sent += 1
        except Exception as exc:  # noqa: BLE001 - broker down: the sweep recovers
            log.warning("enqueue %s %s failed (%s)", kind, row_id, exc)
            _clear(kind, row_id)
    if sent:
        record(lambda m: m.enqueued.labels(kind).inc(sent))
    return sent


def _clear(kind: str, row_id: int) -> None:
    try:
        _marks().clear(kind, row_id)
    except redis.RedisError:
        pass  # it expires by itself


def _requeue_soon(task: Task, kind: str, row_id: int, due: datetime | None) -> bool:
    """Run again at ``due`` with a countdown if that is soon enough for Redis."""
    if due is None:
        return False
    delay = max(0.0, (due - datetime.now(UTC)).total_seconds())
    if delay > _service.countdown_cap:
        return False
    try:
        _marks().client.set(QueuedMarks.name(kind, row_id), "1", px=int((_service.queued_ttl + delay) * 1000))
        task.apply_async((row_id,), countdown=delay)
        return True
    except Exception as exc:  # noqa: BLE001
        log.warning("requeue %s %s failed, left to the sweep (%s)", kind, row_id, exc)
        _clear(kind, row_id)  # or the sweep would wait for the mark to expire
        return False


@dataclass
class _StageState:
    keep_mark: bool = False  # the task re-enqueued itself: its mark stays


@contextmanager
def _stage(task: Task, kind: str, row_id: int) -> Iterator[_StageState]:
    """Time the task, retry infrastructure failures with backoff, and clear the
    'queued' mark unless the task re-enqueued itself."""
    started = time.perf_counter()
    state = _StageState()
    try:
        yield state
    except Retry:
        state.keep_mark = True
        raise
    except _INFRA_ERRORS as exc:
        attempt = task.request.retries + 1
        delay = should_retry(
            NewsradarError(str(exc), code=ErrorCode.INFRASTRUCTURE, permanent=False), attempt, policy=INFRA_POLICY
        )
        if delay is None:
            log.error("%s %s: giving up after %s attempts, left to the sweep: %s", kind, row_id, attempt, exc)
            raise
        log.warning("%s %s: %s; retrying in %.1f s", kind, row_id, exc.__class__.__name__, delay)
        record(lambda m: m.task_retries.labels(task.name).inc())
        state.keep_mark = True
        try:  # the retry waits in a Redis queue: its mark lives as long as a queued one
            _marks().client.set(QueuedMarks.name(kind, row_id), "1",
                                px=int((_service.queued_ttl + delay) * 1000))
        except redis.RedisError:
            pass  # the mark lapses; a duplicate message is harmless
        raise task.retry(exc=exc, countdown=delay, max_retries=None) from exc
    finally:
        if not state.keep_mark:
            _clear(kind, row_id)
        elapsed = time.perf_counter() - started
        record(lambda m: m.task_seconds.labels(task.name).observe(elapsed))


_opts: dict[str, Any] = {"bind": True, "max_retries": None}


def _limits(name: str) -> dict[str, float]:
    lim = _service.limits(name)
    return {"soft_time_limit": lim.soft, "time_limit": lim.hard}


@app.task(name="newsradar.tick", acks_late=False, **_opts, **_limits("tick"))
def tick(self: Task) -> dict[str, int] | str:
    """Enqueue due feeds, waiting articles and due deliveries; once a minute, raise
    feed-health notices and enqueue ``send_digests``. Only one tick acts per interval,
    however many beats send one (a Redis lock with expiry)."""
    started = time.perf_counter()
    try:
        return _tick()
    finally:
        elapsed = time.perf_counter() - started
        record(lambda m: m.task_seconds.labels("newsradar.tick").observe(elapsed))


def _tick() -> dict[str, int] | str:
    client = _redis()
    lock = RedisLock(client, key("tick", "lock"), ttl=max(0.5, _service.tick_interval * 0.8))
    if not lock.acquire():
        return "skipped: another tick acted within this interval"
    client.set(LAST_TICK_KEY, repr(time.time()))
    ctx = holder.get()
    holder.sync_feeds_if_needed(ctx)
    marks = QueuedMarks(client, _service.queued_ttl)
    limit = _service.sweep_limit
    # The periodic parts the embedded runner does every pass, here at most once per
    # PERIODIC_EVERY (a lock left to expire): feed-health notices first, so that the
    # sweep below enqueues them, and the digests (which send) as a task of their own.
    if RedisLock(client, key("periodic", "health"), ttl=PERIODIC_EVERY).acquire():
        try:
            pipeline.check_feed_health(ctx)
        except Exception:  # noqa: BLE001 - never stops the sweep; tried again next period
            log.exception("check_feed_health failed")
    if RedisLock(client, key("periodic", "retention"), ttl=PERIODIC_EVERY).acquire():
        try:
            pipeline.prune_articles(ctx)  # one small batch per period
        except Exception:  # noqa: BLE001 - never stops the sweep; tried again next period
            log.exception("prune_articles failed")
    digests = 0
    if RedisLock(client, key("periodic", "digests"), ttl=PERIODIC_EVERY).acquire():
        try:
            send_digests.apply_async()  # routed to the deliver queue
            digests = 1
        except Exception as exc:  # noqa: BLE001 - broker down: next period
            log.warning("enqueue send_digests failed (%s)", exc)
    return {
        "feeds": _enqueue("feed", pipeline.due_feeds(ctx, limit=limit), poll_feed, marks=marks),
        "articles": _enqueue("article", pipeline.due_articles(ctx, limit=limit), process_article, marks=marks),
        "deliveries": _enqueue("delivery", pipeline.due_deliveries(ctx, limit=limit), deliver, marks=marks),
        "digests": digests,
    }


@app.task(name="newsradar.poll_feed", **_opts, **_limits("poll"))
def poll_feed(self: Task, feed_id: int) -> dict[str, Any]:
    with _stage(self, "feed", feed_id):
        result = pipeline.poll_feed(holder.get(), feed_id)
        outcome = (
            "skipped" if result.skipped else "error" if result.error
            else "not_modified" if result.not_modified else "ok"
        )
        record(lambda m: m.feeds_polled.labels(outcome).inc())
        _enqueue("article", result.new_article_ids, process_article,
                 countdowns=_page_starts(result.new_article_ids, result.new_article_hosts))
        return {"outcome": outcome, "new": len(result.new_article_ids), "error": result.error}


def _page_starts(ids: Sequence[int], hosts: dict[int, str]) -> dict[int, float]:
    """A feed's new pages, each given its turn at its host (the politeness gate's start
    times, one min_delay apart): enqueued with that countdown, a page arrives when its
    host is free instead of being turned away and re-enqueued, and no process slot ever
    waits. Pages beyond the countdown cap go now and take their chance at the gate."""
    gate = holder.gate
    if gate is None or not ids:
        return {}
    by_host: dict[str, list[int]] = {}
    for i in ids:
        if i in hosts:
            by_host.setdefault(hosts[i], []).append(i)
    out: dict[int, float] = {}
    for host, group in by_host.items():
        for i, wait in zip(group, gate.reserve_starts(host, len(group))):
            if wait <= _service.countdown_cap:
                out[i] = wait
    return out


@app.task(name="newsradar.process_article", **_opts, **_limits("process"))
def process_article(self: Task, article_id: int) -> dict[str, Any]:
    with _stage(self, "article", article_id) as stage:
        with wait_at_most(_service.page_max_wait):
            result = pipeline.process_article(holder.get(), article_id)
        if result.status == ArticleStatus.RETRY and result.retry_after is not None:
            due = datetime.now(UTC) + timedelta(seconds=result.retry_after)
            stage.keep_mark = _requeue_soon(process_article, "article", article_id, due)
        record(lambda m: m.articles_processed.labels(result.status).inc())
        if result.matched_topics:
            record(lambda m: m.matches.inc(len(result.matched_topics)))
        _enqueue("delivery", result.delivery_ids, deliver)
        return {"status": result.status, "deliveries": len(result.delivery_ids)}


@app.task(name="newsradar.deliver", **_opts, **_limits("deliver"))
def deliver(self: Task, delivery_id: int) -> dict[str, Any]:
    with _stage(self, "delivery", delivery_id) as stage:
        result = pipeline.deliver(holder.get(), delivery_id)
        if not getattr(result, "skipped", False):
            record(lambda m: m.alerts.labels(result.status).inc())
        if result.status == DeliveryStatus.FAILED:
            stage.keep_mark = _requeue_soon(deliver, "delivery", delivery_id, result.next_attempt_at)
        return {"status": result.status}


@app.task(name="newsradar.send_digests", **_opts, **_limits("deliver"))
def send_digests(self: Task) -> dict[str, Any]:
    """Gather held alerts into their digests and send the digests that are due. Safe
    to run twice at once: each digest is claimed in the database."""
    with _stage(self, "digests", 0):
        sent = pipeline.send_digests(holder.get())
        return {"sent": len(sent)}
