"""``newsradar run``: poll, process and deliver in one process (the embedded runner)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from worker.cli._common import (
    ConfigOpt,
    DatabaseOpt,
    config_path,
    db_message,
    err,
    load,
    reflow,
    settings,
    setup_logging,
)

if TYPE_CHECKING:
    from rich.console import Console

    from worker.pipeline import DeliveryResult, PollResult, ProcessResult

app = typer.Typer()


class _RichProgress:
    """The runner's ``Progress``, drawn as rich progress bars."""

    def __init__(self, console: Console) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self._p = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                           TextColumn("{task.fields[last]}"), console=console, transient=False)
        self._tasks: dict[str, Any] = {}
        self._current: str | None = None

    def __enter__(self) -> _RichProgress:
        self._p.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._p.__exit__(*exc)

    def stage(self, name: str, total: int) -> None:
        self._current = name
        self._tasks[name] = self._p.add_task(name, total=total, last="")

    def _advance(self, text: str) -> None:
        if self._current:
            self._p.update(self._tasks[self._current], advance=1, last=text[:70])

    def feed(self, feed_id: int, result: PollResult) -> None:
        self._advance(f"feed {feed_id}: " + (result.error or ("not modified" if result.not_modified
                                                              else f"{len(result.new_article_ids)} new")))

    def article(self, article_id: int, result: ProcessResult) -> None:
        held = f" (held back: {', '.join(result.held_back_topics)})" if result.held_back_topics else ""
        self._advance(f"article {article_id}: {result.status} {', '.join(result.matched_topics)}{held}")

    def delivery(self, delivery_id: int, result: DeliveryResult) -> None:
        self._advance(f"delivery {delivery_id}: {result.status}")


@app.command()
@reflow
def run(
    config: ConfigOpt = None,
    database_url: DatabaseOpt = None,
    once: Annotated[bool, typer.Option("--once", help="One pass, then exit.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
) -> None:
    """Poll due feeds, process new articles and deliver alerts, in one process.

    Loops at the configured interval (run.interval); --once does one pass and exits.

    The database is SQLite (var/newsradar.db next to the config file) unless
    NEWSRADAR_DATABASE_URL or --database-url says otherwise. In a loop, a changed config
    file, and feeds or topics added meanwhile, are picked up between passes.

    Exits non-zero only when the run itself cannot work (bad config, no database), never
    because one feed or page failed: those are recorded and shown by `feeds list`.
    """
    from rich.markup import escape

    from worker.config import load_config
    from worker.errors import ConfigError
    from worker.pipeline.console import apply_console, console_version
    from worker.pipeline.context import build_context
    from worker.pipeline.runner import Progress, run_once
    from worker.redact import redact

    setup_logging(verbose)
    cfg = load(config)
    cfg_settings = settings(database_url, config)
    try:
        ctx = build_context(cfg, cfg_settings)
        version = apply_console(ctx, cfg)
    except Exception as exc:
        err.print(f"[red]error:[/] cannot open the database {redact(cfg_settings.database_url)}: "
                  f"{escape(redact(db_message(exc)))}", markup=True, highlight=False, soft_wrap=True)
        raise typer.Exit(3) from exc
    source = config_path(config)
    stamp = _stamp(source)
    show = not quiet and sys.stderr.isatty()
    try:
        while True:
            started = time.monotonic()
            if show:
                with _RichProgress(err) as bars:
                    summary = run_once(ctx, bars)
            else:
                summary = run_once(ctx, Progress())
            if not quiet:
                err.print(
                    f"polled {summary.feeds_polled} feed(s) ({summary.feeds_failed} failed, "
                    f"{summary.feeds_not_modified} not modified), {summary.articles_new} new article(s), "
                    f"processed {summary.articles_processed} ({summary.articles_failed} failed), "
                    f"{summary.new_alerts} new alert(s), "
                    f"{summary.deliveries_sent} delivery(ies) sent ({summary.deliveries_failed} failed), "
                    f"{summary.digests_sent} digest(s)",
                    highlight=False, soft_wrap=True,  # one line, also when piped
                )
            if once:
                return
            time.sleep(max(1.0, cfg.run.interval - (time.monotonic() - started)))
            # between passes: a changed YAML rebuilds the context (channels, policy,
            # topics); a console or `feeds add` change re-reads the feeds and topics
            if _stamp(source) != stamp:
                stamp = _stamp(source)
                try:
                    new_cfg = load_config(source)
                except ConfigError as exc:
                    err.print(f"config changed but is invalid, keeping the previous one: {exc}",
                              highlight=False, markup=False, soft_wrap=True)
                else:
                    ctx.close()
                    cfg = new_cfg
                    ctx = build_context(cfg, cfg_settings)
                    version = apply_console(ctx, cfg)
                    err.print(f"config reloaded from {source}", highlight=False, markup=False)
                    continue
            with ctx.session() as s:
                changed = console_version(s) != version
            if changed:
                version = apply_console(ctx, cfg)
    except KeyboardInterrupt:
        return
    finally:
        ctx.close()


def _stamp(path: Path) -> tuple[float, int, str]:
    """What tells a changed config file: mtime, size and a hash of its bytes."""
    import hashlib

    try:
        data = path.read_bytes()
        return (path.stat().st_mtime, len(data), hashlib.sha256(data).hexdigest())
    except OSError:
        return (0.0, 0, "")
