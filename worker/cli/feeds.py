"""``newsradar feeds``: the feeds and their state; add, remove, refresh, enable,
import and export. Feeds defined in the YAML are read-only here ("defined in config");
feeds added here are stored in the database (``console_feeds``, as the console's are)
and polled by the next `newsradar run` alongside the YAML's."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from worker.cli._common import (
    EXIT_NOT_FOUND,
    EXIT_USAGE,
    ConfigOpt,
    DatabaseOpt,
    ago,
    err,
    existing_database,
    iso,
    load,
    out,
    settings,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from worker.config import Config

app = typer.Typer(help="Feeds and their state: list, add, remove, refresh, enable, import, export.",
                  no_args_is_help=True)


@contextmanager
def _session(config: Path | None, database_url: str | None, *, create: bool,
             need_config: bool = True) -> Iterator[tuple[Config, Session]]:
    """The config and a session on the (migrated) database; the caller's changes are
    committed on success. ``create=False``: a missing SQLite file is not created.
    ``need_config=False``: the config only locates the database (an empty Config)."""
    from worker.config import Config
    from worker.store import make_engine, make_sessionmaker, session_scope, upgrade

    cfg = load(config) if need_config else Config()
    if create:
        url = settings(database_url, config).database_url
    else:
        found = existing_database(database_url, config)
        if found is None:
            raise typer.Exit(0)
        url = found
    engine = make_engine(url)
    try:
        upgrade(engine)
        with session_scope(make_sessionmaker(engine)) as s:
            yield cfg, s
    finally:
        engine.dispose()


@contextmanager
def _refusal() -> Iterator[None]:
    from worker.pipeline.console import FeedChangeError
    from worker.pipeline.feeds import FeedNotFound

    try:
        yield
    except FeedChangeError as exc:
        err.print(f"error: {exc.detail}", highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(EXIT_NOT_FOUND if exc.kind == "not_found" else EXIT_USAGE) from None
    except FeedNotFound as exc:
        err.print(f"error: no feed {exc.args[0]}", highlight=False, markup=False)
        raise typer.Exit(EXIT_NOT_FOUND) from None


def _now() -> datetime:
    return datetime.now(UTC)


@app.command("list")
def feeds_list(
    config: ConfigOpt = None,
    database_url: DatabaseOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines.")] = False,
    show_all: Annotated[bool, typer.Option("--all", help="Also feeds no longer configured (removed).")] = False,
) -> None:
    """Feeds with their origin, status, last poll, next poll and errors."""
    from rich.table import Table
    from sqlalchemy import select

    from worker.redact import redact
    from worker.store import ConsoleFeed, Feed
    from worker.terminal import escape_markup, safe_terminal_text

    with _session(config, database_url, create=False, need_config=False) as (_cfg, s):
        feeds = [f for f in s.scalars(select(Feed).order_by(Feed.id)) if show_all or f.status != "removed"]
        added = set(s.scalars(select(ConsoleFeed.url)))
        origins = {f.id: "removed" if f.status == "removed" else "added" if f.url in added else "config"
                   for f in feeds}
        if as_json:
            for f in feeds:
                sys.stdout.write(json.dumps({
                    "id": f.id, "url": redact(f.url), "name": f.name and redact(f.name),
                    "origin": origins[f.id], "enabled": f.enabled,
                    "status": f.status, "last_polled_at": iso(f.last_polled_at),
                    "next_poll_at": iso(f.next_poll_at), "consecutive_errors": f.consecutive_errors,
                    "last_error_code": f.last_error_code,
                    "last_error": f.last_error and redact(f.last_error),
                    "problems": [redact(p) for p in f.last_problems or []],
                }) + "\n")
            return
        if not feeds:
            out.print("no feeds yet: `newsradar feeds add URL`, or the config's feeds are stored on the "
                      "first `newsradar run`", highlight=False, markup=False)
            return
        table = Table(title=f"{len(feeds)} feed(s)")
        table.add_column("id", justify="right", no_wrap=True)
        table.add_column("feed", overflow="fold", ratio=1)
        for col in ("status", "last poll", "next poll", "errors", "last error"):
            table.add_column(col, no_wrap=col != "status")
        now = _now()
        notes: list[str] = []
        for f in feeds:
            status = f.status if f.enabled or f.status == "removed" else f"{f.status} (disabled)"
            code = f.last_error_code or ("problems" if f.last_error or f.last_problems else "-")
            table.add_row(
                str(f.id), escape_markup(redact(f.name or f.url)) + (" (added)" if origins[f.id] == "added" else ""),
                status, ago(f.last_polled_at, now),
                ago(f.next_poll_at, now), str(f.consecutive_errors), escape_markup(code),
            )
            if f.last_error:
                notes.append(f"feed {f.id}: [{f.last_error_code}] {f.last_error}")
            notes += [f"feed {f.id}: problem: {p}" for p in f.last_problems or []]
    out.print(table)
    for note in notes:
        out.print(safe_terminal_text(redact(note)), highlight=False, markup=False, soft_wrap=True)


@app.command("add")
def feeds_add(
    url: Annotated[str, typer.Argument(help="A feed URL, or a web page that links to its feed.")],
    name: Annotated[str | None, typer.Option("--name", help="Shown in lists and alerts.")] = None,
    interval: Annotated[str, typer.Option("--interval", help="Poll interval: 900, '15m', '1h'.")] = "15m",
    no_check: Annotated[bool, typer.Option("--no-check", help="Add without fetching it first.")] = False,
    config: ConfigOpt = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Add a feed: fetched first (through the config's network policy), a web page's
    linked feed discovered; polled by the next `newsradar run`."""
    from worker.config import parse_duration
    from worker.pipeline.console import add_feed
    from worker.redact import redact

    try:
        seconds = parse_duration(interval)
    except ValueError as exc:
        err.print(f"error: --interval: {exc}", highlight=False, markup=False)
        raise typer.Exit(EXIT_USAGE) from None
    with _refusal(), _session(config, database_url, create=True) as (cfg, s):
        feed = add_feed(s, cfg, url, name=name, poll_interval=seconds, now=_now(), discover=not no_check)
        fid, furl, fname = feed.id, feed.url, feed.name
    out.print(f"added feed {fid}: {redact(furl)}" + (f" ({fname})" if fname else "") +
              "; polled by the next `newsradar run`", highlight=False, markup=False, soft_wrap=True)


@app.command("remove")
def feeds_remove(
    feed_id: Annotated[int, typer.Argument(help="The feed's id (`feeds list`).")],
    config: ConfigOpt = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Remove a feed added with `feeds add` (or the console); its articles and alerts
    stay. A feed defined in the config is removed from the YAML file."""
    from worker.pipeline.console import remove_feed
    from worker.redact import redact

    with _refusal(), _session(config, database_url, create=False) as (cfg, s):
        feed = remove_feed(s, cfg, feed_id)
        furl = feed.url
    out.print(f"removed feed {feed_id}: {redact(furl)}", highlight=False, markup=False, soft_wrap=True)


@app.command("refresh")
def feeds_refresh(
    feed_id: Annotated[int | None, typer.Argument(help="The feed's id (`feeds list`).")] = None,
    all_feeds: Annotated[bool, typer.Option("--all", help="Every configured feed.")] = False,
    config: ConfigOpt = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Poll now: the feed is due at once, its backoff cleared, a gone (410) feed tried
    again; the next `newsradar run` (or the running service) polls it."""
    from worker.pipeline.feeds import refresh_all, refresh_feed
    from worker.redact import redact

    if (feed_id is None) == (not all_feeds):
        err.print("error: give a feed id or --all", highlight=False, markup=False)
        raise typer.Exit(EXIT_USAGE)
    with _refusal(), _session(config, database_url, create=False, need_config=False) as (_cfg, s):
        feeds = refresh_all(s, _now()) if all_feeds else [refresh_feed(s, feed_id or 0, _now())]
        lines = [f"feed {f.id}: due now ({redact(f.url)})" for f in feeds]
    for line in lines:
        out.print(line, highlight=False, markup=False, soft_wrap=True)
    out.print(f"{len(lines)} feed(s) will be polled by the next `newsradar run`", highlight=False, markup=False)


def _set_enabled(feed_id: int, enabled: bool, config: Path | None, database_url: str | None) -> None:
    from worker.pipeline.console import set_feed_enabled

    with _refusal(), _session(config, database_url, create=False) as (cfg, s):
        feed = set_feed_enabled(s, cfg, feed_id, enabled, _now())
        status = feed.status
    word = "enabled: polled by the next `newsradar run`" if enabled else "disabled"
    out.print(f"feed {feed_id} {word} (status {status})", highlight=False, markup=False)


@app.command("enable")
def feeds_enable(
    feed_id: Annotated[int, typer.Argument(help="The feed's id (`feeds list`).")],
    config: ConfigOpt = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Poll a feed again, including one that answered 410 Gone."""
    _set_enabled(feed_id, True, config, database_url)


@app.command("disable")
def feeds_disable(
    feed_id: Annotated[int, typer.Argument(help="The feed's id (`feeds list`).")],
    config: ConfigOpt = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Stop polling a feed added with `feeds add` (a config feed: enabled: false in the YAML)."""
    _set_enabled(feed_id, False, config, database_url)


@app.command("import")
def feeds_import(
    file: Annotated[Path, typer.Argument(help="An OPML file ('-' for stdin).")],
    config: ConfigOpt = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Add every feed of an OPML file not yet known (each is polled, and any error
    recorded on it, by the next run)."""
    from worker.pipeline.console import import_opml

    try:
        data: Any = sys.stdin.buffer.read() if str(file) == "-" else file.read_bytes()
    except OSError as exc:
        err.print(f"error: {file}: {exc.strerror or exc}", highlight=False, markup=False)
        raise typer.Exit(EXIT_USAGE) from None
    with _refusal(), _session(config, database_url, create=True) as (cfg, s):
        result = import_opml(s, cfg, data, _now())
    for url in result.added:
        out.print(f"added {url}", highlight=False, markup=False, soft_wrap=True)
    for line in result.skipped:
        out.print(f"skipped {line}", highlight=False, markup=False, soft_wrap=True)
    out.print(f"{len(result.added)} added, {len(result.skipped)} skipped", highlight=False, markup=False)


@app.command("export")
def feeds_export(
    config: ConfigOpt = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Every feed (config and added) as OPML on stdout."""
    from worker.pipeline.console import export_opml

    with _session(config, database_url, create=True) as (cfg, s):
        sys.stdout.write(export_opml(s, cfg))
