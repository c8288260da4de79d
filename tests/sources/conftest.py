from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers.httpserver import LocalServer
from worker.sources import FetchLimits, NetworkPolicy

# Local servers listen on 127.0.0.1, which the default policy refuses: allow it on purpose.
LOCAL = NetworkPolicy(allowlist=("127.0.0.1/32",))
FAST = FetchLimits(connect_timeout=2, read_timeout=2, total_timeout=5)


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as srv:
        yield srv
