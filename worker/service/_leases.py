"""Leases: what a worker holds expires soon after the worker dies, not 300 s later.

A task holds two things while it runs (or waits for its countdown): the row's claim in
the database (``claimed_until``) and the row's "queued" mark in Redis, which keeps the
tick from enqueuing the row again. Both are short (``NEWSRADAR_CLAIM_LEASE``, 8 s), and
one thread in each worker's main process, the lease keeper, renews them every lease / 4
seconds for every request Celery holds in that process (``celery.worker.state.requests``:
received, waiting for a pool slot or a countdown, running; prefork and threads pools
alike). A slow but alive task keeps its row however long it takes (within its time
limit); a worker killed outright stops renewing, its claims and marks lapse within one
lease, and the next tick enqueues the rows again. The broker's own redelivery of the
dead worker's messages (after the visibility timeout) then finds them done: a no-op.

Exactly-once sends rest on the same state machine as before: a delivery in ``sending``
is claimable only once its claim has lapsed, i.e. once its worker stopped renewing.
A marks' TTL is shortened when its message is received, because from then on the
message lives in this worker, not in Redis; while it waits in a Redis queue the mark
keeps its long TTL (the message is safe there).
"""

from __future__ import annotations

import logging
import os
import threading
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import redis
from sqlalchemy.orm import Session, sessionmaker

from worker.config import get_settings
from worker.service._locks import QueuedMarks
from worker.service._redis import redis_client
from worker.service._settings import ServiceSettings, get_service_settings
from worker.store import Article, Delivery, Feed, make_engine, make_sessionmaker, session_scope
from worker.store.rows import renew_claims

__all__ = ["HELD_KINDS", "LeaseKeeper", "held_rows", "on_task_received", "start_keeper"]

log = logging.getLogger(__name__)

# task name -> (queued-mark kind, claimed table)
HELD_KINDS: dict[str, tuple[str, Any]] = {
    "newsradar.poll_feed": ("feed", Feed),
    "newsradar.process_article": ("article", Article),
    "newsradar.deliver": ("delivery", Delivery),
}


def _row_of(request: Any) -> tuple[str, int] | None:
    kind = HELD_KINDS.get(getattr(request, "name", None) or "")
    try:
        args = request.args
        row_id = int(args[0]) if args else None
    except (AttributeError, IndexError, TypeError, ValueError):
        return None
    if kind is None or row_id is None:
        return None
    return kind[0], row_id


def held_rows() -> dict[str, list[int]]:
    """kind -> row ids of every request this worker process holds."""
    from celery.worker import state

    for _ in range(3):
        try:
            requests = list(state.requests.values())
            break
        except RuntimeError:  # the dict changed under us: read it again
            continue
    else:
        return {}
    held: dict[str, list[int]] = defaultdict(list)
    for req in requests:
        row = _row_of(req)
        if row is not None:
            held[row[0]].append(row[1])
    return dict(held)


class LeaseKeeper(threading.Thread):
    """Renews the claims and marks of the rows this worker holds, every lease / 4 s."""

    def __init__(self, service: ServiceSettings, database_url: str, redis_url: str) -> None:
        super().__init__(name="newsradar-lease-keeper", daemon=True)
        self.lease = timedelta(seconds=service.claim_lease)
        self.every = service.lease_renew_every
        self._database_url = database_url
        self._redis_url = redis_url
        self._sessions: sessionmaker[Session] | None = None
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.wait(self.every):
            try:
                self.renew(held_rows())
            except Exception as exc:  # noqa: BLE001 - try again next beat; leases last 4 beats
                log.warning("lease keeper: renewal failed (%s: %s)", exc.__class__.__name__, exc)

    def renew(self, held: dict[str, list[int]]) -> None:
        if not held:
            return
        marks = QueuedMarks(redis_client(self._redis_url), self.lease.total_seconds())
        try:
            marks.shorten(held)
        except redis.RedisError as exc:
            log.warning("lease keeper: Redis unavailable (%s)", exc)
        if self._sessions is None:
            # its own small pool, opened after the pool forked; a child forked later
            # (max-tasks-per-child) drops it without closing the parent's sockets
            engine = make_engine(self._database_url, pool_size=1)
            os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
            self._sessions = make_sessionmaker(engine)
        now = datetime.now(UTC)
        with session_scope(self._sessions) as s:
            for kind, model in HELD_KINDS.values():
                ids = held.get(kind)
                if ids:
                    renew_claims(s, model, sorted(set(ids)), now, self.lease)

    def stop(self) -> None:
        self._halt.set()


_keeper: LeaseKeeper | None = None


def start_keeper() -> LeaseKeeper:
    """Start this worker's keeper (in the main process, once the pool has started)."""
    global _keeper
    if _keeper is None or not _keeper.is_alive():
        settings = get_settings()
        _keeper = LeaseKeeper(get_service_settings(), settings.database_url, settings.redis_url)
        _keeper.start()
    return _keeper


def on_task_received(request: Any) -> None:
    """The message now lives in this worker: its mark gets the short lease, renewed by
    the keeper, so a SIGKILL of this worker frees the row within one lease."""
    row = _row_of(request)
    if row is None:
        return
    service = get_service_settings()
    try:
        QueuedMarks(redis_client(get_settings().redis_url), service.claim_lease).shorten({row[0]: [row[1]]})
    except redis.RedisError as exc:
        log.warning("lease: cannot shorten the mark of %s %s (%s)", row[0], row[1], exc)
