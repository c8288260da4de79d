"""The ``newsradar`` command line, one module per command group:

    app        the typer app: mounts every group; ``main`` (the console script)
    _common    consoles, shared options, config and settings loading, formatters
    scan       newsradar scan           clean and match local pages (no database)
    run        newsradar run            the embedded runner
    db         newsradar db …           schema migrations
    feeds      newsradar feeds …        feeds and their state
    service    newsradar worker|beat|health   the Celery service
    clean      newsradar clean …        the cleaner on one page; tune it
    topics     newsradar topics …       check, try and backtest watch topics
    inbox      newsradar alerts …       alerts, one per topic and story; feedback; held back
    alerts     newsradar deliveries …   deliveries: list, show, retry; enable a channel
    articles, status, init, config, channels, web   (see ``newsradar --help``)
    sources    newsradar sources …      fetch and parse a feed; canonical URLs

Help and usage errors are click's plain text, not typer's rich panels: rich's help
renderer imports markdown and traceback machinery (about 0.25 s) on every ``--help``,
which is most of a command's start-up. Commands still print their own tables with rich.
"""

from __future__ import annotations

import os

# before typer is imported anywhere (typer.core reads it once, at import)
os.environ.setdefault("TYPER_USE_RICH", "0")


def main() -> None:
    from worker.cli.app import main as run

    run()


__all__ = ["main"]
