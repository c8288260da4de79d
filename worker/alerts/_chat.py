"""Chat formatting: an alert, digest or system notice as one short chat message (title
and body) in the markup a target reads: markdown, HTML or plain text.

    chat_message(message, markup="markdown", body_maxlen=4096, title_maxlen=250)

An alert gives the headline as a link, the outlet, time and relevance, the highlights
(matched words in bold) and the other outlets of the story. A digest is one message
with one line per story. Everything fits the target's limits: highlights and outlets
are dropped first, then digest lines (the last line says how many more there are),
and a title of 0 allowed characters (Telegram) is folded into the body. The HTML uses
only ``<a>``, ``<b>`` and ``<i>`` with newlines, which every HTML chat target reads.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from worker.alerts.message import AlertMessage, DigestMessage, Message, Snippet, SystemMessage

__all__ = ["ChatMessage", "Markup", "chat_message"]

Markup = Literal["text", "markdown", "html"]

# Headroom for markup a target adds when it converts ours (markdown -> its own dialect).
_SLACK = 0.9
_MIN_SNIPPET = 40


@dataclass(frozen=True)
class ChatMessage:
    title: str
    body: str
    markup: Markup


def _safe_url(url: str | None) -> str | None:
    text = (url or "").strip()
    return text if text.lower().startswith(("http://", "https://")) else None


class _Writer:
    """The markup primitives for one target kind."""

    def __init__(self, markup: Markup) -> None:
        self.markup = markup

    def text(self, value: str) -> str:
        if self.markup == "html":
            return html.escape(value, quote=False)
        if self.markup == "markdown":
            # Only what would start markup inside a line: a headline with [brackets] or
            # *stars* stays text.
            for ch in "\\`*_[]":
                value = value.replace(ch, "\\" + ch)
        return value

    def link(self, label: str, url: str | None) -> str:
        safe = _safe_url(url)
        if safe is None:
            return self.text(label)
        if self.markup == "html":
            return f'<a href="{html.escape(safe)}">{self.text(label)}</a>'
        if self.markup == "markdown":
            return f"[{self.text(label)}]({safe.replace(')', '%29').replace(' ', '%20')})"
        return f"{label} <{safe}>" if label != safe else safe

    def bold(self, value: str) -> str:
        if self.markup == "html":
            return f"<b>{self.text(value)}</b>"
        if self.markup == "markdown":
            return f"**{self.text(value)}**"
        return f"*{value}*"

    def quote(self, snippet: Snippet, limit: int) -> str:
        text = snippet.text if len(snippet.text) <= limit else snippet.text[: limit - 1] + "…"
        parts = [(t, marked) for t, marked in Snippet(text, snippet.marks).segments()]
        inner = "".join(self.bold(t) if marked else self.text(t) for t, marked in parts)
        if self.markup == "html":
            return f"<i>“{inner}”</i>"
        return f"> {inner}" if self.markup == "markdown" else f"“{inner}”"


def _when(value: datetime | None, tz: ZoneInfo) -> str | None:
    if value is None:
        return None
    local = value.astimezone(tz)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def _fit(lines: list[str], limit: int) -> str:
    return "\n".join(lines) if len("\n".join(lines)) <= limit else ""


def _alert_body(m: AlertMessage, w: _Writer, limit: int, tz: ZoneInfo) -> str:
    head = [w.link(m.headline, m.url)]
    rel = m.relevance or {}
    rated = (f"relevance {float(rel['score']):.2f}" if "score" in rel else f"score {m.score:g}")
    facts = [x for x in (m.outlet, _when(m.published, tz), rated) if x]
    head.append(w.text(" · ".join(facts)))
    why = [w.text(f"Why: {rel['reason']}")] if rel.get("reason") else []
    others = [w.link(s.outlet or s.title or s.url, s.url) for s in m.other_sources]
    also = [w.text("Also reported by: ") + ", ".join(others)] if others else []
    # Richest first; drop highlights, then outlets, then the reason, then shorten.
    for n_snippets, snippet_len in ((3, 280), (2, 200), (1, 140), (1, _MIN_SNIPPET), (0, 0)):
        quotes = [w.quote(s, snippet_len) for s in m.snippets[:n_snippets]]
        for tail in (also, []):
            body = _fit(head + why + quotes + tail, limit)
            if body:
                return body
    body = _fit(head + [w.quote(s, _MIN_SNIPPET) for s in m.snippets[:1]], limit) or _fit(head, limit)
    return body or _truncate("\n".join(head), limit)


def _digest_body(m: DigestMessage, w: _Writer, limit: int, tz: ZoneInfo) -> str:
    lines = []
    for item in m.items:
        line = "• " + w.link(item.headline, item.url)
        extra = [x for x in (item.outlet,) if x]
        if item.relevance and "score" in item.relevance:
            extra.append(f"relevance {float(item.relevance['score']):.2f}")
        if item.other_sources:
            n = len(item.other_sources)
            extra.append(f"+{n} outlet{'s' if n != 1 else ''}")
        if extra:
            line += w.text(" — " + ", ".join(extra))
        lines.append(line)
    kept: list[str] = []
    for i, line in enumerate(lines):
        rest = len(lines) - i - 1
        more = w.text(f"… and {rest} more stor{'y' if rest == 1 else 'ies'}") if rest else ""
        if len("\n".join([*kept, line, *([more] if more else [])])) > limit:
            left = len(lines) - i
            tail = w.text(f"… and {left} more stor{'y' if left == 1 else 'ies'}")
            return "\n".join([*kept, tail]) if kept else _truncate(tail, limit)
        kept.append(line)
    return "\n".join(kept)


def _system_body(m: SystemMessage, w: _Writer, limit: int) -> str:
    lines = [w.text(m.detail), w.link(m.feed_url, m.feed_url)]
    if m.last_error:
        lines.append(w.text(f"Last error: {m.last_error}"))
    return _fit(lines, limit) or _truncate(lines[0], limit)


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def chat_message(
    message: Message,
    markup: Markup = "markdown",
    *,
    body_maxlen: int = 4096,
    title_maxlen: int = 250,
    timezone: str = "UTC",
) -> ChatMessage:
    """``message`` as a title and body in ``markup``, within ``body_maxlen`` (title and
    body together, as some targets count them) and ``title_maxlen`` (0: no title field;
    the title goes first in the body)."""
    w = _Writer(markup)
    tz = ZoneInfo(timezone)
    title = f"{message.topic_name}: {message.headline}"
    title_room = min(title_maxlen, 250)
    if title_room > 0:
        title = _truncate(title, title_room)
        limit = int(body_maxlen * _SLACK) - len(title) - 1
        lead: list[str] = []
    else:
        # The body's first line links the headline: the topic alone is enough above it.
        head = message.topic_name if isinstance(message, AlertMessage) else title
        lead = [w.bold(_truncate(head, 250))]
        limit = int(body_maxlen * _SLACK) - len(lead[0]) - 1
        title = ""
    limit = max(limit, 80)
    if isinstance(message, AlertMessage):
        body = _alert_body(message, w, limit, tz)
    elif isinstance(message, DigestMessage):
        body = _digest_body(message, w, limit, tz)
    elif isinstance(message, SystemMessage):
        body = _system_body(message, w, limit)
    else:  # pragma: no cover - Message is a closed union
        raise TypeError(f"cannot format {type(message).__name__}")
    return ChatMessage(title, "\n".join([*lead, body]), markup)
