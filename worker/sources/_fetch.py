"""fetch(url): bytes from the web, safely, with every failure sorted into one FetchError.

Redirects are followed here, one hop at a time, so each hop is re-checked (scheme, URL,
guarded connect) and counted. The body is read raw and decompressed here with a byte
budget, so a gzip bomb stops at ``max_bytes`` of output instead of filling memory.
"""

from __future__ import annotations

import email.utils
import re
import time
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from worker.errors import FetchError
from worker.sources._guard import BlockedAddress, guarded, is_guarded, make_client
from worker.sources._policy import DEFAULT_LIMITS, DEFAULT_POLICY, FetchLimits, NetworkPolicy

__all__ = ["FEED_ACCEPT", "FEED_TYPES", "PAGE_ACCEPT", "PAGE_TYPES", "FetchResult", "fetch"]

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
    "application/rdf+xml;q=0.9, application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, text/plain;q=0.5, */*;q=0.1"
# Content types a page fetch accepts (pass as ``content_types=PAGE_TYPES``).
PAGE_TYPES: tuple[str, ...] = ("text/html", "application/xhtml+xml", "text/plain")
FEED_TYPES: tuple[str, ...] = (
    "application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml",
    "text/xml", "application/feed+json", "application/json", "text/html", "text/plain",
    "application/octet-stream", "application/x-rss+xml",
)

_REDIRECTS = {301, 302, 303, 307, 308}
# Host names (IDNA already applied by httpx) and IP literals; anything else is refused
# before it reaches a resolver.
_HOST = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.?|[0-9A-Fa-f:.]+(?:%[\w.-]+)?")


@dataclass
class FetchResult:
    url: str
    final_url: str
    status_code: int
    headers: dict[str, str]
    content: bytes
    content_type: str | None
    charset: str | None
    etag: str | None
    last_modified: str | None
    not_modified: bool


def fetch(
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    limits: FetchLimits = DEFAULT_LIMITS,
    policy: NetworkPolicy = DEFAULT_POLICY,
    accept: str | None = None,
    client: httpx.Client | None = None,
    content_types: tuple[str, ...] | None = None,
) -> FetchResult:
    """GET ``url`` within ``limits`` and ``policy``; conditional when ``etag`` or
    ``last_modified`` is given (a 304 returns ``not_modified=True`` and no content).

    ``client`` may be a pre-built client from ``make_client`` (its connections are
    guarded; the ``policy`` given here is the one enforced). ``content_types``, when
    given, lists the acceptable media types (e.g. ``PAGE_TYPES``); others raise
    ``bad_content_type``. Every failure is a ``FetchError`` whose message names the URL.
    """
    if client is not None and not is_guarded(client):
        raise TypeError(
            "fetch(client=...) needs a client built by worker.sources.make_client: "
            "an unguarded client would bypass the SSRF guard"
        )
    own_client = client is None
    http = client if client is not None else make_client(limits, policy)
    deadline = time.monotonic() + limits.total_timeout
    try:
        with guarded(policy, deadline):
            return _fetch(http, url, etag, last_modified, limits, policy, accept,
                          content_types, deadline)
    finally:
        if own_client:
            http.close()


def _fetch(
    http: httpx.Client,
    url: str,
    etag: str | None,
    last_modified: str | None,
    limits: FetchLimits,
    policy: NetworkPolicy,
    accept: str | None,
    content_types: tuple[str, ...] | None,
    deadline: float,
) -> FetchResult:
    headers = {"User-Agent": limits.user_agent, "Accept-Encoding": "gzip, deflate"}
    if accept:
        headers["Accept"] = accept
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    current = url.strip() if isinstance(url, str) else str(url)
    timeout = httpx.Timeout(connect=limits.connect_timeout, read=limits.read_timeout,
                            write=limits.read_timeout, pool=limits.connect_timeout)
    # Cookies live for one fetch only (some sites set one and redirect to themselves);
    # the client's own jar refuses everything, so nothing leaks between feeds.
    cookies = httpx.Cookies()
    seen: list[str] = []
    for _hop in range(limits.max_redirects + 1):
        request = _build_request(http, current, headers, policy, original=url, timeout=timeout)
        cookies.set_cookie_header(request)
        seen.append(str(request.url))
        response = _send(http, request, url, deadline, limits)
        try:
            if response.status_code in _REDIRECTS and "location" in response.headers:
                target = _redirect_target(request.url, response.headers["location"], url)
                before = len(cookies.jar)
                cookies.extract_cookies(response)
                if target in seen and len(cookies.jar) == before:
                    raise FetchError(
                        f"redirect loop fetching {url}: {current} -> {target}",
                        url=url, code="too_many_redirects", permanent=True,
                        status_code=response.status_code,
                    )
                # Conditional headers stay: the stored validators came from the final URL.
                current = target
                continue
            return _finish(response, url, current, limits, deadline, content_types)
        finally:
            response.close()
    raise FetchError(
        f"too many redirects fetching {url} (more than {limits.max_redirects}; last {current})",
        url=url, code="too_many_redirects", permanent=True,
    )


def _where(url: str, current: str) -> str:
    """The URL asked for, and where redirects led if that differs."""
    return url if current == url else f"{url} (at {current})"


def _build_request(
    http: httpx.Client, target: str, headers: dict[str, str], policy: NetworkPolicy,
    *, original: str, timeout: httpx.Timeout,
) -> httpx.Request:
    where = repr(original) if target == original else f"{original!r} (redirected to {target!r})"

    def bad(code: str, why: str) -> FetchError:
        return FetchError(f"refused URL {where}: {why}", url=original, code=code, permanent=True)

    try:
        parsed = httpx.URL(target)
    except Exception as exc:  # httpx.InvalidURL and friends
        raise bad("bad_url", f"invalid URL ({exc})") from exc
    scheme = parsed.scheme.lower()
    if scheme not in policy.schemes:
        raise bad("bad_scheme", f"scheme {scheme or '(none)'!r} is not allowed "
                                f"(only {', '.join(policy.schemes)})")
    if not parsed.host:
        raise bad("bad_url", "no host")
    if not _HOST.fullmatch(parsed.raw_host.decode("ascii", "replace")):  # IDNA form
        raise bad("bad_url", f"bad host name {parsed.host!r}")
    try:
        return http.build_request("GET", parsed, headers=headers, timeout=timeout)
    except Exception as exc:
        raise bad("bad_url", f"invalid URL ({exc})") from exc


def _redirect_target(base: httpx.URL, location: str, original: str) -> str:
    try:
        target = base.join(location.strip())
        if target.port is not None and not 0 < target.port < 65536:
            raise ValueError(f"port {target.port} out of range")
        if target.scheme in ("http", "https") and (
                not target.host or any(c in target.host for c in " %[]")):
            raise ValueError("no valid host")
        return str(target.copy_with(fragment=None))
    except Exception as exc:  # a Location no client can follow: permanent, not a retry
        raise FetchError(f"invalid redirect Location {location!r} from {base}", url=original,
                         code="bad_url", permanent=True) from exc


def _send(
    http: httpx.Client, request: httpx.Request, url: str, deadline: float, limits: FetchLimits
) -> httpx.Response:
    try:
        return http.send(request, stream=True, follow_redirects=False)
    except BlockedAddress as exc:
        where = url if str(request.url) == url else f"{url} (redirected to {request.url})"
        raise FetchError(f"blocked {where}: {exc.message}", url=url, code="blocked_address",
                         permanent=True) from None
    except FetchError:
        raise
    except Exception as exc:
        raise _translate(exc, url, request.url, deadline, limits) from exc


def _translate(
    exc: Exception, url: str, current: httpx.URL, deadline: float, limits: FetchLimits
) -> FetchError:
    where = _where(url, str(current))
    if isinstance(exc, httpx.TimeoutException):
        if time.monotonic() >= deadline - 0.01:
            what = f"total deadline of {limits.total_timeout:g}s exceeded"
        elif isinstance(exc, httpx.ConnectTimeout):
            what = f"connect timed out after {limits.connect_timeout:g}s"
        else:
            what = f"no data for {limits.read_timeout:g}s"
        return FetchError(f"timeout fetching {where}: {what}", url=url, code="timeout")
    text = str(exc)
    if _is_tls(exc):
        return FetchError(f"TLS error fetching {where}: {text}", url=url, code="tls")
    if isinstance(exc, (httpx.TransportError, OSError)):
        return FetchError(f"network error fetching {where}: {text or type(exc).__name__}",
                          url=url, code="network")
    return FetchError(f"error fetching {where}: {type(exc).__name__}: {text}", url=url,
                      code="network")


def _is_tls(exc: BaseException) -> bool:
    import ssl

    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, ssl.SSLError) or "SSL" in str(exc) or "CERTIFICATE" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
        seen += 1
    return False


def _finish(
    response: httpx.Response, url: str, current: str, limits: FetchLimits, deadline: float,
    content_types: tuple[str, ...] | None,
) -> FetchResult:
    status = response.status_code
    headers = {k.lower(): v for k, v in response.headers.items()}
    content_type, charset = _media_type(headers.get("content-type"))
    result = FetchResult(
        url=url, final_url=current, status_code=status, headers=headers, content=b"",
        content_type=content_type, charset=charset, etag=headers.get("etag"),
        last_modified=headers.get("last-modified"), not_modified=False,
    )
    if status == 304:
        result.not_modified = True
        return result
    _check_status(status, headers, url, current)
    if content_types is not None and content_type is not None and not any(
        content_type == t or (t.endswith("/*") and content_type.startswith(t[:-1]))
        for t in content_types
    ):
        raise FetchError(
            f"unexpected content type {content_type} at {_where(url, current)}"
            f" (expected {', '.join(content_types)})",
            url=url, code="bad_content_type", permanent=True, status_code=status,
        )
    result.content = _read_body(response, url, limits, deadline)
    if not result.content.strip():
        raise FetchError(f"empty response body from {_where(url, current)} (HTTP {status})",
                         url=url,
                         code="empty", status_code=status)
    return result


def _check_status(status: int, headers: dict[str, str], url: str, current: str) -> None:
    if 200 <= status < 300:
        return
    retry_after = parse_retry_after(headers.get("retry-after"))
    where = _where(url, current)
    if status == 404:
        raise FetchError(f"HTTP 404 Not Found: {where}", url=url, code="not_found",
                         permanent=True, status_code=status)
    if status == 410:
        raise FetchError(f"HTTP 410 Gone: {where} has been removed for good", url=url,
                         code="gone", permanent=True, status_code=status)
    if status == 429:
        after = f"; retry after {retry_after:g}s" if retry_after is not None else ""
        raise FetchError(f"HTTP 429 Too Many Requests: {where}{after}", url=url,
                         code="rate_limited", retry_after=retry_after, status_code=status)
    if status >= 500:
        after = f"; retry after {retry_after:g}s" if retry_after is not None else ""
        raise FetchError(f"HTTP {status} server error: {where}{after}", url=url,
                         code="http_5xx", retry_after=retry_after, status_code=status)
    if status in _REDIRECTS:
        raise FetchError(f"HTTP {status} redirect without a Location header: {where}",
                         url=url, code="http_4xx", permanent=True, status_code=status)
    transient = status in (408, 425)
    raise FetchError(f"HTTP {status}: {where}", url=url, code="http_4xx",
                     permanent=not transient, status_code=status)


MAX_RETRY_AFTER = 86_400.0  # a server may ask for a day's pause, not 31 years


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date), at most
    ``MAX_RETRY_AFTER``, or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(min(int(value[:12]), MAX_RETRY_AFTER))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    delta = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(delta, 0.0), MAX_RETRY_AFTER)


def _media_type(value: str | None) -> tuple[str | None, str | None]:
    if not value:
        return None, None
    main, _, params = value.partition(";")
    media = main.strip().lower() or None
    charset = None
    for param in params.split(";"):
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset":
            charset = val.strip().strip("\"'").lower() or None
    return media, charset


class _TooLarge(Exception):
    pass


def _read_body(response: httpx.Response, url: str, limits: FetchLimits, deadline: float) -> bytes:
    cap = limits.max_bytes
    where = _where(url, str(response.request.url))
    declared = response.headers.get("content-length", "")
    if declared.strip().isdigit() and int(declared.strip()[:15]) > cap:
        raise FetchError(
            f"response from {where} too large: Content-Length {declared.strip()} > {cap} bytes",
            url=url, code="too_large", permanent=True, status_code=response.status_code,
        )
    encodings = [
        e.strip().lower() for e in response.headers.get("content-encoding", "").split(",")
        if e.strip() and e.strip().lower() != "identity"
    ]
    decoders = [_decoder(e, where, url) for e in reversed(encodings)]
    raw_total = 0
    out = bytearray()
    try:
        for chunk in response.iter_raw():
            raw_total += len(chunk)
            if raw_total > cap:
                raise _TooLarge(f"more than {cap} bytes on the wire")
            if time.monotonic() > deadline:
                raise FetchError(
                    f"timeout fetching {where}: total deadline of "
                    f"{limits.total_timeout:g}s exceeded while reading the body",
                    url=url, code="timeout",
                )
            data = chunk
            for dec in decoders:
                data = dec.feed(data, cap - len(out))
            out += data
            if len(out) > cap:
                raise _TooLarge(f"more than {cap} bytes after decompression")
        for i, dec in enumerate(decoders):
            tail = dec.flush(cap - len(out))
            for later in decoders[i + 1:]:
                tail = later.feed(tail, cap - len(out))
            out += tail
            if len(out) > cap:
                raise _TooLarge(f"more than {cap} bytes after decompression")
    except _TooLarge as exc:
        raise FetchError(f"response from {where} too large: {exc}", url=url, code="too_large",
                         permanent=True, status_code=response.status_code) from None
    except zlib.error as exc:
        raise FetchError(f"corrupt compressed body from {where}: {exc}", url=url,
                         code="network", status_code=response.status_code) from exc
    except FetchError:
        raise
    except Exception as exc:
        raise _translate(exc, url, response.request.url, deadline, limits) from exc
    return bytes(out)


class _Decoder:
    """Incremental gzip/deflate decoder that never produces more than it is allowed."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        if encoding in ("gzip", "x-gzip"):
            self._obj = zlib.decompressobj(zlib.MAX_WBITS | 16)
        else:
            self._obj = zlib.decompressobj()
        self._first = True
        self._gzip = encoding in ("gzip", "x-gzip")
        self._raw_fallback = encoding == "deflate"

    def feed(self, data: bytes, budget: int) -> bytes:
        if not data:
            return b""
        try:
            return self._run(data, budget)
        except zlib.error:
            # "deflate" is sometimes sent without the zlib header (raw deflate).
            if self._raw_fallback and self._first:
                self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
                self._raw_fallback = False
                return self._run(data, budget)
            raise

    def _run(self, data: bytes, budget: int) -> bytes:
        # max_length bounds each step; one byte past the budget is enough to know it is over.
        limit = max(budget, 0) + 1
        out = b""
        while True:
            if self._gzip and self._obj.eof:
                # RFC 1952: a gzip body may be several members back to back (what
                # `cat a.gz b.gz` makes); each starts a fresh decompressor, same budget.
                data = self._obj.unused_data + data
                self._obj = zlib.decompressobj(zlib.MAX_WBITS | 16)
                if not data.strip(b"\0"):
                    return out  # zero padding after the last member
            out += self._obj.decompress(data, limit - len(out))
            self._first = False
            if len(out) >= limit:
                raise _TooLarge("more than the byte cap after decompression")
            while self._obj.unconsumed_tail:
                more = self._obj.decompress(self._obj.unconsumed_tail, limit - len(out))
                if not more:
                    break
                out += more
                if len(out) >= limit:
                    raise _TooLarge("more than the byte cap after decompression")
            if not (self._gzip and self._obj.eof and self._obj.unused_data):
                return out
            data = b""

    def flush(self, budget: int) -> bytes:
        out = self._obj.flush()
        if len(out) > max(budget, 0):
            raise _TooLarge("more than the byte cap after decompression")
        return out


def _decoder(encoding: str, where: str, url: str) -> _Decoder:
    if encoding in ("gzip", "x-gzip", "deflate"):
        return _Decoder(encoding)
    raise FetchError(f"unsupported Content-Encoding {encoding!r} from {where}", url=url,
                     code="bad_content_type", permanent=True)
