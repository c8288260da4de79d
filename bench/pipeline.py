"""The whole pipeline's speed: Celery service against the embedded runner, in one run.

    .venv/bin/python bench/pipeline.py [--feeds 100] [--pages 10] [--concurrency 2]
                                       [--real-pages [DIR]] [--steady-rate N | --no-steady] [--json]
    .venv/bin/python bench/pipeline.py --db-only [--feeds 20 --pages 10]   # round trips, commits

A local site (tests/service/_harness.py) serves ``--feeds`` RSS feeds of ``--pages``
pages each (half of them match the test topic, built from the seed texts; the rest are
hand-made negatives). The same work is done twice, each time from an empty database:

  (a) service: a private redis-server, a fresh PostgreSQL database, one ``celery
      worker`` with a prefork pool of ``--concurrency`` processes and one beat
      (tick every second);
  (b) embedded: ``newsradar run --once`` (one process, SQLite), repeated until every
      article is done;
  (c) the same on PostgreSQL, to tell the database's cost from Celery's.

Then (d) the 2-process service again while the site publishes its pages at a steady
rate below capacity (10 feeds x 20 pages, polled every 2 s), and (e) the embedded
pipeline in-process on PostgreSQL with event listeners counting round trips and commits.
With ``--real-pages`` every story is served inside one of the extraction benchmark's
real news pages (read in place, never copied), so cleaning costs what it costs on the
web (the 1.5 KB stubs understate it about 3x); the cleaner then sometimes keeps the real
page's own story instead, so fewer alerts are sent (the same in every column).

Printed for each: articles per second (first article stored to last article finished),
poll-to-delivery latency p50/p95 (alert sent minus article stored at poll time, from
the database), and memory (service: peak summed RSS of the worker and its pool, sampled
every 0.2 s; embedded: peak RSS of the runner process). Figures, never asserts.
Needs redis-server and PostgreSQL (NEWSRADAR_TEST_PG, default postgres@127.0.0.1).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# The extraction benchmark's real pages, read where they are (never copied into the repo).
REAL_PAGES = Path("/work/shared/bench/extraction/html")

from sqlalchemy import create_engine, text  # noqa: E402 - after the sys.path line

from tests.helpers.servers import PrivateRedis, TempDatabase  # noqa: E402
from tests.service._harness import (  # noqa: E402
    NewsSite,
    ServiceProcess,
    service_env,
    start_beat,
    start_worker,
    wait_until,
    write_config,
)


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _pss_kib(pid: int) -> int:
    """Proportional set size: shared pages divided among the processes sharing them."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class MemorySampler(threading.Thread):
    """Peak of the summed RSS of a process and its children."""

    def __init__(self, proc: ServiceProcess) -> None:
        super().__init__(daemon=True)
        self.proc = proc
        self.peak_kib = 0
        self.peak_single_kib = 0
        self.peak_pss_kib = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            pids = [self.proc.pid, *self.proc.children()]
            sizes = [_rss_kib(p) for p in pids]
            self.peak_kib = max(self.peak_kib, sum(sizes))
            self.peak_single_kib = max(self.peak_single_kib, *sizes)
            self.peak_pss_kib = max(self.peak_pss_kib, sum(_pss_kib(p) for p in pids))
            time.sleep(0.2)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def _figures(db_url: str) -> dict[str, float]:
    engine = create_engine(db_url)
    with engine.connect() as c:
        done, first, last = c.execute(text(
            "SELECT count(*), min(created_at), max(fetched_at) FROM articles WHERE status = 'done'"
        )).one()
        lat = [
            (_aware(sent) - _aware(created)).total_seconds()  # type: ignore[operator]
            for sent, created in c.execute(text(
                "SELECT d.sent_at, a.created_at FROM deliveries d JOIN alerts al ON al.id = d.alert_id "
                "JOIN articles a ON a.id = al.article_id WHERE d.status = 'sent'"))
        ]
    engine.dispose()
    first, last = _aware(first), _aware(last)
    span = (last - first).total_seconds() if first and last else float("nan")
    q = statistics.quantiles(lat, n=20) if len(lat) >= 2 else [float("nan")] * 19
    return {"done": done, "span": span, "rate": done / span if span else float("nan"),
            "p50": statistics.median(lat) if lat else float("nan"), "p95": q[18], "sent": len(lat)}


def _aware(value: object) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite
        value = datetime.fromisoformat(value)
    return value  # type: ignore[return-value]


def _done(db_url: str, total: int) -> bool:
    engine = create_engine(db_url)
    try:
        with engine.connect() as c:
            done = c.execute(text("SELECT count(*) FROM articles WHERE status IN ('done', 'failed')")).scalar_one()
            pending = c.execute(text(
                "SELECT count(*) FROM deliveries WHERE status IN ('pending', 'failed', 'sending')")).scalar_one()
    except Exception:  # noqa: BLE001 - tables not there yet
        return False
    finally:
        engine.dispose()
    return done == total and pending == 0


@contextmanager
def _stack(site: NewsSite, tmp: Path, name: str, *, poll_interval: float = 3600,
           allowlist: str = "127.0.0.1/32", **env_extra: Any) -> Iterator[tuple[TempDatabase, dict[str, str]]]:
    """A private redis-server and a fresh, migrated PostgreSQL database, with the config
    (``name``.yaml, alerts to ``name``-alerts.jsonl) and the environment of a service on them."""
    from worker.store import make_engine, upgrade

    with PrivateRedis(tmp / f"redis-{name}") as redis_server, TempDatabase() as db:
        engine = make_engine(db.url)
        upgrade(engine)
        engine.dispose()
        cfg = write_config(tmp / f"{name}.yaml", site.corpus, jsonl=tmp / f"{name}-alerts.jsonl",
                           poll_interval=poll_interval, allowlist=allowlist)
        yield db, service_env(db.url, redis_server.url, cfg, NEWSRADAR_VISIBILITY_TIMEOUT=300,
                              NEWSRADAR_TICK_INTERVAL=1, NEWSRADAR_LOG_LEVEL="WARNING", **env_extra)


def run_service(site: NewsSite, tmp: Path, concurrency: int, *, allowlist: str = "127.0.0.1/32",
                **env_extra: Any) -> tuple[dict[str, float], MemorySampler, float]:
    total = len(site.corpus.pages)
    with _stack(site, tmp, "service", allowlist=allowlist, **env_extra) as (db, env):
        worker = start_worker(env, tmp, concurrency=concurrency)
        sampler = MemorySampler(worker)
        sampler.start()
        started = time.monotonic()
        beat = start_beat(env, tmp)
        try:
            wait_until(lambda: _done(db.url, total), 900, "the service to finish", interval=0.5)
            wall = time.monotonic() - started
        finally:
            try:
                sampler.stop()
            finally:
                beat.stop()
                worker.stop()
        return _figures(db.url), sampler, wall


def run_steady(site: NewsSite, tmp: Path, concurrency: int, rate: float) -> dict[str, float]:
    """The service (``concurrency`` prefork processes) while the site publishes ``rate``
    pages a second, feeds polled every 2 s: latency without a backlog."""
    total = len(site.corpus.pages)
    with _stack(site, tmp, "steady", poll_interval=2) as (db, env):
        worker = start_worker(env, tmp, "steady", concurrency=concurrency)
        beat = start_beat(env, tmp, "steady-beat")
        try:
            site.reveal_steadily(rate)
            wait_until(lambda: _done(db.url, total), 900, "the steady run to finish", interval=0.5)
        finally:
            beat.stop()
            worker.stop()
        figures = _figures(db.url)
    figures["offered_articles_s"] = rate
    return figures


# Politeness as the service ships it (ServiceSettings: 2 requests at a time per host, 1 s
# apart) against none (what the other runs use, as the tests do).
POLITE_ON = {"NEWSRADAR_HOST_CONCURRENCY": 2, "NEWSRADAR_HOST_MIN_DELAY": 1.0}
POLITE_OFF = {"NEWSRADAR_HOST_CONCURRENCY": 16, "NEWSRADAR_HOST_MIN_DELAY": 0}


def run_politeness(tmp: Path, concurrency: int, hosts: int, feeds: int, pages: int,
                   real: Path | None) -> dict[str, float]:
    """The service on a mixed-host load (``feeds`` feeds spread over ``hosts`` loopback
    addresses, each feed and its pages on one), with the shipped politeness and without:
    a worker that waited for a busy host would hold a process slot; one that re-enqueues
    the article keeps working on the other hosts."""
    out: dict[str, float] = {}
    for name, env in (("off", POLITE_OFF), ("on", POLITE_ON)):
        with NewsSite(feeds, pages, real_pages=real, hosts=hosts) as site:
            d = tmp / f"polite-{name}"
            d.mkdir()
            figures, _, wall = run_service(site, d, concurrency, allowlist="127.0.0.0/8", **env)
            out[f"{name}_articles_s"] = figures["rate"]
            out[f"{name}_wall_s"] = wall
            out[f"{name}_done"] = figures["done"]
    out["ratio"] = out["on_articles_s"] / out["off_articles_s"] if out["off_articles_s"] else 0.0
    return out


def run_embedded(site: NewsSite, tmp: Path, db_url: str, name: str) -> tuple[dict[str, float], int, float, int]:
    total = len(site.corpus.pages)
    cfg = write_config(tmp / f"{name}.yaml", site.corpus, jsonl=tmp / f"{name}-alerts.jsonl")
    env = {**os.environ, "NEWSRADAR_DATABASE_URL": db_url, "NEWSRADAR_CONFIG": str(cfg),
           "NEWSRADAR_LOG_LEVEL": "WARNING"}
    exe = str(Path(sys.executable).with_name("newsradar"))
    started = time.monotonic()
    passes = 0
    peak_kib = 0
    while not _done(db_url, total) and passes < 20:
        # one process per pass, so that its peak RSS is its own
        proc = subprocess.Popen([exe, "run", "--once"], env=env, cwd=tmp,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            raise SystemExit(f"newsradar run --once failed ({proc.returncode})")
        peak_kib = max(peak_kib, usage.ru_maxrss)
        passes += 1
    wall = time.monotonic() - started
    return _figures(db_url), peak_kib, wall, passes


def run_instrumented(site: NewsSite, tmp: Path, db_url: str) -> dict[str, float]:
    """The embedded pipeline in this process on PostgreSQL, with SQLAlchemy event
    listeners counting round trips (statements, BEGINs, COMMITs, ROLLBACKs) and commits,
    and the time spent inside story assignment's bucket-locked choice. The service
    runs the same pipeline functions (its 'queued' marks live in Redis, not here)."""
    from sqlalchemy import event

    from worker.config import get_settings, load_config
    from worker.pipeline import stories
    from worker.pipeline.context import build_context
    from worker.pipeline.runner import run_once
    from worker.store import make_engine, upgrade

    total = len(site.corpus.pages)
    cfg = write_config(tmp / "instr.yaml", site.corpus, jsonl=tmp / "instr-alerts.jsonl")
    engine = make_engine(db_url)
    upgrade(engine)
    counts = {"statements": 0, "begins": 0, "commits": 0, "rollbacks": 0, "autocommits": 0,
              "lazy_commits": 0}
    by_statement: Counter[str] = Counter()

    @event.listens_for(engine, "before_cursor_execute")
    def _stmt(conn: Any, _cursor: object, statement: str, *_: object) -> None:
        counts["statements"] += 1
        by_statement[_shape(statement)] += 1
        if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            counts["autocommits"] += 1  # the statement commits itself: a commit, no extra round trip
            if "set_config" in statement:
                counts["lazy_commits"] += 1  # synchronous_commit off: no WAL flush wait

    @event.listens_for(engine, "begin")
    def _begin(*_: object) -> None:
        counts["begins"] += 1

    @event.listens_for(engine, "commit")
    def _commit(*_: object) -> None:
        counts["commits"] += 1

    @event.listens_for(engine, "rollback")
    def _rollback(conn: Any, *_: object) -> None:
        # an autocommit connection has no transaction open: psycopg sends nothing
        if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            counts["rollbacks"] += 1

    ctx = build_context(load_config(cfg), get_settings().model_copy(update={"database_url": db_url}),
                        engine=engine, migrate=False)
    stories.ChoiceTimer.total_s, stories.ChoiceTimer.count = 0.0, 0
    passes = 0
    while not _done(db_url, total) and passes < 20:
        run_once(ctx)
        passes += 1
    engine.dispose()
    n = max(1, total)
    # BEGIN costs no round trip of its own with psycopg 3 (sent with the first statement)
    round_trips = counts["statements"] + counts["commits"] + counts["rollbacks"]
    commits = counts["commits"] + counts["autocommits"]
    return {"round_trips_per_article": round_trips / n, "commits_per_article": commits / n,
            "statements_per_article": counts["statements"] / n,
            "lock_ms_per_article": 1000 * stories.ChoiceTimer.total_s / n, "passes": passes,
            "rollbacks_per_article": counts["rollbacks"] / n,
            "durable_commits_per_article": (commits - counts["lazy_commits"]) / n,
            "top_statements": [(round(c / n, 2), shape) for shape, c in by_statement.most_common(40)]}


def _shape(statement: str) -> str:
    """A statement's first words, its table and its WHERE, enough to tell them apart."""
    flat = " ".join(statement.split())
    head = flat.split(" WHERE ")[0][:70]
    where = flat.split(" WHERE ")[1][:60] if " WHERE " in flat else ""
    return f"{head} | {where}" if where else head


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--feeds", type=int, default=100)
    ap.add_argument("--pages", type=int, default=10, help="pages per feed")
    ap.add_argument("--concurrency", type=int, default=2, help="prefork processes of the one worker")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    ap.add_argument("--steady-rate", type=float, default=None,
                    help="also run the service while the site publishes this many pages a second "
                         "(below capacity): poll-to-delivery latency without a backlog "
                         "(default: a third of the backlog rate of the 2-process service)")
    ap.add_argument("--no-steady", action="store_true", help="skip the steady-rate run")
    ap.add_argument("--polite-hosts", type=int, default=100,
                    help="hosts (loopback addresses) of the mixed-host politeness run (0: skip it)")
    ap.add_argument("--polite-pages", type=int, default=3, help="pages per host in that run")
    ap.add_argument("--politeness-only", action="store_true", help="only the mixed-host politeness run")
    ap.add_argument("--real-pages", nargs="?", const=str(REAL_PAGES), default=None, metavar="DIR",
                    help="serve each story inside one of the benchmark's real news pages (~167 KiB, "
                         f"read in place from DIR, default {REAL_PAGES}) instead of a 1.5 KB stub")
    ap.add_argument("--db-only", action="store_true",
                    help="only the instrumented embedded PostgreSQL pass: round trips, commits and "
                         "the statements that make them, per article")
    args = ap.parse_args()
    if args.db_only:
        with tempfile.TemporaryDirectory(prefix="newsradar-bench-") as d, \
                NewsSite(args.feeds, args.pages) as site, TempDatabase() as pg:
            instr = run_instrumented(site, Path(d), pg.url)
        print(f"instrumented embedded PG pass, {args.feeds * args.pages} articles: "
              f"{instr['round_trips_per_article']:.1f} round trips "
              f"({instr['statements_per_article']:.1f} statements, {instr['rollbacks_per_article']:.2f} "
              f"rollbacks), {instr['commits_per_article']:.2f} commits "
              f"({instr['durable_commits_per_article']:.2f} waiting for the WAL flush) per article")
        for per, shape in instr["top_statements"]:  # type: ignore[attr-defined]
            print(f"  {per:6.2f}  {shape}")
        return

    real = Path(args.real_pages) if args.real_pages else None
    if args.politeness_only:
        with tempfile.TemporaryDirectory(prefix="newsradar-bench-") as d:
            p = run_politeness(Path(d), args.concurrency, args.polite_hosts, args.polite_hosts,
                               args.polite_pages, real)
        print(f"mixed-host load, service {args.concurrency} procs, {args.polite_hosts} hosts x "
              f"{args.polite_pages} pages ({'real' if real else 'stub'} pages): politeness on "
              f"{p['on_articles_s']:.1f} articles/s ({p['on_done']:.0f} done, {p['on_wall_s']:.1f} s), "
              f"off {p['off_articles_s']:.1f} articles/s ({p['off_done']:.0f} done, {p['off_wall_s']:.1f} s): "
              f"on/off {p['ratio']:.2f}")
        return
    with tempfile.TemporaryDirectory(prefix="newsradar-bench-") as d, \
            NewsSite(args.feeds, args.pages, real_pages=real) as site:
        tmp = Path(d)
        total = len(site.corpus.pages)
        print(f"pipeline bench: {args.feeds} feeds x {args.pages} pages = {total} articles "
              f"({len(site.corpus.positive_urls)} stories on the topic), {os.cpu_count()} CPUs, "
              + (f"each story inside a real page from {real}" if real else "1.5 KB stub pages"))
        svc1, mem1, svc1_wall = run_service(site, tmp, 1)
        svc, mem, svc_wall = run_service(site, tmp, args.concurrency)
        emb, emb_kib, emb_wall, passes = run_embedded(site, tmp, f"sqlite:///{tmp / 'embedded.db'}", "sqlite")
        with TempDatabase() as pg:
            from worker.store import upgrade

            upgrade(pg.url)
            pge, pge_kib, pge_wall, pg_passes = run_embedded(site, tmp, pg.url, "pg")
        with TempDatabase() as pg2:
            instr = run_instrumented(site, tmp, pg2.url)
    steady: dict[str, float] | None = None
    if not args.no_steady:
        rate = args.steady_rate or max(1.0, round(svc["rate"] / 3, 1))
        # 10 feeds of 20 pages: polling 100 feeds every 2 s would be a load of its own
        with tempfile.TemporaryDirectory(prefix="newsradar-bench-") as d, \
                NewsSite(10, 20, real_pages=real) as steady_site:
            steady = run_steady(steady_site, Path(d), args.concurrency, rate)

    polite: dict[str, float] | None = None
    if args.polite_hosts > 0:
        with tempfile.TemporaryDirectory(prefix="newsradar-bench-") as d:
            polite = run_politeness(Path(d), args.concurrency, args.polite_hosts, args.polite_hosts,
                                    args.polite_pages, real)

    if args.json:
        import json

        print(json.dumps({
            "articles": total, "cpus": os.cpu_count(),
            "pages": f"real ({real})" if real else "stub (1.5 KB)",
            "alerts_sent": {"service1": svc1["sent"], "service2": svc["sent"], "embedded_sqlite": emb["sent"],
                            "embedded_pg": pge["sent"]},
            "embedded_sqlite_articles_s": emb["rate"], "embedded_pg_articles_s": pge["rate"],
            "service1_articles_s": svc1["rate"], "service2_articles_s": svc["rate"],
            "service2_vs_embedded_pg": svc["rate"] / pge["rate"],
            # no lock is shared by the whole fleet any more; this is the time inside the
            # per-bucket locks of story assignment (articles wait only on a shared bucket)
            "lock_ms_per_article": instr["lock_ms_per_article"],
            "lock_scope": "per LSH bucket (32 of 2,097,152 keys per article); fleet-wide lock: none",
            "fleet_wide_lock_ms_per_article": 0.0,
            "db_round_trips_per_article": instr["round_trips_per_article"],
            "commits_per_article": instr["commits_per_article"],
            "durable_commits_per_article": instr["durable_commits_per_article"],
            "latency_p50_s": svc["p50"], "latency_p95_s": svc["p95"],
            "latency_note": "service, all articles arriving at once (a backlog)",
            "steady": None if steady is None else {
                "offered_articles_s": steady["offered_articles_s"], "done_articles_s": steady["rate"],
                "latency_p50_s": steady["p50"], "latency_p95_s": steady["p95"],
                "note": f"service, {args.concurrency} processes, pages published at a steady rate, "
                        "10 feeds x 20 pages polled every 2 s; latency = article stored at poll -> alert sent"},
            "worker_memory_mib": {"service1": mem1.peak_kib / 1024, "service2": mem.peak_kib / 1024,
                                  "embedded_sqlite": emb_kib / 1024, "embedded_pg": pge_kib / 1024},
            "politeness_on_vs_off": None if polite is None else polite["ratio"],
            "politeness": None if polite is None else {
                **polite, "hosts": args.polite_hosts, "pages_per_host": args.polite_pages,
                "on": POLITE_ON, "off": POLITE_OFF,
                "note": f"service, {args.concurrency} processes, one feed per host, all at once"},
        }, indent=1))
        return
    print(f"\ninstrumented embedded PG pass: {instr['round_trips_per_article']:.1f} round trips "
          f"({instr['statements_per_article']:.1f} statements), {instr['commits_per_article']:.2f} commits "
          f"({instr['durable_commits_per_article']:.2f} durable), "
          f"{instr['lock_ms_per_article']:.2f} ms inside the story-bucket locks, per article "
          "(no fleet-wide lock remains)")

    if polite is not None:
        print(f"\nmixed-host load, service {args.concurrency} procs, {args.polite_hosts} hosts x "
              f"{args.polite_pages} pages: politeness on (2 per host, 1 s apart) "
              f"{polite['on_articles_s']:.1f} articles/s, off {polite['off_articles_s']:.1f} articles/s: "
              f"on/off {polite['ratio']:.2f}")
    if steady is not None:
        print(f"\nsteady arrival, service {args.concurrency} procs: {steady['offered_articles_s']:.1f} pages/s "
              f"published, {steady['rate']:.1f} articles/s done, poll-to-delivery p50 {steady['p50']:.2f} s, "
              f"p95 {steady['p95']:.2f} s (no backlog; 10 feeds x 20 pages, polled every 2 s)")
    cols = [
        ("service (Celery)", "1 proc, PG", svc1, svc1_wall, mem1.peak_kib, mem1.peak_single_kib,
         f"{mem1.peak_pss_kib / 1024:.0f}"),
        ("service (Celery)", f"{args.concurrency} procs, PG", svc, svc_wall, mem.peak_kib, mem.peak_single_kib,
         f"{mem.peak_pss_kib / 1024:.0f}"),
        ("embedded", f"SQLite, {passes} pass(es)", emb, emb_wall, emb_kib, emb_kib, "-"),
        ("embedded on PG", f"PG, {pg_passes} pass(es)", pge, pge_wall, pge_kib, pge_kib, "-"),
    ]
    w = 20
    print()
    print(f"{'':36}" + "".join(f"{c[0]:>{w}}" for c in cols))
    print(f"{'setup':36}" + "".join(f"{c[1]:>{w}}" for c in cols))
    rows = [
        ("articles done", lambda c: f"{c[2]['done']}"),
        ("alerts sent", lambda c: f"{c[2]['sent']}"),
        ("articles/s (first stored..last done)", lambda c: f"{c[2]['rate']:.1f}"),
        ("wall time to all delivered (s)", lambda c: f"{c[3]:.1f}"),
        ("poll-to-delivery p50 (s)", lambda c: f"{c[2]['p50']:.2f}"),
        ("poll-to-delivery p95 (s)", lambda c: f"{c[2]['p95']:.2f}"),
        ("peak memory, all processes (MiB)", lambda c: f"{c[4] / 1024:.0f}"),
        ("peak memory, largest process (MiB)", lambda c: f"{c[5] / 1024:.0f}"),
        ("peak memory, all processes, PSS (MiB)", lambda c: c[6]),
    ]
    for label, cell in rows:
        print(f"{label:36}" + "".join(f"{cell(c):>{w}}" for c in cols))
    print()
    print("Service memory: summed RSS of the worker's main process and its pool (shared pages "
          "counted in each; PSS shares them out), sampled every 0.2 s. Embedded memory: peak RSS of the runner "
          "process. Latency: article row written at poll time to its alert marked sent. "
          "'embedded on PG' separates the database's cost (durable commits) from Celery's.")


if __name__ == "__main__":
    main()
