"""``newsradar init``: a commented starter config and a ``.env`` template."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Annotated

import typer

from worker.cli._common import EXIT_USAGE, err, out, reflow

app = typer.Typer()


def starter_config() -> str:
    """The example config shipped inside the package (the repository's
    config/newsradar.yaml; a test keeps the two identical)."""
    return files("worker.data").joinpath("newsradar.yaml").read_text(encoding="utf-8")


def env_template() -> str:
    return files("worker.data").joinpath("env.template").read_text(encoding="utf-8")


@app.command()
@reflow
def init(
    directory: Annotated[Path, typer.Argument(help="Where to write (created if missing).")] = Path("."),
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing files.")] = False,
) -> None:
    """Write a commented starter config (newsradar.yaml) and a .env template in DIR.

    Run the other commands from DIR (they find ./newsradar.yaml), or give --config
    DIR/newsradar.yaml. With no database URL set, the data lives in DIR/var/newsradar.db.
    """
    targets = {directory / "newsradar.yaml": starter_config(), directory / ".env": env_template()}
    existing = [p for p in targets if p.exists()]
    if existing and not force:
        for p in existing:
            err.print(f"error: {p} exists (--force overwrites it)", highlight=False, markup=False)
        raise typer.Exit(EXIT_USAGE)
    directory.mkdir(parents=True, exist_ok=True)
    for path, text in targets.items():
        path.write_text(text, encoding="utf-8")
        out.print(f"wrote {path}", highlight=False, markup=False)
    where = "" if directory == Path(".") else f"cd {directory} && "
    out.print(
        "next:\n"
        f"  {where}newsradar config check        # validate it\n"
        f"  {where}newsradar feeds add URL       # add a feed (or edit feeds: in newsradar.yaml)\n"
        f"  {where}newsradar run --once          # poll, match and alert once\n"
        f"data: {(directory / 'var' / 'newsradar.db')} (set NEWSRADAR_DATABASE_URL to use another database)",
        highlight=False, markup=False,
    )
