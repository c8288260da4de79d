"""``newsradar articles``: stored articles, their status, errors, matches and text."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from worker.cli._common import (
    EXIT_NOT_FOUND,
    EXIT_USAGE,
    ConfigOpt,
    DatabaseOpt,
    err,
    existing_database,
    iso,
    out,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

app = typer.Typer(help="Stored articles: list them (failed ones with their errors), show one.",
                  no_args_is_help=True)

STATUSES = ("new", "processing", "retry", "done", "failed")


@contextmanager
def read_session(config: Path | None, database_url: str | None) -> Iterator[Session]:
    """A session on the existing database (never creates one: exit 0 after saying so)."""
    from worker.store import make_engine, make_sessionmaker, upgrade

    url = existing_database(database_url, config)
    if url is None:
        raise typer.Exit(0)
    engine = make_engine(url)
    try:
        upgrade(engine)
        with make_sessionmaker(engine)() as s:
            yield s
    finally:
        engine.dispose()


@app.command("list")
def articles_list(
    status: Annotated[str | None, typer.Option(help=f"Only this status: {', '.join(STATUSES)}.")] = None,
    topic: Annotated[str | None, typer.Option(help="Only articles that matched this topic id.")] = None,
    search: Annotated[str | None, typer.Option(help="Words in the title or the cleaned text.")] = None,
    limit: Annotated[int, typer.Option(help="Newest N.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines.")] = False,
    config: ConfigOpt = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Articles, newest first: status, matched topics, and the error of a failed one."""
    from rich.markup import escape
    from rich.table import Table
    from sqlalchemy import or_, select

    from worker.store import Article, Match

    if status is not None and status not in STATUSES:
        err.print(f"error: --status: unknown status {status!r} (expected one of: {', '.join(STATUSES)})",
                  highlight=False, markup=False)
        raise typer.Exit(EXIT_USAGE)
    with read_session(config, database_url) as s:
        q = select(Article)
        if status:
            q = q.where(Article.status == status)
        if topic:
            q = q.where(Article.id.in_(select(Match.article_id).where(Match.topic_id == topic)))
        for word in (search or "").split():
            like = f"%{word}%"
            q = q.where(or_(Article.title.ilike(like), Article.text.ilike(like)))
        rows = list(s.scalars(q.order_by(Article.id.desc()).limit(limit)))
        topics: dict[int, list[str]] = {}
        for m in s.scalars(select(Match).where(Match.article_id.in_([a.id for a in rows]))):
            topics.setdefault(m.article_id, []).append(m.topic_id)
        if as_json:
            for a in rows:
                sys.stdout.write(json.dumps({
                    "id": a.id, "status": a.status, "title": a.title, "url": a.url, "feed_id": a.feed_id,
                    "published_at": iso(a.published_at), "topics": sorted(topics.get(a.id, [])),
                    "error_code": a.error_code, "error": a.error, "attempts": a.attempts,
                }, ensure_ascii=False) + "\n")
            return
        if not rows:
            out.print("no articles" + (f" with status {status}" if status else "")
                      + (f" matching topic {topic}" if topic else "")
                      + (f" containing {search!r}" if search else ""), highlight=False, markup=False)
            return
        table = Table(title=f"{len(rows)} article(s), newest first; details: newsradar articles show ID")
        table.add_column("id", justify="right", no_wrap=True)
        table.add_column("status", no_wrap=True)
        table.add_column("topics", overflow="fold", max_width=24)
        table.add_column("title / error", ratio=1, overflow="fold")
        for a in rows:
            failed = a.status in ("failed", "retry") and (a.error or a.error_code)
            error = f"[{a.error_code}] {a.error or ''}"[:300]
            text = f"[red]{escape(error)}[/]" if failed else escape(a.title or a.url)
            table.add_row(str(a.id), a.status, escape(", ".join(sorted(topics.get(a.id, []))) or "-"), text)
    out.print(table)


@app.command("show")
def articles_show(
    article_id: Annotated[int, typer.Argument(help="The article's id (`articles list`).")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
    config: ConfigOpt = None,
    database_url: DatabaseOpt = None,
) -> None:
    """One article: metadata, status and error, the topics it matched and why, and its
    cleaned text."""
    from sqlalchemy import select

    from worker.alerts.message import why_matched
    from worker.redact import redact
    from worker.store import Article, Feed, Match

    with read_session(config, database_url) as s:
        a = s.get(Article, article_id)
        if a is None:
            err.print(f"error: no article {article_id}", highlight=False, markup=False)
            raise typer.Exit(EXIT_NOT_FOUND)
        feed = s.get(Feed, a.feed_id) if a.feed_id else None
        matches = list(s.scalars(select(Match).where(Match.article_id == a.id).order_by(Match.score.desc())))
        data: dict[str, Any] = {
            "id": a.id, "title": a.title, "url": a.url, "canonical_url": a.canonical_url,
            # a feed URL may carry credentials; the stored error is redacted already
            "feed": redact(feed.name or feed.title or feed.url) if feed else None, "site": a.site,
            "author": a.author, "language": a.language, "published_at": iso(a.published_at),
            "fetched_at": iso(a.fetched_at), "status": a.status, "attempts": a.attempts,
            "error_code": a.error_code, "error": a.error, "story_id": a.story_id,
            "matches": [{"topic": m.topic_id, "score": m.score, "why": why_matched(m.explanation or {}),
                         "highlights": list(m.highlights or [])} for m in matches],
            "text": a.text,
        }
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
        return
    lines = [f"article {data['id']}: {data['title'] or '(no title)'}", f"  url:       {data['url']}"]
    for key in ("feed", "site", "author", "language", "published_at", "fetched_at"):
        if data[key]:
            lines.append(f"  {key + ':':<10} {data[key]}")
    lines.append(f"  status:    {data['status']} ({data['attempts']} attempt(s))")
    if data["error"] or data["error_code"]:
        lines.append(f"  error:     [{data['error_code']}] {data['error'] or ''}")
    if data["story_id"]:
        lines.append(f"  story:     {data['story_id']}")
    if matches:
        lines.append("matches:")
        for m in data["matches"]:
            lines.append(f"  {m['topic']} (score {m['score']:g})")
            lines += [f"    {why}" for why in m["why"]]
    else:
        lines.append("matches:   none")
    lines.append("")
    lines.append("text:" if data["text"] else "text: (none stored)")
    if data["text"]:
        lines.append(data["text"])
    out.print("\n".join(lines), highlight=False, markup=False, soft_wrap=True)
