"""``newsradar alerts list|show``: one alert per (topic, story), each with the status of
its delivery on every channel. The per-channel deliveries have their own commands,
``newsradar deliveries list|show|retry|enable`` (``worker.cli.alerts``, whose
``retry`` and ``enable`` stay reachable as ``alerts retry|enable``)."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from worker.cli._common import EXIT_NOT_FOUND, ConfigOpt, DatabaseOpt, ago, err, iso, out

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

app = typer.Typer(help="Alerts, one per topic and story, with each channel's delivery status; "
                       "the deliveries themselves: `newsradar deliveries`.", no_args_is_help=True)


def _sessions(database_url: str | None, config: Path | None) -> sessionmaker[Session]:
    from worker.cli.alerts import _sessions as sessions

    return sessions(database_url, config)


@app.command("list")
def alerts_list(
    topic: Annotated[str | None, typer.Option(help="Only this topic id.")] = None,
    limit: Annotated[int, typer.Option(help="Newest N alerts.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines.")] = False,
    database_url: DatabaseOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Alerts, newest first: one per topic and story, with each channel's delivery status."""
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text
    from sqlalchemy import select

    from worker.cli.alerts import _headline
    from worker.store import Alert, Delivery

    with _sessions(database_url, config)() as s:
        q = select(Alert)
        if topic:
            q = q.where(Alert.topic_id == topic)
        alerts = list(s.scalars(q.order_by(Alert.id.desc()).limit(limit)))
        per_alert: dict[int, list[Delivery]] = {}
        for d in s.scalars(select(Delivery).where(Delivery.alert_id.in_([a.id for a in alerts]))
                           .order_by(Delivery.channel)):
            per_alert.setdefault(d.alert_id, []).append(d)
        rows = [(a, per_alert.get(a.id, []), _headline(s, a, None)) for a in alerts]
    if as_json:
        for a, ds, headline in rows:
            sys.stdout.write(json.dumps({
                "id": a.id, "topic": a.topic_id, "kind": a.kind, "story_id": a.story_id,
                "article_id": a.article_id, "score": a.score, "created_at": iso(a.created_at),
                "headline": headline,
                "deliveries": [{"id": d.id, "channel": d.channel, "status": d.status} for d in ds],
            }, ensure_ascii=False) + "\n")
        return
    if not rows:
        out.print("no alerts" + (f" for topic {topic}" if topic else ""), highlight=False, markup=False)
        return
    table = Table(title="alerts (newest first); details: newsradar alerts show ID")
    table.add_column("id", justify="right", no_wrap=True, min_width=2)
    table.add_column("topic", no_wrap=True, overflow="ellipsis", min_width=8, max_width=20)
    table.add_column("when", no_wrap=True, min_width=7)
    table.add_column("channels", no_wrap=True, min_width=12)
    table.add_column("headline", ratio=1, min_width=16)
    now = datetime.now(UTC)
    for a, ds, headline in rows:
        channels = " ".join(f"{d.channel}:{d.status}" for d in ds) or "-"
        table.add_row(str(a.id), escape(a.topic_id), ago(a.created_at, now), escape(channels),
                      Text(headline, no_wrap=True, overflow="ellipsis"))
    out.print(table)


@app.command("show")
def alerts_show(
    alert_id: Annotated[int, typer.Argument(help="Alert id (from `alerts list`).")],
    database_url: DatabaseOpt = None,
    config: ConfigOpt = None,
) -> None:
    """One alert: topic, article, score and why, and its delivery on each channel
    (each delivery's tries and payload: `newsradar deliveries show ID`)."""
    from sqlalchemy import select

    from worker.alerts.message import why_matched
    from worker.cli.alerts import _headline, _when
    from worker.store import Alert, Article, Delivery, Match

    with _sessions(database_url, config)() as s:
        a = s.get(Alert, alert_id)
        if a is None:
            err.print(f"error: no alert {alert_id}", highlight=False, markup=False)
            raise typer.Exit(EXIT_NOT_FOUND)
        lines = [f"alert {a.id}  topic {a.topic_id}  {a.kind}", f"headline: {_headline(s, a, None)}",
                 f"created:  {_when(a.created_at)}", f"score:    {a.score:g}"]
        art = s.get(Article, a.article_id) if a.article_id else None
        if art is not None:
            lines.append(f"article:  {art.id} <{art.url}> (newsradar articles show {art.id})")
        if a.story_id:
            lines.append(f"story:    {a.story_id}")
        m = s.get(Match, a.match_id) if a.match_id else None
        if m is not None:
            lines += [f"  why:    {w}" for w in why_matched(m.explanation or {})]
        lines.append("deliveries:")
        for d in s.scalars(select(Delivery).where(Delivery.alert_id == a.id).order_by(Delivery.channel)):
            when = f"sent {_when(d.sent_at)}" if d.sent_at else (
                f"next try {_when(d.next_attempt_at)}" if d.next_attempt_at else "")
            lines.append(f"  {d.id}: {d.channel}: {d.status} ({d.attempts} tries) {when}".rstrip()
                         + (f"  [{d.last_error_code}] {d.last_error}" if d.last_error and d.status != "sent" else ""))
    out.print("\n".join(lines), highlight=False, markup=False, soft_wrap=True)
