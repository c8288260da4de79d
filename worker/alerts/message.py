"""The messages channels send: an alert, a digest, a system notice (feed health).

Built by the pipeline from the database rows, so that channels never touch the
database. ``to_payload()`` is the versioned JSON shape sent to webhooks and written to
jsonl files (schema in docs/alerts.md); ``message_id`` is stable per (alert, channel)
so that receivers deduplicate retries (``webhook-id``, email ``Message-ID``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

# 2: alert.created gains match.relevance (score, parts, reason, relevant, min_relevance)
# and feedback_url (when a console base URL is configured)
PAYLOAD_VERSION = "2"

# The topics package marks matched words in highlight snippets as «word».
_MARKED = re.compile(r"«([^«»]*)»")


def _iso(d: datetime | None) -> str | None:
    return d.isoformat() if d else None


@dataclass(frozen=True)
class Snippet:
    """A highlight: plain text and the character ranges of the matched words."""

    text: str
    marks: tuple[tuple[int, int], ...] = ()

    @classmethod
    def parse(cls, raw: Any) -> Snippet:
        """From the topics package's «marked» string, or a {"text", "marks"} mapping."""
        if isinstance(raw, dict):
            marks = tuple((int(s), int(e)) for s, e in raw.get("marks") or ())
            return cls(str(raw.get("text") or ""), marks)
        text: list[str] = []
        spans: list[tuple[int, int]] = []
        pos = 0
        raw = str(raw)
        for m in _MARKED.finditer(raw):
            text.append(raw[pos : m.start()])
            start = sum(len(t) for t in text)
            text.append(m.group(1))
            spans.append((start, start + len(m.group(1))))
            pos = m.end()
        text.append(raw[pos:])
        return cls("".join(text), tuple(spans))

    def segments(self) -> list[tuple[str, bool]]:
        """(text, marked) pieces in order, for templates."""
        out: list[tuple[str, bool]] = []
        pos = 0
        for s, e in sorted(self.marks):
            if s < pos:
                continue
            if s > pos:
                out.append((self.text[pos:s], False))
            out.append((self.text[s:e], True))
            pos = e
        if pos < len(self.text):
            out.append((self.text[pos:], False))
        return out

    def to_payload(self) -> dict[str, Any]:
        return {"text": self.text, "marks": [list(m) for m in self.marks]}


@dataclass(frozen=True)
class Source:
    url: str
    title: str | None
    outlet: str | None
    published: datetime | None

    def to_payload(self) -> dict[str, Any]:
        return {"url": self.url, "title": self.title, "outlet": self.outlet,
                "published": _iso(self.published)}


def why_matched(explanation: dict[str, Any]) -> list[str]:
    """One line per matched clause, and the score formula, for people."""
    lines = []
    for clause in explanation.get("matched") or []:
        if not isinstance(clause, dict):
            continue
        words: list[str] = []
        for where in clause.get("where") or []:
            for w in where.get("words") or []:
                t = w.get("text") if isinstance(w, dict) else None
                if t and t not in words:
                    words.append(t)
        hits = clause.get("hits", 0)
        line = f"{clause.get('clause', '?')}: {hits} hit{'s' if hits != 1 else ''}"
        if words:
            line += " (" + ", ".join(words[:6]) + ")"
        lines.append(line)
    score = explanation.get("score")
    if isinstance(score, dict) and score.get("formula"):
        lines.append(
            f"{score['formula']}: {score.get('title_hits', 0)} title, "
            f"{score.get('lead_hits', 0)} lead, {score.get('body_hits', 0)} body"
        )
    return lines


@dataclass(frozen=True)
class AlertMessage:
    """One story that matched one topic, for one channel."""

    alert_id: int
    delivery_id: int
    channel: str
    topic_id: str
    topic_name: str
    url: str
    title: str | None
    outlet: str | None
    published: datetime | None
    score: float
    explanation: dict[str, Any]
    highlights: list[str]
    other_sources: list[Source] = field(default_factory=list)
    created_at: datetime | None = None
    story_id: int | None = None
    # Relevance.to_dict() of the match (None: relevance off for the topic)
    relevance: dict[str, Any] | None = None
    # one-click signed links to mark the alert good / bad (None: no console configured)
    feedback_good_url: str | None = None
    feedback_bad_url: str | None = None

    kind: ClassVar[str] = "alert"

    @property
    def message_id(self) -> str:
        """Stable per (alert, channel): receivers deduplicate on it (webhook-id)."""
        return f"nr_alert_{self.alert_id}_{self.channel}"

    @property
    def headline(self) -> str:
        return self.title or self.url

    @property
    def snippets(self) -> list[Snippet]:
        return [Snippet.parse(h) for h in self.highlights]

    @property
    def why(self) -> list[str]:
        return why_matched(self.explanation)

    @property
    def relevance_line(self) -> str | None:
        """'relevance 0.82 (min 0.50): <reason>' for people, or None."""
        r = self.relevance
        if not r:
            return None
        return (f"relevance {float(r.get('score', 0)):.2f} (min {float(r.get('min_relevance', 0)):.2f}): "
                f"{r.get('reason', '')}")

    def relevance_payload(self) -> dict[str, Any] | None:
        r = self.relevance
        if not r:
            return None
        return {k: r.get(k) for k in ("score", "parts", "reason", "relevant", "min_relevance",
                                      "weakest")}

    def to_payload(self) -> dict[str, Any]:
        return {
            "type": "alert.created",
            "version": PAYLOAD_VERSION,
            "id": self.message_id,
            "alert_id": self.alert_id,
            "topic": {"id": self.topic_id, "name": self.topic_name},
            "article": {
                "url": self.url,
                "title": self.title,
                "outlet": self.outlet,
                "published": _iso(self.published),
                "snippets": [s.to_payload() for s in self.snippets],
            },
            "match": {"score": round(self.score, 4), "why": self.why,
                      "explanation": self.explanation, "relevance": self.relevance_payload()},
            "feedback_url": self.feedback_good_url,
            "feedback_urls": ({"good": self.feedback_good_url, "bad": self.feedback_bad_url}
                              if self.feedback_good_url else None),
            "story": {
                "id": self.story_id,
                "sources": [s.to_payload() for s in self.other_sources],
            },
            "created_at": _iso(self.created_at),
        }


@dataclass(frozen=True)
class DigestMessage:
    """Several alerts of one topic for one channel, sent together (``mode: digest`` or
    throttled by ``max_per_hour``). Each item is one story with all its sources."""

    digest_id: int
    channel: str
    topic_id: str
    topic_name: str
    period_key: str
    items: list[AlertMessage]
    created_at: datetime | None = None

    kind: ClassVar[str] = "digest"

    @property
    def message_id(self) -> str:
        return f"nr_digest_{self.digest_id}_{self.channel}"

    @property
    def headline(self) -> str:
        n = len(self.items)
        return f"{n} new stor{'y' if n == 1 else 'ies'}"

    def to_payload(self) -> dict[str, Any]:
        return {
            "type": "digest.created",
            "version": PAYLOAD_VERSION,
            "id": self.message_id,
            "digest_id": self.digest_id,
            "topic": {"id": self.topic_id, "name": self.topic_name},
            "period": self.period_key,
            "items": [item.to_payload() for item in self.items],
            "created_at": _iso(self.created_at),
        }


@dataclass(frozen=True)
class SystemMessage:
    """A notice about newsradar itself: a feed failing or silent, or recovered."""

    alert_id: int
    channel: str
    event: str  # feed.failing | feed.silent | feed.recovered
    feed_url: str
    feed_name: str | None
    detail: str
    last_error: str | None = None
    created_at: datetime | None = None

    kind: ClassVar[str] = "system"
    topic_name: ClassVar[str] = "feed health"

    @property
    def message_id(self) -> str:
        return f"nr_alert_{self.alert_id}_{self.channel}"

    @property
    def headline(self) -> str:
        name = self.feed_name or self.feed_url
        what = {"feed.failing": "feed failing", "feed.silent": "feed silent",
                "feed.recovered": "feed recovered"}.get(self.event, self.event)
        return f"{what}: {name}"

    def to_payload(self) -> dict[str, Any]:
        return {
            "type": self.event,
            "version": PAYLOAD_VERSION,
            "id": self.message_id,
            "alert_id": self.alert_id,
            "feed": {"url": self.feed_url, "name": self.feed_name},
            "detail": self.detail,
            "last_error": self.last_error,
            "created_at": _iso(self.created_at),
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any], *, alert_id: int, channel: str) -> SystemMessage:
        created = payload.get("created_at")
        return cls(
            alert_id=alert_id,
            channel=channel,
            event=str(payload.get("type", "feed.failing")),
            feed_url=str((payload.get("feed") or {}).get("url", "")),
            feed_name=(payload.get("feed") or {}).get("name"),
            detail=str(payload.get("detail", "")),
            last_error=payload.get("last_error"),
            created_at=datetime.fromisoformat(created) if created else None,
        )


Message = AlertMessage | DigestMessage | SystemMessage
