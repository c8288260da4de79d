"""The docker-compose stack and the image, read as files (no Docker engine needed):
the guarantees the stack depends on are in place, and `docker-compose config` accepts
the file where the tool is installed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from tests.helpers.debian import ensure_packages

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_services_and_their_order(compose: dict) -> None:
    services = compose["services"]
    assert {"redis", "postgres", "migrate", "worker-io", "worker-cpu", "beat", "mailpit"} <= set(services)
    for name in ("worker-io", "worker-cpu", "beat"):
        deps = services[name]["depends_on"]
        assert deps["redis"]["condition"] == "service_healthy"
        assert deps["postgres"]["condition"] == "service_healthy"
        assert deps["migrate"]["condition"] == "service_completed_successfully"
        assert "healthcheck" in services[name]
    assert services["migrate"]["command"] == ["newsradar", "db", "upgrade"]
    assert services["migrate"]["restart"] == "no"
    # scalable: no fixed container name, no fixed host port
    for name in ("worker-io", "worker-cpu"):
        assert "container_name" not in services[name]
        assert all(":" not in str(p) for p in services[name].get("ports", []))
    for name in ("redis", "postgres", "mailpit"):
        assert "healthcheck" in services[name]


def test_queue_layout_io_on_threads_process_on_prefork(compose: dict) -> None:
    # docs/service.md, "Queue layout": each kind of work on its own scalable service
    io = " ".join(compose["services"]["worker-io"]["command"])
    cpu = " ".join(compose["services"]["worker-cpu"]["command"])
    assert "--queues poll,deliver" in io and "--pool threads" in io
    assert "--queues process" in cpu and "--pool prefork" in cpu


def test_redis_keeps_and_never_evicts_tasks(compose: dict) -> None:
    command = " ".join(compose["services"]["redis"]["command"])
    assert "--appendonly yes" in command
    assert "--maxmemory-policy noeviction" in command
    assert any(str(v).endswith(":/data") for v in compose["services"]["redis"]["volumes"])
    assert any("/var/lib/postgresql/data" in str(v) for v in compose["services"]["postgres"]["volumes"])


def test_mail_catcher_has_a_web_ui(compose: dict) -> None:
    mailpit = compose["services"]["mailpit"]
    assert mailpit["image"].startswith("axllent/mailpit")
    assert any(str(p).endswith(":8025") for p in mailpit["ports"])


def test_image_is_slim_and_unprivileged() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    froms = [ln.split()[1] for ln in dockerfile.splitlines() if ln.startswith("FROM ")]
    assert froms and all(f.startswith("python:3.11-slim") for f in froms)
    users = [ln.split()[1] for ln in dockerfile.splitlines() if ln.startswith("USER ")]
    assert users and not users[-1].startswith(("root", "0"))
    assert ".env" in (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    assert "POSTGRES_PASSWORD=" in example


def test_docker_compose_config_validates() -> None:
    ensure_packages(["docker-compose"], ["docker-compose"])  # Debian's validates without an engine
    result = subprocess.run(["docker-compose", "config", "-q"], cwd=ROOT, capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr
