"""The pipeline Context of this worker process, built lazily and rebuilt when needed.

Built on first use in the process that runs tasks (a prefork child builds its own:
database pools and sockets must never cross a fork), with the Redis host gate wired in.
It is rebuilt when the config file changes, so a feed or topic added to the YAML file is
picked up without restarting anything; the next tick then syncs the feeds table. Feeds and
topics created in the web console are added (``pipeline.effective_config``): every few
seconds ``pipeline.console_version`` is read and, when it moved, the context is rebuilt
with them and the feeds table synced again.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from worker import pipeline
from worker.config import Config, get_settings, load_config
from worker.errors import ConfigError
from worker.service._limiter import RedisHostGate
from worker.service._redis import redis_client
from worker.service._settings import get_service_settings
from worker.store import make_engine

__all__ = ["ContextHolder", "holder"]

log = logging.getLogger(__name__)

_CHECK_EVERY = 2.0  # seconds between stat() calls on the config file


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None


class ContextHolder:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ctx: pipeline.Context | None = None
        self._pid: int | None = None
        self._path: Path | None = None
        self._mtime: float | None = None
        self._checked = 0.0
        self._needs_sync = False
        self._base: pipeline.Context | None = None  # built from the config file alone
        self._config: Config | None = None
        self._version: tuple[Any, ...] | None = None  # console_version of self._ctx
        self._console_checked = 0.0
        self.gate: RedisHostGate | None = None

    def get(self) -> pipeline.Context:
        ctx = self._ctx
        if ctx is not None and self._pid == os.getpid() and not self._config_changed():
            return self._with_console(ctx)
        with self._lock:
            if self._ctx is None or self._pid != os.getpid() or self._config_changed(force=True):
                self._build()
                self._console_checked = 0.0
            assert self._ctx is not None
            ctx = self._ctx
        return self._with_console(ctx)

    def _with_console(self, ctx: pipeline.Context) -> pipeline.Context:
        """ctx, or ctx rebuilt with the console's feeds and topics when they changed
        (checked at most every _CHECK_EVERY seconds)."""
        now = time.monotonic()
        if self._base is None or self._config is None or now - self._console_checked < _CHECK_EVERY:
            return ctx
        self._console_checked = now
        try:
            new, version = pipeline.with_console(self._base, self._config, self._version)
        except Exception:  # noqa: BLE001 - a database hiccup: keep the context, try next tick
            log.warning("could not read the console's feeds and topics", exc_info=True)
            return ctx
        if version == self._version:
            return ctx
        with self._lock:
            if self._base is not None and new.engine is self._base.engine:
                self._ctx, self._version, self._needs_sync = new, version, True
                log.info("console feeds or topics changed: context rebuilt")
            return self._ctx or new

    def _config_changed(self, force: bool = False) -> bool:
        now = time.monotonic()
        if self._path is None or (not force and now - self._checked < _CHECK_EVERY):
            return False
        self._checked = now
        return _mtime(self._path) != self._mtime

    def _build(self) -> None:
        settings = get_settings()
        service = get_service_settings()
        path = Path(settings.config)
        mtime = _mtime(path)
        old = self._ctx if self._pid == os.getpid() else None
        try:
            config = load_config(path)
        except ConfigError as exc:
            if old is None:
                raise
            # A config file being edited (or broken) must not stop a running service:
            # keep the last good one and try again when the file changes next.
            log.error("config %s changed but is invalid; keeping the previous one:\n%s", path, exc)
            self._mtime = mtime
            return
        engine = make_engine(settings.database_url, pool_size=service.db_pool_size)
        ctx = pipeline.build_context(config, settings, engine=engine, migrate=False)
        gate = RedisHostGate(
            redis_client(settings.redis_url),
            max_concurrent=service.host_concurrency,
            min_delay=service.host_min_delay,
            max_wait=service.host_max_wait,
            lease=service.limits("process").hard,
        )
        ctx.host_gate = gate.host_slot
        self.gate = gate  # for the poll's staggered enqueue (tasks.poll_feed)
        # short claims, renewed by this worker's lease keeper while a task holds them
        # (worker/service/_leases.py); a digest's claim is not renewed, so it outlives
        # every time limit instead
        ctx.claim_lease = timedelta(seconds=service.row_claim_lease)
        ctx.unrenewed_lease = timedelta(seconds=service.unrenewed_claim_lease)
        self._ctx, self._pid, self._path, self._mtime = ctx, os.getpid(), path, mtime
        self._base, self._config, self._version = ctx, config, None
        self._checked = time.monotonic()
        self._needs_sync = True
        if old is not None:
            log.info("config %s changed: context rebuilt", path)
            old.engine.dispose()  # connections in use finish; idle ones close

    def sync_feeds_if_needed(self, ctx: pipeline.Context) -> bool:
        """Sync the feeds table once after each (re)build of the context."""
        with self._lock:
            needed, self._needs_sync = self._needs_sync, False
        if not needed:
            return False
        try:
            pipeline.sync_feeds(ctx)
        except BaseException:
            self._needs_sync = True  # try again on the next tick
            raise
        return True

    def after_fork(self) -> None:
        """In a new child: forget the parent's context without closing its sockets."""
        with self._lock:
            if self._ctx is not None and self._pid != os.getpid():
                self._ctx.engine.dispose(close=False)
            self._ctx = None
            self._pid = None
            self._base = self._config = self._version = None


holder = ContextHolder()
