"""The pipeline's ``Context``: everything the stages need, built once per process."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from worker.alerts import Channel, build_channels
from worker.config import Config, Settings
from worker.pipeline.relevance import RelevanceCache
from worker.sources import FetchLimits, NetworkPolicy, make_client
from worker.store import make_engine, make_sessionmaker, session_scope, utcnow
from worker.store.rows import DEFAULT_CLAIM_LEASE
from worker.topics import Topic, TopicIndex


def _no_gate(host: str) -> AbstractContextManager[None]:
    return nullcontext()


@dataclass
class Context:
    """Everything the stages need, built once per process."""

    config: Config
    engine: Engine
    sessions: sessionmaker[Session]
    index: TopicIndex
    channels: dict[str, Channel]
    limits: FetchLimits = field(default_factory=FetchLimits)
    policy: NetworkPolicy = field(default_factory=NetworkPolicy)
    client: httpx.Client | None = None
    # Per-host politeness: a context manager held around each request. The embedded
    # runner lets requests through; the service uses a Redis-backed gate.
    host_gate: Callable[[str], AbstractContextManager[Any]] = _no_gate
    clock: Callable[[], datetime] = utcnow
    # How long a claimed row stays claimed if its worker dies (see worker/store/rows.py).
    # The service sets a short lease that its workers renew while a task runs.
    claim_lease: timedelta = DEFAULT_CLAIM_LEASE
    # The lease of claims nobody renews (a digest being sent): outlives any time limit.
    unrenewed_lease: timedelta = DEFAULT_CLAIM_LEASE
    # Per-topic relevance state, prepared on first use (pipeline/relevance.py)
    relevance: RelevanceCache = field(default_factory=RelevanceCache)

    def now(self) -> datetime:
        return self.clock()

    @contextmanager
    def session(self) -> Iterator[Session]:
        with session_scope(self.sessions) as s:
            yield s

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
        self.engine.dispose()


def build_index(config: Config) -> TopicIndex:
    index = TopicIndex(config.lists)
    for t in config.topics:
        if t.enabled:
            index.add(Topic(id=t.id, name=t.display_name, query=t.query, min_score=t.min_score))
    return index


def network_policy(config: Config) -> NetworkPolicy:
    return NetworkPolicy(
        allow_private=config.network.allow_private,
        allowlist=tuple(config.network.allowlist),
    )


def build_context(
    config: Config,
    settings: Settings,
    *,
    engine: Engine | None = None,
    migrate: bool = True,
    clock: Callable[[], datetime] = utcnow,
) -> Context:
    """Build a Context: engine (migrated), topic index, channels, network policy."""
    from worker.store import upgrade

    engine = engine or make_engine(settings.database_url)
    if migrate:
        upgrade(engine)
    limits = FetchLimits()
    policy = network_policy(config)
    return Context(
        config=config,
        engine=engine,
        sessions=make_sessionmaker(engine),
        index=build_index(config),
        channels=build_channels(config.channels, network=policy),
        limits=limits,
        policy=policy,
        # one pooled, guarded client per process: connections are reused across feeds/pages
        client=make_client(limits, policy),
        clock=clock,
    )
