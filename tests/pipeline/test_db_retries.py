"""A write after a side effect (an alert sent) survives a dropped database connection:
it is retried on a fresh connection instead of being lost, which would mean sending
the alert again once its claim expires."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import text

from worker.store import ChannelState, make_engine, make_sessionmaker, session_scope, upgrade
from worker.store.rows import with_db_retries


@pytest.mark.postgres
def test_a_write_survives_a_dropped_connection(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    admin_url = postgres_url.replace("postgresql+psycopg://", "postgresql://", 1)
    tries: list[int] = []

    def write() -> str:
        tries.append(1)
        with session_scope(sessions) as s:
            s.add(ChannelState(channel="hook", disabled=False))
            s.flush()
            if len(tries) == 1:  # the server drops this very connection mid-transaction
                pid = s.execute(text("SELECT pg_backend_pid()")).scalar()
                with psycopg.connect(admin_url, autocommit=True) as admin:
                    admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        return "recorded"

    assert with_db_retries(write, what="test write") == "recorded"
    assert len(tries) == 2
    with sessions() as s:
        assert s.get(ChannelState, "hook") is not None
    engine.dispose()


def test_other_errors_are_not_retried(sqlite_url: str) -> None:
    tries: list[int] = []

    def write() -> None:
        tries.append(1)
        raise ValueError("a bug, not a connection")

    with pytest.raises(ValueError):
        with_db_retries(write, what="test write")
    assert tries == [1]
