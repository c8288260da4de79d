"""``newsradar channels``: try a channel."""

from __future__ import annotations

from typing import Annotated

import typer

from worker.cli._common import ConfigOpt, err, load, out, setup_logging

app = typer.Typer(help="Channels: send a test message through one.", no_args_is_help=True)


@app.command("test")
def channels_test(name: Annotated[str, typer.Argument(help="A channel name from channels:.")],
                  config: ConfigOpt = None) -> None:
    """Send a test message through channel NAME now (no database, no outbox, no retry) and
    print the outcome: exit 0 sent, 1 failed, 2 unknown channel or bad config."""
    from rich.markup import escape

    from worker.alerts import build_channels, send_test
    from worker.pipeline import network_policy

    setup_logging()
    cfg = load(config)
    if name not in cfg.channels:
        known = ", ".join(sorted(cfg.channels)) or "none defined"
        err.print(f"[bold red]error:[/] unknown channel {escape(name)!r} (channels: {escape(known)})")
        raise typer.Exit(2)
    channel = build_channels({name: cfg.channels[name]}, network=network_policy(cfg))[name]
    outcome = send_test(channel)
    out.print(escape(outcome.line()), highlight=False, soft_wrap=True)
    raise typer.Exit(0 if outcome.ok else 1)
