"""``newsradar db``: the database schema."""

from __future__ import annotations

import typer

from worker.cli._common import ConfigOpt, DatabaseOpt, load, out, settings

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


@app.command("prune")
def db_prune(
    config: ConfigOpt = None,
    database_url: DatabaseOpt = None,
    dry_run: bool = typer.Option(False, "--dry-run", help="Count what would be removed; change nothing."),
) -> None:
    """Apply the retention policy (config `retention:`) now, in batches until done."""
    from worker.pipeline import build_context, prune_articles

    cfg = load(config)
    ret = cfg.retention
    if ret.text_after is None and ret.article_after is None:
        out.print("no retention policy set (retention.text_after / retention.article_after): nothing to do")
        return
    ctx = build_context(cfg, settings(database_url))
    try:
        if dry_run:
            r = prune_articles(ctx, dry_run=True)
            out.print(f"would remove the page text of {r.texts_removed} article(s) "
                      f"and {r.articles_removed} article(s) (alerts, stories and their sources kept)")
            return
        texts = arts = 0
        while True:
            r = prune_articles(ctx)
            texts += r.texts_removed
            arts += r.articles_removed
            if r.texts_removed < ret.batch and r.articles_removed < ret.batch:
                break
        out.print(f"removed the page text of {texts} article(s) and {arts} article(s)")
    finally:
        ctx.engine.dispose()
