"""Debian packages a test needs (chromium, docker-compose), installed with apt-get when
missing and the tests run as root; otherwise the test is skipped with the reason."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest


def ensure_packages(commands: list[str], packages: list[str]) -> None:
    """Make every command in ``commands`` available, installing ``packages`` if one is
    missing; skip the calling test when that cannot be done here."""
    if all(shutil.which(c) for c in commands):
        return
    what = ", ".join(packages)
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip(f"{what} not installed and apt-get cannot be run here (not root)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", *packages]):
        res = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900, check=False)
        if res.returncode != 0:
            pytest.skip(f"could not install {what}: {' '.join(cmd)}: {res.stderr[-500:]}")
    missing = [c for c in commands if not shutil.which(c)]
    if missing:
        pytest.skip(f"{what} installed but {', '.join(missing)} not on PATH")
