"""The topics CLI (real typer app, in-process)."""

from __future__ import annotations

from datetime import UTC, datetime

from typer.testing import CliRunner

from tests.topics.conftest import DATA, EXAMPLES, REPO
from worker.cli.topics import app

runner = CliRunner()


def test_check_examples_ok():
    result = runner.invoke(app, ["check", "--config", str(EXAMPLES)])
    assert result.exit_code == 0, result.output
    assert "3 topic(s)" in result.output and "OK" in result.output


def test_check_reports_topic_and_column(tmp_path):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(
        "lists:\n  dprk: ['\"North Korea*\"', DPRK]\n"
        "topics:\n"
        "  - {id: russia-ties, name: x, query: '(russia AND (korea OR dprk)'}\n"
        "  - {id: ok, name: y, query: '@dprk'}\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["check", "--config", str(cfg)])
    assert result.exit_code == 2  # a config error exits 2 from every command (issue 15)
    assert "topic russia-ties: expected ')' at column 28" in result.output


def test_test_command_shows_highlights():
    gold = sorted((REPO / "seeds" / "gold").glob("000_*.txt"))
    neg = DATA / "neg_kursk_submarine.txt"
    result = runner.invoke(app, ["test", '"Korean War" NEAR/5 armistice', *map(str, gold),
                                 str(neg), "--config", str(EXAMPLES)])
    assert result.exit_code == 0, result.output
    assert "«Korean War» «armistice»" in result.output
    assert "neg_kursk_submarine.txt: no match" in result.output
    assert "1 of 2 file(s) matched" in result.output


def test_test_command_explains():
    gold = sorted((REPO / "seeds" / "gold").glob("000_*.txt"))
    result = runner.invoke(app, ["test", "@dprk NEAR/10 @russia -sport", str(gold[0]),
                                 "--config", str(EXAMPLES), "--explain"])
    assert result.exit_code == 0, result.output
    assert "score 3 = 3 x 0 title + 2 x 0 lead + 1 x 3 body hits" in result.output
    assert "matched @dprk NEAR/10 @russia: 3 hit(s)" in result.output
    assert "absent  -sport" in result.output


def test_test_command_bad_query_points_at_column():
    result = runner.invoke(app, ["test", "korea NEAR/0 war", str(DATA)])
    assert result.exit_code == 2
    assert "NEAR/0: the distance must be at least 1 at column 7" in result.output
    assert "      ^" in result.output


def test_backtest_command_over_a_real_sqlite_store(tmp_path, monkeypatch):
    """The CLI wiring end to end: articles in a SQLite store, alerts per day printed."""
    from datetime import timedelta

    from worker.store.db import make_engine, make_sessionmaker, upgrade
    from worker.store.models import Article

    url = f"sqlite:///{tmp_path / 'bt.db'}"
    monkeypatch.setenv("NEWSRADAR_DATABASE_URL", url)
    engine = make_engine(url)
    upgrade(engine)
    now = datetime.now(UTC)
    gold = sorted((REPO / "seeds" / "gold").glob("*.txt"))
    with make_sessionmaker(engine)() as session:
        for i, path in enumerate(gold):
            title, _, body = path.read_text(encoding="utf-8").partition("\n")
            session.add(Article(guid=f"g{i}", url=f"https://www.newsx.com/{i}",
                                canonical_url=f"https://www.newsx.com/{i}", title=title,
                                text=body.strip(), status="done",
                                published_at=now - timedelta(days=i)))
        session.commit()
    engine.dispose()
    result = runner.invoke(app, ["backtest", "russia-ties", "--config", str(EXAMPLES),
                                 "--days", "30", "--json"])
    assert result.exit_code == 0, result.output
    import json

    got = json.loads(result.output)
    assert got["scanned"] == 5 and got["alerts"] == 3
    assert sorted(h["url"] for h in got["hits"]) == [
        "https://www.newsx.com/0", "https://www.newsx.com/2", "https://www.newsx.com/3"]
    assert sum(got["per_day"].values()) == 3
    # a query not saved yet, via --query
    result = runner.invoke(app, ["backtest", "new", "--config", str(EXAMPLES),
                                 "--query", "Kursk", "--json"])
    assert result.exit_code == 0, result.output
    got = json.loads(result.output)
    # relevance judges a trial query like a new topic: Kursk is a passing mention in both
    assert got["alerts"] + got["held_back"] == 2
    assert {h["url"] for h in got["hits"] + got["held_back_hits"]} == {
        "https://www.newsx.com/0", "https://www.newsx.com/3"}
    result = runner.invoke(app, ["backtest", "new", "--config", str(EXAMPLES),
                                 "--query", "Kursk", "--json", "--no-relevance"])
    assert json.loads(result.output)["alerts"] == 2  # the gate alone, as before
    # --held-back lists what relevance held back, with the reason
    result = runner.invoke(app, ["backtest", "new", "--config", str(EXAMPLES),
                                 "--query", "Kursk", "--held-back"])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert f"{got['held_back']} more held back by relevance" in out or got["held_back"] == 0
    assert "held back" in out and "why:" in out


def test_backtest_unknown_topic():
    result = runner.invoke(app, ["backtest", "nope", "--config", str(EXAMPLES)])
    assert result.exit_code == 2
    assert "unknown topic 'nope'" in result.output


def test_check_reports_a_bad_config_with_file_and_key(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("topics:\n  - {name: no-id}\n", encoding="utf-8")
    result = runner.invoke(app, ["check", "--config", str(bad)])
    assert result.exit_code != 0
    assert f"{bad}:2: topics[0].id: required key is missing" in result.output


def test_test_command_shows_relevance_and_what_it_holds_back():
    gold = sorted((REPO / "seeds" / "gold").glob("00[03]_*.txt"))
    result = runner.invoke(app, ["test", "Kursk", *map(str, gold), "--config", str(EXAMPLES)])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "HELD BACK" in out and "why:" in out and "background" in out
    assert "held back by relevance" in out
    result = runner.invoke(app, ["test", "Kursk", *map(str, gold), "--config", str(EXAMPLES),
                                 "--no-relevance"])
    assert "2 of 2 file(s) matched" in result.output and "HELD BACK" not in result.output
    import json

    result = runner.invoke(app, ["test", "Kursk", str(gold[0]), "--config", str(EXAMPLES), "--json"])
    rec = json.loads(result.output)
    assert rec["relevance"]["relevant"] is False and rec["relevance"]["parts"]["salience"] is not None
