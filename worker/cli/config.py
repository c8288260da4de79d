"""``newsradar config``: check the whole config (``topics check`` is kept as an alias)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from worker.cli._common import EXIT_USAGE, ConfigOpt, config_path, err, load, out, reflow

if TYPE_CHECKING:
    from worker.config import Config

app = typer.Typer(help="The config: check it, or export it with the console's feeds and topics.",
                  no_args_is_help=True)


def problems(cfg: Config) -> list[str]:
    """What the config's syntax allows but a run cannot work with: topics whose query
    does not compile, and channels whose secret (named by *_env or *_file) is not set."""
    from worker.config import (
        AppriseChannel,
        EmailChannel,
        WebhookChannel,
        read_secret,
    )
    from worker.errors import ConfigError
    from worker.topics import Topic, validate_topics

    found: list[str] = []
    topics = [Topic(t.id, t.display_name, t.query, float(t.min_score)) for t in cfg.topics if t.enabled]
    found += validate_topics(topics, {k: list(v) for k, v in cfg.lists.items()})

    def secret(name: str, what: str, env: str | None, file: str | None, required: bool) -> None:
        where = f"channels.{name}"
        try:
            value = read_secret(env, file, what=f"{where}.{what}")
        except ConfigError as exc:
            found.extend(exc.problems)
            return
        if value is not None:
            return
        if env:
            found.append(f"{where}: {what}_env names {env}, which is not set (or empty)")
        elif required:
            found.append(f"{where}: no {what}: set {what}_env (an environment variable) or {what}_file")

    for name, ch in cfg.channels.items():
        if isinstance(ch, WebhookChannel):
            # every delivery of an unsigned webhook fails: an error now, not at the first alert
            secret(name, "secret", ch.secret_env, ch.secret_file, required=True)
        elif isinstance(ch, EmailChannel):
            secret(name, "password", ch.password_env, ch.password_file, required=bool(ch.username))
        elif isinstance(ch, AppriseChannel):
            secret(name, "urls", ch.urls_env, ch.urls_file, required=not ch.urls)
    return found


@app.command("check")
@reflow
def check(config: ConfigOpt = None) -> None:
    """Validate the whole config: syntax, feeds, topics (each problem names the topic and
    the column), channels and their secrets, the network allowlist.

    Exit status 0 when it is usable, 2 when it is not (the same as every command
    that meets a bad config).
    """
    cfg = load(config)  # syntax, types, cross-references: exit 2 with every problem
    found = problems(cfg)
    if found:
        for p in found:
            err.print(p, highlight=False, markup=False, soft_wrap=True)
        err.print(f"{len(found)} problem(s) in {config_path(config)}", highlight=False, markup=False)
        raise typer.Exit(EXIT_USAGE)
    out.print(f"{config_path(config)}: OK: {len(cfg.feeds)} feed(s), {len(cfg.topics)} topic(s), "
              f"{len(cfg.lists)} list(s), {len(cfg.channels)} channel(s)", highlight=False, markup=False)
