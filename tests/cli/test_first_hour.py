"""Issue 15, the first hour: the package installed from a built wheel into a fresh venv,
used in a fresh temporary directory with no repository file in reach:
``init`` → ``feeds add`` (a local feed, allowlisted by host:port) → ``run --once`` →
``alerts list`` → ``articles show`` → ``feeds refresh`` → ``status``, each output checked.

The wheel is built with ``pip wheel --no-deps``; the venv sees the dependencies already
installed in the test's own environment through a ``.pth`` file (no index, no network).
"""

from __future__ import annotations

import os
import site
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.helpers.httpserver import LocalServer, Route
from tests.seedsite import ROOT, page_html, rss, seed_pages


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``bin`` directory of a fresh venv holding newsradar from a built wheel."""
    tmp = tmp_path_factory.mktemp("wheel")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp / "dist"),
                            str(ROOT)], capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr
    [wheel] = (tmp / "dist").glob("newsradar-*.whl")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    # the dependencies: this environment's site-packages, appended after the venv's own
    # (a plain path line: the editable install's finder there is not activated)
    purelib = Path(subprocess.run([str(venv / "bin" / "python"), "-c",
                                   "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                  capture_output=True, text=True, check=True).stdout.strip())
    deps = [p for p in site.getsitepackages() if Path(p).is_dir()] + [sysconfig.get_paths()["purelib"]]
    (purelib / "_newsradar_deps.pth").write_text("\n".join(dict.fromkeys(deps)) + "\n", encoding="utf-8")
    inst = subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
                           "--no-index", "--no-deps", "--find-links", str(tmp / "dist"), "-q", str(wheel)],
                          capture_output=True, text=True, timeout=600)
    assert inst.returncode == 0, inst.stderr
    return venv / "bin"


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("NEWSRADAR_") and k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(COLUMNS="100", HOME=str(home), NO_COLOR="1")
    return env


@pytest.fixture
def site_server() -> Iterator[LocalServer]:
    """The seed pages behind an RSS feed, and a home page that links to the feed."""
    with LocalServer() as srv:
        items = []
        for p in seed_pages():
            url = srv.route(f"/news/{p.key}.html", Route(body=page_html(p), content_type="text/html"))
            items.append((p.key, url, p.title))
        feed = srv.route("/feed.xml", Route(body=rss(items), content_type="application/rss+xml"))
        srv.route("/", Route(body=(f'<!DOCTYPE html><html><head><title>Seed News</title>'
                                   f'<link rel="alternate" type="application/rss+xml" href="{feed}">'
                                   f'</head><body><p>Home</p></body></html>').encode(),
                             content_type="text/html"))
        yield srv


def test_first_hour_from_a_wheel(installed: Path, site_server: LocalServer, tmp_path: Path) -> None:
    work = tmp_path / "fresh"
    work.mkdir()

    def nr(*args: str, cwd: Path = work) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(installed / "newsradar"), *args], capture_output=True, text=True,
                              cwd=cwd, env=_env(tmp_path), timeout=300)

    # the package is the installed one, not the checkout
    where = subprocess.run([str(installed / "python"), "-c", "import worker; print(worker.__file__)"],
                           capture_output=True, text=True, cwd=work, env=_env(tmp_path))
    assert str(installed.parent) in where.stdout and str(ROOT) not in where.stdout

    # before init: a command that needs a config says how to get one; a read-only
    # command creates no database
    res = nr("run", "--once")
    assert res.returncode == 2 and "newsradar init" in res.stderr
    res = nr("feeds", "list")
    assert res.returncode == 0 and "no database yet" in res.stderr
    assert not (work / "var").exists()

    res = nr("init", "radar")
    assert res.returncode == 0, res.stderr
    proj = work / "radar"
    assert "wrote" in res.stdout and (proj / "newsradar.yaml").is_file() and (proj / ".env").is_file()
    assert "# Watch topics" in (proj / "newsradar.yaml").read_text(encoding="utf-8")  # commented
    assert nr("init", "radar").returncode == 2  # never overwrites silently

    # the starter config, pointed at the local site: no feeds yet, its port allowlisted
    cfg = yaml.safe_load((proj / "newsradar.yaml").read_text(encoding="utf-8"))
    cfg["feeds"] = []
    host_port = site_server.url("/").split("//", 1)[1].rstrip("/")
    cfg["network"] = {"allowlist": [host_port]}
    (proj / "newsradar.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")

    res = nr("feeds", "add", site_server.url("/"), cwd=proj)  # a web page: its feed is discovered
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("added feed 1: " + site_server.url("/feed.xml")), res.stdout
    assert (proj / "var" / "newsradar.db").is_file()  # next to the config, as documented

    res = nr("run", "--once", cwd=proj)
    assert res.returncode == 0, res.stderr
    [summary] = [line for line in res.stderr.splitlines() if line.startswith("polled ")]
    assert "polled 1 feed(s) (0 failed" in summary and "5 new article(s)" in summary, summary
    assert "processed 5 (0 failed)" in summary, summary

    res = nr("alerts", "list", cwd=proj)
    assert res.returncode == 0, res.stderr
    for topic in ("armistice", "russia-ties", "kim-diplomacy"):
        assert topic in res.stdout

    res = nr("articles", "list", "--topic", "kim-diplomacy", "--json", cwd=proj)
    assert res.returncode == 0, res.stderr
    import json
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    assert rows and all("kim-diplomacy" in r["topics"] for r in rows)
    res = nr("articles", "show", str(rows[0]["id"]), cwd=proj)
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith(f"article {rows[0]['id']}: ")
    assert "status:    done" in res.stdout and "kim-diplomacy (score" in res.stdout
    assert "Kim" in res.stdout.split("\ntext:\n", 1)[1]  # the cleaned text itself
    assert nr("articles", "show", "999", cwd=proj).returncode == 4

    res = nr("feeds", "refresh", "1", cwd=proj)
    assert res.returncode == 0, res.stderr
    assert "feed 1: due now" in res.stdout and "next `newsradar run`" in res.stdout
    res = nr("feeds", "list", "--json", cwd=proj)
    [feed] = [json.loads(line) for line in res.stdout.splitlines()]
    assert feed["origin"] == "added" and feed["status"] == "ok" and feed["consecutive_errors"] == 0

    res = nr("status", cwd=proj)
    assert res.returncode == 0, res.stderr
    assert "feeds:      1 ok, 0 failing" in res.stdout
    assert "articles:   0 waiting, 5 done, 0 failed" in res.stdout
    assert "last run:" in res.stdout and "never" not in res.stdout


# -- the same commands from the checkout (fast), one problem of the issue each ----------

def _cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The `newsradar` script (as a container runs it: the working directory is not on
    sys.path, unlike `python -m`)."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("NEWSRADAR_")}
    full.update(env or {}, COLUMNS="100", PYTHONPATH=str(ROOT))
    script = Path(sys.executable).parent / "newsradar"
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "worker.cli"]
    return subprocess.run([*cmd, *args], capture_output=True, text=True, cwd=cwd, env=full, timeout=300)


def test_the_packaged_starter_config_is_the_repository_example() -> None:
    """One example, two places: config/newsradar.yaml (the repository's) is the source
    and worker/data/newsradar.yaml (what `init` writes) must equal it."""
    assert (ROOT / "worker" / "data" / "newsradar.yaml").read_bytes() == \
        (ROOT / "config" / "newsradar.yaml").read_bytes()


def test_data_lives_next_to_the_config_whatever_the_working_directory(tmp_path: Path) -> None:
    assert _cli("init", str(tmp_path / "proj"), cwd=tmp_path).returncode == 0
    cfg = tmp_path / "proj" / "newsradar.yaml"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    res = _cli("feeds", "add", "--no-check", "http://example.org/feed.xml", "--config", str(cfg), cwd=elsewhere)
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "proj" / "var" / "newsradar.db").is_file() and not (elsewhere / "var").exists()
    # feeds list and alerts list take --config too, and read the same database
    res = _cli("feeds", "list", "--json", "--config", str(cfg), cwd=elsewhere)
    assert "http://example.org/feed.xml" in res.stdout
    res = _cli("alerts", "list", "--config", str(cfg), cwd=elsewhere)
    assert res.returncode == 0 and res.stdout.strip() == "no alerts", res.stderr


def test_feeds_defined_in_the_yaml_are_read_only_and_opml_round_trips(tmp_path: Path) -> None:
    assert _cli("init", ".", cwd=tmp_path).returncode == 0
    res = _cli("feeds", "add", "--no-check", "https://www.nknews.org/feed/", cwd=tmp_path)
    assert res.returncode == 2 and "is defined in config" in res.stderr
    opml = tmp_path / "feeds.opml"
    opml.write_text('<?xml version="1.0"?><opml version="2.0"><body>'
                    '<outline text="A" xmlUrl="http://example.org/a.xml"/>'
                    '<outline text="NK" xmlUrl="https://www.nknews.org/feed/"/></body></opml>', encoding="utf-8")
    res = _cli("feeds", "import", str(opml), cwd=tmp_path)
    assert res.returncode == 0 and "1 added, 1 skipped" in res.stdout, res.stderr
    exported = _cli("feeds", "export", cwd=tmp_path).stdout
    assert 'xmlUrl="http://example.org/a.xml"' in exported and 'xmlUrl="https://www.yna.co.kr/rss/northkorea.xml"' in exported
    # the imported feed is id 1 (the YAML's are stored by the first run)
    res = _cli("feeds", "remove", "1", cwd=tmp_path)
    assert res.returncode == 0 and "removed feed 1" in res.stdout, res.stderr
    assert "example.org/a.xml" not in _cli("feeds", "export", cwd=tmp_path).stdout
    assert _cli("feeds", "remove", "99", cwd=tmp_path).returncode == 4
    assert _cli("feeds", "refresh", cwd=tmp_path).returncode == 2  # an id or --all


def test_config_check_refuses_a_webhook_without_its_secret(tmp_path: Path) -> None:
    assert _cli("init", ".", cwd=tmp_path).returncode == 0
    cfg = yaml.safe_load((tmp_path / "newsradar.yaml").read_text(encoding="utf-8"))
    cfg["channels"]["hook"] = {"type": "webhook", "url": "https://example.org/hook", "secret_env": "NR_HOOK_SECRET"}
    cfg["channels"]["bare"] = {"type": "webhook", "url": "https://example.org/bare"}
    (tmp_path / "newsradar.yaml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    for args in (["config", "check"], ["topics", "check"]):  # topics check: the old name
        res = _cli(*args, cwd=tmp_path)
        assert res.returncode == 2, res.stdout
        assert "channels.hook: secret_env names NR_HOOK_SECRET, which is not set" in res.stderr
        assert "channels.bare: no secret" in res.stderr
    res = _cli("config", "check", cwd=tmp_path, env={"NR_HOOK_SECRET": "s3cret"})
    assert res.returncode == 2 and "channels.hook" not in res.stderr
    del cfg["channels"]["bare"]
    (tmp_path / "newsradar.yaml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    res = _cli("config", "check", cwd=tmp_path, env={"NR_HOOK_SECRET": "s3cret"})
    assert res.returncode == 0 and ": OK: " in res.stdout, res.stderr
    # the same config error exits 2 from run as from config check
    (tmp_path / "newsradar.yaml").write_text("feeds: [{url: 'ftp://x'}]\n", encoding="utf-8")
    assert _cli("run", "--once", cwd=tmp_path).returncode == 2
    assert _cli("config", "check", cwd=tmp_path).returncode == 2


def test_the_compose_stack_sends_email_to_mailpit() -> None:
    """Issue 15, problem 5: the stack's config has an email channel to mailpit:1025 on
    every topic, and is otherwise the example config (which stays without it)."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert compose["x-newsradar"]["environment"]["NEWSRADAR_CONFIG"] == "/app/config/stack.yaml"
    stack = yaml.safe_load((ROOT / "config" / "stack.yaml").read_text(encoding="utf-8"))
    example = yaml.safe_load((ROOT / "config" / "newsradar.yaml").read_text(encoding="utf-8"))
    mail = stack["channels"].pop("mailpit")
    assert mail["type"] == "email" and (mail["host"], mail["port"]) == ("mailpit", 1025)
    assert all(t["channels"][-1] == "mailpit" for t in stack["topics"])
    for t in stack["topics"]:
        t["channels"].remove("mailpit")
    assert stack == example
    res = _cli("config", "check", "--config", str(ROOT / "config" / "stack.yaml"), cwd=ROOT)
    assert res.returncode == 0, res.stderr


def test_readme_quick_start_is_two_commands_and_make_demo_runs_the_main_job() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Quick start", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    assert [line.split()[:2] for line in block.strip().splitlines()] == [["make", "demo"], ["make", "test"]]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "demo: install\n\t$(BIN)/python scripts/demo.py\n" in makefile
    res = subprocess.run([sys.executable, str(ROOT / "scripts" / "demo.py")], capture_output=True, text=True,
                         cwd=ROOT, timeout=600, env={**os.environ, "COLUMNS": "100"})
    assert res.returncode == 0, res.stderr
    summary = [line for line in res.stderr.splitlines() if line.startswith("polled ")]
    assert summary and "5 new article(s), processed 5 (0 failed), 6 new alert(s)" in summary[0]
    listing = res.stdout.split("$ newsradar alerts list", 1)[1].split("$ newsradar status", 1)[0]
    for topic in ("armistice", "russia-ties", "kim-diplomacy"):
        assert topic in listing
    assert "articles:   0 waiting, 5 done, 0 failed" in res.stdout


def test_beat_health_checks_beat_itself_and_the_worker_check_needs_no_celery_a(
        redis_server_url: str, tmp_path: Path) -> None:
    """Issue 15, problems 11 and 12: the beat container stays healthy when no worker runs
    the ticks (its health is that a beat holds the leader lock), and the compose
    healthchecks are newsradar commands, so a worker.py in the working directory cannot
    shadow the Celery app the way `celery -A worker.celery_app` was shadowed."""
    import redis

    from worker.service._beat import LEADER_KEY
    from worker.service._health import LAST_TICK_KEY

    client = redis.Redis.from_url(redis_server_url)
    client.delete(LEADER_KEY, LAST_TICK_KEY)
    (tmp_path / "worker.py").write_text("raise SystemExit('the wrong worker module')\n", encoding="utf-8")
    env = {"NEWSRADAR_REDIS_URL": redis_server_url, "NEWSRADAR_DATABASE_URL": f"sqlite:///{tmp_path / 'nr.db'}"}
    assert _cli("db", "upgrade", cwd=tmp_path, env=env).returncode == 0
    try:
        res = _cli("health", "--role", "beat", cwd=tmp_path, env=env)
        assert res.returncode == 1 and "no beat holds the leader lock" in res.stdout, res.stdout + res.stderr
        client.set(LEADER_KEY, "beat@test", ex=60)  # a beat is leading; no worker has run a tick
        res = _cli("health", "--role", "beat", cwd=tmp_path, env=env)
        assert res.returncode == 0 and "leader lock held by beat@test" in res.stdout, res.stdout + res.stderr
        assert _cli("health", cwd=tmp_path, env=env).returncode == 1  # the whole stack: no ticks
    finally:
        client.delete(LEADER_KEY)
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert compose["services"]["beat"]["healthcheck"]["test"] == ["CMD", "newsradar", "health", "--role", "beat"]
    for service, node in (("worker-io", "io"), ("worker-cpu", "cpu")):  # the queue layout's nodes
        assert compose["services"][service]["healthcheck"]["test"] == \
            ["CMD", "newsradar", "health", "--role", "worker", "--node", node]
    assert "celery -A" not in (ROOT / "docker-compose.yml").read_text(encoding="utf-8").replace(
        "`celery -A worker.celery_app`", "")


def test_scan_and_topics_test_name_nested_pages_apart_and_topics_test_takes_a_topic_id(tmp_path: Path) -> None:
    """Issue 15, problem 10."""
    site = tmp_path / "site"
    for sub, seed in (("a", "000_906bbe40c4e300f6"), ("b", "004_b5c213eedd789ad2")):
        (site / sub).mkdir(parents=True)
        (site / sub / "page.txt").write_bytes((ROOT / "seeds" / f"{seed}.txt").read_bytes())
    res = _cli("scan", "--recursive", str(site), cwd=ROOT)
    assert res.returncode == 0 and "a/page.txt" in res.stdout and "b/page.txt" in res.stdout, res.stderr
    # nested pages without --recursive: --json says why it printed nothing
    res = _cli("scan", str(site), "--json", cwd=ROOT)
    assert res.stdout == "" and "--recursive" in res.stderr
    res = _cli("topics", "test", "kim-diplomacy", str(site / "a"), str(site / "b"), cwd=ROOT)
    assert res.returncode == 0, res.stderr
    assert "(min_score 2)" in res.stdout and "1 of 2 file(s) matched" in res.stdout
    assert f"{site / 'b' / 'page.txt'}: score 5" in res.stdout.replace("\n", "")
    # the topic's min_score applies: raised above the score, nothing matches
    res = _cli("topics", "test", "kim-diplomacy", str(site / "b"), "--min-score", "50", cwd=ROOT)
    assert "0 of 1 file(s) matched" in res.stdout


def test_clean_explain_on_html_explains_what_clean_printed(tmp_path: Path) -> None:
    """Issue 15, problem 6: on an HTML page, --explain marks KEEP exactly the lines that
    `clean` prints (the HTML path's result), not the text path's verdicts."""
    page = tmp_path / "page.html"
    page.write_bytes(page_html(seed_pages()[0]))
    cleaned = _cli("clean", str(page), cwd=tmp_path).stdout
    explained = _cli("clean", str(page), "--explain", cwd=tmp_path).stdout
    body = cleaned.split("\n\n", 1)[1] if "\n\n" in cleaned else cleaned
    printed = {" ".join(p.split()) for p in body.splitlines() if p.strip()}
    keep = {" ".join(line.split(" | ", 1)[1].split()) for line in explained.splitlines()
            if line[6:10] == "KEEP"}
    assert keep and keep <= printed
    assert printed <= keep | {p for p in printed if any(p in k or k in p for k in keep)}


def test_backtest_counts_alerts_with_the_story_merge(tmp_path: Path) -> None:
    """Issue 15, problem 12: the same story on two sites is one alert in the pipeline,
    and one would-be alert in the backtest."""
    from sqlalchemy import create_engine, text

    page = seed_pages()[2]
    body = page_html(page)
    with LocalServer() as srv:
        a = srv.route("/a.html", Route(body=body, content_type="text/html"))
        b = srv.route("/copy/b.html", Route(body=body.replace(b"<body>", b"<body><p>Reposted.</p>"),
                                             content_type="text/html"))
        feed = srv.route("/feed.xml", Route(body=rss([("g1", a, page.title), ("g2", b, page.title)]),
                                            content_type="application/rss+xml"))
        assert _cli("init", ".", cwd=tmp_path).returncode == 0
        cfg = yaml.safe_load((tmp_path / "newsradar.yaml").read_text(encoding="utf-8"))
        cfg["feeds"] = [{"url": feed, "name": "copies"}]
        cfg["network"] = {"allowlist": ["127.0.0.1/32"]}
        (tmp_path / "newsradar.yaml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
        res = _cli("run", "--once", cwd=tmp_path)
        assert res.returncode == 0, res.stderr
    with create_engine(f"sqlite:///{tmp_path / 'var' / 'newsradar.db'}").connect() as c:
        stories = c.execute(text("SELECT count(DISTINCT story_id), count(*) FROM articles WHERE status = 'done'")).one()
        alerts = c.execute(text("SELECT count(*) FROM alerts WHERE topic_id = 'russia-ties'")).scalar_one()
    assert tuple(stories) == (1, 2) and alerts == 1
    res = _cli("topics", "backtest", "russia-ties", "--days", "3650", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines()[0].startswith("topic russia-ties: 1 alert(s) in 2 article(s)"), res.stdout
    assert "2 matching article(s), copies of one story merged" in " ".join(res.stdout.split())
