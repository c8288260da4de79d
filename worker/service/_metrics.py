"""Prometheus metrics of the worker.

Celery's prefork pool runs tasks in child processes, so the counters use
prometheus_client's multiprocess mode: every process writes its values to files in
``PROMETHEUS_MULTIPROC_DIR`` and the worker's main process serves their sum on
``NEWSRADAR_METRICS_PORT`` (``setup_worker_metrics``, called before the pool forks).
prometheus_client is imported lazily so that the directory is set before it decides
how to store values.

    newsradar_feeds_polled_total{outcome}       ok | not_modified | error | skipped
    newsradar_articles_processed_total{status}  done | failed | retry | claimed | missing
    newsradar_matches_total                     topic matches found
    newsradar_alerts_total{status}              deliveries: sent | failed | dead | disabled
    newsradar_enqueued_total{kind}              tasks sent by the tick and the stages
    newsradar_task_seconds{task}                task run time (histogram)
    newsradar_task_retries_total{task}
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Callable

__all__ = ["Metrics", "mark_process_dead", "metrics", "record", "setup_worker_metrics"]

log = logging.getLogger(__name__)

_lock = threading.Lock()
_metrics: Metrics | None = None


class Metrics:
    def __init__(self) -> None:
        from prometheus_client import Counter, Histogram

        self.feeds_polled = Counter("newsradar_feeds_polled", "Feed polls by outcome", ["outcome"])
        self.articles_processed = Counter(
            "newsradar_articles_processed", "Articles processed by resulting status", ["status"]
        )
        self.matches = Counter("newsradar_matches", "Topic matches found")
        self.alerts = Counter("newsradar_alerts", "Alert deliveries by outcome", ["status"])
        self.enqueued = Counter("newsradar_enqueued", "Tasks enqueued", ["kind"])
        self.task_seconds = Histogram(
            "newsradar_task_seconds",
            "Task run time in seconds",
            ["task"],
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
        )
        self.task_retries = Counter("newsradar_task_retries", "Task retries", ["task"])


def metrics() -> Metrics:
    global _metrics
    if _metrics is None:
        with _lock:
            if _metrics is None:
                _metrics = Metrics()
    return _metrics


def setup_worker_metrics(port: int, *, addr: str = "0.0.0.0") -> bool:
    """In the worker's main process, before the pool forks: switch prometheus_client to
    multiprocess mode and serve the summed metrics on ``port`` (0 disables).
    Returns True if the server is listening."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if port <= 0:
        if path:  # the pool still writes there (the image sets the variable)
            os.makedirs(path, exist_ok=True)
        return False
    if not path:
        path = tempfile.mkdtemp(prefix="newsradar-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    else:
        # stale files of an earlier run would be summed in
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path, exist_ok=True)
    from prometheus_client import CollectorRegistry, start_http_server, values
    from prometheus_client.multiprocess import MultiProcessCollector

    # prometheus_client picks its value store when first imported; make sure it is the
    # multiprocess one even if something imported it before the directory was set.
    values.ValueClass = values.get_value_class()
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=path)
    try:
        start_http_server(port, addr=addr, registry=registry)
    except OSError as exc:
        log.warning("metrics: cannot listen on port %s (%s); metrics not served", port, exc)
        return False
    log.info("metrics: serving Prometheus metrics on :%s/metrics", port)
    return True


def mark_process_dead(pid: int) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        try:
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(pid)
        except Exception:
            log.debug("metrics: mark_process_dead(%s) failed", pid, exc_info=True)


def record(update: Callable[[Metrics], None]) -> None:
    """Apply ``update`` to the metrics; a metrics problem never fails a task."""
    try:
        update(metrics())
    except Exception:
        log.debug("metrics update failed", exc_info=True)
