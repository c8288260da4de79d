"""Rendering: Jinja2 templates for email (subject, text, HTML) and the webhook body.

The built-in templates live in ``worker/alerts/templates``; a channel's
``template_dir`` is searched first, so a user overrides one file (say
``alert.html.j2``) and keeps the rest. HTML templates are autoescaped (names ending
in ``.html.j2``); undefined names are errors, never silent blanks. A template that
fails to render is a permanent ``DeliveryError`` (code ``template``) naming the file.

Templates, each given ``m`` (the message) and ``tz`` (the channel's time zone name):

    alert.subject.j2  alert.txt.j2  alert.html.j2      one story
    digest.subject.j2 digest.txt.j2 digest.html.j2     several stories of a topic
    system.subject.j2 system.txt.j2 system.html.j2     feed health
    webhook.json.j2   (optional, user-supplied)         given ``payload``; must be JSON
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2
import markupsafe

from worker.alerts.message import Message, Snippet
from worker.errors import DeliveryError, ErrorCode

__all__ = ["RenderedEmail", "Renderer"]

_BUILTIN = Path(__file__).with_name("templates")


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def _safe_url(url: str | None) -> str:
    """Only http(s) links go into HTML: a feed cannot smuggle in a javascript: link."""
    text = (url or "").strip()
    return text if text.lower().startswith(("http://", "https://")) else "#"


def _marked_text(snippet: Snippet) -> str:
    """Matched words as *word* in plain text."""
    return "".join(f"*{t}*" if marked else t for t, marked in snippet.segments())


def _marked_html(snippet: Snippet) -> markupsafe.Markup:
    """Matched words in <mark>, everything else escaped."""
    return markupsafe.Markup("").join(
        markupsafe.Markup("<mark>%s</mark>") % t if marked else markupsafe.escape(t)
        for t, marked in snippet.segments()
    )


class Renderer:
    def __init__(self, template_dir: str | Path | None = None, timezone: str = "UTC") -> None:
        loaders: list[jinja2.BaseLoader] = []
        if template_dir:
            loaders.append(jinja2.FileSystemLoader(str(template_dir)))
        loaders.append(jinja2.FileSystemLoader(str(_BUILTIN)))
        self.timezone = timezone
        self._tz = ZoneInfo(timezone)
        self._user_dir = Path(template_dir) if template_dir else None
        self.env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=jinja2.select_autoescape(
                enabled_extensions=("html.j2", "html"), default_for_string=False, default=False
            ),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.env.filters["localtime"] = self._localtime
        self.env.filters["score"] = lambda v: f"{float(v):g}"
        self.env.filters["marked_text"] = _marked_text
        self.env.filters["marked_html"] = _marked_html
        self.env.filters["safe_url"] = _safe_url

    def _localtime(self, value: datetime | None) -> str:
        if value is None:
            return "time unknown"
        local = value.astimezone(self._tz)
        return f"{local:%Y-%m-%d %H:%M} {local.tzname()} ({self.timezone})"

    def _render(self, name: str, **context: object) -> str:
        try:
            return self.env.get_template(name).render(tz=self.timezone, **context)
        except jinja2.TemplateNotFound as exc:
            raise DeliveryError(f"template {exc.name} not found", code=ErrorCode.TEMPLATE, permanent=True) from exc
        except jinja2.TemplateError as exc:
            where = getattr(exc, "filename", None) or name
            line = getattr(exc, "lineno", None)
            at = f"{where}:{line}" if line else where
            raise DeliveryError(f"template {at}: {exc}", code=ErrorCode.TEMPLATE, permanent=True) from exc

    def email(self, message: Message) -> RenderedEmail:
        kind = message.kind
        subject = " ".join(self._render(f"{kind}.subject.j2", m=message).split())
        return RenderedEmail(
            subject=subject,
            text=self._render(f"{kind}.txt.j2", m=message),
            html=self._render(f"{kind}.html.j2", m=message),
        )

    def webhook_body(self, message: Message) -> bytes:
        """The exact bytes to POST (and sign): the payload as compact JSON, or the
        user's ``webhook.json.j2`` rendering of it, checked to be JSON."""
        payload = message.to_payload()
        if self._user_dir is not None and (self._user_dir / "webhook.json.j2").is_file():
            text = self._render("webhook.json.j2", m=message, payload=payload)
            try:
                json.loads(text)
            except ValueError as exc:
                raise DeliveryError(
                    f"template {self._user_dir / 'webhook.json.j2'}: not valid JSON: {exc}",
                    code=ErrorCode.TEMPLATE, permanent=True,
                ) from exc
            return text.encode("utf-8")
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
