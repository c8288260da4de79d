"""Small helpers the pipeline modules share: storable text, the guarded fetch, the
errors that belong to the database rather than to a row."""

from __future__ import annotations

import re
from typing import Any, overload

from worker.pipeline.context import Context
from worker.sources import fetch
from worker.store.rows import DB_ERRORS
from worker.urls import host_of

# The database itself failing (connection lost, deadlock): raised for the task to retry,
# never recorded as the row's own error.
INFRA_ERRORS = DB_ERRORS
_SURROGATE = re.compile("[\ud800-\udfff]")


@overload
def storable(text: str) -> str: ...
@overload
def storable(text: str | None) -> str | None: ...
def storable(text: str | None) -> str | None:
    """``text`` without lone surrogates (U+FFFD instead), which no database driver can
    encode: JSON feeds spell them as valid escapes (``"\\ud800"``)."""
    return _SURROGATE.sub("\ufffd", text) if text else text


def fetch_via(ctx: Context, url: str, **kwargs: Any) -> Any:
    """``worker.sources.fetch`` through the context's client, limits, policy and host gate."""
    host = host_of(url) or ""
    with ctx.host_gate(host):
        return fetch(url, limits=ctx.limits, policy=ctx.policy, client=ctx.client, **kwargs)
