"""``newsradar web`` and ``newsradar config``: the console, its API tokens, and the whole
configuration as one YAML file.

    newsradar web [--host H] [--port P]     serve the console and /api/v1 (docs/web.md)
    newsradar web token create NAME         an API token, printed once
    newsradar config export [-o FILE]       config file + console feeds and topics, one YAML

Only typer is imported at ``newsradar --help`` time; the console (Starlette, Jinja2,
uvicorn) and the store are imported inside the commands.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from worker.config import Settings

web_app = typer.Typer(help="The web console and /api/v1 (docs/web.md).", invoke_without_command=True)
token_app = typer.Typer(help="API tokens for /api/v1.", no_args_is_help=True)
web_app.add_typer(token_app, name="token")
config_app = typer.Typer(help="The whole configuration: export it as one YAML file.", no_args_is_help=True)


def _settings(database_url: str | None, config: Path | None) -> Settings:
    from worker.config import get_settings  # noqa: PLC0415

    settings = get_settings()
    update = {k: v for k, v in (("database_url", database_url), ("config", config)) if v}
    return settings.model_copy(update=update) if update else settings


DbOpt = Annotated[str | None, typer.Option("--database-url", help="Database URL (default: $NEWSRADAR_DATABASE_URL).")]
ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="Config file (default: $NEWSRADAR_CONFIG).")]


@web_app.callback()
def web(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on (beyond loopback only with a password).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    database_url: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Serve the console (password: $NEWSRADAR_WEB_PASSWORD or $NEWSRADAR_WEB_PASSWORD_FILE)."""
    if ctx.invoked_subcommand is not None:
        return
    from worker.web._serve import WebConfigError, serve  # noqa: PLC0415

    try:
        serve(host, port, _settings(database_url, config))
    except WebConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Argument(help="What the token is for (shown in Settings).")] = "api",
    database_url: DbOpt = None,
) -> None:
    """Create an API token and print it (once: only its hash is stored)."""
    from worker.web.__main__ import token_create as create  # noqa: PLC0415

    typer.echo(create(name, _settings(database_url, None)))


@config_app.command("export")
def config_export(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here (default: stdout).")] = None,
    database_url: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Write the whole configuration (the config file plus the console's feeds and topics)
    as one YAML file."""
    from worker.config import load_config  # noqa: PLC0415
    from worker.store import make_engine, make_sessionmaker, session_scope, upgrade  # noqa: PLC0415
    from worker.web._actions import export_config  # noqa: PLC0415

    settings = _settings(database_url, config)
    engine = make_engine(settings.database_url)
    try:
        upgrade(engine)
        with session_scope(make_sessionmaker(engine)) as s:
            text = export_config(load_config(settings.config), s)
    finally:
        engine.dispose()
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
