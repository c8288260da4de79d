"""``newsradar feeds``: the feeds and their state."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Annotated

import typer

from worker.cli._common import DatabaseOpt, ago, iso, out, settings

app = typer.Typer(help="Feeds and their state.", no_args_is_help=True)


@app.command("list")
def feeds_list(
    database_url: DatabaseOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines.")] = False,
) -> None:
    """Feeds with their status, last poll, next poll and errors."""
    from rich.table import Table
    from sqlalchemy import select

    from worker.redact import redact
    from worker.store import Feed, make_engine, make_sessionmaker, upgrade
    from worker.terminal import escape_markup, safe_terminal_text

    cfg_settings = settings(database_url)
    engine = make_engine(cfg_settings.database_url)
    upgrade(engine)
    with make_sessionmaker(engine)() as s:
        feeds = list(s.scalars(select(Feed).order_by(Feed.id)))
    engine.dispose()
    if as_json:
        for f in feeds:
            sys.stdout.write(json.dumps({
                "id": f.id, "url": redact(f.url), "name": f.name and redact(f.name), "enabled": f.enabled, "status": f.status,
                "last_polled_at": iso(f.last_polled_at), "next_poll_at": iso(f.next_poll_at),
                "consecutive_errors": f.consecutive_errors, "last_error_code": f.last_error_code,
                "last_error": f.last_error and redact(f.last_error),
                "problems": [redact(p) for p in f.last_problems or []],
            }) + "\n")
        return
    if not feeds:
        out.print("no feeds yet: the config's feeds are stored on the first `newsradar run`",
                  highlight=False, markup=False)
        return
    # the table keeps to short columns so it fits 80; errors and problems, which are
    # long (URL, resolver message), follow it one per line
    table = Table(title=f"{len(feeds)} feed(s)")
    table.add_column("id", justify="right", no_wrap=True)
    table.add_column("feed", overflow="fold", ratio=1)
    for col in ("status", "last poll", "next poll", "errors", "last error"):
        table.add_column(col, no_wrap=col != "status")
    now = datetime.now(UTC)
    notes: list[str] = []
    for f in feeds:
        status = f.status if f.enabled else f"{f.status} (disabled)"
        code = f.last_error_code or ("problems" if f.last_error or f.last_problems else "-")
        table.add_row(
            str(f.id), escape_markup(redact(f.name or f.url)), status, ago(f.last_polled_at, now),
            ago(f.next_poll_at, now), str(f.consecutive_errors), escape_markup(code),
        )
        if f.last_error:
            notes.append(f"feed {f.id}: [{f.last_error_code}] {f.last_error}")
        notes += [f"feed {f.id}: problem: {p}" for p in f.last_problems or []]
    out.print(table)
    for note in notes:
        out.print(safe_terminal_text(redact(note)), highlight=False, markup=False, soft_wrap=True)
