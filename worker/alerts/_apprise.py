"""The Apprise channel: Slack, Teams, Telegram, Discord, Matrix, ntfy and ~130 more
chat and push targets, behind newsradar's own outbox.

Apprise (BSD-2-Clause, https://github.com/caronc/apprise) only sends: newsradar's
outbox keeps the retries, digests, throttle, quiet hours and dead letter. So Apprise's
own retries are off (``retry=0`` is forced on every target, whatever its URL says),
its persistent store stays in memory, redirects are not followed, and a too long
message is truncated, never split into several.

Outcomes. Apprise (2.x) reports per target SUCCESS, FAILURE or TIMEOUT and the log
lines of the attempt; the HTTP status is only in those lines (``error=503.``, the form
every HTTP plugin uses). So:

    all targets accepted                 return (sent)
    URL Apprise does not understand      permanent  (code bad_url): dead at once
    HTTP 400 401 403 404 405 410 413 422 permanent  (code http_4xx): the target refuses
                                          this message or these credentials
    HTTP 408 429 5xx, other statuses     retried    (code rate_limited / http_5xx / http_4xx)
    connection error, no status logged   retried    (code network)
    timeout                              retried    (code timeout)
    no URL (urls_env unset)              retried    (code no_urls): set it and restart

With several URLs, a target that accepted a message is not sent it again when the
others are retried by this process (remembered in memory; a restart may resend).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from typing import Any

from worker.alerts._chat import Markup, chat_message
from worker.alerts.message import Message
from worker.config import Secret
from worker.errors import DeliveryError, ErrorCode

__all__ = ["AppriseChannel", "apprise_target"]

_STATUS = re.compile(r"error=(\d{3})\b")
_PERMANENT_STATUS = frozenset({400, 401, 403, 404, 405, 410, 413, 422})
_REMEMBER = 10_000  # (message id, target) pairs already accepted


def _asset(timeout: float) -> Any:
    import apprise  # lazily: 0.15 s that only Apprise channels need

    return apprise.AppriseAsset(
        async_mode=False,  # one delivery task at a time per target: our workers scale out
        default_service_retry=0,
        storage_mode="memory",  # no cache files under the user's home
        allow_templates=False,
        http_redirects=False,  # a redirect could point the request anywhere
        service_timeout=timeout,
        pgp_autogen=False,
        pem_autogen=False,
    )


def apprise_target(url: str, *, timeout: float = 10.0) -> Any | None:
    """The Apprise plugin object for ``url`` with its retries off, or None if Apprise
    does not understand the URL."""
    import apprise

    target = apprise.Apprise.instantiate(url, asset=_asset(timeout))
    if target is None:
        return None
    target.retry = 0  # a ?retry=N in the URL would multiply our own retries
    # The channel's timeout for each request (Apprise's own default is 4 s).
    target.socket_read_timeout = timeout
    target.socket_connect_timeout = min(timeout, 10.0)
    target.overflow_mode = apprise.common.OverflowMode.TRUNCATE
    return target


def _markup(target: Any, wanted: str) -> Markup:
    """The markup to write for ``target``: ``wanted`` unless ``auto``; then the
    target's own first choice, or markdown when it reads markdown as well as text."""
    if wanted != "auto":
        return wanted  # type: ignore[return-value]
    formats = target.notify_format
    formats = list(formats) if isinstance(formats, (tuple, list)) else [formats]
    values = [str(getattr(f, "value", f)) for f in formats]
    first = values[0] if values else "text"
    if first == "text" and "markdown" in values:
        return "markdown"
    return first if first in ("text", "markdown", "html") else "text"  # type: ignore[return-value]


def _outcome(result: Any) -> tuple[ErrorCode, bool, str, int | None]:
    """(code, permanent, detail, HTTP status) for one target's failed result."""
    logs = [entry.message for entry in result.logs()]
    status = str(getattr(result.status, "name", result.status))
    if status == "TIMEOUT":
        return ErrorCode.TIMEOUT, False, "timed out", None
    codes = [int(c) for line in logs for c in _STATUS.findall(line)]
    detail = logs[-1] if logs else "the target did not accept the message"
    if codes:
        code = codes[-1]
        shown = f"HTTP {code}: {detail}"
        if code in _PERMANENT_STATUS:
            return ErrorCode.HTTP_4XX, True, shown, code
        if code == 429:
            return ErrorCode.RATE_LIMITED, False, shown, code
        if code >= 500:
            return ErrorCode.HTTP_5XX, False, shown, code
        return ErrorCode.HTTP_4XX, False, shown, code
    return ErrorCode.NETWORK, False, detail, None


class AppriseChannel:
    def __init__(
        self,
        name: str,
        *,
        urls: list[str] | None = None,
        secret_urls: list[Secret] | None = None,
        timeout: float = 10.0,
        format: str = "auto",
        timezone: str = "UTC",
    ) -> None:
        self.name = name
        self.timeout = timeout
        self.format = format
        self.timezone = timezone
        self._urls: list[str | Secret] = [*(urls or []), *(secret_urls or [])]
        self._accepted: OrderedDict[tuple[str, int], None] = OrderedDict()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"AppriseChannel({self.name!r}, {len(self._urls)} target(s))"

    def _targets(self, where: str) -> list[tuple[int, Any, str]]:
        """(index, plugin, printable URL) per URL; a URL Apprise cannot read is permanent."""
        out = []
        for i, url in enumerate(self._urls):
            raw = url.get() if isinstance(url, Secret) else url
            target = apprise_target(raw, timeout=self.timeout)
            if target is None:
                shown = raw.split("://", 1)[0] + "://…" if isinstance(url, Secret) else raw
                raise DeliveryError(f"{where}: URL #{i + 1} ({shown}) is not an Apprise URL "
                                    "Apprise understands (see the Apprise wiki for the syntax)",
                                    code=ErrorCode.BAD_URL, permanent=True)
            if isinstance(url, Secret):
                # Apprise's privacy form still shows some tokens (a json:// path): name
                # a secret URL by its place and service only.
                shown = f"URL #{i + 1} ({raw.split('://', 1)[0]}://…)"
            else:
                # the query string is Apprise's defaults: noise here
                shown = target.url(privacy=True).split("?", 1)[0]
            out.append((i, target, shown))
        return out

    def send(self, message: Message) -> None:
        where = f"apprise channel {self.name}"
        if not self._urls:
            raise DeliveryError(f"{where}: no URL (set urls, urls_env or urls_file)", code=ErrorCode.NO_URLS)
        import apprise

        failures: list[tuple[ErrorCode, bool, str, int | None]] = []
        accepted: list[tuple[str, int]] = []
        for i, target, shown in self._targets(where):
            key = (message.message_id, i)
            with self._lock:
                if key in self._accepted:
                    continue
            chat = chat_message(message, _markup(target, self.format),
                                body_maxlen=int(target.body_maxlen),
                                title_maxlen=int(target.title_maxlen), timezone=self.timezone)
            manager = apprise.Apprise(asset=target.asset)
            manager.add(target)
            result = manager.notify(body=chat.body, title=chat.title, body_format=chat.markup,
                                    timeout=self.timeout * 2)
            if result:
                accepted.append(key)
                continue
            results: list[Any] = list(result) or [result]
            code, permanent, detail, status = _outcome(results[0])
            failures.append((code, permanent, f"{shown}: {detail}", status))
        with self._lock:
            if not failures:
                # Sent everywhere: forget it (only a retry after a partial failure asks).
                for i in range(len(self._urls)):
                    self._accepted.pop((message.message_id, i), None)
                return
            for key in accepted:
                self._accepted[key] = None
            while len(self._accepted) > _REMEMBER:
                self._accepted.popitem(last=False)
        # Retry if any target can still take it; permanent only when all refuse for good.
        permanent = all(f[1] for f in failures)
        first = next(f for f in failures if f[1] == permanent)
        raise DeliveryError(f"{where}: " + "; ".join(f[2] for f in failures),
                            code=first[0], permanent=permanent, status_code=first[3])
