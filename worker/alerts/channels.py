"""Channels: where an alert goes. Each has one verb, ``send(message)``, that returns on
success and raises ``DeliveryError`` (with ``permanent`` and ``retry_after``) otherwise."""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path
from typing import Protocol, TextIO

from worker.alerts.message import Message
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
