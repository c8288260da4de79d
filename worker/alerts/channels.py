"""Channels: where an alert goes. Each has one verb, ``send(message)``, that returns on
success and raises ``DeliveryError`` (with ``permanent`` and ``retry_after``) otherwise."""

from __future__ import annotations

import json
import os
import re
import sys
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, TextIO

from worker.alerts.message import AlertMessage, Message
from worker.errors import DeliveryError, ErrorCode


class Channel(Protocol):
    name: str

    def send(self, message: Message) -> None: ...


class ConsoleChannel:
    """Prints one line per alert (the embedded default; handy for a first look)."""

    def __init__(self, name: str, stream: TextIO | None = None) -> None:
        self.name = name
        self._stream = stream

    def send(self, message: Message) -> None:
        stream = self._stream or sys.stdout
        line = f"[newsradar] {message.topic_name}: {message.headline}"
        if message.kind == "alert":
            line += f" <{message.url}> (score {message.score:.2f})"  # type: ignore[union-attr]
            if message.other_sources:  # type: ignore[union-attr]
                line += f" +{len(message.other_sources)} source(s)"  # type: ignore[union-attr]
        elif message.kind == "digest":
            for item in message.items:  # type: ignore[union-attr]
                line += f"\n  - {item.headline} <{item.url}>"
        print(line, file=stream, flush=True)


class JsonlChannel:
    """Appends the alert's payload as one JSON line; fsync'd so a crash loses nothing
    that was reported sent."""

    _lock = threading.Lock()

    def __init__(self, name: str, path: str | os.PathLike[str]) -> None:
        self.name = name
        self.path = Path(path)

    def send(self, message: Message) -> None:
        line = json.dumps(message.to_payload(), ensure_ascii=False, sort_keys=True)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._lock, open(self.path, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            raise DeliveryError(f"jsonl channel {self.name}: cannot write {self.path}: {exc.strerror}",
                                code=ErrorCode.IO) from exc


# ---------------------------------------------------------------------------
# Chat channels (Apprise) and feed files; the channel test


def build_chat_channel(name: str, cfg: object) -> Channel | None:
    """The channel for an ``apprise`` or ``feedfile`` config model, else None. URLs from
    ``urls_env``/``urls_file`` are secrets: each is registered for redaction."""
    from worker.alerts._apprise import AppriseChannel
    from worker.alerts._feedfile import FeedFileChannel
    from worker.config import AppriseChannel as AppriseCfg
    from worker.config import FeedFileChannel as FeedFileCfg
    from worker.config import Secret, read_secret
    from worker.redact import register_secret

    if isinstance(cfg, FeedFileCfg):
        return FeedFileChannel(name, cfg.path, formats=list(cfg.formats), max_entries=cfg.max_entries,
                               title=cfg.title)
    if isinstance(cfg, AppriseCfg):
        secret = read_secret(cfg.urls_env, cfg.urls_file, what=f"channels.{name}.urls")
        secret_urls = []
        for url in (secret.get().replace(",", " ").split() if secret else []):
            register_secret(url)
            for part in _token_parts(url):
                register_secret(part)
            secret_urls.append(Secret(url))
        return AppriseChannel(name, urls=cfg.urls, secret_urls=secret_urls, timeout=cfg.timeout,
                              format=cfg.format, timezone=cfg.timezone)
    return None


_URL_PARTS = re.compile(r"[/:@?&=#,]+")


def _token_parts(url: str) -> list[str]:
    """The pieces of a secret URL that look like tokens (8+ characters with a digit, not
    a host name), so that a target or Apprise naming one piece alone still hides it."""
    rest = url.split("://", 1)[-1]
    return [p for p in _URL_PARTS.split(rest)
            if len(p) >= 8 and any(c.isdigit() for c in p) and "." not in p]


@dataclass(frozen=True)
class SendOutcome:
    """What ``newsradar channels test NAME`` prints: sent, or the error the outbox would
    record and whether it would retry."""

    channel: str
    ok: bool
    code: ErrorCode | None = None
    error: str | None = None
    permanent: bool = False

    def line(self) -> str:
        if self.ok:
            return f"{self.channel}: sent"
        then = "permanent: the outbox would mark it dead" if self.permanent else \
            "the outbox would retry it"
        return f"{self.channel}: FAILED [{self.code}] {self.error} ({then})"


def sample_message(channel_name: str, now: datetime | None = None) -> AlertMessage:
    """A sample alert that says what it is (alert id 0, topic ``_test``)."""
    now = now or datetime.now(UTC)
    return AlertMessage(
        alert_id=0, delivery_id=0, channel=channel_name, topic_id="_test",
        topic_name="newsradar test", url="https://github.com/newsradar/newsradar",
        title=f"Test message from newsradar: channel {channel_name} works",
        outlet="newsradar", published=now, score=1.0, explanation={},
        highlights=["If you read this, «alerts» on this channel will reach you."],
        created_at=now,
    )


def send_test(channel: Channel, now: datetime | None = None) -> SendOutcome:
    """Send a test message through ``channel`` (no database, no outbox, no retry) and
    say how it went, in the outbox's terms."""
    from worker.redact import redact

    try:
        channel.send(sample_message(channel.name, now))
    except DeliveryError as exc:
        return SendOutcome(channel.name, False, exc.code, redact(str(exc)), bool(exc.permanent))
    except Exception as exc:  # noqa: BLE001 - a channel bug: report it, as the outbox would
        return SendOutcome(channel.name, False, ErrorCode.INTERNAL,
                           redact(f"{exc.__class__.__name__}: {exc}"), False)
    return SendOutcome(channel.name, True)
