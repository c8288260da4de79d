"""Fixtures of the service tests: a private redis-server and a fresh PostgreSQL
database per test (migrated), skipped with the reason when either cannot be had."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.servers import PrivateRedis, TempDatabase, Unavailable


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    try:
        server = PrivateRedis(tmp_path / "redis")
        server.start()
    except Unavailable as exc:
        pytest.skip(f"no private Redis: {exc}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_db() -> Iterator[TempDatabase]:
    db = TempDatabase()
    try:
        db.create()
    except Unavailable as exc:
        pytest.skip(str(exc))
    try:
        from worker.store import make_engine, upgrade

        engine = make_engine(db.url)
        upgrade(engine)
        engine.dispose()
        yield db
    finally:
        db.drop()
