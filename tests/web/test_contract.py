"""The contract checks rely on, run exactly as they do: the installed console script
``NEWSRADAR_WEB_PASSWORD=secret newsradar web --port P`` serves; ``GET /healthz`` answers
200; ``/api/v1/alerts``, ``/api/v1/topics`` and ``/api/v1/feeds`` accept HTTP Basic
``admin:secret`` or a bearer token (``newsradar web token create``) and return JSON lists."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port
from tests.seedsite import ROOT

from .conftest import write_config


def _script() -> str:
    beside = Path(sys.executable).with_name("newsradar")  # the venv's console script
    found = str(beside) if beside.exists() else shutil.which("newsradar")
    if not found:
        pytest.skip("the newsradar console script is not installed (pip install -e .)")
    return found


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    tmp = tmp_path_factory.mktemp("web-contract")
    env = {**os.environ, "NEWSRADAR_WEB_PASSWORD": "secret",
           "NEWSRADAR_DATABASE_URL": f"sqlite:///{tmp / 'nr.db'}",
           "NEWSRADAR_CONFIG": str(write_config(tmp))}
    env.pop("NEWSRADAR_WEB_PASSWORD_FILE", None)
    # this checkout's code in both subprocesses, whatever the cwd: a relative PYTHONPATH
    # (`PYTHONPATH=. pytest`) would send the server (cwd=tmp) to the installed package
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    port = free_port()
    proc = subprocess.Popen([_script(), "web", "--port", str(port)], env=env, cwd=tmp,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):  # until it answers (or has died)
            if proc.poll() is not None:
                out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
                pytest.fail(f"newsradar web exited {proc.returncode}:\n{out}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("newsradar web did not answer /healthz")
        yield url, env
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_healthz_answers_200_without_auth(served) -> None:  # type: ignore[no-untyped-def]
    url, _ = served
    r = httpx.get(f"{url}/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


@pytest.mark.parametrize("path", ["/api/v1/alerts", "/api/v1/topics", "/api/v1/feeds"])
def test_api_lists_with_basic_auth_and_a_bearer_token(served, path: str) -> None:  # type: ignore[no-untyped-def]
    url, env = served
    assert httpx.get(f"{url}{path}").status_code == 401
    assert httpx.get(f"{url}{path}", auth=("admin", "wrong")).status_code == 401
    r = httpx.get(f"{url}{path}", auth=("admin", "secret"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    assert isinstance(r.json(), list)
    made = subprocess.run([_script(), "web", "token", "create", "contract"], env=env,
                          capture_output=True, text=True, check=True)
    token = made.stdout.strip()
    assert token.startswith("nr_")
    r = httpx.get(f"{url}{path}", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and isinstance(r.json(), list)
    assert httpx.get(f"{url}{path}", headers={"Authorization": "Bearer nr_not_a_token"}).status_code == 401
