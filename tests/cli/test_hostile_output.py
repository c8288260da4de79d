"""Issue 12, what reaches the terminal and the stored errors, with real local servers and
the real CLI process:

* no secret (URL credentials of a feed and of a webhook, the webhook's signing secret,
  the database password in every URL form) in any stored error nor in ``feeds list``,
  ``alerts list``, ``alerts show``, with and without ``--json``;
* a feed title with Rich markup (``[/bold]``), ESC/OSC sequences or a lone surrogate does
  not crash ``sources check`` (with and without ``--json``) and no escape sequence reaches
  the terminal.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, text

from tests.cli._story import newsradar, route_good_feed
from tests.helpers.httpserver import LocalServer, Route

FEED_PW = "S3cretFeedPw"
HOOK_PW = "S3cretHookPw"
HOOK_SECRET = "whsec-S3cretSigningKey"


@pytest.fixture
def failed_run(tmp_path: Path):
    """One ``run --once``: a feed with credentials that 404s, a good feed whose story
    alerts a webhook with credentials that answers 500."""
    with LocalServer() as srv:
        route_good_feed(srv)
        srv.route("/hook", Route(status=500, body=b"receiver down"))
        base = srv.url("/").rstrip("/")
        auth_base = base.replace("http://", "http://{user}:{pw}@")
        db = f"sqlite:///{tmp_path / 'nr.db'}"
        cfg = {
            "feeds": [{"url": auth_base.format(user="feeduser", pw=FEED_PW) + "/private.xml",
                       "name": None},
                      {"url": f"{base}/good.xml", "name": "Good"}],
            "topics": [{"id": "ferry", "query": "ferry", "channels": ["hook"]}],
            "channels": {"hook": {"type": "webhook", "secret_env": "NR_TEST_HOOK_SECRET",
                                  "url": auth_base.format(user="hookuser", pw=HOOK_PW) + "/hook"}},
            "network": {"allowlist": ["127.0.0.1/32"]},
        }
        path = tmp_path / "newsradar.yaml"
        path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
        env = {"NEWSRADAR_DATABASE_URL": db, "NR_TEST_HOOK_SECRET": HOOK_SECRET}
        res = newsradar("run", "--once", "--config", str(path), env=env)
        assert res.returncode == 0, res.stderr
        yield db, env, res


def _no_secret(output: str, where: str) -> None:
    for secret in (FEED_PW, HOOK_PW, HOOK_SECRET):
        assert secret not in output, f"{secret} in {where}:\n{output}"


def test_no_secret_in_any_stored_error_or_cli_output(failed_run) -> None:
    db, env, run = failed_run
    _no_secret(run.stdout + run.stderr, "run --once")
    engine = create_engine(db)
    with engine.connect() as c:
        stored = {
            "feeds.last_error": c.execute(text("SELECT last_error FROM feeds")).scalars().all(),
            "articles.error": c.execute(text("SELECT error FROM articles")).scalars().all(),
            "deliveries.last_error": c.execute(text("SELECT last_error FROM deliveries")).scalars().all(),
            "delivery_attempts.error": c.execute(text("SELECT error FROM delivery_attempts")).scalars().all(),
            "digests.last_error": c.execute(text("SELECT last_error FROM digests")).scalars().all(),
        }
        delivery_id = c.execute(text("SELECT id FROM deliveries")).scalar_one()
    engine.dispose()
    for where, values in stored.items():
        _no_secret(json.dumps(values), where)
    # the failures really were recorded (so the checks above looked at something)
    assert any("404" in (e or "") or "not_found" in (e or "") or "HTTP" in (e or "")
               for e in stored["feeds.last_error"]), stored
    assert any(stored["deliveries.last_error"]) and any(stored["delivery_attempts.error"])
    for args in (["feeds", "list"], ["feeds", "list", "--json"], ["alerts", "list"],
                 ["alerts", "list", "--json"], ["alerts", "show", str(delivery_id)],
                 ["deliveries", "list"], ["deliveries", "list", "--json"],
                 ["deliveries", "show", str(delivery_id)], ["status"], ["status", "--json"],
                 ["articles", "list"], ["articles", "list", "--json"],
                 ["feeds", "refresh", "--all"]):
        res = newsradar(*args, env=env)
        assert res.returncode == 0, (args, res.stderr)
        _no_secret(res.stdout + res.stderr, " ".join(args))
    listed = newsradar("feeds", "list", "--json", env=env).stdout
    feeds = [json.loads(line) for line in listed.splitlines()]
    private = next(f for f in feeds if "private.xml" in f["url"])
    assert private["status"] == "error" and private["last_error"]
    assert "feeduser:***@" in private["url"]


@pytest.mark.parametrize("url, secret", [
    ("postgresql+psycopg://u:Pass/word99@127.0.0.1:1/db", "Pass/word99"),
    ("postgresql+psycopg://u:p@ssw0rdXYZ@127.0.0.1:1/db", "ssw0rdXYZ"),
    ("postgresql+psycopg://u@127.0.0.1:1/db?password=Qu3ryPw0rd", "Qu3ryPw0rd"),
    ("postgresql+psycopg://u:Pa%2Fss%40word@127.0.0.1:1/db", "Pa/ss@word"),
])
@pytest.mark.parametrize("command", [["feeds", "list"], ["alerts", "list", "--json"],
                                     ["deliveries", "list", "--json"], ["run", "--once"]])
def test_an_unreachable_database_never_shows_its_password(url: str, secret: str,
                                                          command: list[str]) -> None:
    res = newsradar(*command, "--database-url", url)
    assert res.returncode != 0
    out = res.stdout + res.stderr
    assert "database" in out.lower()
    for piece in {secret, *[p for p in secret.replace("@", "/").split("/") if len(p) >= 4]}:
        assert piece not in out, f"{piece!r} shown:\n{out}"


@pytest.mark.parametrize("how", ["env", "file"])
@pytest.mark.parametrize("command", [["feeds", "list"], ["deliveries", "list", "--json"],
                                     ["alerts", "list"], ["run", "--once", "-v"]])
def test_a_database_password_kept_out_of_the_url_is_never_shown(
        tmp_path: Path, how: str, command: list[str]) -> None:
    """NEWSRADAR_DATABASE_PASSWORD(_FILE): any character, '@' '/' '#' included, is
    escaped into the URL; no piece of it reaches the terminal when the database is down."""
    secret = "Env/Pw@rd#99xyZ"
    env = {"NEWSRADAR_DATABASE_URL": "postgresql+psycopg://u@127.0.0.1:1/db"}
    if how == "env":
        env["NEWSRADAR_DATABASE_PASSWORD"] = secret
    else:
        (tmp_path / "pw").write_text(secret + "\n", encoding="utf-8")
        env["NEWSRADAR_DATABASE_PASSWORD_FILE"] = str(tmp_path / "pw")
    res = newsradar(*command, env=env)
    assert res.returncode == 3, res.stdout + res.stderr  # the database's exit code
    out = res.stdout + res.stderr
    for piece in (secret, "Env/Pw", "rd#99xyZ", "Env%2FPw%40rd%2399xyZ"):
        assert piece not in out, f"{piece!r} shown:\n{out}"


# ---- sources check on a hostile feed title --------------------------------------------

HOSTILE_TITLE = "Evil [/bold] [link=http://x]\u001b]8;;http://evil.test\u0007click\u001b]8;;\u0007 \u001b[31mred"


@pytest.fixture
def hostile_feed():
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": HOSTILE_TITLE,
            "items": [{"id": "1", "url": "http://127.0.0.1/a", "title": "Item [/bold] \u001b[2J"},
                      {"id": "2", "url": "http://127.0.0.1/b",
                       "content_text": "lone surrogate"}]}
    body = json.dumps(feed)
    # a lone surrogate, as a JSON escape (valid JSON, not valid Unicode)
    body = body.replace('"lone surrogate"', '"lone \\ud800 surrogate"').replace(
        '"title": "Item', '"title": "\\udc00 Item')
    with LocalServer() as srv:
        yield srv.route("/feed.json", Route(body=body, content_type="application/feed+json"))


@pytest.mark.parametrize("as_json", [False, True])
def test_sources_check_prints_a_hostile_title_as_text(hostile_feed: str, as_json: bool) -> None:
    res = newsradar("sources", "check", hostile_feed, "--allow", "127.0.0.1/32",
                    *(["--json"] if as_json else []))
    assert res.returncode == 0, res.stderr
    assert "\x1b" not in res.stdout and "\x07" not in res.stdout and "\x9b" not in res.stdout
    if as_json:
        out = json.loads(res.stdout)
        assert "[/bold]" in out["title"] and "\x1b" not in out["title"]
        assert len(out["entries"]) == 2
    else:
        assert "Evil [/bold] [link=http://x]" in res.stdout  # printed as itself
        assert "click" in res.stdout


def test_the_commands_connect_with_the_password_kept_out_of_the_url(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's --database-url option reads NEWSRADAR_DATABASE_URL itself: the password
    from NEWSRADAR_DATABASE_PASSWORD must still be in the URL the commands connect with."""
    from sqlalchemy.engine import make_url

    from worker.cli._common import settings

    monkeypatch.setenv("NEWSRADAR_DATABASE_URL", "postgresql+psycopg://u@127.0.0.1:1/db")
    monkeypatch.setenv("NEWSRADAR_DATABASE_PASSWORD", "Env/Pw@rd#99xyZ")
    url = settings("postgresql+psycopg://u@127.0.0.1:1/db").database_url
    assert make_url(url).password == "Env/Pw@rd#99xyZ"
    # an explicit --database-url is taken as written
    assert make_url(settings("postgresql+psycopg://v@h/db").database_url).password is None
