"""The embedded runner: one pass of every stage in-process (no broker), the same
functions the Celery tasks call. Changes no row itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from worker.pipeline.articles import ProcessResult, due_articles, process_article, prune_articles
from worker.pipeline.context import Context
from worker.pipeline.deliveries import DeliveryResult, deliver, due_deliveries
from worker.pipeline.digests import send_digests
from worker.pipeline.feeds import PollResult, due_feeds, poll_feed, sync_feeds
from worker.pipeline.health import check_feed_health
from worker.pipeline.states import ArticleStatus, DeliveryStatus
from worker.store import Alert


@dataclass
class RunSummary:
    feeds_polled: int = 0
    feeds_failed: int = 0
    feeds_not_modified: int = 0
    articles_new: int = 0
    articles_processed: int = 0
    articles_failed: int = 0
    alerts: int = 0  # every alert in the database
    new_alerts: int = 0  # alerts this pass raised (one per topic and story, not per channel)
    deliveries_sent: int = 0
    deliveries_failed: int = 0
    digests_sent: int = 0


class Reporter(Protocol):
    """What the runner reports as it goes (the CLI draws it; tests ignore it)."""

    def feed(self, feed_id: int, result: PollResult) -> None: ...
    def article(self, article_id: int, result: ProcessResult) -> None: ...
    def delivery(self, delivery_id: int, result: DeliveryResult) -> None: ...
    def stage(self, name: str, total: int) -> None: ...


class Progress:
    """A ``Reporter`` that says nothing."""

    def feed(self, feed_id: int, result: PollResult) -> None: ...
    def article(self, article_id: int, result: ProcessResult) -> None: ...
    def delivery(self, delivery_id: int, result: DeliveryResult) -> None: ...
    def stage(self, name: str, total: int) -> None: ...


def run_once(ctx: Context, progress: Reporter | None = None) -> RunSummary:
    """One pass in-process: poll every due feed, process every waiting article, raise
    feed-health notices, deliver every due alert and send the digests that are due."""
    progress = progress if progress is not None else Progress()
    summary = RunSummary()
    with ctx.session() as s:
        before = s.query(Alert).count()
    sync_feeds(ctx)

    feed_ids = due_feeds(ctx)
    progress.stage("feeds", len(feed_ids))
    for feed_id in feed_ids:
        result = poll_feed(ctx, feed_id)
        if result.skipped:
            continue
        summary.feeds_polled += 1
        summary.feeds_failed += result.error is not None
        summary.feeds_not_modified += result.not_modified
        summary.articles_new += len(result.new_article_ids)
        progress.feed(feed_id, result)

    article_ids = due_articles(ctx)
    progress.stage("articles", len(article_ids))
    for article_id in article_ids:
        pres = process_article(ctx, article_id)
        summary.articles_processed += pres.status == ArticleStatus.DONE
        summary.articles_failed += pres.status == ArticleStatus.FAILED
        progress.article(article_id, pres)

    # feed-health notices are deliveries like any other: raise them before the sweep
    check_feed_health(ctx)
    delivery_ids = due_deliveries(ctx)
    progress.stage("deliveries", len(delivery_ids))
    for delivery_id in delivery_ids:
        dres = deliver(ctx, delivery_id)
        summary.deliveries_sent += dres.status == DeliveryStatus.SENT
        summary.deliveries_failed += dres.status in (DeliveryStatus.FAILED, DeliveryStatus.DEAD)
        progress.delivery(delivery_id, dres)
    summary.digests_sent = len(send_digests(ctx))
    prune_articles(ctx)  # retention, one batch per pass
    with ctx.session() as s:
        summary.alerts = s.query(Alert).count()
    summary.new_alerts = summary.alerts - before
    return summary
