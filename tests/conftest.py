"""Shared test fixtures: real Redis and PostgreSQL, found or started, never mocked.

Redis: the machine's server at 127.0.0.1:6379 if it answers; otherwise a private
``redis-server`` started on a free port for the session; otherwise tests that need
Redis are skipped with the reason. PostgreSQL: the server at $NEWSRADAR_TEST_PG
(default postgresql://postgres@127.0.0.1:5432/postgres), with a fresh database per
test that asks for one.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redis_answers(url: str) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except Exception:
        return False


@pytest.fixture(scope="session")
def redis_server_url() -> Iterator[str]:
    """A Redis server URL (db 0): the machine's, or one started for this session."""
    url = os.environ.get("NEWSRADAR_TEST_REDIS", "redis://127.0.0.1:6379/0")
    if _redis_answers(url):
        yield url
        return
    exe = shutil.which("redis-server")
    if not exe:
        pytest.skip("no Redis: nothing answers at 127.0.0.1:6379 and redis-server is not installed")
    port = free_port()
    tmp = tempfile.mkdtemp(prefix="newsradar-redis-")
    proc = subprocess.Popen(
        [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", tmp],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(100):
        if _redis_answers(url):
            break
        time.sleep(0.05)
    else:
        proc.kill()
        pytest.skip(f"no Redis: redis-server did not start on port {port}")
    yield url
    proc.terminate()
    proc.wait(10)
    shutil.rmtree(tmp, ignore_errors=True)


def _pg_admin_url() -> str:
    return os.environ.get("NEWSRADAR_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    try:
        import psycopg

        admin = psycopg.connect(_pg_admin_url(), autocommit=True, connect_timeout=3)
    except Exception as exc:  # pragma: no cover - depends on the machine
        pytest.skip(f"no PostgreSQL at {_pg_admin_url()}: {exc}")
    name = f"newsradar_test_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    base = _pg_admin_url().rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)
    finally:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
        )
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'newsradar.db'}"
