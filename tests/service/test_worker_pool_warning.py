"""``newsradar worker`` says so when the ``process`` queue runs on a threads pool: there
the per-article CPU budget stops an article only at the stages' checkpoints and Celery's
time limits do not apply (docs/service.md). The documented layout (process on prefork,
poll and deliver on threads) starts without the warning."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest

from tests.seedsite import ROOT

pytestmark = [pytest.mark.redis]
WARNING = "warning: the 'process' queue on a threads pool"


def _first_output(*args: str, wait_for: str, timeout: float = 60.0) -> str:
    """Start ``newsradar worker ...``, collect its stderr until ``wait_for`` or the
    "ready." log line, then stop it."""
    env = {**os.environ, "NEWSRADAR_REDIS_URL": os.environ.get(
        "NEWSRADAR_TEST_REDIS", "redis://127.0.0.1:6379/12"), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "worker.cli", "worker", *args,
                             "--concurrency=1", "--hostname=warn@%h", "--loglevel=info"],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                            env=env, cwd=ROOT)
    lines: list[str] = []
    assert proc.stderr is not None
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stderr.readline, "")),
                              daemon=True)
    reader.start()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            seen = "".join(lines)
            if wait_for in seen or " ready." in seen:
                break
            time.sleep(0.1)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        reader.join(timeout=5)
    return "".join(lines)


def test_process_on_threads_is_warned_about() -> None:
    out = _first_output("--queues=poll,process,deliver", "--pool=threads", wait_for=WARNING)
    assert WARNING in out, out


def test_the_documented_layout_starts_without_the_warning() -> None:
    out = _first_output("--queues=poll,deliver", "--pool=threads", wait_for=" ready.")
    assert " ready." in out and "warning: the 'process' queue" not in out, out
