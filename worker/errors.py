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

Every ``code`` is an ``ErrorCode`` (a ``StrEnum``: the stored values are the same
strings as ever); ``error_code(exc)`` maps any exception to one, the only place an
exception becomes a code.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """The stable error codes stored on feeds (``last_error_code``), articles
    (``error_code``) and deliveries (``last_error_code``), and used in metrics."""

    # any error, by family (the class defaults)
    ERROR = "error"
    CONFIG = "config"
    NETWORK = "network"
    FEED_PARSE = "feed_parse"
    EXTRACT = "extract"
    QUERY = "query"
    DELIVERY = "delivery"
    # fetching: the address and the URL
    BAD_URL = "bad_url"
    BAD_SCHEME = "bad_scheme"
    BLOCKED_ADDRESS = "blocked_address"
    # fetching: transport
    TIMEOUT = "timeout"
    TLS = "tls"
    TOO_LARGE = "too_large"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    # HTTP status (fetching and webhooks)
    NOT_FOUND = "not_found"
    GONE = "gone"
    RATE_LIMITED = "rate_limited"
    HTTP_4XX = "http_4xx"
    HTTP_5XX = "http_5xx"
    REDIRECT = "redirect"
    # what came back
    BAD_CONTENT_TYPE = "bad_content_type"
    EMPTY = "empty"
    NO_BODY = "no_body"
    # feed parsing
    NOT_A_FEED = "not_a_feed"
    BAD_XML = "bad_xml"
    BAD_JSON = "bad_json"
    TRUNCATED = "truncated"
    DOCTYPE_REFUSED = "doctype_refused"
    ENTITY_BOMB = "entity_bomb"
    # delivery
    NO_CHANNEL = "no_channel"
    NO_SECRET = "no_secret"
    NO_URLS = "no_urls"  # an Apprise channel whose urls_env/urls_file gives no URL
    BAD_SECRET = "bad_secret"
    TEMPLATE = "template"
    SMTP = "smtp"
    SMTP_AUTH = "smtp_auth"
    SMTP_RECIPIENTS = "smtp_recipients"
    SMTP_REJECTED = "smtp_rejected"
    SMTP_BUSY = "smtp_busy"
    IO = "io"
    MISSING = "missing"
    # the worker itself
    OVER_BUDGET = "over_budget"  # one article used more CPU than its budget
    CRASHED = "crashed"
    INTERNAL = "internal"
    INFRASTRUCTURE = "infrastructure"


def short_message(exc: BaseException, limit: int = 1000) -> str:
    """An error's message for a status column or a log line: never empty, at most
    ``limit`` characters, redacted (URL credentials, secret parameters, registered
    secrets) and without control characters: every stored error goes through here, and
    what is stored is printed later by ``feeds list`` / ``alerts show`` and ``--json``."""
    from worker.redact import stored_error  # noqa: PLC0415 - redact imports nothing of ours

    return stored_error(exc, limit)


class NewsradarError(Exception):
    """Base of every error newsradar raises on purpose."""

    code: ErrorCode = ErrorCode.ERROR
    permanent: bool = False

    def __init__(
        self,
        message: str,
        *,
        code: ErrorCode | str | None = None,
        permanent: bool | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = ErrorCode(code)  # an unknown code is a bug: fail where it is raised
        if permanent is not None:
            self.permanent = permanent
        self.retry_after = retry_after

    def __str__(self) -> str:
        return self.message


class ConfigError(NewsradarError):
    """The configuration is invalid. ``problems`` lists every problem found, each a line
    naming the file, the key path (and line where known) and what was expected."""

    code = ErrorCode.CONFIG
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

    code = ErrorCode.NETWORK

    def __init__(
        self,
        message: str,
        *,
        url: str | None = None,
        code: ErrorCode | str | None = None,
        permanent: bool | None = None,
        retry_after: float | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message, code=code, permanent=permanent, retry_after=retry_after)
        self.url = url
        self.status_code = status_code


class FeedParseError(NewsradarError):
    code = ErrorCode.FEED_PARSE
    permanent = True


class ExtractError(NewsradarError):
    code = ErrorCode.EXTRACT
    permanent = True


class QueryError(NewsradarError):
    """A query that does not parse. ``column`` is 1-based into the query text."""

    code = ErrorCode.QUERY
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

    code = ErrorCode.OVER_BUDGET
    permanent = True

    def __init__(self, message: str, *, cpu_s: float, limit_s: float,
                 stage: str | None = None, peak_rss_mb: float | None = None) -> None:
        super().__init__(message)
        self.cpu_s, self.limit_s, self.stage, self.peak_rss_mb = cpu_s, limit_s, stage, peak_rss_mb


class DeliveryError(NewsradarError):
    code = ErrorCode.DELIVERY

    def __init__(
        self,
        message: str,
        *,
        code: ErrorCode | str | None = None,
        permanent: bool | None = None,
        retry_after: float | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message, code=code, permanent=permanent, retry_after=retry_after)
        self.status_code = status_code


def error_code(exc: BaseException | None) -> ErrorCode:
    """The code to store for ``exc``: its own for a ``NewsradarError``, ``internal`` for
    anything else (a bug or a library surprise)."""
    if isinstance(exc, NewsradarError):
        return ErrorCode(exc.code)  # a subclass may name its default as a plain string
    return ErrorCode.INTERNAL


def as_newsradar_error(exc: BaseException) -> NewsradarError:
    """``exc`` itself if it is ours, else an ``internal`` error carrying its message."""
    if isinstance(exc, NewsradarError):
        return exc
    return NewsradarError(short_message(exc), code=ErrorCode.INTERNAL)
