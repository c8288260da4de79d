"""``newsradar deliveries``: see deliveries, their attempts and errors; retry; re-enable.

    newsradar deliveries list [--status failed|dead|held|disabled|...] [--channel NAME] [--limit N]
    newsradar deliveries show ID        one delivery: alert, article, story sources, attempts, payload
    newsradar deliveries retry ID... | --status failed   queue for the next run (due now)
    newsradar deliveries enable NAME    re-enable a channel disabled by a 410 answer

    newsradar alerts feedback ID good|bad        mark an alert (alert id) good or bad
    newsradar alerts feedback --article ID --topic T good|bad   ... a held-back match
    newsradar alerts held-back [--topic T]       what relevance held back (no alert sent)

IDs are delivery ids (one per alert and channel), as printed by ``deliveries list``. The
module keeps its old name (it was the ``alerts`` group): ``alerts retry`` and ``alerts
enable`` are still these commands; ``alerts list|show`` list alerts (``worker.cli.inbox``).
``alerts feedback`` and ``alerts held-back`` are defined here too and mounted under ``alerts``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from worker.cli._common import ConfigOpt, existing_database
from worker.pipeline.states import DeliveryStatus

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from worker.store import Alert

app = typer.Typer(help="Deliveries, one per alert and channel: list, show, retry; re-enable a channel.",
                  no_args_is_help=True)

STATUSES = tuple(DeliveryStatus)


def _sessions(database_url: str | None, config: Path | None = None) -> sessionmaker[Session]:
    from worker.store import make_engine, make_sessionmaker, upgrade

    # the database that exists (the same rule as every command); never creates one
    url = existing_database(database_url, config)
    if url is None:
        raise typer.Exit(0)
    engine = make_engine(url)
    upgrade(engine)  # a fresh database (no run yet) has the tables, and no deliveries
    return make_sessionmaker(engine)


def _now() -> datetime:
    return datetime.now(UTC)


def _ago(d: datetime, now: datetime) -> str:
    secs = max(0.0, (now - _aware(d)).total_seconds())
    return _span(secs) + " ago"


def _due(d: datetime | None, now: datetime) -> str:
    if d is None:
        return "-"
    secs = (_aware(d) - now).total_seconds()
    return "due now" if secs <= 0 else "in " + _span(secs)


def _span(secs: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if secs >= size:
            return f"{secs / size:.0f}{unit}"
    return f"{secs:.0f}s"


def _aware(d: datetime) -> datetime:
    # SQLite hands back naive datetimes; they are stored in UTC
    return d if d.tzinfo else d.replace(tzinfo=UTC)


def _when(d: datetime | None) -> str:
    return d.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ") if d else ""


def _headline(s: Session, alert: Alert, payload: dict[str, Any] | None) -> str:
    from worker.store import Article

    if alert.kind == "system":
        p = payload or {}
        return f"{p.get('type', 'system')}: {(p.get('feed') or {}).get('name') or (p.get('feed') or {}).get('url', '')}"
    article = s.get(Article, alert.article_id) if alert.article_id else None
    return (article.title or article.url) if article else "(article gone)"


DbOption = Annotated[str | None, typer.Option("--database-url", envvar="NEWSRADAR_DATABASE_URL",
                                              help="Database URL (default: $NEWSRADAR_DATABASE_URL, else "
                                                   "SQLite var/newsradar.db next to the config file).")]


@app.command("list")
def list_cmd(
    status: Annotated[str | None, typer.Option(help=f"Only this status: {', '.join(STATUSES)}.")] = None,
    channel: Annotated[str | None, typer.Option(help="Only this channel.")] = None,
    limit: Annotated[int, typer.Option(help="Newest N deliveries.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines instead of a table.")] = False,
    database_url: DbOption = None,
    config: ConfigOpt = None,
) -> None:
    """List deliveries, newest first, and any channel disabled by its endpoint (410)."""
    if status is not None and status not in STATUSES:
        raise typer.BadParameter(f"unknown status {status!r} (expected one of: {', '.join(STATUSES)})",
                                 param_hint="--status")
    from rich.table import Table
    from rich.text import Text
    from sqlalchemy import select

    from worker.redact import redact
    from worker.store import Alert, ChannelState, Delivery
    from worker.terminal import escape_markup, safe_terminal_text

    console = Console()
    with _sessions(database_url, config)() as s:
        disabled = list(s.scalars(select(ChannelState).where(ChannelState.disabled.is_(True))
                                  .order_by(ChannelState.channel)))
        q = select(Delivery, Alert).join(Alert, Alert.id == Delivery.alert_id)
        if status:
            q = q.where(Delivery.status == status)
        if channel:
            q = q.where(Delivery.channel == channel)
        rows = s.execute(q.order_by(Delivery.id.desc()).limit(limit)).all()
        if as_json:
            for ch in disabled:
                typer.echo(json.dumps({"channel": ch.channel, "disabled": True,
                                       "reason": ch.disabled_reason and redact(ch.disabled_reason), "at": _when(ch.disabled_at)}))
            for d, a in rows:
                typer.echo(json.dumps({
                    "id": d.id, "alert_id": a.id, "topic": a.topic_id, "channel": d.channel,
                    "status": d.status, "hold_reason": d.hold_reason, "attempts": d.attempts,
                    "next_attempt_at": _when(d.next_attempt_at), "sent_at": _when(d.sent_at),
                    # stored redacted; redacted again for rows stored before that was so
                    "last_error": d.last_error and redact(d.last_error),
                    "headline": redact(_headline(s, a, d.payload)),
                }, ensure_ascii=False))
            return
        for ch in disabled:
            console.print(f"[bold red]channel {escape_markup(ch.channel)} is DISABLED[/] since "
                          f"{_when(ch.disabled_at)}: {escape_markup(redact(ch.disabled_reason or ''))}\n  re-enable with: newsradar deliveries enable {ch.channel}",
                          highlight=False, soft_wrap=True)
        if not rows:
            console.print("no deliveries" + (f" with status {status}" if status else "")
                          + (f" on channel {channel}" if channel else ""), highlight=False, markup=False)
            return
        # fits 80 columns: the headline takes what is left and is cut with an ellipsis;
        # a delivery that has not been sent shows its last error (wrapped) instead
        table = Table(title="deliveries (newest first); details: newsradar deliveries show ID")
        table.add_column("id", justify="right", no_wrap=True)
        table.add_column("topic", no_wrap=True, overflow="ellipsis", max_width=24)
        table.add_column("channel", no_wrap=True, overflow="ellipsis", max_width=16)
        table.add_column("status", overflow="fold")
        table.add_column("when", no_wrap=True)  # sent, or next try
        table.add_column("headline / error", ratio=1, min_width=16)
        now = _now()
        for d, a in rows:
            state = d.status + (f" ({d.hold_reason})" if d.status == DeliveryStatus.HELD and d.hold_reason else "")
            if d.attempts > 1:
                state += f", {d.attempts} tries"
            when = _ago(d.sent_at, now) if d.sent_at else _due(d.next_attempt_at, now)
            if d.last_error and d.status not in (DeliveryStatus.SENT, DeliveryStatus.DIGESTED):
                text = Text(safe_terminal_text(redact(d.last_error))[:300], style="red", overflow="fold")
            else:
                text = Text(safe_terminal_text(redact(_headline(s, a, d.payload))), no_wrap=True,
                            overflow="ellipsis")
            table.add_row(str(d.id), a.topic_id, d.channel, state, when, text)
        console.print(table)


@app.command()
def show(
    delivery_id: Annotated[int, typer.Argument(help="Delivery id (from `deliveries list`).")],
    database_url: DbOption = None,
    config: ConfigOpt = None,
) -> None:
    """Show one delivery: its alert, article, story sources, every try and the payload."""
    from sqlalchemy import select

    from worker.pipeline.channels import disabled_reason
    from worker.redact import redact
    from worker.store import Article, ChannelState, Delivery, Digest, Feed
    from worker.terminal import safe_terminal_text

    with _sessions(database_url, config)() as s:
        d = s.get(Delivery, delivery_id)
        if d is None:
            typer.echo(f"no delivery {delivery_id}", err=True)
            raise typer.Exit(1)
        a = d.alert
        out = [f"delivery {d.id}  alert {a.id}  topic {a.topic_id}  channel {d.channel}",
               f"status:   {d.status}" + (f" ({d.hold_reason})" if d.hold_reason and d.status == DeliveryStatus.HELD else ""),
               f"attempts: {d.attempts}",
               f"created:  {_when(d.created_at)}"]
        if d.next_attempt_at:
            out.append(f"next:     {_when(d.next_attempt_at)}")
        if d.sent_at:
            out.append(f"sent:     {_when(d.sent_at)}")
        if d.digest_id:
            dg = s.get(Digest, d.digest_id)
            out.append(f"digest:   {d.digest_id}" + (f" ({dg.period_key}, {dg.status})" if dg else ""))
        if d.last_error:
            out.append(f"last error ({d.last_error_code}): {d.last_error}")
        if disabled_reason(s, d.channel) is not None:
            state = s.get(ChannelState, d.channel)
            assert state is not None
            out.append(f"channel {d.channel} is DISABLED since {_when(state.disabled_at)}: {state.disabled_reason}")
        if a.kind == "system" and a.feed_id:
            feed = s.get(Feed, a.feed_id)
            if feed:
                out.append(f"feed:     {feed.url}")
        if a.article_id:
            art = s.get(Article, a.article_id)
            if art:
                out.append(f"article:  {art.title or ''} <{art.url}> ({art.site})")
        if a.story_id:
            others = s.scalars(select(Article).where(Article.story_id == a.story_id,
                                                     Article.id != a.article_id).order_by(Article.id))
            for o in others:
                out.append(f"  also:   {o.site}: {o.title or ''} <{o.url}>")
        out += _why(d.payload)
        if a.match_id:
            from worker.store import Match

            m = s.get(Match, a.match_id)
            if m is not None and m.relevance:
                out += relevance_lines(m.relevance)
        out.append("attempts:")
        if not d.attempt_log:
            out.append("  (none yet)")
        for at in d.attempt_log:
            code = f" HTTP {at.status_code}" if at.status_code else ""
            out.append(f"  {_when(at.at)}  {'ok' if at.ok else 'FAILED'}{code}"
                       + (f"  {at.error}" if at.error else ""))
        out.append("payload:")
        out.append(_compact_json(d.payload) if d.payload else "  (not built yet)")
        # titles, URLs and errors come from outside: no credentials, no escape sequences
        typer.echo(safe_terminal_text(redact("\n".join(out)), keep_newlines=True))


def _why(payload: dict[str, Any] | None) -> list[str]:
    """Why the alert fired, for people: score, matched clauses, highlighted snippets."""
    match = (payload or {}).get("match") or {}
    if not match:
        return []
    score = (match.get("explanation") or {}).get("score") or {}
    lines = [f"score:    {match.get('score', 0):g}"
             + (f" (min_score {score['min_score']:g})" if "min_score" in score else "")]
    lines += [f"  why:    {w}" for w in match.get("why") or []]
    for snip in ((payload or {}).get("article") or {}).get("snippets") or []:
        text, marks = snip.get("text", ""), snip.get("marks") or []
        for start, end in sorted(marks, reverse=True):  # from the end, so offsets hold
            text = text[:start] + "«" + text[start:end] + "»" + text[end:]
        lines.append(f"  match:  {text}")
    return lines


def _compact_json(value: Any, indent: int = 0, width: int = 78) -> str:
    """Indented JSON that keeps a list or object on one line when it fits, so that
    offsets like [56, 66] do not take four lines each."""
    flat = json.dumps(value, ensure_ascii=False)
    if not isinstance(value, dict | list) or not value or 2 * indent + len(flat) <= width:
        return flat
    pad, inner = "  " * indent, "  " * (indent + 1)
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(k, ensure_ascii=False)}: "
                 f"{_compact_json(v, indent + 1, width - len(k) - 4)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if all(not isinstance(v, dict | list) or len(json.dumps(v)) < 20 for v in value):
        # short items (numbers, offset pairs): as many to a line as fit
        lines, line = [], ""
        for v in value:
            item = json.dumps(v, ensure_ascii=False)
            if line and len(inner) + len(line) + len(item) + 2 > width:
                lines.append(line + ",")
                line = ""
            line += (", " if line else "") + item
        return "[\n" + "\n".join(inner + x for x in [*lines, line]) + "\n" + pad + "]"
    items = [inner + _compact_json(v, indent + 1, width) for v in value]
    return "[\n" + ",\n".join(items) + "\n" + pad + "]"


@app.command()
def retry(
    delivery_ids: Annotated[list[int] | None, typer.Argument(help="Delivery ids (from `deliveries list`).")] = None,
    status: Annotated[str | None, typer.Option(
        "--status", help="Every delivery with this status instead: failed, dead or held.")] = None,
    database_url: DbOption = None,
    config: ConfigOpt = None,
) -> None:
    """Queue deliveries for another try (dead, failed, disabled or held): by id, or all
    of one status (--status failed).

    They are due at once and sent by the next `newsradar run` pass (or the service's
    workers); attempts start over on the retry schedule; one already sent is left alone.
    """
    from sqlalchemy import select

    from worker.pipeline.deliveries import retry_delivery
    from worker.store import Delivery

    if bool(delivery_ids) == bool(status):
        typer.echo("error: give delivery ids or --status", err=True)
        raise typer.Exit(2)
    if status is not None and status not in ("failed", "dead", "held", "disabled"):
        typer.echo(f"error: --status: {status!r} cannot be retried (failed, dead, held or disabled)", err=True)
        raise typer.Exit(2)
    now = _now()
    failed = False
    queued = 0
    with _sessions(database_url, config)() as s:
        ids = list(delivery_ids or s.scalars(select(Delivery.id).where(Delivery.status == status)
                                             .order_by(Delivery.id)))
        for did in ids:
            res = retry_delivery(s, did, now)
            if res.why_not == "missing":
                typer.echo(f"no delivery {did}", err=True)
                failed = True
            elif res.why_not == "sent":
                typer.echo(f"delivery {did} was already sent ({_when(res.sent_at)}); nothing to do")
            elif res.why_not == "disabled":
                typer.echo(f"delivery {did}: channel {res.channel} is disabled ({res.disabled_reason}); "
                           f"run `newsradar deliveries enable {res.channel}` first", err=True)
                failed = True
            else:
                typer.echo(f"delivery {did} queued for another try")
                queued += 1
        s.commit()
    if status is not None and not ids:
        typer.echo(f"no {status} deliveries")
    if queued:
        # the CLI only marks them due: the sending is the runner's job
        typer.echo(f"{queued} delivery(ies) due now: sent by the next `newsradar run` pass "
                   "(or by the service's workers on their next tick), not by this command")
    if failed:
        raise typer.Exit(1)


@app.command()
def enable(
    channel: Annotated[str, typer.Argument(help="Channel name (as in the config).")],
    resend: Annotated[bool, typer.Option("--resend/--no-resend",
                                         help="Queue the deliveries the channel skipped while disabled.")] = True,
    database_url: DbOption = None,
    config: ConfigOpt = None,
) -> None:
    """Re-enable a channel that its endpoint disabled (HTTP 410), once the receiver is fixed."""
    from worker.pipeline.deliveries import enable_channel

    now = _now()
    with _sessions(database_url, config)() as s:
        n = enable_channel(s, channel, now, resend=resend)
        if n is None:
            typer.echo(f"channel {channel} is not disabled")
            return
        s.commit()
    typer.echo(f"channel {channel} enabled" + (f"; {n} delivery(ies) queued" if resend else ""))


def relevance_lines(rel: dict[str, Any], indent: str = "") -> list[str]:
    """The relevance of a match for people: score, parts, threshold and the reason."""
    parts = rel.get("parts") or {}
    shown = ", ".join(f"{k} {v:.2f}" for k, v in parts.items() if v is not None)
    verdict = "relevant" if rel.get("relevant") else "held back"
    return [f"{indent}relevance: {float(rel.get('score', 0)):.2f} (min {float(rel.get('min_relevance', 0)):.2f}, "
            f"{verdict})" + (f"  [{shown}]" if shown else ""),
            f"{indent}  reason: {rel.get('reason', '')}"]


@app.command()
def feedback(
    args: Annotated[list[str], typer.Argument(
        help="ALERT_ID good|bad, or good|bad with --article and --topic.")],
    article: Annotated[int | None, typer.Option("--article", help="Article id (a held-back match).")] = None,
    topic: Annotated[str | None, typer.Option("--topic", help="Topic id (with --article).")] = None,
    database_url: DbOption = None,
) -> None:
    """Mark an alert (or a held-back match) good or bad: `topics tune` learns from it."""
    from worker.pipeline.feedback import FeedbackError, record_alert_feedback, record_feedback
    from worker.store import session_scope

    if article is not None or topic is not None:
        if article is None or topic is None or len(args) != 1:
            typer.echo("give --article ID --topic T and one label: good or bad", err=True)
            raise typer.Exit(2)
        label = args[0]
    else:
        if len(args) != 2 or not args[0].isdigit():
            typer.echo("give ALERT_ID good|bad (or --article ID --topic T good|bad)", err=True)
            raise typer.Exit(2)
        label = args[1]
    try:
        with session_scope(_sessions(database_url)) as s:
            if article is not None and topic is not None:
                fb = record_feedback(s, topic, article, label, source="cli", now=_now())
            else:
                fb = record_alert_feedback(s, int(args[0]), label, source="cli", now=_now())
    except FeedbackError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"marked {fb.label}: topic {fb.topic_id}, article {fb.article_id} "
               f"(`newsradar topics tune {fb.topic_id}` learns from it)")


@app.command("held-back")
def held_back(
    topic: Annotated[str | None, typer.Option("--topic", help="Only this topic.")] = None,
    limit: Annotated[int, typer.Option(help="Newest N.")] = 50,
    offset: Annotated[int, typer.Option(help="Skip the newest N first.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines instead of text.")] = False,
    database_url: DbOption = None,
) -> None:
    """Matches the gate passed and relevance held back: no alert was sent for them."""
    print_held_back(topic, limit, offset, as_json, database_url)


def print_held_back(topic: str | None, limit: int, offset: int, as_json: bool,
                    database_url: str | None) -> None:
    from worker.pipeline.matches import count_held_back, list_held_back

    with _sessions(database_url)() as s:
        rows = list_held_back(s, topic_id=topic, limit=limit, offset=offset)
        total = count_held_back(s, topic)
    if as_json:
        for r in rows:
            typer.echo(json.dumps({"match_id": r.match_id, "topic": r.topic_id,
                                   "article_id": r.article_id, "title": r.title, "url": r.url,
                                   "score": r.score, "relevance": r.relevance,
                                   "feedback": r.feedback,
                                   "created_at": r.created_at.isoformat()},
                                  ensure_ascii=False))
        return
    where = f" for topic {topic}" if topic else ""
    typer.echo(f"{total} held-back match(es){where}" + (f", showing {len(rows)}" if total > len(rows) else ""))
    for r in rows:
        mark = f"  [{r.feedback}]" if r.feedback else ""
        typer.echo(f"article {r.article_id}  topic {r.topic_id}  {_when(r.created_at)}{mark}")
        typer.echo(f"  {r.title or ''} <{r.url}>")
        if r.relevance:
            typer.echo("\n".join(relevance_lines(r.relevance, "  ")))
        typer.echo(f"  mark good: newsradar alerts feedback --article {r.article_id} "
                   f"--topic {r.topic_id} good")
