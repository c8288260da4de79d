from __future__ import annotations

# the local HTTP server fixture of the sources tests, for `newsradar sources check`
from tests.sources.conftest import server  # noqa: F401
