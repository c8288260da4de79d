"""Review of delivery when the worker itself dies mid-send (hard time limit, memory):
the row is left 'sending', and the sweep takes it again once its claim expires."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.pipeline.test_deliveries import Clock, add_alert, make_ctx
from worker import pipeline
from worker.alerts import RETRY_SCHEDULE
from worker.store import Delivery, DeliveryAttempt, Digest


class _WorkerDied(BaseException):
    """What the worker's end looks like from inside deliver: nothing after it runs."""


class _KillsItsWorker:
    """A channel whose send never comes back (a receiver that takes the body and never
    answers, past the task's hard time limit): the worker running it is ended."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.sends = 0

    def send(self, message) -> None:
        self.sends += 1
        raise _WorkerDied


def test_a_send_that_ends_its_worker_every_time_goes_dead_after_the_schedule(tmp_path, db_url):
    """Only tries whose outcome was recorded counted, so a send that ended its worker
    every time was sent again after every lease, without end, and never went dead."""
    clock = Clock(datetime(2026, 1, 5, 9, tzinfo=UTC))
    ctx = make_ctx(tmp_path, """
topics: [{id: t, query: x, channels: [out]}]
channels: {out: {type: jsonl, path: "OUT"}}
""".replace("OUT", str(tmp_path / "out.jsonl")), clock, db_url)
    [delivery_id] = add_alert(ctx, key="a", topic="t")
    channel = ctx.channels["out"] = _KillsItsWorker("out")

    result = None
    for _ in range(3 * len(RETRY_SCHEDULE)):
        assert pipeline.due_deliveries(ctx) == [delivery_id]  # the sweep takes it again
        try:
            result = pipeline.deliver(ctx, delivery_id)
            break
        except _WorkerDied:
            clock.advance(seconds=ctx.claim_lease.total_seconds() + 1)

    assert result is not None and result.status == "dead"
    assert channel.sends == len(RETRY_SCHEDULE) + 1  # the first try and every retry
    with ctx.session() as s:
        d = s.get(Delivery, delivery_id)
        assert d.status == "dead" and d.last_error_code == "crashed" and d.claimed_until is None
        assert d.attempts == channel.sends
        assert "stopped each time" in d.last_error
        assert s.query(DeliveryAttempt).filter_by(delivery_id=delivery_id).count() == 1
    assert pipeline.due_deliveries(ctx) == []
    ctx.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> str:
    if request.param == "postgres":
        return request.getfixturevalue("postgres_url")
    return f"sqlite:///{tmp_path / 'db.sqlite'}"


def test_a_digest_that_ends_its_worker_every_time_goes_dead_after_the_schedule(tmp_path, db_url):
    """The same for a digest: its tries were counted only when recorded, so a digest
    whose send ended its worker was sent again after every lease, without end."""
    clock = Clock(datetime(2026, 1, 5, 9, 30, tzinfo=UTC))
    ctx = make_ctx(tmp_path, """
topics:
  - {id: t, query: x, channels: [out], mode: digest, digest: {every: hourly, at: "00:00", timezone: UTC}}
channels: {out: {type: jsonl, path: "OUT"}}
""".replace("OUT", str(tmp_path / "out.jsonl")), clock, db_url)
    [delivery_id] = add_alert(ctx, key="a", topic="t")
    assert pipeline.deliver(ctx, delivery_id).status == "held"
    clock.advance(minutes=31)  # the digest's time has come
    channel = ctx.channels["out"] = _KillsItsWorker("out")

    sent = None
    for _ in range(3 * len(RETRY_SCHEDULE)):
        try:
            sent = pipeline.send_digests(ctx)
            break
        except _WorkerDied:
            clock.advance(seconds=ctx.claim_lease.total_seconds() + 1)

    assert sent == []
    assert channel.sends == len(RETRY_SCHEDULE) + 1
    with ctx.session() as s:
        [digest] = s.query(Digest).all()
        assert digest.status == "dead" and digest.attempts == channel.sends
        assert "stopped each time" in digest.last_error
        d = s.get(Delivery, delivery_id)
        assert d.status == "dead" and "stopped each time" in d.last_error
    assert pipeline.send_digests(ctx) == [] and channel.sends == len(RETRY_SCHEDULE) + 1
    ctx.close()
