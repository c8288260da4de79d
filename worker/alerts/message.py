"""The alert message: everything a channel needs to render and send one alert.

Built by the pipeline from the database rows, so that channels never touch the
database. ``to_payload()`` is the versioned JSON shape sent to webhooks and written
to jsonl files (documented in docs/alerts.md).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

PAYLOAD_VERSION = "1"


@dataclass(frozen=True)
class Source:
    url: str
    title: str | None
    outlet: str | None
    published: datetime | None


@dataclass(frozen=True)
class AlertMessage:
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

    @property
    def message_id(self) -> str:
        """Stable per (alert, channel): receivers deduplicate on it (webhook-id)."""
        return f"nr_alert_{self.alert_id}_{self.channel}"

    def to_payload(self) -> dict[str, Any]:
        def iso(d: datetime | None) -> str | None:
            return d.isoformat() if d else None

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
                "published": iso(self.published),
                "snippets": list(self.highlights),
            },
            "match": {"score": round(self.score, 4), "explanation": self.explanation},
            "story": {
                "sources": [
                    {**asdict(s), "published": iso(s.published)} for s in self.other_sources
                ]
            },
            "created_at": iso(self.created_at),
        }
