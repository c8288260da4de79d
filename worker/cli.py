"""The ``newsradar`` command line."""

from __future__ import annotations

import inspect
import json
import logging
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from worker.errors import ConfigError
from worker.redact import install_log_redaction, redact

app = typer.Typer(
    name="newsradar",
    help="Poll news feeds, clean articles down to the story, match watch topics, deliver alerts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
feeds_app = typer.Typer(help="Feeds and their state.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(feeds_app, name="feeds")

out = Console()
err = Console(stderr=True)

ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Config file (default: $NEWSRADAR_CONFIG or config/newsradar.yaml)."),
]
DatabaseOpt = Annotated[
    str | None,
    typer.Option("--database-url", help="Database URL (default: $NEWSRADAR_DATABASE_URL or sqlite:///var/newsradar.db)."),
]


def _setup_logging(verbose: bool = False) -> None:
    level = os.environ.get("NEWSRADAR_LOG_LEVEL", "DEBUG" if verbose else "WARNING")
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_log_redaction()


def _settings(database_url: str | None = None):  # type: ignore[no-untyped-def]
    from worker.config import get_settings

    settings = get_settings()
    if database_url:
        settings = settings.model_copy(update={"database_url": database_url})
    return settings


def _load(config: Path | None):  # type: ignore[no-untyped-def]
    from worker.config import load_config

    try:
        return load_config(config)
    except ConfigError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, markup=True, soft_wrap=True)
        hint = _missing_config_hint(exc, config)
        if hint:
            err.print(hint, highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(2) from exc


def _missing_config_hint(exc: ConfigError, config: Path | None) -> str | None:
    """What to do when the default config is not where newsradar looked."""
    if (config is None and "NEWSRADAR_CONFIG" not in os.environ
            and any(p.endswith(": file not found") for p in exc.problems)):
        return ("  the default path is relative to the current directory (the project's root "
                "has config/newsradar.yaml): give --config FILE or set NEWSRADAR_CONFIG")
    return None


def _reflow(fn: Any) -> Any:
    """Join each docstring paragraph onto one line: typer's rich help keeps single line
    breaks, which wrap raggedly in an 80-column terminal."""
    doc = inspect.cleandoc(fn.__doc__ or "")
    fn.__doc__ = "\n\n".join(" ".join(p.split()) for p in doc.split("\n\n"))
    return fn


def _iso(d: datetime | None) -> str | None:
    return d.isoformat() if d else None


# ---------------------------------------------------------------------------
# scan


SCAN_SUFFIXES = {".txt", ".html", ".htm", ".xhtml", ""}


def _scan_files(paths: list[Path], recursive: bool) -> list[Path]:
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            pattern = "**/*" if recursive else "*"
            files += sorted(f for f in p.glob(pattern) if f.is_file() and f.suffix.lower() in SCAN_SUFFIXES)
        elif p.exists():
            files.append(p)
        else:
            err.print(f"[red]error:[/] {p}: no such file or directory")
            raise typer.Exit(2)
    return files


@app.command()
@_reflow
def scan(
    paths: Annotated[list[Path], typer.Argument(help="Files or directories (HTML or plain text, detected).")],
    config: ConfigOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per file per line.")] = False,
    recursive: Annotated[bool, typer.Option("--recursive", "-r", help="Descend into sub-directories.")] = False,
) -> None:
    """Clean and match local pages against the configured topics (no database, no network).

    A directory is scanned one level deep (its .txt/.html files) unless --recursive.
    """
    from worker.clean import clean_page
    from worker.pipeline import build_index
    from worker.topics import Document
    cfg = _load(config)
    index = build_index(cfg)
    rows = []
    for f in _scan_files(paths, recursive):
        story = clean_page(f.read_bytes(), url=None)
        doc = Document(title=story.title or "", body=story.text, site=None, lang=story.language)
        matches = index.match(doc)
        rec = {
            "path": str(f),
            "title": story.title,
            "published": story.to_dict()["published"],  # a bare date when the page gives no time
            "matches": [
                {"topic": m.topic_id, "score": round(m.score, 4), "highlights": m.highlights}
                for m in matches
            ],
        }
        if story.status != "ok":
            rec["status"] = story.status
        rows.append(rec)
        if as_json:
            sys.stdout.write(json.dumps(rec, ensure_ascii=False) + "\n")
    if as_json:
        return
    if not rows:
        err.print("no pages to scan (.txt, .html, .htm, .xhtml or no suffix); a directory is "
                  "read one level deep unless --recursive", highlight=False, markup=False)
        return
    # 80 columns: whole file names, the date only (--json has the time), a topic a line
    table = Table(title=f"{len(rows)} file(s), {len(cfg.topics)} topic(s)")
    table.add_column("file", no_wrap=True)
    table.add_column("title", overflow="fold", ratio=1)
    table.add_column("date", no_wrap=True)
    table.add_column("topics (score)", no_wrap=True)
    for r in rows:
        topics = "\n".join(f"{m['topic']} ({m['score']:g})" for m in r["matches"]) or "-"
        title = r["title"] or (f"({r['status']})" if "status" in r else "")
        table.add_row(escape(Path(r["path"]).name), escape(title),
                      (r["published"] or "")[:10], escape(topics))
    out.print(table)


# ---------------------------------------------------------------------------
# run


class _RichProgress:
    def __init__(self, console: Console) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self._p = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                           TextColumn("{task.fields[last]}"), console=console, transient=False)
        self._tasks: dict[str, Any] = {}
        self._current: str | None = None

    def __enter__(self) -> _RichProgress:
        self._p.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._p.__exit__(*exc)

    def stage(self, name: str, total: int) -> None:
        self._current = name
        self._tasks[name] = self._p.add_task(name, total=total, last="")

    def _advance(self, text: str) -> None:
        if self._current:
            self._p.update(self._tasks[self._current], advance=1, last=text[:70])

    def feed(self, feed_id: int, result: Any) -> None:
        self._advance(f"feed {feed_id}: " + (result.error or ("not modified" if result.not_modified
                                                              else f"{len(result.new_article_ids)} new")))

    def article(self, article_id: int, result: Any) -> None:
        self._advance(f"article {article_id}: {result.status} {', '.join(result.matched_topics)}")

    def delivery(self, delivery_id: int, result: Any) -> None:
        self._advance(f"delivery {delivery_id}: {result.status}")


@app.command()
@_reflow
def run(
    config: ConfigOpt = None,
    database_url: DatabaseOpt = None,
    once: Annotated[bool, typer.Option("--once", help="One pass, then exit.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
) -> None:
    """Poll due feeds, process new articles and deliver alerts, in one process.

    Loops at the configured interval (run.interval); --once does one pass and exits.

    The database is SQLite (./var/newsradar.db) unless NEWSRADAR_DATABASE_URL or
    --database-url says otherwise.

    Exits non-zero only when the run itself cannot work (bad config, no database), never
    because one feed or page failed: those are recorded and shown by `feeds list`.
    """
    from worker.pipeline import Progress, build_context, run_once

    _setup_logging(verbose)
    cfg = _load(config)
    settings = _settings(database_url)
    try:
        ctx = build_context(cfg, settings)
    except Exception as exc:
        err.print(f"[red]error:[/] cannot open the database {redact(settings.database_url)}: "
                  f"{escape(redact(_db_message(exc)))}", markup=True, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from exc
    show = not quiet and sys.stderr.isatty()
    try:
        while True:
            started = time.monotonic()
            if show:
                with _RichProgress(err) as progress:
                    summary = run_once(ctx, progress)
            else:
                summary = run_once(ctx, Progress())
            if not quiet:
                err.print(
                    f"polled {summary.feeds_polled} feed(s) ({summary.feeds_failed} failed, "
                    f"{summary.feeds_not_modified} not modified), {summary.articles_new} new article(s), "
                    f"processed {summary.articles_processed} ({summary.articles_failed} failed), "
                    f"sent {summary.deliveries_sent} alert(s) ({summary.deliveries_failed} failed), "
                    f"{summary.digests_sent} digest(s)",
                    highlight=False, soft_wrap=True,  # one line, also when piped
                )
            if once:
                return
            time.sleep(max(1.0, cfg.run.interval - (time.monotonic() - started)))
    except KeyboardInterrupt:
        return
    finally:
        ctx.close()


def _db_message(exc: BaseException) -> str:
    """The driver's own words (host, port, reason), without SQLAlchemy's SQL and links."""
    orig = getattr(exc, "orig", None)
    return " ".join(str(orig or exc).split())


# ---------------------------------------------------------------------------
# db


@db_app.command("upgrade")
def db_upgrade(database_url: DatabaseOpt = None) -> None:
    """Apply the schema migrations (idempotent)."""
    from worker.store import make_engine, upgrade
    from worker.store.db import current_revision

    settings = _settings(database_url)
    engine = make_engine(settings.database_url)
    try:
        upgrade(engine)
        out.print(f"database {redact(settings.database_url)} at revision {current_revision(engine)}")
    finally:
        engine.dispose()


# ---------------------------------------------------------------------------
# feeds


@feeds_app.command("list")
def feeds_list(
    database_url: DatabaseOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines.")] = False,
) -> None:
    """Feeds with their status, last poll, next poll and errors."""
    from sqlalchemy import select

    from worker.store import Feed, make_engine, make_sessionmaker, upgrade

    settings = _settings(database_url)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    with make_sessionmaker(engine)() as s:
        feeds = list(s.scalars(select(Feed).order_by(Feed.id)))
    engine.dispose()
    if as_json:
        for f in feeds:
            sys.stdout.write(json.dumps({
                "id": f.id, "url": f.url, "name": f.name, "enabled": f.enabled, "status": f.status,
                "last_polled_at": _iso(f.last_polled_at), "next_poll_at": _iso(f.next_poll_at),
                "consecutive_errors": f.consecutive_errors, "last_error_code": f.last_error_code,
                "last_error": f.last_error, "problems": f.last_problems or [],
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
            str(f.id), escape(f.name or f.url), status, _ago(f.last_polled_at, now),
            _ago(f.next_poll_at, now), str(f.consecutive_errors), escape(code),
        )
        if f.last_error:
            notes.append(f"feed {f.id}: [{f.last_error_code}] {f.last_error}")
        notes += [f"feed {f.id}: problem: {p}" for p in f.last_problems or []]
    out.print(table)
    for note in notes:
        out.print(note, highlight=False, markup=False, soft_wrap=True)


def _ago(d: datetime | None, now: datetime) -> str:
    if d is None:
        return "-"
    secs = (d - now).total_seconds()
    word = "in " if secs > 0 else ""
    tail = "" if secs > 0 else " ago"
    secs = abs(secs)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if secs >= size:
            return f"{word}{secs / size:.0f}{unit}{tail}"
    return f"{word}{secs:.0f}s{tail}"


# ---------------------------------------------------------------------------
# sub-apps of the stage packages


def _mount() -> None:
    """Mount the stage packages' commands (each package owns its own CLI module).
    Imported here rather than at the top so that `newsradar --help` stays quick."""
    from worker.alerts.commands import app as alerts_app
    from worker.clean.commands import app as clean_app
    from worker.service.commands import register as register_service
    from worker.sources.commands import app as sources_app
    from worker.topics.commands import app as topics_app

    register_service(app)
    app.add_typer(clean_app, name="clean")
    app.add_typer(topics_app, name="topics")
    app.add_typer(alerts_app, name="alerts")
    app.add_typer(sources_app, name="sources")


def main() -> None:
    from sqlalchemy.exc import ArgumentError, DBAPIError

    _mount()
    try:
        app()
    except (DBAPIError, ArgumentError) as exc:
        # an unreachable or unusable database: one line saying so, not a traceback
        err.print(f"[bold red]error:[/] database: {escape(redact(_db_message(exc)))}\n"
                  "  check NEWSRADAR_DATABASE_URL or --database-url", highlight=False, soft_wrap=True)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
