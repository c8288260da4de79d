"""The CLI as a new user meets it: `run --once` on a local feed of the seed pages, then
`feeds list`, `alerts list/show`, `topics test/backtest`, in an 80-column terminal;
help texts that read as paragraphs; a database that cannot be reached is one line of
error, not a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, text

from tests.helpers.httpserver import LocalServer, Route
from tests.seedsite import EXPECTED_TOPICS, ROOT, page_html, rss, seed_pages

NO_SECRET = "NEWSRADAR_TEST_WALKTHROUGH_UNSET_SECRET"


def newsradar(*args: str, db: str | None = None, columns: int = 80) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != NO_SECRET}
    env["COLUMNS"] = str(columns)
    if db:
        env["NEWSRADAR_DATABASE_URL"] = db
    return subprocess.run([sys.executable, "-m", "worker.cli", *args], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=300)


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory):
    """One `run --once` over the seed site: jsonl for every topic, and a webhook channel
    whose secret is missing for `armistice`, so that some deliveries fail."""
    tmp = tmp_path_factory.mktemp("walkthrough")
    with LocalServer() as srv:
        items = []
        for p in seed_pages():
            url = srv.route(f"/news/{p.key}.html", Route(body=page_html(p), content_type="text/html"))
            items.append((p.key, url, p.title))
        srv.route("/feed.xml", Route(body=rss(items), content_type="application/rss+xml"))
        cfg = yaml.safe_load((ROOT / "config" / "newsradar.yaml").read_text(encoding="utf-8"))
        cfg["feeds"] = [{"url": srv.url("/feed.xml"), "name": "Seed News"},
                        {"url": srv.url("/missing.xml"), "name": "Missing"}]
        cfg["channels"] = {"jsonl": {"type": "jsonl", "path": str(tmp / "alerts.jsonl")},
                           "hook": {"type": "webhook", "url": "http://127.0.0.1:9/hook",
                                    "secret_env": NO_SECRET}}
        for t in cfg["topics"]:
            t["channels"] = ["jsonl", "hook"] if t["id"] == "armistice" else ["jsonl"]
        cfg["network"] = {"allowlist": ["127.0.0.1/32"]}
        path = tmp / "newsradar.yaml"
        path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
        db = f"sqlite:///{tmp / 'nr.db'}"
        res = newsradar("run", "--once", "--config", str(path), db=db)
        assert res.returncode == 0, res.stderr
        yield db, path, res


def test_run_summary_is_one_line_when_piped(ran) -> None:
    _, _, res = ran
    [summary] = [line for line in res.stderr.splitlines() if line.startswith("polled ")]
    assert "2 feed(s) (1 failed" in summary and "5 new article(s)" in summary and summary.endswith("digest(s)")
    # alerts are counted as alerts (one per topic and story), deliveries apart (issue 15)
    n = sum(len(t) for t in EXPECTED_TOPICS.values())
    n_armistice = sum("armistice" in t for t in EXPECTED_TOPICS.values())
    assert f"{n} new alert(s), {n} delivery(ies) sent ({n_armistice} failed)" in summary


def test_feeds_list_fits_80_columns_and_errors_follow_in_full(ran) -> None:
    db, _, _ = ran
    res = newsradar("feeds", "list", db=db)
    assert res.returncode == 0, res.stderr
    table, notes = res.stdout.split("┘\n", 1)
    assert all(len(line) <= 80 for line in table.splitlines()), table
    assert "│  2 │ Missing" in table and "not_found" in table
    [note] = notes.splitlines()
    assert note.startswith("feed 2: [not_found] ") and "/missing.xml" in note and "404" in note


def test_deliveries_list_fits_80_columns_one_row_per_delivery(ran) -> None:
    db, _, _ = ran
    res = newsradar("deliveries", "list", db=db)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), "\n".join(lines)
    n_alerts = sum(len(t) for t in EXPECTED_TOPICS.values())
    n_armistice = sum("armistice" in t for t in EXPECTED_TOPICS.values())
    rows = [line for line in lines if line.startswith("│") and line.split("│")[1].strip().isdigit()]
    failed = [r for r in rows if "hook" in r]
    # a delivered row is one line; a failed one shows its error instead of the headline
    assert len([r for r in rows if "jsonl" in r]) == n_alerts
    assert len(failed) == n_armistice and all("failed" in r for r in failed)
    assert "no signing secret" in res.stdout
    assert "Anti-US Rallies" in res.stdout  # headlines, cut with an ellipsis to fit


def test_alerts_list_has_one_row_per_alert_with_each_channel(ran) -> None:
    """Issue 15, problem 9: an alert is listed once, not once per channel."""
    db, _, _ = ran
    res = newsradar("alerts", "list", "--json", db=db)
    assert res.returncode == 0, res.stderr
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    article_rows = [r for r in rows if r["kind"] == "article"]
    assert len(article_rows) == sum(len(t) for t in EXPECTED_TOPICS.values())
    assert len({(r["topic"], r["story_id"]) for r in article_rows}) == len(article_rows)
    armistice = [r for r in article_rows if r["topic"] == "armistice"]
    assert all({d["channel"]: d["status"] for d in r["deliveries"]} == {"hook": "failed", "jsonl": "sent"}
               for r in armistice)
    table = newsradar("alerts", "list", db=db).stdout
    assert all(len(line) <= 80 for line in table.splitlines()) and "hook:failed jsonl:sent" in table
    # alerts show takes an alert id and lists its deliveries
    shown = newsradar("alerts", "show", str(armistice[0]["id"]), db=db)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith(f"alert {armistice[0]['id']}  topic armistice")
    assert ": hook: failed" in shown.stdout and ": jsonl: sent" in shown.stdout
    assert newsradar("alerts", "show", "9999", db=db).returncode == 4


def test_deliveries_show_says_why_and_prints_the_payload_as_json(ran) -> None:
    db, _, _ = ran
    with create_engine(db).connect() as c:
        did, payload = c.execute(text(
            "SELECT id, payload FROM deliveries WHERE channel = 'jsonl' ORDER BY id LIMIT 1")).one()
    res = newsradar("deliveries", "show", str(did), db=db)
    assert res.returncode == 0, res.stderr
    assert "\nscore:    " in res.stdout and "(min_score 2)" in res.stdout
    assert "  why:    " in res.stdout and "  match:  " in res.stdout and "«" in res.stdout
    shown = json.loads(res.stdout.split("\npayload:\n", 1)[1])
    assert shown == (json.loads(payload) if isinstance(payload, str) else payload)
    assert len(res.stdout.splitlines()) < 300  # offsets one pair to a line, not one number


def test_alerts_retry_says_what_sends_it(ran) -> None:
    db, _, _ = ran  # runs after the listing above: it turns one failed delivery pending
    with create_engine(db).connect() as c:
        did = c.execute(text("SELECT min(id) FROM deliveries WHERE status = 'failed'")).scalar_one()
    res = newsradar("alerts", "retry", str(did), db=db)  # the old name still works
    assert res.returncode == 0, res.stderr
    assert f"delivery {did} queued for another try" in res.stdout
    assert "next `newsradar run`" in res.stdout and "not by this command" in res.stdout
    # all the failed ones at once, saying when they will be sent
    with create_engine(db).connect() as c:
        left = c.execute(text("SELECT count(*) FROM deliveries WHERE status = 'failed'")).scalar_one()
    res = newsradar("deliveries", "retry", "--status", "failed", db=db)
    assert res.returncode == 0, res.stderr
    assert f"{left} delivery(ies) due now: sent by the next `newsradar run` pass" in res.stdout
    with create_engine(db).connect() as c:
        assert c.execute(text("SELECT count(*) FROM deliveries WHERE status = 'failed'")).scalar_one() == 0
    assert newsradar("deliveries", "retry", db=db).returncode == 2  # ids or --status


def test_topics_backtest_reads_the_given_database(ran) -> None:
    db, cfg, _ = ran
    args = ("topics", "backtest", "armistice", "--config", str(cfg), "--database-url", db)
    res = newsradar(*args, "--days", "3650")  # no NEWSRADAR_DATABASE_URL: the option is used
    assert res.returncode == 0, res.stderr
    n = sum("armistice" in t for t in EXPECTED_TOPICS.values())
    assert res.stdout.splitlines()[0] == f"topic armistice: {n} alert(s) in 5 article(s) of the last 3650 day(s)"
    # the feed's items are dated 2025-08-28: a one-day window holds none, and says what to do
    old = newsradar(*args, "--days", "1")
    assert old.returncode == 0 and "try a larger --days" in old.stdout
    assert "┏" not in old.stdout  # no empty table


def test_topics_test_indents_wrapped_highlights() -> None:
    res = newsradar("topics", "test", '"Korean War"', "seeds/")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines)
    body = [line for line in lines if not line.startswith(("0", "Over", "Commemoration", "2 of"))]
    assert body and all(line.startswith("    ") for line in body if line.strip()), "\n".join(lines)


def test_help_paragraphs_are_not_broken_at_source_line_ends() -> None:
    run = newsradar("run", "--help", columns=200)
    assert "Exits non-zero only when the run itself cannot work (bad config, no database), never because" \
        in run.stdout
    scan = newsradar("scan", "--help", columns=200)
    assert "one level deep (its .txt/.html files) unless --recursive." in scan.stdout


def test_unreachable_database_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    res = newsradar("feeds", "list", db="postgresql://nobody@127.0.0.1:9/none")
    assert res.returncode == 3  # the exit code of an unreachable database, in every command
    assert res.stderr.startswith("error: database: ") and "Traceback" not in res.stderr
    assert "NEWSRADAR_DATABASE_URL or --database-url" in res.stderr
    # a database no run has created yet: said so, and not created by a listing (issue 15)
    for group in ("feeds", "alerts", "deliveries"):
        empty = newsradar(group, "list", db=f"sqlite:///{tmp_path / 'empty.db'}")
        assert empty.returncode == 0 and empty.stderr.startswith("no database yet at "), empty.stderr
        assert not (tmp_path / "empty.db").exists()
    # one that exists but has no tables yet: empty listings, not "no such table"
    create_engine(f"sqlite:///{tmp_path / 'fresh.db'}").connect().close()
    empty = newsradar("feeds", "list", db=f"sqlite:///{tmp_path / 'fresh.db'}")
    assert empty.returncode == 0 and empty.stdout.startswith("no feeds yet")
    empty = newsradar("deliveries", "list", db=f"sqlite:///{tmp_path / 'fresh.db'}")
    assert empty.returncode == 0, empty.stderr
    assert empty.stdout.strip() == "no deliveries"
    empty = newsradar("alerts", "list", db=f"sqlite:///{tmp_path / 'fresh.db'}")
    assert empty.returncode == 0 and empty.stdout.strip() == "no alerts", empty.stderr


def test_sources_check_on_a_blocked_address_says_which_option_opens_it() -> None:
    res = newsradar("sources", "check", "http://127.0.0.1:9/feed.xml")
    assert res.returncode == 1
    assert "blocked_address" in res.stdout and "--allow 127.0.0.1/32" in res.stdout


def test_clean_help_lists_the_file_command_and_explain_is_compact() -> None:
    res = newsradar("clean", "--help")
    assert res.returncode == 0 and "file" in res.stdout and "clean FILE" in res.stdout
    explain = newsradar("clean", "seeds/000_906bbe40c4e300f6.txt", "--explain")
    assert explain.returncode == 0, explain.stderr
    lines = [line for line in explain.stdout.splitlines() if line.strip()]
    reasons = [line[11:].split(" | ", 1)[0] for line in lines]
    assert {len(r) for r in reasons} == {max(len(r.rstrip()) for r in reasons)}  # one column
    assert any(r.rstrip() == "also_read" for r in reasons)


def test_scan_table_shows_whole_file_names_and_dates_in_80_columns() -> None:
    res = newsradar("scan", "seeds/")  # what the README suggests after `make demo`
    assert res.returncode == 0, res.stderr
    assert all(len(line) <= 80 for line in res.stdout.splitlines())
    for key, topics in EXPECTED_TOPICS.items():
        [row] = [line for line in res.stdout.splitlines() if f"{key}.txt" in line]
        assert any(f"{t} (" in row for t in topics) or len(topics) > 1, row
    assert "2024-07-02" in res.stdout  # the date, not cut to "2024-07-0…"


def test_topics_test_with_an_unknown_list_names_the_known_ones() -> None:
    res = newsradar("topics", "test", "@dprk NEAR/5 @nope", "seeds/")
    assert res.returncode == 2
    assert "unknown list '@nope' at column 14" in res.stderr
    assert "@counterparts, @dprk, @kim, @russia" in res.stderr


def test_scan_of_a_directory_without_pages_says_so(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "page.txt").write_text("Korean War\n\nThe Korean War armistice.\n")
    res = newsradar("scan", str(tmp_path))
    assert res.returncode == 0
    assert "no pages to scan" in res.stderr and "--recursive" in res.stderr
    deeper = newsradar("scan", "--recursive", str(tmp_path))
    assert deeper.returncode == 0 and "page.txt" in deeper.stdout
    binary = tmp_path / "blob.bin"
    binary.write_bytes(bytes(range(256)) * 8)
    assert "(binary)" in newsradar("scan", str(binary)).stdout


def test_run_outside_the_project_says_where_the_config_is_looked_for(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NEWSRADAR_CONFIG"}
    env["NEWSRADAR_DATABASE_URL"] = f"sqlite:///{tmp_path / 'nr.db'}"
    for args in (["run", "--once"], ["topics", "check"]):
        res = subprocess.run([sys.executable, "-m", "worker.cli", *args], capture_output=True,
                             text=True, env=env, cwd=tmp_path, timeout=120)
        assert res.returncode == 2  # a config error exits 2 from every command (issue 15)
        assert "newsradar.yaml: file not found" in res.stderr
        assert "`newsradar init` writes a starter newsradar.yaml" in res.stderr
        assert "--config FILE, or set NEWSRADAR_CONFIG" in res.stderr


def test_topics_test_on_a_directory_without_pages_says_so(tmp_path: Path) -> None:
    res = newsradar("topics", "test", '"Korean War"', str(tmp_path))
    assert res.returncode == 1 and "no pages to try" in res.stderr
    (tmp_path / "page").write_text("Korean War\n\nThe Korean War armistice was signed in 1953.\n")
    res = newsradar("topics", "test", '"Korean War"', str(tmp_path))  # no suffix, as scan reads it
    assert res.returncode == 0 and "1 of 1 file(s) matched" in res.stdout
