"""One exception tree for newsradar.

Every error that crosses a stage boundary is a ``NewsradarError`` with a stable
``code`` (stored on the feed, article or delivery, used in metrics and logs) and a
human message that names the thing that went wrong (file, key, URL, position).
Library errors (httpx, feedparser, SQLAlchemy, smtplib) are translated once, where
the library is called, with ``raise ... from exc``.

    NewsradarError
    ├── ConfigError        bad YAML, unknown key, wrong type, bad query (all problems at once)
    ├── FetchError         getting bytes: timeout, network, tls, blocked address, size cap,
    │                      redirects, HTTP status (404/410/429/5xx), content type, empty body
    ├── FeedParseError     bytes that are not a usable feed (HTML page, truncated XML, entity bomb)
    ├── ExtractError       a page that gives no story (binary, empty, oversized)
    ├── QueryError         a watch-topic query that does not parse (names topic and column)
    ├── BudgetExceeded     one article used more CPU time than its budget (code over_budget)
    └── DeliveryError      sending an alert: SMTP, webhook status, timeouts

``permanent`` says whether trying again can help; ``retry_after`` (seconds) carries a
server's ``Retry-After`` so that the retry policy can honour it.
"""

from __future__ import annotations


def short_message(exc: BaseException, limit: int = 1000) -> str:
    """An error's message for a status column or a log line: never empty, at most
    ``limit`` characters, redacted (URL credentials, secret parameters, registered
    secrets) and without control characters: every stored error goes through here, and
    what is stored is printed later by ``feeds list`` / ``alerts show`` and ``--json``."""
    from worker.redact import stored_error  # noqa: PLC0415 - redact imports nothing of ours

    return stored_error(exc, limit)


class NewsradarError(Exception):
    """Base of every error newsradar raises on purpose."""

    code: str = "error"
    permanent: bool = False

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        permanent: bool | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if permanent is not None:
            self.permanent = permanent
        self.retry_after = retry_after

    def __str__(self) -> str:
        return self.message


class ConfigError(NewsradarError):
    """The configuration is invalid. ``problems`` lists every problem found, each a line
    naming the file, the key path (and line where known) and what was expected."""

    code = "config"
    permanent = True

    def __init__(self, problems: list[str], *, source: str | None = None) -> None:
        self.problems = list(problems)
        self.source = source
        head = f"{len(self.problems)} problem(s) in {source}" if source else "invalid configuration"
        super().__init__(head + ":\n" + "\n".join(f"  - {p}" for p in self.problems))


class FetchError(NewsradarError):
    """Getting bytes from a URL failed. ``code`` is one of: timeout, network, tls,
    blocked_address, bad_scheme, bad_url, too_large, too_many_redirects, not_found,
    gone, http_4xx, rate_limited, http_5xx, bad_content_type, empty."""

    code = "network"

    def __init__(
        self,
        message: str,
        *,
        url: str | None = None,
        code: str | None = None,
        permanent: bool | None = None,
        retry_after: float | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message, code=code, permanent=permanent, retry_after=retry_after)
        self.url = url
        self.status_code = status_code


class FeedParseError(NewsradarError):
    code = "feed_parse"
    permanent = True


class ExtractError(NewsradarError):
    code = "extract"
    permanent = True


class QueryError(NewsradarError):
    """A query that does not parse. ``column`` is 1-based into the query text."""

    code = "query"
    permanent = True

    def __init__(self, message: str, *, column: int | None = None, topic: str | None = None):
        self.reason = message
        self.column = column
        self.topic = topic
        super().__init__(self._render())

    def _render(self) -> str:
        text = self.reason
        if self.column is not None:
            text = f"{text} at column {self.column}"
        if self.topic:
            text = f"topic {self.topic}: {text}"
        return text

    def with_topic(self, topic: str) -> QueryError:
        return QueryError(self.reason, column=self.column, topic=topic)


class BudgetExceeded(NewsradarError):
    """An article (or any one unit of work) went over its CPU budget. Permanent: the
    same input costs the same again. ``cpu_s`` is what it used, ``limit_s`` the budget,
    ``stage`` where it was when stopped (if known)."""

    code = "over_budget"
    permanent = True

    def __init__(self, message: str, *, cpu_s: float, limit_s: float,
                 stage: str | None = None, peak_rss_mb: float | None = None) -> None:
        super().__init__(message)
        self.cpu_s, self.limit_s, self.stage, self.peak_rss_mb = cpu_s, limit_s, stage, peak_rss_mb


class DeliveryError(NewsradarError):
    code = "delivery"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        permanent: bool | None = None,
        retry_after: float | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message, code=code, permanent=permanent, retry_after=retry_after)
        self.status_code = status_code
