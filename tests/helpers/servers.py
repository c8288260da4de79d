"""Private servers for fault tests: a ``redis-server`` of our own on a free port (that a
test may stop and restart), and a throw-away database on the machine's PostgreSQL (whose
connections a test may cut with ``pg_terminate_backend`` without touching anyone else's).

    with PrivateRedis(tmp_path) as r:       # --save "" --appendonly yes --dir tmp_path
        r.url                               # redis://127.0.0.1:<port>/0
        r.restart()                         # SIGTERM (AOF flushed), then start on the same port
    with TempDatabase() as db:              # newsradar_test_<random>
        db.url                              # postgresql+psycopg://postgres@127.0.0.1:5432/newsradar_test_...
        db.terminate_connections()          # drop every connection to this database only

Both raise ``Unavailable`` (with the reason) when the server cannot be had, so a test
can skip clearly. The shared services are never stopped.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path
from types import TracebackType
from typing import Self

__all__ = ["PrivateRedis", "TempDatabase", "Unavailable", "free_port", "pg_admin_url"]


class Unavailable(RuntimeError):
    """The server cannot be had on this machine; the message says why."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _redis_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class PrivateRedis:
    """A redis-server owned by the test: AOF on (so a restart keeps the queues), no RDB."""

    def __init__(self, directory: str | os.PathLike[str], port: int | None = None) -> None:
        self.exe = shutil.which("redis-server")
        if not self.exe:
            raise Unavailable("redis-server is not installed")
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> None:
        self.proc = subprocess.Popen(
            [
                str(self.exe), "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "yes", "--appendfsync", "everysec",
                "--dir", str(self.dir), "--maxmemory-policy", "noeviction",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise Unavailable(f"redis-server exited with {self.proc.returncode} on port {self.port}")
            if _redis_ping(self.port):
                return
            time.sleep(0.05)
        self.stop()
        raise Unavailable(f"redis-server did not answer on port {self.port}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def restart(self, down_for: float = 1.0, sig: int = signal.SIGTERM) -> None:
        """Stop (SIGTERM writes the AOF out), stay down ``down_for`` s, start again."""
        self.stop(sig)
        time.sleep(down_for)
        self.start()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def pg_admin_url() -> str:
    return os.environ.get("NEWSRADAR_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


class TempDatabase:
    """``newsradar_test_<random>`` on the machine's PostgreSQL, dropped on exit."""

    def __init__(self, admin_url: str | None = None) -> None:
        self.admin_url = admin_url or pg_admin_url()
        self.name = f"newsradar_test_{uuid.uuid4().hex[:12]}"
        self._admin = None

    @property
    def url(self) -> str:
        base = self.admin_url.rsplit("/", 1)[0]
        return f"{base}/{self.name}".replace("postgresql://", "postgresql+psycopg://", 1)

    def _connect(self):  # type: ignore[no-untyped-def]
        import psycopg

        try:
            return psycopg.connect(self.admin_url, autocommit=True, connect_timeout=3)
        except Exception as exc:
            raise Unavailable(f"no PostgreSQL at {self.admin_url}: {exc}") from exc

    def create(self) -> None:
        self._admin = self._connect()
        self._admin.execute(f'CREATE DATABASE "{self.name}"')

    def terminate_connections(self) -> int:
        """Cut every connection to this database (and only this one); returns how many."""
        assert self._admin is not None
        rows = self._admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (self.name,),
        ).fetchall()
        return sum(1 for (ok,) in rows if ok)

    def connection_count(self) -> int:
        assert self._admin is not None
        (n,) = self._admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (self.name,)
        ).fetchone()
        return int(n)

    def drop(self) -> None:
        if self._admin is None:
            return
        try:
            self.terminate_connections()
            self._admin.execute(f'DROP DATABASE IF EXISTS "{self.name}"')
        finally:
            self._admin.close()
            self._admin = None

    def __enter__(self) -> Self:
        self.create()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.drop()
