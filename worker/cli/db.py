"""``newsradar db``: the database schema."""

from __future__ import annotations

import typer

from worker.cli._common import DatabaseOpt, out, settings

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
def db_upgrade(database_url: DatabaseOpt = None) -> None:
    """Apply the schema migrations (idempotent)."""
    from worker.redact import redact
    from worker.store import make_engine, upgrade
    from worker.store.db import current_revision

    cfg_settings = settings(database_url)
    engine = make_engine(cfg_settings.database_url)
    try:
        upgrade(engine)
        out.print(f"database {redact(cfg_settings.database_url)} at revision {current_revision(engine)}")
    finally:
        engine.dispose()
