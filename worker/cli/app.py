"""The ``newsradar`` typer app: every command group mounted, each from its own module.

The command modules import only typer, rich's console and ``worker.cli._common`` at the
top; the pipeline, the store, the stages and Celery are imported inside the commands,
so that ``newsradar --help`` starts fast.
"""

from __future__ import annotations

import copy

import typer

from worker.cli import (
    alerts,
    articles,
    channels,
    clean,
    config,
    db,
    feeds,
    inbox,
    init,
    run,
    scan,
    service,
    sources,
    status,
    topics,
    web,
)

app = typer.Typer(
    name="newsradar",
    help="Poll news feeds, clean articles down to the story, match watch topics, deliver alerts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # click's plain help (worker/cli/__init__.py) wraps at 80 by default: use a wider
    # terminal when there is one
    context_settings={"max_content_width": 120},
)

# top-level commands, in the order --help lists them
app.registered_commands += (init.app.registered_commands + scan.app.registered_commands
                            + run.app.registered_commands + status.app.registered_commands)
app.add_typer(config.app, name="config")
app.add_typer(db.app, name="db")
app.add_typer(feeds.app, name="feeds")
service.register(app)  # worker, beat, health
app.add_typer(clean.app, name="clean")
app.add_typer(topics.app, name="topics")
# alerts: one per (topic, story); deliveries: one per alert and channel. `alerts retry`
# and `alerts enable` (delivery ids, channel names) stay as the old names of the
# deliveries commands; `alerts feedback` and `alerts held-back` (relevance) are alerts'
_TO_ALERTS = ("retry", "enable", "feedback", "held_back")
_ALERTS_ONLY = ("feedback", "held_back")
inbox.app.registered_commands += [copy.copy(c) for c in alerts.app.registered_commands
                                  if c.callback and c.callback.__name__ in _TO_ALERTS]
for _c in alerts.app.registered_commands:  # still callable there, but listed under alerts only
    if _c.callback and _c.callback.__name__ in _ALERTS_ONLY:
        _c.hidden = True
app.add_typer(inbox.app, name="alerts")
app.add_typer(alerts.app, name="deliveries",
              help="Deliveries, one per alert and channel: list, show, retry (one or --status), "
                   "re-enable a disabled channel.")
app.add_typer(articles.app, name="articles")
app.add_typer(sources.app, name="sources")
app.add_typer(channels.app, name="channels")
app.add_typer(web.web_app, name="web")
# `config export` (the YAML plus the console's feeds and topics) sits beside `config check`
config.app.registered_commands += web.config_app.registered_commands


def main() -> None:
    try:
        app()
    except Exception as exc:
        # SQLAlchemy is imported only now: --help must not pay for it
        from rich.markup import escape
        from sqlalchemy.exc import ArgumentError, DBAPIError

        from worker.cli._common import db_message, err
        from worker.redact import redact

        if not isinstance(exc, (DBAPIError, ArgumentError)):
            raise
        # an unreachable or unusable database: one line saying so, not a traceback
        err.print(f"[bold red]error:[/] database: {escape(redact(db_message(exc)))}\n"
                  "  check NEWSRADAR_DATABASE_URL or --database-url", highlight=False, soft_wrap=True)
        raise SystemExit(3) from None
