"""The stages of newsradar as plain functions: poll, process, deliver.

    sync_feeds ─► due_feeds ─► poll_feed(feed) ─► new article ids
                                   │
    due_articles ────────────────► process_article(article) ─► delivery ids
                                   │   fetch page, clean, match, alerts + deliveries (outbox)
    due_deliveries ──────────────► deliver(delivery) ─► sent | failed (retry at) | dead | disabled

Each stage takes a ``Context`` and an id, claims its row in the database (so the same
work done twice, by a retry, a duplicate message or a second worker, is harmless),
does its work and records the outcome on the row. Each table's state changes in
exactly one module here (docs/architecture.md has the table):

    context     Context, build_context, build_index
    states      the status enums and their allowed moves (``move``)
    feeds       feeds: sync with the config, poll, backoff, health incident
    articles    articles and matches: store entries, process (fetch, clean, match)
    stories     stories: near-duplicate grouping (SimHash)
    outbox      alerts and new deliveries, written before any send
    deliveries  deliveries and their attempts: send, retry, hold, rewind
    channels    channel_state: disabled by a 410, enabled by hand
    digests     digests: gather held alerts, send when due
    health      feed-health notices (system alerts)
    messages    the message for a delivery (reads only)
    runner      run_once: every stage in-process

Nothing here imports Celery: the embedded runner (``run_once``) and the Celery tasks
(``worker/service/tasks.py``) call the same functions.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# The public names, by module. Imported on first use (PEP 562): `worker.pipeline.states`
# and the command line's --help must not pay for the stages, the store and httpx.
_EXPORTS = {
    "articles": ("ARTICLE_RETRY", "ProcessResult", "PruneResult", "due_articles", "process_article",
                 "prune_articles"),
    "console": ("apply_console", "console_version", "effective_config", "with_console"),
    "context": ("Context", "build_context", "build_index", "network_policy"),
    "deliveries": ("DeliveryResult", "deliver", "due_deliveries", "enable_channel",
                   "retry_delivery"),
    "digests": ("send_digests",),
    "feeds": ("PollResult", "due_feeds", "poll_feed", "sync_feeds"),
    "health": ("check_feed_health",),
    "outbox": ("SYSTEM_TOPIC", "create_alert"),
    "runner": ("Progress", "Reporter", "RunSummary", "run_once"),
    "stories": ("assign_story",),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

if TYPE_CHECKING:
    from worker.pipeline.articles import (
        ARTICLE_RETRY,
        ProcessResult,
        PruneResult,
        due_articles,
        process_article,
        prune_articles,
    )
    from worker.pipeline.console import (
        apply_console,
        console_version,
        effective_config,
        with_console,
    )
    from worker.pipeline.context import Context, build_context, build_index, network_policy
    from worker.pipeline.deliveries import (
        DeliveryResult,
        deliver,
        due_deliveries,
        enable_channel,
        retry_delivery,
    )
    from worker.pipeline.digests import send_digests
    from worker.pipeline.feeds import PollResult, due_feeds, poll_feed, sync_feeds
    from worker.pipeline.health import check_feed_health
    from worker.pipeline.outbox import SYSTEM_TOPIC, create_alert
    from worker.pipeline.runner import Progress, Reporter, RunSummary, run_once
    from worker.pipeline.stories import assign_story


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "ARTICLE_RETRY",
    "SYSTEM_TOPIC",
    "Context",
    "DeliveryResult",
    "PollResult",
    "ProcessResult",
    "Progress",
    "PruneResult",
    "Reporter",
    "RunSummary",
    "apply_console",
    "assign_story",
    "build_context",
    "build_index",
    "check_feed_health",
    "console_version",
    "create_alert",
    "deliver",
    "due_articles",
    "due_deliveries",
    "due_feeds",
    "effective_config",
    "enable_channel",
    "network_policy",
    "poll_feed",
    "process_article",
    "prune_articles",
    "retry_delivery",
    "run_once",
    "send_digests",
    "sync_feeds",
    "with_console",
]
