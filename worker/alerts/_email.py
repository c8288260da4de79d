"""The email channel: multipart text + HTML over SMTP (plain, STARTTLS or TLS).

The password comes from the environment or a file (``password_env`` /
``password_file``), never from the YAML file, and never appears in an error or a log
line. SMTP failures become ``DeliveryError``: a 5xx answer to the recipients or the
message is permanent (retrying will not change the server's mind); connection
problems, timeouts and 4xx answers are retried. ``Message-ID`` is stable per
(alert, channel), so a mail client shows a retried duplicate once.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from worker.alerts._render import Renderer
from worker.alerts.message import Message
from worker.config import Secret
from worker.errors import DeliveryError, ErrorCode

__all__ = ["EmailChannel", "build_email"]

log = logging.getLogger(__name__)

# 5xx answers that mean "log in first / differently": fixable by configuration, so retried.
_AUTH_CODES = (530, 534, 535, 538)


def build_email(message: Message, renderer: Renderer, *, sender: str, to: list[str]) -> EmailMessage:
    rendered = renderer.email(message)
    msg = EmailMessage()
    msg["Subject"] = rendered.subject
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    domain = sender.rpartition("@")[2] or "newsradar.local"
    msg["Message-ID"] = f"<{message.message_id}@{domain}>" if message.message_id else make_msgid()
    msg["X-Newsradar-Id"] = message.message_id
    msg.set_content(rendered.text)
    msg.add_alternative(rendered.html, subtype="html")
    return msg


class EmailChannel:
    """Sends each message as one email to ``to``."""

    def __init__(
        self,
        name: str,
        *,
        to: list[str],
        sender: str = "newsradar@localhost",
        host: str = "localhost",
        port: int = 25,
        security: str = "plain",
        username: str | None = None,
        password: Secret | None = None,
        timezone: str = "UTC",
        template_dir: str | None = None,
        timeout: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if security not in ("plain", "starttls", "tls"):
            raise ValueError(f"email channel {name}: security must be plain, starttls or tls")
        self.name = name
        self.to = list(to)
        self.sender = sender
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self._password = password
        self.timeout = timeout
        self._ssl = ssl_context
        self.renderer = Renderer(template_dir, timezone)

    def __repr__(self) -> str:  # no password, ever
        return f"EmailChannel({self.name!r}, {self.host}:{self.port}, {self.security})"

    def send(self, message: Message) -> None:
        email = build_email(message, self.renderer, sender=self.sender, to=self.to)
        where = f"email channel {self.name} ({self.host}:{self.port})"
        try:
            with self._connect() as smtp:
                if self.username:
                    if self._password is None:
                        raise DeliveryError(f"{where}: username set but no password in the "
                                            "environment or password file", code=ErrorCode.SMTP_AUTH)
                    smtp.login(self.username, self._password.get())
                refused = smtp.send_message(email, from_addr=self.sender, to_addrs=self.to)
        except DeliveryError:
            raise
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise DeliveryError(f"{where}: every recipient refused: {_refusals(exc.recipients)}",
                                code=ErrorCode.SMTP_RECIPIENTS, permanent=all(c >= 500 for c in codes)) from exc
        except smtplib.SMTPAuthenticationError as exc:
            # Not permanent: fixing the secret and restarting lets the retries through.
            raise DeliveryError(f"{where}: login refused ({exc.smtp_code})", code=ErrorCode.SMTP_AUTH) from exc
        except smtplib.SMTPResponseException as exc:
            text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
            raise DeliveryError(f"{where}: server answered {exc.smtp_code} {text}",
                                code=ErrorCode.SMTP_REJECTED if exc.smtp_code >= 500 else ErrorCode.SMTP_BUSY,
                                permanent=exc.smtp_code >= 500 and exc.smtp_code not in _AUTH_CODES) from exc
        except TimeoutError as exc:
            raise DeliveryError(f"{where}: timed out", code=ErrorCode.TIMEOUT) from exc
        except ssl.SSLError as exc:
            raise DeliveryError(f"{where}: TLS failed: {exc.reason or exc}", code=ErrorCode.TLS) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"{where}: {exc.__class__.__name__}: {exc}", code=ErrorCode.NETWORK) from exc
        if refused:
            log.warning("%s: some recipients refused: %s", where, _refusals(refused))

    def _connect(self) -> smtplib.SMTP:
        context = self._ssl or ssl.create_default_context()
        if self.security == "tls":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
        except BaseException:
            smtp.close()
            raise
        return smtp


def _refusals(recipients: dict) -> str:
    return "; ".join(f"{addr}: {code} {resp.decode('utf-8', 'replace') if isinstance(resp, bytes) else resp}"
                     for addr, (code, resp) in recipients.items())
