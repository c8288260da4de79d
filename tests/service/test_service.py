"""The service end to end and under faults: real redis-server, real PostgreSQL, real
``celery worker`` and ``celery beat`` processes, a local news site and alert sinks.

Each test ends with the same check: every page stored and finished (no article lost)
and every expected alert delivered exactly once (nothing repeated).
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

from tests.helpers.servers import PrivateRedis, TempDatabase, free_port
from tests.service._harness import (
    NewsSite,
    WebhookSink,
    jsonl_urls,
    kill_worker_and_recover,
    read_outcome,
    service_env,
    start_beat,
    start_worker,
    wait_settled,
    wait_until,
    write_config,
)

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.timeout(240)]

SETTLE = 120  # seconds: generous; a fault heals within about two visibility timeouts


def assert_exactly_once(db: TempDatabase, site: NewsSite, sent_urls: list[str]) -> None:
    corpus = site.corpus
    out = read_outcome(db.url)
    # nothing lost: every page of every feed is stored and finished
    assert out.article_urls == {corpus.base_url + p.path for p in corpus.pages}
    assert out.articles.get("done", 0) == len(corpus.pages), out.articles
    # nothing repeated: one alert per positive page, one delivery each, sent once
    dupes = [u for u, n in Counter(sent_urls).items() if n > 1]
    assert not dupes, f"alerts delivered more than once: {dupes[:5]}"
    assert set(sent_urls) == corpus.positive_urls
    assert out.alerts == len(corpus.positive_urls)
    assert out.deliveries == Counter({"sent": len(corpus.positive_urls)})


def test_end_to_end_20_feeds_200_pages(tmp_path: Path, private_redis: PrivateRedis, pg_db: TempDatabase) -> None:
    with NewsSite(20, 10) as site:
        jsonl = tmp_path / "alerts.jsonl"
        # start with 18 feeds; the last two are added to the config file while running
        cfg = write_config(tmp_path / "newsradar.yaml", site.corpus, jsonl=jsonl,
                           feeds=site.corpus.feed_urls[:18])
        metrics_port = free_port()
        env = service_env(pg_db.url, private_redis.url, cfg, NEWSRADAR_METRICS_PORT=metrics_port,
                          NEWSRADAR_HOST_MIN_DELAY="0.002", NEWSRADAR_HOST_CONCURRENCY="4")
        worker = start_worker(env, tmp_path)
        beat = start_beat(env, tmp_path)
        try:
            wait_until(lambda: read_outcome(pg_db.url).articles.get("done", 0) == 180, SETTLE, "18 feeds done")
            # a broken edit of the config file does not stop the service ...
            cfg.write_text("feeds: [unclosed\n", encoding="utf-8")
            wait_until(lambda: "keeping the previous one" in worker.text(), 30, "the bad config to be refused")
            # ... and feeds added to it are picked up without a restart
            write_config(cfg, site.corpus, jsonl=jsonl)
            wait_settled(pg_db.url, site.corpus, [worker, beat], SETTLE, "all 200 pages processed and alerts sent")
            wait_until(lambda: len(jsonl_urls(jsonl)) >= len(site.corpus.positive_urls), 10, "jsonl lines")
            assert len(site.corpus.pages) == 200 and len(site.corpus.positive_urls) == 100
            assert_exactly_once(pg_db, site, jsonl_urls(jsonl))
            # each page fetched once (duplicate messages are stopped by the row claims)
            hits = site.page_hits()
            assert set(hits) == {p.path for p in site.corpus.pages}

            # Prometheus metrics from the worker's main process, summed over the pool
            text = urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).read().decode()
            values = _metric_values(text)
            assert values.get('newsradar_articles_processed_total{status="done"}', 0) >= 200
            assert values.get('newsradar_alerts_total{status="sent"}', 0) >= 100
            assert values.get('newsradar_feeds_polled_total{outcome="ok"}', 0) >= 20
            assert values.get("newsradar_matches_total", 0) >= 100
            assert any(k.startswith("newsradar_task_seconds_bucket") for k in values)

            # `newsradar health`: database, Redis, a recent tick, queue depths
            health = subprocess.run(
                [sys.executable, "-m", "worker.cli.service", "health", "--json"],
                env=env, capture_output=True, text=True, timeout=60, check=False,
            )
            report = json.loads(health.stdout)
            assert health.returncode == 0, health.stdout + health.stderr
            assert {c["name"]: c["ok"] for c in report["checks"]} == {
                "database": True, "redis": True, "beat": True,
                "queue:poll": True, "queue:process": True, "queue:deliver": True,
            }
        finally:
            beat.stop()
            worker.stop()
        # with beat and the worker gone, health says so: the tick ages
        health = subprocess.run(
            [sys.executable, "-m", "worker.cli.service", "health"],
            env={**env, "NEWSRADAR_MAX_TICK_AGE": "0.01"}, capture_output=True, text=True, timeout=60, check=False,
        )
        assert health.returncode == 1 and "FAIL beat" in health.stdout


def _metric_values(text: str) -> dict[str, float]:
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


def _processing_started(db: TempDatabase) -> bool:
    """Pages are being processed, and (for the kill tests) no alert is being sent right
    now: a process killed between writing an alert to the sink and recording it sent
    would send it again, the one window at-least-once cannot close."""
    out = read_outcome(db.url)
    return (out.articles.get("done", 0) >= 4 and out.articles.get("processing", 0) >= 1
            and out.deliveries.get("sending", 0) == 0)


def test_worker_sigkilled_mid_processing(tmp_path: Path, private_redis: PrivateRedis, pg_db: TempDatabase) -> None:
    # slow pages so that tasks are surely in flight when the worker dies
    with NewsSite(5, 8, page_delay=0.3) as site:
        jsonl = tmp_path / "alerts.jsonl"
        cfg = write_config(tmp_path / "newsradar.yaml", site.corpus, jsonl=jsonl)
        env = service_env(pg_db.url, private_redis.url, cfg)
        first = start_worker(env, tmp_path, "w1")
        beat = start_beat(env, tmp_path)
        second = None
        try:
            wait_until(lambda: _processing_started(pg_db), 60, "processing under way")
            children = first.children()
            assert children, "prefork pool children expected"
            first.kill_group()  # SIGKILL the worker and its pool: no chance to requeue anything
            out = read_outcome(pg_db.url)
            assert out.articles.get("done", 0) < len(site.corpus.pages)
            second = start_worker(env, tmp_path, "w2")
            wait_settled(pg_db.url, site.corpus, [first, second, beat], SETTLE, "recovery after SIGKILL")
            assert_exactly_once(pg_db, site, jsonl_urls(jsonl))
        finally:
            beat.stop()
            if second:
                second.stop()
            first.stop()


def test_whole_worker_sigkilled_work_comes_back_by_leases_not_redelivery(
    tmp_path: Path, private_redis: PrivateRedis, pg_db: TempDatabase
) -> None:
    # The visibility timeout (and so the "queued" marks' life) is an hour: Redis would not
    # hand the dead worker's messages back within this test. The work comes back because
    # its claims and marks are leases that the dead worker no longer renews, and the tick
    # enqueues it again; the state machine keeps every alert to one send.
    # bench/recovery.py prints how long that takes.
    with NewsSite(5, 8, page_delay=0.3) as site:
        jsonl = tmp_path / "alerts.jsonl"
        cfg = write_config(tmp_path / "newsradar.yaml", site.corpus, jsonl=jsonl)
        env = service_env(pg_db.url, private_redis.url, cfg, NEWSRADAR_VISIBILITY_TIMEOUT=3600,
                          NEWSRADAR_CLAIM_LEASE=4)
        first = start_worker(env, tmp_path, "w1")
        beat = start_beat(env, tmp_path)
        second = None
        try:
            recovery, second = kill_worker_and_recover(pg_db.url, site, env, tmp_path, first, [beat],
                                                       settle=SETTLE)
            # tasks were in flight when the worker died: articles it had claimed
            assert recovery.in_flight.get("articles:processing", 0) >= 1, recovery.in_flight
            wait_until(lambda: len(jsonl_urls(jsonl)) >= len(site.corpus.positive_urls), 10, "jsonl lines")
            assert_exactly_once(pg_db, site, jsonl_urls(jsonl))
            # each page fetched at most twice: once by the dead worker (in flight), once after
            assert max(site.page_hits().values()) <= 2
        finally:
            beat.stop()
            if second:
                second.stop()
            first.stop()


def test_slow_tasks_keep_their_short_leases_while_alive(
    tmp_path: Path, private_redis: PrivateRedis, pg_db: TempDatabase
) -> None:
    # Each page takes 2.5 s to answer, over twice the 1 s lease: the lease keeper renews
    # the claims and marks of the tasks in flight, so the idle second node never takes a
    # page from a live worker (each page fetched once) while the tick keeps sweeping.
    with NewsSite(2, 3, page_delay=2.5) as site:
        jsonl = tmp_path / "alerts.jsonl"
        cfg = write_config(tmp_path / "newsradar.yaml", site.corpus, jsonl=jsonl)
        env = service_env(pg_db.url, private_redis.url, cfg, NEWSRADAR_CLAIM_LEASE=1)
        one = start_worker(env, tmp_path, "w1", concurrency=2)
        two = start_worker(env, tmp_path, "w2", concurrency=2)
        beat = start_beat(env, tmp_path)
        try:
            wait_settled(pg_db.url, site.corpus, [one, two, beat], SETTLE, "slow pages processed")
            wait_until(lambda: len(jsonl_urls(jsonl)) >= len(site.corpus.positive_urls), 10, "jsonl lines")
        finally:
            beat.stop()
            two.stop()
            one.stop()
        assert_exactly_once(pg_db, site, jsonl_urls(jsonl))
        assert set(site.page_hits().values()) == {1}, site.page_hits()


def test_pool_child_sigkilled_task_is_redelivered(tmp_path: Path, private_redis: PrivateRedis, pg_db: TempDatabase) -> None:
    with NewsSite(3, 8, page_delay=0.3) as site:
        jsonl = tmp_path / "alerts.jsonl"
        cfg = write_config(tmp_path / "newsradar.yaml", site.corpus, jsonl=jsonl)
        env = service_env(pg_db.url, private_redis.url, cfg)
        worker = start_worker(env, tmp_path)
        beat = start_beat(env, tmp_path)
        try:
            wait_until(lambda: _processing_started(pg_db), 60, "processing under way")
            import os
            import signal

            for pid in worker.children():
                os.kill(pid, signal.SIGKILL)  # the pool replaces its children; late acks requeue
            wait_settled(pg_db.url, site.corpus, [worker, beat], SETTLE, "recovery after a child was killed")
            assert_exactly_once(pg_db, site, jsonl_urls(jsonl))
            assert "WorkerLostError" in worker.text() or "signal 9" in worker.text()
        finally:
            beat.stop()
            worker.stop()


def test_redis_restarted_mid_run(tmp_path: Path, private_redis: PrivateRedis, pg_db: TempDatabase) -> None:
    with NewsSite(5, 8, page_delay=0.15) as site:
        jsonl = tmp_path / "alerts.jsonl"
        cfg = write_config(tmp_path / "newsradar.yaml", site.corpus, jsonl=jsonl)
        env = service_env(pg_db.url, private_redis.url, cfg)
        worker = start_worker(env, tmp_path)
        beat = start_beat(env, tmp_path)
        try:
            wait_until(lambda: _processing_started(pg_db), 60, "processing under way")
            private_redis.restart(down_for=2.0)
            assert read_outcome(pg_db.url).articles.get("done", 0) < len(site.corpus.pages)
            wait_settled(pg_db.url, site.corpus, [worker, beat], SETTLE, "recovery after the Redis restart")
            assert_exactly_once(pg_db, site, jsonl_urls(jsonl))
        finally:
            beat.stop()
            worker.stop()


def test_postgres_connections_dropped_mid_run(tmp_path: Path, private_redis: PrivateRedis, pg_db: TempDatabase) -> None:
    with NewsSite(5, 8, page_delay=0.1) as site:
        jsonl = tmp_path / "alerts.jsonl"
        cfg = write_config(tmp_path / "newsradar.yaml", site.corpus, jsonl=jsonl)
        env = service_env(pg_db.url, private_redis.url, cfg)
        worker = start_worker(env, tmp_path)
        beat = start_beat(env, tmp_path)
        try:
            wait_until(lambda: _processing_started(pg_db), 60, "processing under way")
            dropped = 0
            for _ in range(4):  # cut every connection of this database, again and again
                dropped += pg_db.terminate_connections()
                time.sleep(0.7)
            assert dropped >= 1
            wait_settled(pg_db.url, site.corpus, [worker, beat], SETTLE, "recovery after dropped connections")
            assert_exactly_once(pg_db, site, jsonl_urls(jsonl))
        finally:
            beat.stop()
            worker.stop()


def test_alert_sink_answers_500_for_a_while(tmp_path: Path, private_redis: PrivateRedis, pg_db: TempDatabase) -> None:
    sink = WebhookSink(fail_for=2.0, fail_first=True)
    with NewsSite(4, 6) as site:
        hook = site.add_sink(sink)
        cfg = write_config(tmp_path / "newsradar.yaml", site.corpus, webhook_url=hook)
        env = service_env(pg_db.url, private_redis.url, cfg)
        # the deployment the docs suggest: I/O queues on a threads pool, 'process' on prefork
        io = start_worker(env, tmp_path, "io", queues="poll,deliver", pool="threads", concurrency=8)
        worker = start_worker(env, tmp_path, "cpu", queues="process", concurrency=1)
        beat = start_beat(env, tmp_path)
        try:
            wait_settled(pg_db.url, site.corpus, [io, worker, beat], SETTLE, "every alert delivered after the 500s")
            sent = [a["article"]["url"] for a in sink.accepted]
            assert_exactly_once(pg_db, site, sent)
            # every alert was refused at least once before it went through
            assert sink.refused >= len(site.corpus.positive_urls)
            assert "Task newsradar.deliver[" in io.text() and "Task newsradar.deliver[" not in worker.text()
        finally:
            beat.stop()
            worker.stop()
            io.stop()


def test_two_beats_each_feed_polled_once_per_interval(tmp_path: Path, private_redis: PrivateRedis, pg_db: TempDatabase) -> None:
    interval = 3.0
    with NewsSite(4, 3) as site:
        jsonl = tmp_path / "alerts.jsonl"
        cfg = write_config(tmp_path / "newsradar.yaml", site.corpus, jsonl=jsonl, poll_interval=interval)
        env = service_env(pg_db.url, private_redis.url, cfg)
        worker = start_worker(env, tmp_path)
        beats = [start_beat(env, tmp_path, "beat1"), start_beat(env, tmp_path, "beat2")]
        try:
            wait_settled(pg_db.url, site.corpus, [worker, *beats], SETTLE, "first round")
            start = time.monotonic()
            time.sleep(interval * 3.5)
            watched = time.monotonic() - start
            leaders = [b for b in beats if "leading: sending ticks" in b.text()]
            assert len(leaders) == 1, "exactly one beat leads"
            for path, hits in site.feed_hits.items():
                gaps = [b - a for a, b in itertools.pairwise(hits)]
                assert all(g >= interval * 0.9 for g in gaps), f"{path} polled twice in one interval: {gaps}"
                in_window = [h for h in hits if h >= start]
                assert len(in_window) <= watched / interval + 1, (path, len(in_window))
                assert len(in_window) >= 2, f"{path} not polled on its interval"
            # the standby takes over when the leader stops
            leader = leaders[0]
            standby = beats[1 - beats.index(leader)]
            leader.stop()
            wait_until(lambda: "leading: sending ticks" in standby.text(), 30, "the standby beat to lead")
            assert_exactly_once(pg_db, site, jsonl_urls(jsonl))
        finally:
            for b in beats:
                b.stop()
            worker.stop()


def test_a_busy_host_defers_articles_instead_of_holding_a_process(
    tmp_path: Path, private_redis: PrivateRedis, pg_db: TempDatabase
) -> None:
    # One request at a time to the one host, 0.3 s apart: the second process finds the
    # host busy, gives its article back with a countdown (no attempt spent) and takes
    # other work; everything is still fetched once and alerted once.
    with NewsSite(2, 6) as site:
        jsonl = tmp_path / "alerts.jsonl"
        cfg = write_config(tmp_path / "newsradar.yaml", site.corpus, jsonl=jsonl)
        env = service_env(pg_db.url, private_redis.url, cfg,
                          NEWSRADAR_HOST_CONCURRENCY="1", NEWSRADAR_HOST_MIN_DELAY="0.3")
        worker = start_worker(env, tmp_path)
        beat = start_beat(env, tmp_path)
        try:
            wait_settled(pg_db.url, site.corpus, [worker, beat], SETTLE, "all pages processed politely")
            wait_until(lambda: len(jsonl_urls(jsonl)) >= len(site.corpus.positive_urls), 10, "jsonl lines")
        finally:
            beat.stop()
            worker.stop()
        assert_exactly_once(pg_db, site, jsonl_urls(jsonl))
        assert set(site.page_hits().values()) == {1}
        from sqlalchemy import create_engine, text

        engine = create_engine(pg_db.url)
        with engine.connect() as c:
            attempts = [n for (n,) in c.execute(text("SELECT attempts FROM articles"))]
        engine.dispose()
        assert attempts and set(attempts) == {1}, attempts  # deferrals are not attempts


def test_three_nodes_in_the_documented_layout_one_killed(
    tmp_path: Path, private_redis: PrivateRedis, pg_db: TempDatabase
) -> None:
    # docs/service.md's layout: poll+deliver on a threads pool, process on prefork, each
    # node named on its own. One process node is SIGKILLed mid-run: the other nodes
    # finish its work and every expected alert is delivered exactly once.
    with NewsSite(5, 8, page_delay=0.2) as site:
        jsonl = tmp_path / "alerts.jsonl"
        cfg = write_config(tmp_path / "newsradar.yaml", site.corpus, jsonl=jsonl)
        env = service_env(pg_db.url, private_redis.url, cfg)
        io = start_worker(env, tmp_path, "io1", queues="poll,deliver", pool="threads", concurrency=8)
        cpu1 = start_worker(env, tmp_path, "cpu1", queues="process", pool="prefork", concurrency=2)
        cpu2 = start_worker(env, tmp_path, "cpu2", queues="process", pool="prefork", concurrency=1)
        beat = start_beat(env, tmp_path)
        try:
            wait_until(lambda: _processing_started(pg_db), 60, "processing under way")
            cpu1.kill_group()
            wait_settled(pg_db.url, site.corpus, [io, cpu1, cpu2, beat], SETTLE, "recovery on the other nodes")
            wait_until(lambda: len(jsonl_urls(jsonl)) >= len(site.corpus.positive_urls), 10, "jsonl lines")
        finally:
            beat.stop()
            cpu2.stop()
            io.stop()
        assert_exactly_once(pg_db, site, jsonl_urls(jsonl))
