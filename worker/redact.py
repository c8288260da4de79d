"""Keep secrets out of logs, errors and ``--json`` output.

Three things are redacted wherever text leaves the process through ``redact()`` or the
logging filter:

* credentials in URLs (``postgresql://user:pw@host`` -> ``postgresql://user:***@host``),
  the password running to the LAST ``@`` of the URL: ``postgresql://u:Pa/ss@h/db`` and
  ``u:p@ss@h`` are forms SQLAlchemy accepts;
* secret-looking parameters: ``?password=``, ``&token=``, ``api_key``, ``sig``,
  ``X-Amz-Signature``... in URLs, and ``password=`` in a libpq key=value DSN;
* an Authorization header's credentials quoted back (``Basic <base64 of user:pw>``,
  ``Bearer <token>``): a target's error page may echo the request, and Apprise logs
  the response body at debug level;
* the values of secrets newsradar has read (``worker.config.read_secret`` registers
  them; ``register_url_secrets`` the password of the database and Redis URLs, with its
  percent-encoded and '@'-split forms, which is what a driver's error may show).

The registry is process-wide on purpose: a secret read anywhere must be hidden
everywhere. ``stored_error`` is what the pipeline stores as an error message: redacted
first, cut second (a cut must not leave half a secret that no longer matches).
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import threading
from urllib.parse import quote, quote_plus, unquote

__all__ = ["MASK", "RedactingFilter", "install_log_redaction", "redact", "register_secret",
           "register_url_secrets", "stored_error"]

# The password runs to the last "@" before whitespace or a quote: greedy on purpose.
_URL_CREDENTIALS = re.compile(
    r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@\s'\"<>]*):(?P<pw>[^\s'\"<>]+)@")
_SECRET_NAMES = (r"(?:[\w.-]*?(?:password|passwd|pwd|passphrase|secret|token|api[_-]?key|"
                 r"apikey|access[_-]?key|private[_-]?key|signature|sig|auth|credential|"
                 r"session[_-]?id|sessionid)[\w.-]*|pass|key|code)")
_SECRET_PARAM = re.compile(r"(?P<k>[?&;]" + _SECRET_NAMES + r"=)(?P<v>[^&#\s'\"<>]+)",
                           re.IGNORECASE)
_DSN_PASSWORD = re.compile(
    r"(?P<k>(?<![?&;\w.-])(?:password|passwd|pwd)\s*=\s*)(?P<v>'[^']*'|[^\s&'\"<>]+)",
    re.IGNORECASE)
# "Basic Zm9vOmJhcg==" (only when it decodes to "user:password") and "Bearer <token>"
# (16+ characters with a digit): "Basic information" is left alone.
_AUTH_HEADER = re.compile(r"\b(?P<k>Basic|Bearer)(?P<sep>\s+|=)(?P<v>[A-Za-z0-9+/._~-]{8,}=*)")
_secrets: set[str] = set()
_lock = threading.Lock()
MASK = "***"


def register_secret(value: str) -> None:
    """Hide ``value`` from everything redact() sees from now on (values of 4+ chars)."""
    if value and len(value) >= 4:
        with _lock:
            _secrets.add(value)


def register_url_secrets(url: str | None) -> None:
    """Register the password of a database/broker URL in every form it may be shown in:
    as written, percent-decoded and -encoded, and the pieces a driver that splits at the
    first "@" (or "/") would show as a host or a path. Also ``?password=`` in the query
    and ``password=`` in a key=value DSN."""
    if not url:
        return
    text = str(url).strip()
    found: list[str] = []
    if "://" in text:
        rest = text.split("://", 1)[1]
        authority = rest.split("?", 1)[0]
        userinfo, at, _ = authority.rpartition("@")
        if at and ":" in userinfo:
            found.append(userinfo.split(":", 1)[1])
    found += [m["v"] for m in _SECRET_PARAM.finditer(text)]
    found += [m["v"].strip("'") for m in _DSN_PASSWORD.finditer(text) if "://" not in text]
    for pw in found:
        forms = {pw, unquote(pw), quote(unquote(pw), safe=""), quote_plus(unquote(pw))}
        for form in list(forms):
            forms.update(re.split(r"[@/:?#]", form))
            for m in re.finditer(r"[@/:?#]", form):  # what sits either side of a split
                forms.update((form[: m.start()], form[m.end():]))
        for form in forms:
            register_secret(form)


def redact(text: str) -> str:
    text = _URL_CREDENTIALS.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)
    if "=" in text:
        text = _SECRET_PARAM.sub(lambda m: f"{m['k']}{MASK}", text)
        text = _DSN_PASSWORD.sub(lambda m: f"{m['k']}{MASK}", text)
    if "Basic" in text or "Bearer" in text:
        text = _AUTH_HEADER.sub(_auth_credentials, text)
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for value in secrets:
        if value in text:
            text = text.replace(value, MASK)
    return text


def _auth_credentials(m: re.Match[str]) -> str:
    value = m["v"]
    if m["k"] == "Basic":
        try:
            secret = b":" in base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
        except (binascii.Error, ValueError):
            secret = False
    else:
        secret = len(value) >= 16 and any(c.isdigit() for c in value)
    return f"{m['k']}{m['sep']}{MASK}" if secret else m.group(0)


def stored_error(error: BaseException | str, limit: int = 1000) -> str:
    """An error as it may be stored (``feeds.last_error``, ``deliveries.last_error``,
    ``delivery_attempts.error``, ``articles.error``) and so printed later: the message
    (never empty), redacted, without control characters, then cut to ``limit``."""
    from worker.terminal import strip_control  # noqa: PLC0415 - tiny, avoids a cycle

    if isinstance(error, BaseException):
        text = str(error) or error.__class__.__name__
    else:
        text = str(error)
    text = strip_control(redact(text), keep_newlines=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class RedactingFilter(logging.Filter):
    """A logging filter that redacts the rendered message (and the exception text)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def install_log_redaction() -> None:
    """Attach the filter to every root handler (call after logging is configured)."""
    root = logging.getLogger()
    for handler in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
