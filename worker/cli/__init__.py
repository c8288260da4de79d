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
    alerts     newsradar alerts …       deliveries: list, show, retry; enable a channel
    sources    newsradar sources …      fetch and parse a feed; canonical URLs
"""

from __future__ import annotations


def main() -> None:
    from worker.cli.app import main as run

    run()


__all__ = ["main"]
