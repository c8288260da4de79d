"""``newsradar status``: the embedded mode at a glance."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from worker.cli._common import ConfigOpt, DatabaseOpt, ago, iso, out, reflow

app = typer.Typer()


@app.command()
@reflow
def status(
    config: ConfigOpt = None,
    database_url: DatabaseOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Feeds ok and failing, articles waiting and failed, deliveries pending, failed
    and dead, and the last run."""
    from sqlalchemy import func, select

    from worker.cli.articles import read_session
    from worker.redact import redact
    from worker.store import Article, Delivery, Feed
    from worker.terminal import safe_terminal_text

    with read_session(config, database_url) as s:
        def counts(col: object, *where: object) -> dict[str, int]:
            q = select(col, func.count()).where(*where).group_by(col)  # type: ignore[call-overload]
            return {str(k): int(v) for k, v in s.execute(q).all()}

        feeds = counts(Feed.status)
        articles = counts(Article.status)
        deliveries = counts(Delivery.status)
        # a feed's URL may carry credentials (https://user:pw@host/feed): redacted as
        # everywhere else the CLI shows one
        failing = [(f.id, safe_terminal_text(redact(f.name or f.url)), f.last_error_code or f.status)
                   for f in s.scalars(
            select(Feed).where(Feed.status.in_(("error", "gone"))).order_by(Feed.id))]
        last_poll = s.scalar(select(func.max(Feed.last_polled_at)))
        last_article = s.scalar(select(func.max(Article.created_at)))
    data: dict[str, Any] = {
        "feeds": {"ok": feeds.get("ok", 0), "new": feeds.get("new", 0),
                  "failing": feeds.get("error", 0) + feeds.get("gone", 0), "removed": feeds.get("removed", 0)},
        "failing_feeds": [{"id": i, "feed": n, "error": c} for i, n, c in failing],
        "articles": {"waiting": articles.get("new", 0) + articles.get("retry", 0) + articles.get("processing", 0),
                     "done": articles.get("done", 0), "failed": articles.get("failed", 0)},
        "deliveries": {k: deliveries.get(k, 0) for k in ("pending", "held", "sent", "failed", "dead")},
        "last_run": iso(last_poll), "last_article": iso(last_article),
    }
    if as_json:
        sys.stdout.write(json.dumps(data) + "\n")
        return
    f, a, d = data["feeds"], data["articles"], data["deliveries"]
    now = datetime.now(UTC)
    lines = [
        f"feeds:      {f['ok']} ok, {f['failing']} failing, {f['new']} not polled yet"
        + (f", {f['removed']} removed" if f["removed"] else ""),
        *[f"  feed {x['id']} failing: {x['feed']} ({x['error']})" for x in data["failing_feeds"]],
        f"articles:   {a['waiting']} waiting, {a['done']} done, {a['failed']} failed"
        + ("  (newsradar articles list --status failed)" if a["failed"] else ""),
        f"deliveries: {d['pending']} pending, {d['held']} held, {d['sent']} sent, {d['failed']} failed, "
        f"{d['dead']} dead",
        f"last run:   {ago(last_poll, now) if last_poll else 'never'}",
    ]
    out.print("\n".join(lines), highlight=False, markup=False, soft_wrap=True)
