"""Keep secrets out of logs, errors and ``--json`` output.

Two things are redacted wherever text leaves the process through ``redact()`` or the
logging filter: credentials in URLs (``postgresql://user:pw@host`` ->
``postgresql://user:***@host``) and the values of secrets newsradar has read
(``worker.config.read_secret`` registers them). The registry is process-wide on
purpose: a secret read anywhere must be hidden everywhere.
"""

from __future__ import annotations

import logging
import re
import threading

_URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^@/\s]+)@")
_secrets: set[str] = set()
_lock = threading.Lock()
MASK = "***"


def register_secret(value: str) -> None:
    """Hide ``value`` from everything redact() sees from now on (values of 4+ chars)."""
    if value and len(value) >= 4:
        with _lock:
            _secrets.add(value)


def redact(text: str) -> str:
    text = _URL_CREDENTIALS.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for value in secrets:
        if value in text:
            text = text.replace(value, MASK)
    return text


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
