"""What the command modules share: the consoles, the --config and --database-url
options, logging, settings and config loading, and a few formatters. Imports nothing
heavy: every command module imports this at ``newsradar --help`` time."""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console

if TYPE_CHECKING:
    from worker.config import Config, Settings
    from worker.errors import ConfigError

out = Console()
err = Console(stderr=True)

ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Config file (default: $NEWSRADAR_CONFIG, else ./newsradar.yaml, "
                 "else config/newsradar.yaml; `newsradar init` writes one)."),
]
DatabaseOpt = Annotated[
    str | None,
    typer.Option("--database-url", help="Database URL (default: $NEWSRADAR_DATABASE_URL, else SQLite "
                 "var/newsradar.db next to the config file)."),
]

# Exit codes, the same for every command (docs/cli.md):
EXIT_OK = 0
EXIT_FAILURE = 1  # the command ran and found a failure (a check failed, a send failed)
EXIT_USAGE = 2  # bad arguments or an invalid/missing config
EXIT_DATABASE = 3  # the database cannot be opened or reached
EXIT_NOT_FOUND = 4  # the id or name given does not exist

F = TypeVar("F", bound=Callable[..., Any])


def setup_logging(verbose: bool = False) -> None:
    import logging

    from worker.redact import install_log_redaction

    level = os.environ.get("NEWSRADAR_LOG_LEVEL", "DEBUG" if verbose else "WARNING")
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_log_redaction()


def config_path(config: Path | None = None) -> Path:
    """Where the config is: --config, else $NEWSRADAR_CONFIG, else ./newsradar.yaml (what
    `newsradar init` writes), else config/newsradar.yaml (the repository's)."""
    if config is not None:
        return config
    env = os.environ.get("NEWSRADAR_CONFIG")
    if env:
        return Path(env)
    for candidate in (Path("newsradar.yaml"), Path("config/newsradar.yaml")):
        if candidate.is_file():
            return candidate
    return Path("newsradar.yaml")


def default_database_url(config: Path | None = None) -> str:
    """The one rule for where data lives when no URL is set: ``var/newsradar.db`` in the
    directory of the config file, whichever command runs and wherever it runs from."""
    path = (config_path(config).resolve().parent / "var" / "newsradar.db").as_posix()
    return f"sqlite:///{path}"


def settings(database_url: str | None = None, config: Path | None = None) -> Settings:
    from worker.config import get_settings

    s = get_settings()
    if database_url and s.database_password and database_url == os.environ.get("NEWSRADAR_DATABASE_URL"):
        # the option's value came from the environment: keep the settings' copy, which
        # has NEWSRADAR_DATABASE_PASSWORD(_FILE) escaped into it
        database_url = s.database_url
    if database_url:
        s = s.model_copy(update={"database_url": database_url})
    elif not os.environ.get("NEWSRADAR_DATABASE_URL"):
        s = s.model_copy(update={"database_url": default_database_url(config)})
    return s


def existing_database(database_url: str | None, config: Path | None) -> str | None:
    """The URL of a database that exists, or None after saying there is none yet: the
    commands that only read never create a database file."""
    url = settings(database_url, config).database_url
    if url.startswith("sqlite:///") and not url.endswith(":memory:"):
        path = Path(url.removeprefix("sqlite:///"))
        if not path.exists():
            err.print(f"no database yet at {path}: `newsradar run --once` (or `newsradar feeds add URL`) "
                      "creates it", highlight=False, markup=False, soft_wrap=True)
            return None
    return url


def load(config: Path | None) -> Config:
    """The config, or exit 2 with every problem and a hint when the default is missing."""
    from rich.markup import escape

    from worker.config import load_config
    from worker.errors import ConfigError

    try:
        return load_config(config_path(config))
    except ConfigError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, markup=True, soft_wrap=True)
        hint = missing_config_hint(exc, config)
        if hint:
            err.print(hint, highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(2) from exc


def missing_config_hint(exc: ConfigError, config: Path | None) -> str | None:
    """What to do when the default config is not where newsradar looked."""
    if (config is None and "NEWSRADAR_CONFIG" not in os.environ
            and any(p.endswith(": file not found") for p in exc.problems)):
        return ("  no config here: `newsradar init` writes a starter newsradar.yaml in this "
                "directory (or give --config FILE, or set NEWSRADAR_CONFIG)")
    return None


def reflow(fn: F) -> F:
    """Join each docstring paragraph onto one line: typer's rich help keeps single line
    breaks, which wrap raggedly in an 80-column terminal."""
    doc = inspect.cleandoc(fn.__doc__ or "")
    fn.__doc__ = "\n\n".join(" ".join(p.split()) for p in doc.split("\n\n"))
    return fn


def iso(d: datetime | None) -> str | None:
    return d.isoformat() if d else None


def db_message(exc: BaseException) -> str:
    """The driver's own words (host, port, reason), without SQLAlchemy's SQL and links."""
    orig = getattr(exc, "orig", None)
    return " ".join(str(orig or exc).split())


def ago(d: datetime | None, now: datetime) -> str:
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
