"""The service's Redis coordination, on a private redis-server: the per-host gate
(concurrency, spacing, Retry-After, leases), the lock, the queued marks, beat
leadership and the health check. Fast: no worker processes."""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path

import pytest
import redis

from tests.helpers.servers import PrivateRedis, TempDatabase, free_port
from worker.errors import FetchError
from worker.service import QueuedMarks, RedisHostGate, RedisLock, ServiceSettings, check_health
from worker.service._health import LAST_TICK_KEY

pytestmark = pytest.mark.redis


@pytest.fixture
def client(private_redis: PrivateRedis) -> redis.Redis:
    return redis.Redis.from_url(private_redis.url, decode_responses=True)


def test_gate_caps_concurrent_requests_per_host_across_gates(client: redis.Redis) -> None:
    # two gate objects stand for two worker processes
    gates = [RedisHostGate(client, max_concurrent=2, min_delay=0, max_wait=10) for _ in range(2)]
    inside, peak, lock = 0, 0, threading.Lock()

    def request(gate: RedisHostGate) -> None:
        nonlocal inside, peak
        with gate.host_slot("news.example"):
            with lock:
                inside += 1
                peak = max(peak, inside)
            time.sleep(0.05)
            with lock:
                inside -= 1

    threads = [threading.Thread(target=request, args=(gates[i % 2],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak == 2
    assert client.zcard("newsradar:host:news.example:slots") == 0  # every slot given back


def test_gate_spaces_request_starts_per_host(client: redis.Redis) -> None:
    a = RedisHostGate(client, max_concurrent=5, min_delay=0.15, max_wait=10)
    b = RedisHostGate(client, max_concurrent=5, min_delay=0.15, max_wait=10)
    starts = []
    for gate in (a, b, a, b):
        with gate.host_slot("slow.example"):
            starts.append(time.monotonic())
    gaps = [y - x for x, y in itertools.pairwise(starts)]
    assert all(g >= 0.14 for g in gaps), gaps
    with a.host_slot("other.example"):  # another host is not held up
        pass


def test_requests_turned_away_for_long_are_given_start_times_of_their_own(client: redis.Redis) -> None:
    """Pages of a host that asked for a pause (Retry-After), each re-enqueued with its
    countdown: the countdowns are one min_delay apart (a queue), not all the same moment
    (a herd that mostly loses again). A wait of one spacing or less is given as it is."""
    gates = [RedisHostGate(client, max_concurrent=5, min_delay=0.5, max_wait=0) for _ in range(2)]
    gates[0].block("queue.example", 3)
    waits = []
    for i in range(4):
        with pytest.raises(FetchError) as err, gates[i % 2].host_slot("queue.example"):
            pass
        assert err.value.code == "rate_limited"
        waits.append(err.value.retry_after)
    assert 2.5 < waits[0] <= 3.0, waits
    steps = [y - x for x, y in itertools.pairwise(waits)]
    assert all(0.4 <= d <= 0.6 for d in steps), waits
    with gates[0].host_slot("short.example"):
        pass
    with pytest.raises(FetchError) as err, gates[1].host_slot("short.example"):
        pass
    assert 0.3 < err.value.retry_after <= 0.5  # just the spacing: no place in a queue


def test_a_feeds_new_pages_get_their_turns_at_their_host(client: redis.Redis) -> None:
    """Reserved at poll time: the pages' countdowns follow the host's last start, one
    min_delay apart, and a page turned away later queues behind them."""
    gate = RedisHostGate(client, max_concurrent=2, min_delay=0.5, max_wait=0)
    with gate.host_slot("turns.example"):  # the feed's own request
        pass
    starts = gate.reserve_starts("turns.example", 3)
    assert 0.3 < starts[0] <= 0.5, starts
    assert [round(b - a, 2) for a, b in itertools.pairwise(starts)] == [0.5, 0.5], starts
    gate.block("turns.example", 2)  # a Retry-After: a page turned away queues behind them
    with pytest.raises(FetchError) as err, gate.host_slot("turns.example"):
        pass
    assert err.value.retry_after == pytest.approx(starts[-1] + 0.5, abs=0.1)
    assert gate.reserve_starts("other.example", 2)[0] == 0.0  # another host: now
    assert RedisHostGate(client, min_delay=0).reserve_starts("turns.example", 2) == [0.0, 0.0]


def test_gate_honours_retry_after_for_every_worker(client: redis.Redis) -> None:
    a = RedisHostGate(client, max_concurrent=2, min_delay=0, max_wait=0.3)
    b = RedisHostGate(client, max_concurrent=2, min_delay=0, max_wait=0.3)
    with pytest.raises(FetchError), a.host_slot("busy.example"):
        raise FetchError("429", code="rate_limited", status_code=429, retry_after=30)
    assert 25 < b.blocked_for("busy.example") <= 30
    with pytest.raises(FetchError) as info, b.host_slot("busy.example"):
        pytest.fail("must not be let through before Retry-After")
    assert info.value.code == "rate_limited" and not info.value.permanent
    assert 25 < (info.value.retry_after or 0) <= 30
    with b.host_slot("calm.example"):
        pass


def test_gate_slot_of_a_dead_worker_frees_itself(client: redis.Redis) -> None:
    gate = RedisHostGate(client, max_concurrent=1, min_delay=0, max_wait=5, lease=0.3)
    token = gate.acquire("lease.example")  # never released: its worker "died"
    assert token
    started = time.monotonic()
    with gate.host_slot("lease.example"):
        pass
    assert time.monotonic() - started >= 0.2


def test_gate_lets_requests_through_when_redis_is_down() -> None:
    from worker.service._redis import short_retry

    dead = redis.Redis(port=free_port(), socket_connect_timeout=0.2, socket_timeout=0.2, retry=short_retry())
    gate = RedisHostGate(dead, max_concurrent=1, min_delay=10)
    for _ in range(2):
        with gate.host_slot("any.example"):
            pass


def test_lock_and_marks(client: redis.Redis) -> None:
    one = RedisLock(client, "newsradar:test:lock", ttl=5)
    two = RedisLock(client, "newsradar:test:lock", ttl=5)
    assert one.acquire() and not two.acquire()
    assert not two.release() and one.holder() == one.token
    assert one.acquire_or_renew() and not two.acquire_or_renew()
    assert one.release() and two.acquire()

    marks = QueuedMarks(client, ttl=5)
    assert marks.claim("article", [1, 2, 3]) == [1, 2, 3]
    assert marks.claim("article", [2, 3, 4]) == [4]
    marks.clear("article", 2)
    assert marks.claim("article", [1, 2]) == [2]


def test_only_one_beat_sends_ticks(private_redis: PrivateRedis, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSRADAR_REDIS_URL", private_redis.url)
    monkeypatch.setenv("NEWSRADAR_TICK_INTERVAL", "0.2")
    from worker.celery_app import make_celery
    from worker.service._beat import LeaderScheduler

    app = make_celery()
    first, second = LeaderScheduler(app=app), LeaderScheduler(app=app)
    second._lock.token = "another-host:1"  # a beat on another machine
    client = redis.Redis.from_url(private_redis.url)
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:
        first.tick()
        second.tick()
        time.sleep(0.05)
    assert first._leading and not second._leading
    assert client.llen("poll") >= 3  # the leader sent ticks
    first.close()  # the leader stops and frees the lock: the standby leads
    second.tick()
    assert second._leading
    second.close()
    app.close()


def test_settings_keep_time_limits_under_the_visibility_timeout() -> None:
    s = ServiceSettings(visibility_timeout=20, process_time_limit=120)
    assert s.limits("process").hard == 10 and s.limits("process").soft == 8
    assert s.countdown_cap <= 5 and s.unrenewed_claim_lease > 10
    # row claims are short leases renewed four times per lease while a task holds them
    assert s.row_claim_lease == 8 and s.lease_renew_every == 2
    assert ServiceSettings().limits("poll").hard < ServiceSettings().visibility_timeout


@pytest.mark.postgres
def test_health_reports_each_part(private_redis: PrivateRedis, pg_db: TempDatabase, tmp_path: Path) -> None:
    from worker.config import Settings

    settings = Settings(database_url=pg_db.url, redis_url=private_redis.url)
    service = ServiceSettings(tick_interval=10)
    client = redis.Redis.from_url(private_redis.url)
    report = check_health(settings, service)
    checks = {c.name: c for c in report.checks}
    assert checks["database"].ok and checks["redis"].ok
    assert not checks["beat"].ok and not report.ok  # no tick yet

    client.set(LAST_TICK_KEY, repr(time.time()))
    client.lpush("process", "m1", "m2")
    report = check_health(settings, service)
    assert report.ok
    assert {c.name: c.value for c in report.checks}["queue:process"] == 2
    assert not check_health(settings, service, max_queue=1).ok

    down = Settings(database_url=pg_db.url, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    report = check_health(down, service)
    assert not report.ok and not {c.name: c.ok for c in report.checks}["redis"]
    nodb = Settings(database_url=f"sqlite:///{tmp_path / 'empty.db'}", redis_url=private_redis.url)
    assert "no schema" in {c.name: c.detail for c in check_health(nodb, service).checks}["database"]


def test_pipeline_leaves_a_host_alone_after_429_retry_after(client: redis.Redis, tmp_path: Path) -> None:
    """Through the real pipeline: a feed answering 429 with Retry-After blocks its host for
    every feed and worker; the next poll on that host makes no request at all."""
    from tests.helpers.httpserver import LocalServer, Route
    from worker import pipeline
    from worker.config import Settings, parse_config
    from worker.store import Feed

    with LocalServer() as site:
        busy = site.route("/busy.xml", Route(status=429, headers={"Retry-After": "120"}, body=b"slow down"))
        other = site.route("/other.xml", Route(body=b"<rss version='2.0'><channel><title>t</title></channel></rss>",
                                               content_type="application/rss+xml"))
        config = parse_config(
            f'{{"feeds": [{{"url": "{busy}"}}, {{"url": "{other}"}}], "network": {{"allowlist": ["127.0.0.1/32"]}}}}'
        )
        ctx = pipeline.build_context(config, Settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}"))
        gate = RedisHostGate(client, max_concurrent=2, min_delay=0, max_wait=0.5)
        ctx.host_gate = gate.host_slot
        try:
            pipeline.sync_feeds(ctx)
            with ctx.session() as s:
                ids = {f.url: f.id for f in s.query(Feed)}
            first = pipeline.poll_feed(ctx, ids[busy])
            assert first.error and first.retry_after == 120
            assert 100 < gate.blocked_for("127.0.0.1") <= 120
            second = pipeline.poll_feed(ctx, ids[other])  # same host: refused before any request
            assert second.error and "politeness" in second.error
            assert site.hits("/other.xml") == 0 and site.hits("/busy.xml") == 1
        finally:
            ctx.close()
