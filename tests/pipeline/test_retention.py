"""Retention: old page text, then old articles without alerts, removed in batches;
alerts, stories and their fingerprints stay; `newsradar db prune --dry-run` changes nothing."""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy import create_engine, text

from tests.helpers.httpserver import LocalServer
from tests.pipeline.test_run_once import newsradar, seed_site, write_config

__all__ = ["seed_site"]  # the fixture, re-used


def _counts(db: str) -> dict[str, int]:
    engine = create_engine(db)
    with engine.connect() as c:
        out = {
            "articles": c.execute(text("SELECT count(*) FROM articles")).scalar_one(),
            "with_text": c.execute(text("SELECT count(*) FROM articles WHERE text IS NOT NULL")).scalar_one(),
            "alerts": c.execute(text("SELECT count(*) FROM alerts")).scalar_one(),
            "stories": c.execute(text("SELECT count(*) FROM stories")).scalar_one(),
            "bands": c.execute(text("SELECT count(*) FROM story_bands")).scalar_one(),
        }
    engine.dispose()
    return out


def test_prune_removes_old_text_then_old_articles_but_keeps_alerts_and_stories(
    seed_site: LocalServer, tmp_path: Path
) -> None:
    db = f"sqlite:///{tmp_path / 'nr.db'}"
    cfg = write_config(tmp_path, seed_site.url("/feed.xml"))
    assert newsradar("run", "--once", "--config", str(cfg), db=db).returncode == 0
    before = _counts(db)
    assert before["articles"] == 5 and before["alerts"] >= 1 and before["with_text"] == 5

    data = yaml.safe_load(cfg.read_text(encoding="utf-8"))
    data["retention"] = {"text_after": "10d", "article_after": "30d", "batch": 2}
    cfg.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    # nothing is old yet
    dry = newsradar("db", "prune", "--dry-run", "--config", str(cfg), db=db)
    assert dry.returncode == 0, dry.stderr
    assert "would remove the page text of 0 article(s) and 0 article(s)" in dry.stdout

    engine = create_engine(db)
    with engine.begin() as c:
        c.execute(text("UPDATE articles SET created_at = '2000-01-01 00:00:00.000000'"))
    engine.dispose()
    engine = create_engine(db)
    with engine.connect() as c:
        alerted = c.execute(text("SELECT count(DISTINCT article_id) FROM alerts")).scalar_one()
    engine.dispose()

    dry = newsradar("db", "prune", "--dry-run", "--config", str(cfg), db=db)
    assert dry.returncode == 0, dry.stderr
    assert f"would remove the page text of 5 article(s) and {5 - alerted} article(s)" in dry.stdout
    assert _counts(db) == before  # a dry run changes nothing

    done = newsradar("db", "prune", "--config", str(cfg), db=db)  # batches of 2 until done
    assert done.returncode == 0, done.stderr
    after = _counts(db)
    assert after["articles"] == alerted and after["with_text"] == 0
    assert after["alerts"] == before["alerts"]
    assert after["stories"] == before["stories"] and after["bands"] == before["bands"]
